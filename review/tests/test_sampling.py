"""Spot checks of the province and the cities (R-REV-9): the sample is the requested share of
the whole population, allocated over the strata in proportion with a minimum per industry;
a failed check downgrades at once to the grade it names; an industry's pass rate is judged
only when its sample is complete or has the minimum decided count; cities spot-check their
own counties."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEvent
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord, Industry, Region
from grading.services.grades import grade_record_add
from review.models import IndustryDowngradeProposal, SpotCheckItem, SpotCheckSample
from review.services import sampling
from review.services.sampling_plan import allocate, largest_remainder, share_of
from review.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db

GRADED_ON = datetime.date(2025, 1, 1)
Proposal = IndustryDowngradeProposal.Status


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


def graded(grade_code: str, *, county: str = "410184", industry: str = "N31") -> Enterprise:
    """An enterprise whose grade was imported from the earlier grading."""
    ent = factories.enterprise(county=county, industry=industry)
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=builders.industry(industry),
        grade=builders.grade(grade_code),
        effective_from=GRADED_ON,
        source=GradeRecord.Source.IMPORT,
        source_ref="2025年清单",
    )
    return ent


def grade_of(ent: Enterprise, industry: str = "N31") -> str:
    return EnterpriseIndustry.objects.get(
        enterprise=ent, industry__code=industry
    ).current_grade.code


def drawn(sample: SpotCheckSample) -> set[tuple[int, int]]:
    return set(sample.items.values_list("enterprise_id", "industry_id"))


def draw(actor, percentage="100", seed=1, year=2026) -> SpotCheckSample:
    return sampling.sample_draw(actor=actor, year=year, percentage=Decimal(percentage), seed=seed)


def check(actor, sample, ent, passed: bool, to: str | None = None) -> SpotCheckItem:
    """Record a check; a failed one names its grade (C unless ``to`` says otherwise)."""
    if not passed and to is None:
        to = "C"
    return sampling.spot_check_record(
        actor=actor,
        item=sample.items.get(enterprise=ent),
        passed=passed,
        findings="现场核查情况",
        downgrade_to=builders.grade(to) if to else None,
    )


def set_policy(province_user, *, min_per_industry=5, min_decided=5):
    sampling.spot_check_policy_set(
        actor=province_user, min_per_industry=min_per_industry, min_decided=min_decided
    )


# --- The size and the allocation -------------------------------------------------------------


def test_r_rev_9_allocation_is_proportional_with_largest_remainders():
    assert share_of(321, Decimal("10")) == 33
    assert share_of(320, Decimal("10")) == 32
    assert share_of(1, Decimal("0.01")) == 1
    assert largest_remainder(10, {"a": 50, "b": 30, "c": 20}) == {"a": 5, "b": 3, "c": 2}
    assert largest_remainder(2, {"a": 1, "b": 1, "c": 1}) == {"a": 1, "b": 1, "c": 0}
    assert largest_remainder(5, {"a": 1, "b": 9}) == {"a": 0, "b": 5}
    assert largest_remainder(99, {"a": 1, "b": 2}) == {"a": 1, "b": 2}


@pytest.fixture
def province_of_321():
    """321 enterprises graded B: 18 cities × 9 industries, 159 strata of two and three of
    one (the shape of the province on which 10% drew 258)."""
    cities = Region.objects.filter(level=Region.Level.CITY).order_by("code")
    units = []
    for city in cities:
        unit = city if city.reviews_as_county else city.children.order_by("code").first()
        units.append(unit)
    industries = list(
        Industry.objects.filter(is_active=True).exclude(code="GENERAL").order_by("code")[:9]
    )
    grade_b = builders.grade("B")
    sizes = [2] * 159 + [1] * 3
    strata = [(u, i) for u in units for i in industries]
    assert len(strata) == len(sizes) == 162
    enterprises, rows, n = [], [], 0
    for (unit, industry), size in zip(strata, sizes, strict=True):
        for _ in range(size):
            n += 1
            enterprises.append(
                Enterprise(
                    name=f"抽查总体企业{n}",
                    uscc=factories.valid_uscc(unit.code, 900000 + n),
                    county=unit,
                    overall_grade=grade_b,
                )
            )
            rows.append(industry)
    Enterprise.objects.bulk_create(enterprises)
    EnterpriseIndustry.objects.bulk_create(
        EnterpriseIndustry(enterprise=e, industry=i, is_main=True, current_grade=grade_b)
        for e, i in zip(enterprises, rows, strict=True)
    )
    return {"industries": industries, "units": units}


def test_r_rev_9_ten_percent_of_321_is_33_allocated_in_proportion(province_of_321, province_user):
    """Tried: 10% drew 258 of 321 (one at least from every city × industry stratum). The
    sample is 10% of the whole population, rounded up, and no stratum gets one for being a
    stratum."""
    set_policy(province_user, min_per_industry=3)
    plan = sampling.sample_plan(actor=province_user, percentage=Decimal("10"))
    assert (plan.population, plan.requested, plan.size) == (321, 33, 33)
    assert len(plan.strata) == 162
    assert sum(1 for s in plan.strata if s.drawn == 0) == 162 - 33
    assert all(s.drawn <= 1 for s in plan.strata)
    # Each industry's share is proportional (35 or 36 of 321 → 3 or 4 of 33).
    assert sorted(s.drawn for s in plan.industries) == [3, 3, 3, 4, 4, 4, 4, 4, 4]
    assert all(s.topped_up == 0 for s in plan.industries)

    sample = draw(province_user, percentage="10", seed=11)
    assert sample.items.count() == 33
    assert (sample.population, sample.requested, sample.region.code) == (321, 33, "410000")
    by_industry = Counter(sample.items.values_list("industry__code", flat=True))
    assert by_industry == {s.industry.code: s.drawn for s in plan.industries}
    assert AuditEvent.objects.get(code="review.sample.drawn").data["size"] == 33


def test_r_rev_9_an_industry_below_the_minimum_is_topped_up_and_only_that(
    province_of_321, province_user
):
    """With the province's minimum of 5 per industry each of the 9 industries gets 5: the
    33 of the share plus 12 to judge every industry's pass rate, nothing else."""
    set_policy(province_user, min_per_industry=5)
    plan = sampling.sample_plan(actor=province_user, percentage=Decimal("10"))
    assert (plan.requested, plan.size) == (33, 45)
    assert {s.drawn for s in plan.industries} == {5}
    assert sum(s.topped_up for s in plan.industries) == 12
    # An industry with fewer enterprises than the minimum is drawn whole.
    small = allocate(
        {("u1", "big"): 90, ("u1", "small"): 2}, percentage=Decimal("10"), min_per_industry=5
    )
    assert small.industries == {"big": 10, "small": 2}
    assert (small.requested, small.size, small.topped_up["small"]) == (10, 12, 2)


def test_r_rev_9_sample_is_reproducible_from_its_recorded_seed(province_user):
    for _ in range(8):
        graded("B")
    for _ in range(6):
        graded("A", county="410202")  # 开封市龙亭区
    graded("C")  # not in the population
    set_policy(province_user, min_per_industry=1)

    first = draw(province_user, percentage="30", seed=20260301)
    again = draw(province_user, percentage="30", seed=20260301)
    assert first.seed == again.seed == 20260301
    assert first.population == 14
    assert drawn(first) == drawn(again)
    others = [drawn(draw(province_user, percentage="30", seed=s)) for s in range(1, 6)]
    assert any(o != drawn(first) for o in others)
    event = AuditEvent.objects.filter(code="review.sample.drawn").order_by("id").first()
    assert event.data["seed"] == 20260301

    # Without a seed one is chosen, recorded, and draws the same sample again.
    unseeded = sampling.sample_draw(actor=province_user, year=2026, percentage=Decimal("30"))
    assert unseeded.seed > 0
    plan = sampling.sample_plan(actor=province_user, percentage=Decimal("30"))
    rows = sampling.sample_population(region=province_user.region)
    redraw = sampling.draw_members(rows, plan, seed=unseeded.seed)
    assert {(r.enterprise_id, r.industry_id) for r in redraw} == drawn(unseeded)


def test_r_rev_9_sample_is_stratified_by_city_and_industry(province_user):
    for _ in range(30):
        graded("B")
    graded("A", industry="N15")
    graded("B", industry="N15")
    graded("B", county="410202")
    graded("D")
    set_policy(province_user, min_per_industry=2)

    sample = draw(province_user, percentage="10", seed=7)
    strata = Counter(sample.items.values_list("city__code", "industry__code"))
    # 10% of 33 is 4, all printing (31 of 33); cement is topped up to its minimum of 2.
    assert strata == {("410100", "N31"): 4, ("410100", "N15"): 2}
    assert (sample.population, sample.requested) == (33, 4)
    assert sample.grade_codes == ["A", "B", "B-", "LEAD"]
    assert not sample.items.filter(grade__code="D").exists()


def test_r_rev_9_sample_draw_is_refused_without_population_or_with_bad_percentage(
    province_user,
):
    with pytest.raises(ValidationError):
        draw(province_user)
    graded("B")
    for pct in ("0", "101"):
        with pytest.raises(ValidationError):
            draw(province_user, percentage=pct)
    assert not SpotCheckSample.objects.exists()


# --- A failed check downgrades at once, to the grade it names --------------------------------


def test_r_rev_9_a_downgrade_without_a_target_grade_is_refused(province_user):
    """Tried: "不符合，降级" without a target grade downgraded B→C by itself."""
    ent = graded("B")
    sample = draw(province_user)
    item = sample.items.get(enterprise=ent)
    with pytest.raises(ValidationError) as exc:
        sampling.spot_check_record(
            actor=province_user, item=item, passed=False, findings="治理设施未运行"
        )
    assert "不符合时须选择降级后的等级" in " ".join(exc.value.messages)
    item.refresh_from_db()
    assert item.result == SpotCheckItem.Result.PENDING
    assert grade_of(ent) == "B"
    assert not GradeRecord.objects.filter(source=GradeRecord.Source.SPOT_CHECK).exists()


def test_r_rev_9_failed_check_downgrades_the_enterprise_at_once(province_user):
    a_ent, b_ent, other = graded("A"), graded("B"), graded("B", industry="N15")
    sample = draw(province_user)

    item = check(province_user, sample, a_ent, passed=False, to="B")
    assert item.result == SpotCheckItem.Result.FAILED and item.downgrade_to.code == "B"
    assert grade_of(a_ent) == "B"
    record = GradeRecord.objects.get(enterprise=a_ent, effective_to__isnull=True)
    assert record.source == GradeRecord.Source.SPOT_CHECK
    assert record.source_ref == f"抽查样本{sample.pk}"
    a_ent.refresh_from_db()
    assert a_ent.overall_grade.code == "B"

    with pytest.raises(ValidationError) as exc:
        check(province_user, sample, b_ent, passed=False, to="A")
    assert "须低于原等级" in " ".join(exc.value.messages)
    check(province_user, sample, b_ent, passed=False, to="D")
    assert grade_of(b_ent) == "D"

    passed = check(province_user, sample, other, passed=True)
    assert passed.result == SpotCheckItem.Result.PASSED and passed.downgrade_to is None
    assert grade_of(other, "N15") == "B"
    with pytest.raises(ValidationError) as exc:
        check(province_user, sample, other, passed=False, to="C")
    assert "已记录" in " ".join(exc.value.messages)


def test_r_rev_9_check_needs_findings(province_user):
    ent = graded("B")
    sample = draw(province_user)
    with pytest.raises(ValidationError):
        sampling.spot_check_record(
            actor=province_user, item=sample.items.get(enterprise=ent), passed=True, findings=" "
        )


# --- The 60% rule, judged when the industry's sample can be judged ---------------------------


def test_r_rev_9_a_single_failed_check_opens_no_industry_proposal(province_user):
    """Tried: a proposal opened after a single failed check (1 of 1). The pass rate is judged
    when the industry's sample is complete or has the minimum decided count."""
    set_policy(province_user, min_per_industry=5, min_decided=4)
    printing = [graded("B") for _ in range(6)]
    sample = draw(province_user)
    assert sample.min_decided == 4

    check(province_user, sample, printing[0], passed=False)
    assert not IndustryDowngradeProposal.objects.exists()
    rate = sampling.industry_pass_rate(sample=sample, industry=builders.industry("N31"))
    assert (rate.drawn, rate.decided, rate.passed, rate.judged) == (6, 1, 0, False)
    check(province_user, sample, printing[1], passed=True)
    check(province_user, sample, printing[2], passed=False)
    assert not IndustryDowngradeProposal.objects.exists()
    # The fourth decided check reaches the minimum: 1 of 4 passed, below 60%.
    check(province_user, sample, printing[3], passed=False)
    proposal = IndustryDowngradeProposal.objects.get()
    assert (proposal.sample, proposal.checked, proposal.passed) == (sample, 4, 1)
    assert proposal.status == Proposal.PROPOSED and proposal.year == 2026
    # Later passes bring it back to 3 of 6 = 50%: still below, the numbers follow.
    check(province_user, sample, printing[4], passed=True)
    check(province_user, sample, printing[5], passed=True)
    proposal.refresh_from_db()
    assert (proposal.checked, proposal.passed, proposal.status) == (6, 3, Proposal.PROPOSED)


def test_r_rev_9_a_complete_small_industry_sample_is_judged(province_user):
    """An industry with fewer sampled enterprises than the minimum decided count is judged
    when all of them are checked; a rate back at 60% withdraws the open proposal."""
    set_policy(province_user, min_per_industry=5, min_decided=5)
    cement = [graded("B", industry="N15") for _ in range(3)]
    printing = [graded("B") for _ in range(5)]
    sample = draw(province_user)

    check(province_user, sample, cement[0], passed=False)
    check(province_user, sample, cement[1], passed=False)
    assert not IndustryDowngradeProposal.objects.exists()
    check(province_user, sample, cement[2], passed=True)
    proposal = IndustryDowngradeProposal.objects.get(industry__code="N15")
    assert (proposal.checked, proposal.passed) == (3, 1)

    for ent in printing[:2]:
        check(province_user, sample, ent, passed=False)
    for ent in printing[2:]:
        check(province_user, sample, ent, passed=True)
    # 3 of 5 = 60%: not below.
    assert not IndustryDowngradeProposal.objects.filter(industry__code="N31").exists()
    rates = {r.industry.code: r for r in sampling.pass_rates(sample=sample)}
    assert rates["N31"].judged and not rates["N31"].below_floor
    assert rates["N15"].below_floor


def test_r_rev_9_confirming_downgrades_the_industry_one_grade(province_user):
    a_ent, failed_1, failed_2 = graded("A"), graded("B"), graded("B")
    sample = draw(province_user)
    later_b, c_ent, cement = graded("B"), graded("C"), graded("B", industry="N15")
    check(province_user, sample, a_ent, passed=True)
    check(province_user, sample, failed_1, passed=False)
    check(province_user, sample, failed_2, passed=False)
    proposal = IndustryDowngradeProposal.objects.get(status=Proposal.PROPOSED)

    with pytest.raises(ValidationError):
        sampling.industry_downgrade_decide(
            actor=province_user, proposal=proposal, confirm=True, reason=""
        )
    decided = sampling.industry_downgrade_decide(
        actor=province_user, proposal=proposal, confirm=True, reason="包装印刷抽查合格率1/3"
    )
    assert decided.status == Proposal.CONFIRMED and decided.affected == 2
    assert decided.decided_by == province_user and decided.decided_at is not None
    assert grade_of(a_ent) == "B"
    assert grade_of(later_b) == "C"
    assert [grade_of(e) for e in (failed_1, failed_2, c_ent)] == ["C", "C", "C"]
    assert grade_of(cement, "N15") == "B"
    record = GradeRecord.objects.get(enterprise=later_b, effective_to__isnull=True)
    assert (record.source, record.source_ref) == (
        GradeRecord.Source.SPOT_CHECK,
        f"行业降级{proposal.pk}",
    )
    with pytest.raises(ValidationError) as exc:
        sampling.industry_downgrade_decide(
            actor=province_user, proposal=proposal, confirm=False, reason="再议"
        )
    assert "已处理" in " ".join(exc.value.messages)


def test_r_rev_9_dismissing_changes_nothing(province_user):
    ents = [graded("A"), graded("B"), graded("B")]
    sample = draw(province_user)
    for ent in ents:
        check(province_user, sample, ent, passed=False, to="C" if ent != ents[0] else "B")
    proposal = IndustryDowngradeProposal.objects.get(status=Proposal.PROPOSED)
    before = [grade_of(e) for e in ents]
    records = GradeRecord.objects.count()

    decided = sampling.industry_downgrade_decide(
        actor=province_user, proposal=proposal, confirm=False, reason="抽查样本过少"
    )
    assert (decided.status, decided.affected) == (Proposal.DISMISSED, 0)
    assert decided.decision_reason == "抽查样本过少"
    assert [grade_of(e) for e in ents] == before
    assert GradeRecord.objects.count() == records


# --- The province and the cities -------------------------------------------------------------


def test_r_rev_9_cities_spot_check_their_own_counties(province_user, city_user):
    """002 第十四条 "省、市": 郑州 draws among its counties, stratified by county; its checks and
    its industry downgrade stay within 郑州; 开封 sees none of it; the province reads it."""
    xinzheng = [graded("B") for _ in range(3)]
    zhongmou = graded("B", county="410122")
    kaifeng = graded("B", county="410202")
    sample = draw(city_user, seed=5)
    assert sample.region.code == "410100"
    assert sample.population == 4 and kaifeng.pk not in {e for e, _ in drawn(sample)}
    plan = sampling.sample_plan(actor=city_user, percentage=Decimal("100"))
    assert {(s.unit.code, s.drawn) for s in plan.strata} == {("410184", 3), ("410122", 1)}

    other_city = builders.city_staff("410200")
    with pytest.raises(PermissionDenied):
        check(other_city, sample, xinzheng[0], passed=True)
    with pytest.raises(PermissionDenied):
        check(province_user, sample, xinzheng[0], passed=True)
    for ent in xinzheng:
        check(city_user, sample, ent, passed=False)
    check(city_user, sample, zhongmou, passed=True)
    proposal = IndustryDowngradeProposal.objects.get()
    assert proposal.region.code == "410100"
    with pytest.raises(PermissionDenied):
        sampling.industry_downgrade_decide(
            actor=province_user, proposal=proposal, confirm=True, reason="降级"
        )
    decided = sampling.industry_downgrade_decide(
        actor=city_user, proposal=proposal, confirm=True, reason="郑州包装印刷抽查合格率1/4"
    )
    assert decided.affected == 1  # 中牟's passed enterprise; the failed ones are already C
    assert grade_of(zhongmou) == "C"
    assert grade_of(kaifeng) == "B"


def test_r_rev_9_only_bureaus_draw_and_only_the_province_sets_the_thresholds(
    province_user, county_user, city_user
):
    graded("B")
    with pytest.raises(PermissionDenied):
        draw(county_user)
    for actor in (county_user, city_user):
        with pytest.raises(PermissionDenied):
            sampling.spot_check_policy_set(actor=actor, min_per_industry=1, min_decided=1)
    with pytest.raises(ValidationError):
        sampling.spot_check_policy_set(actor=province_user, min_per_industry=0, min_decided=3)
    set_policy(province_user, min_per_industry=7, min_decided=6)
    policy = sampling.spot_check_policy()
    assert (policy.min_per_industry, policy.min_decided, policy.updated_by) == (
        7,
        6,
        province_user,
    )
    assert AuditEvent.objects.filter(code="review.spot_check.policy_set").exists()
