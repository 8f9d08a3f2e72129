"""Spot checks by the province and the cities (R-REV-9; 002 第十四条 "省、市生态环境部门……
抽查复核"): a sample of the graded enterprises of the bureau's counties, stratified by the next
level (the cities for the province, the counties for a city) and industry, sized and
allocated by ``review.services.sampling_plan`` and reproducible from its recorded seed; on-site
results downgrade a grade that does not match reality to the grade the checker names; an
industry whose pass rate, once its sample can be judged, is below 60% gets a downgrade
proposal its bureau confirms or dismisses."""

import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import EnterpriseIndustry, Grade, GradeRecord, Industry, Region, User
from grading.rules import is_admin
from grading.selectors import indicator_set_in_force
from grading.services.grades import grade_record_add
from review.models import (
    IndustryDowngradeProposal,
    SpotCheckItem,
    SpotCheckPolicy,
    SpotCheckSample,
)
from review.rules import require
from review.selectors import configured_province
from review.services.sampling_plan import allocate

PASS_RATE_FLOOR = Decimal("0.60")
DEFAULT_GRADES = ("A", "B", "B-", "LEAD")


def sampling_region(actor: User) -> Region:
    """The area a bureau spot-checks: its own city or province; the administrator acts for
    the configured province."""
    if is_admin(actor) or actor.region is None:
        return configured_province()
    return actor.region


def _units_of(region: Region) -> QuerySet[Region]:
    if region.level == Region.Level.PROVINCE:
        return Region.objects.filter(Q(parent=region) | Q(parent__parent=region))
    return Region.objects.filter(Q(pk=region.pk) | Q(parent=region))


def _stratum_unit(region: Region):
    """The unit a row's stratum is named by: the enterprise's city for the province (a city
    reviewing as a county is its own), its county for a city."""
    if region.level == Region.Level.PROVINCE:
        return Case(
            When(enterprise__county__level=Region.Level.CITY, then=F("enterprise__county_id")),
            default=F("enterprise__county__parent_id"),
        )
    return F("enterprise__county_id")


def sample_population(*, region: Region, grade_codes=DEFAULT_GRADES) -> QuerySet:
    """Every enterprise-industry of ``region``'s counties graded at one of ``grade_codes``,
    with its stratum unit (``unit``)."""
    return (
        EnterpriseIndustry.objects.filter(
            current_grade__code__in=grade_codes, enterprise__county__in=_units_of(region)
        )
        .annotate(unit=_stratum_unit(region))
        .order_by("enterprise_id", "industry_id")
    )


def spot_check_policy() -> SpotCheckPolicy:
    """The province's thresholds (its defaults until the province sets them)."""
    prov = configured_province()
    return SpotCheckPolicy.objects.filter(province=prov).first() or SpotCheckPolicy(province=prov)


@transaction.atomic
def spot_check_policy_set(
    *, actor: User, min_per_industry: int, min_decided: int
) -> SpotCheckPolicy:
    """The province sets the minimum sample per industry and the minimum decided count at
    which an industry's pass rate is judged (R-REV-9)."""
    require(actor, "review.set_spot_check_policy")
    if min_per_industry < 1 or min_decided < 1:
        raise ValidationError(_("最少抽查数和最少核查数均应至少为1"))
    policy = spot_check_policy()
    before = (policy.min_per_industry, policy.min_decided) if policy.pk else None
    policy.min_per_industry, policy.min_decided = min_per_industry, min_decided
    policy.updated_by = actor
    policy.save()
    event_record(
        code="review.spot_check.policy_set",
        actor=actor,
        target=policy.province,
        summary=_("设置抽查规则：每个行业最少抽查%(m)d家，核查%(d)d家后判定合格率")
        % {"m": min_per_industry, "d": min_decided},
        data={"before": before, "after": [min_per_industry, min_decided]},
    )
    return policy


@dataclass(frozen=True)
class Stratum:
    unit: Region
    industry: Industry
    population: int
    drawn: int


@dataclass(frozen=True)
class IndustryShare:
    industry: Industry
    population: int
    drawn: int
    topped_up: int


@dataclass(frozen=True)
class SamplePlan:
    """What a draw will take, shown before it is confirmed."""

    region: Region
    percentage: Decimal
    grade_codes: tuple
    population: int
    requested: int
    min_per_industry: int
    min_decided: int
    industries: list[IndustryShare]
    strata: list[Stratum]

    @property
    def size(self) -> int:
        return sum(s.drawn for s in self.strata)


def _check_percentage(percentage) -> Decimal:
    percentage = Decimal(percentage)
    if not (Decimal("0") < percentage <= Decimal("100")):
        raise ValidationError({"percentage": _("抽查比例应在0到100之间")})
    return percentage


def sample_plan(*, actor: User, percentage, grade_codes=DEFAULT_GRADES) -> SamplePlan:
    """R-REV-9: the strata of the actor's area and how many each gives, counted in SQL."""
    require(actor, "review.spot_check")
    percentage = _check_percentage(percentage)
    region = sampling_region(actor)
    counts = (
        sample_population(region=region, grade_codes=grade_codes)
        .values("unit", "industry_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    strata = {(row["unit"], row["industry_id"]): row["n"] for row in counts}
    if not strata:
        raise ValidationError(_("没有符合条件的已评级企业"))
    policy = spot_check_policy()
    allocation = allocate(strata, percentage=percentage, min_per_industry=policy.min_per_industry)
    units = Region.objects.in_bulk({u for u, _i in strata})
    industries = Industry.objects.in_bulk({i for _u, i in strata})
    by_industry = defaultdict(int)
    for (_unit, industry), n in strata.items():
        by_industry[industry] += n
    return SamplePlan(
        region=region,
        percentage=percentage,
        grade_codes=tuple(grade_codes),
        population=sum(strata.values()),
        requested=allocation.requested,
        min_per_industry=policy.min_per_industry,
        min_decided=policy.min_decided,
        industries=sorted(
            (
                IndustryShare(
                    industry=industries[i],
                    population=n,
                    drawn=allocation.industries[i],
                    topped_up=allocation.topped_up[i],
                )
                for i, n in by_industry.items()
            ),
            key=lambda s: (s.industry.seq, s.industry.code),
        ),
        strata=sorted(
            (
                Stratum(
                    unit=units[u],
                    industry=industries[i],
                    population=n,
                    drawn=allocation.strata[(u, i)],
                )
                for (u, i), n in strata.items()
            ),
            key=lambda s: (s.unit.code, s.industry.seq, s.industry.code),
        ),
    )


def draw_members(rows, plan: SamplePlan, *, seed: int) -> list:
    """Take each stratum's share from its members. Strata and members are taken in a fixed
    order (unit code, industry code; enterprise, industry), so the same seed draws the same
    sample from the same population."""
    members = defaultdict(list)
    for row in rows:
        members[(row.unit, row.industry_id)].append(row)
    rng = random.Random(seed)
    chosen = []
    for stratum in sorted(plan.strata, key=lambda s: (s.unit.code, s.industry.code)):
        if not stratum.drawn:
            continue
        pool = sorted(
            members[(stratum.unit.pk, stratum.industry.pk)],
            key=lambda r: (r.enterprise_id, r.industry_id),
        )
        chosen.extend(rng.sample(pool, stratum.drawn))
    return chosen


def _city_of(county: Region) -> Region:
    return county if county.level == Region.Level.CITY else county.parent


@transaction.atomic
def sample_draw(
    *,
    actor: User,
    year: int,
    percentage: Decimal,
    seed: int | None = None,
    grade_codes=DEFAULT_GRADES,
) -> SpotCheckSample:
    """R-REV-9: draw the sample the plan shows, reproducible from the recorded seed."""
    plan = sample_plan(actor=actor, percentage=percentage, grade_codes=grade_codes)
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    rows = sample_population(region=plan.region, grade_codes=grade_codes).select_related(
        "enterprise__county__parent", "current_grade"
    )
    chosen = draw_members(rows, plan, seed=seed)
    sample = SpotCheckSample.objects.create(
        region=plan.region,
        year=year,
        percentage=plan.percentage,
        seed=seed,
        grade_codes=list(grade_codes),
        population=plan.population,
        requested=plan.requested,
        min_per_industry=plan.min_per_industry,
        min_decided=plan.min_decided,
        drawn_by=actor,
    )
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(
            sample=sample,
            enterprise=r.enterprise,
            industry_id=r.industry_id,
            grade=r.current_grade,
            city=_city_of(r.enterprise.county),
        )
        for r in chosen
    )
    event_record(
        code="review.sample.drawn",
        actor=actor,
        target=sample,
        summary=_(
            "抽取%(region)s%(year)s年度抽查样本：%(n)d/%(total)d（%(pct)s%%，按比例%(req)d家，种子%(seed)d）"
        )
        % {
            "region": plan.region.name,
            "year": year,
            "n": len(chosen),
            "total": plan.population,
            "pct": plan.percentage,
            "req": plan.requested,
            "seed": seed,
        },
        data={
            "seed": seed,
            "grades": list(grade_codes),
            "region": plan.region.code,
            "requested": plan.requested,
            "size": len(chosen),
        },
    )
    return sample


def _scheme_grades(industry: Industry) -> list[Grade]:
    s = indicator_set_in_force(industry=industry, on=timezone.localdate())
    return s.scheme.ordered_grades() if s else list(Grade.objects.all())


def _next_lower(grade: Grade, scheme_grades: list[Grade]) -> Grade:
    ordered = sorted(scheme_grades, key=lambda g: (g.severity, g.code))
    for g in ordered:
        if g.severity > grade.severity:
            return g
    return ordered[-1]


def downgrade_choices(item: SpotCheckItem, ladders: dict | None = None) -> list[Grade]:
    """The grades a failed check may name: those of the industry's scheme below the grade
    the enterprise held when it was sampled. ``ladders`` caches each industry's scheme
    across the items of a page."""
    ladders = {} if ladders is None else ladders
    if item.industry_id not in ladders:
        ladders[item.industry_id] = _scheme_grades(item.industry)
    return [g for g in ladders[item.industry_id] if g.severity > item.grade.severity]


@transaction.atomic
def spot_check_record(
    *,
    actor: User,
    item: SpotCheckItem,
    passed: bool,
    findings: str,
    downgrade_to: Grade | None = None,
) -> SpotCheckItem:
    """Record one on-site re-check. A grade that does not match reality is downgraded at once
    to the grade the checker names (refused without one); then the industry's pass rate in
    the sample is judged if it can be."""
    item = (
        SpotCheckItem.objects.select_for_update(of=("self",))
        .select_related("sample", "grade", "industry", "enterprise")
        .get(pk=item.pk)
    )
    require(actor, "review.check_sample", item.sample)
    if item.result != SpotCheckItem.Result.PENDING:
        raise ValidationError(_("该企业的抽查结果已记录"))
    if not findings.strip():
        raise ValidationError({"findings": _("请填写核查情况")})
    item.findings = findings.strip()
    item.checked_by = actor
    item.checked_at = timezone.now()
    if passed:
        if downgrade_to is not None:
            raise ValidationError({"downgrade_to": _("核查结果为符合时不能降级")})
        item.result = SpotCheckItem.Result.PASSED
    else:
        if downgrade_to is None:
            raise ValidationError({"downgrade_to": _("不符合时须选择降级后的等级")})
        if downgrade_to not in downgrade_choices(item):
            raise ValidationError(
                {"downgrade_to": _("降级后的等级须低于原等级且属于该行业分级体系")}
            )
        item.result = SpotCheckItem.Result.FAILED
        item.downgrade_to = downgrade_to
        grade_record_add(
            actor=actor,
            enterprise=item.enterprise,
            industry=item.industry,
            grade=downgrade_to,
            effective_from=timezone.localdate(),
            source=GradeRecord.Source.SPOT_CHECK,
            source_ref=f"抽查样本{item.sample_id}",
            reason=findings,
        )
    item.save()
    event_record(
        code="review.spot_check.recorded",
        actor=actor,
        target=item.sample,
        summary=_("%(ent)s %(industry)s 抽查%(result)s%(to)s")
        % {
            "ent": item.enterprise.name,
            "industry": item.industry.name,
            "result": item.get_result_display(),
            "to": f"，降为{downgrade_to.name}" if downgrade_to else "",
        },
        reason=findings,
    )
    industry_pass_rate_review(actor=actor, sample=item.sample, industry=item.industry)
    return item


@dataclass(frozen=True)
class PassRate:
    """An industry's standing in one sample."""

    industry: Industry
    drawn: int
    decided: int
    passed: int
    #: The sample of the industry is complete, or has the minimum decided count.
    judged: bool

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.passed) / Decimal(self.decided) if self.decided else None

    @property
    def below_floor(self) -> bool:
        return self.judged and self.rate is not None and self.rate < PASS_RATE_FLOOR


def pass_rates(*, sample: SpotCheckSample) -> list[PassRate]:
    """Each industry of the sample: drawn, decided, passed, and whether it can be judged
    (R-REV-9: when its sample is complete or has the minimum decided count)."""
    rows = (
        sample.items.values("industry")
        .annotate(
            drawn=Count("id"),
            decided=Count("id", filter=~Q(result=SpotCheckItem.Result.PENDING)),
            passed=Count("id", filter=Q(result=SpotCheckItem.Result.PASSED)),
        )
        .order_by()
    )
    industries = Industry.objects.in_bulk([r["industry"] for r in rows])
    out = [
        PassRate(
            industry=industries[r["industry"]],
            drawn=r["drawn"],
            decided=r["decided"],
            passed=r["passed"],
            judged=r["decided"] > 0
            and (r["decided"] == r["drawn"] or r["decided"] >= (sample.min_decided or r["drawn"])),
        )
        for r in rows
    ]
    return sorted(out, key=lambda p: (p.industry.seq, p.industry.code))


def industry_pass_rate(*, sample: SpotCheckSample, industry: Industry) -> PassRate:
    return next(p for p in pass_rates(sample=sample) if p.industry.pk == industry.pk)


def industry_pass_rate_review(
    *, actor: User, sample: SpotCheckSample, industry: Industry
) -> IndustryDowngradeProposal | None:
    """R-REV-9: once the industry's sample can be judged and its pass rate is below 60%,
    propose downgrading the industry's grades in the sample's area (one open proposal per
    sample and industry, carrying the numbers it was based on). Before that nothing is
    proposed, whatever the first results. When later checks bring the rate back to 60% or
    more, the open proposal no longer holds and is withdrawn (dismissed by the system)."""
    rate = industry_pass_rate(sample=sample, industry=industry)
    if not rate.judged:
        return None
    open_ones = IndustryDowngradeProposal.objects.filter(
        sample=sample, industry=industry, status=IndustryDowngradeProposal.Status.PROPOSED
    )
    if not rate.below_floor:
        for proposal in open_ones:
            proposal.checked, proposal.passed = rate.decided, rate.passed
            proposal.status = IndustryDowngradeProposal.Status.DISMISSED
            proposal.decided_at = timezone.now()
            proposal.decision_reason = _(
                "抽查合格率回升至 %(p)d/%(c)d，不低于60%%，系统撤销行业降级建议"
            ) % {"p": rate.passed, "c": rate.decided}
            proposal.save()
            event_record(
                code="review.industry_downgrade.withdrawn",
                actor=actor,
                target=proposal,
                summary=proposal.decision_reason,
            )
        return None
    proposal, created = IndustryDowngradeProposal.objects.update_or_create(
        sample=sample,
        industry=industry,
        status=IndustryDowngradeProposal.Status.PROPOSED,
        defaults={"year": sample.year, "checked": rate.decided, "passed": rate.passed},
    )
    if created:
        event_record(
            code="review.industry_downgrade.proposed",
            actor=actor,
            target=proposal,
            summary=_(
                "%(industry)s 抽查合格率 %(p)d/%(c)d（样本%(drawn)d家）低于60%%，"
                "建议%(region)s该行业降级"
            )
            % {
                "industry": industry.name,
                "p": rate.passed,
                "c": rate.decided,
                "drawn": rate.drawn,
                "region": sample.region.name,
            },
        )
    return proposal


@transaction.atomic
def industry_downgrade_decide(
    *, actor: User, proposal: IndustryDowngradeProposal, confirm: bool, reason: str
) -> IndustryDowngradeProposal:
    """Confirm: every enterprise of the industry graded A, B, B- or 引领性 in the sample's
    area goes one grade down; dismiss: nothing changes. Either way the decision is recorded."""
    proposal = (
        IndustryDowngradeProposal.objects.select_for_update(of=("self",))
        .select_related("sample__region", "industry")
        .get(pk=proposal.pk)
    )
    require(actor, "review.check_sample", proposal)
    if not reason.strip():
        raise ValidationError({"reason": _("请填写理由")})
    if proposal.status != IndustryDowngradeProposal.Status.PROPOSED:
        raise ValidationError(_("该建议已处理"))
    affected = 0
    if confirm:
        region = proposal.region or configured_province()
        grades = proposal.sample.grade_codes if proposal.sample_id else DEFAULT_GRADES
        rows = (
            sample_population(region=region, grade_codes=grades)
            .filter(industry=proposal.industry)
            .select_related("enterprise", "industry", "current_grade")
        )
        ladder = _scheme_grades(proposal.industry)
        for row in rows:
            grade_record_add(
                actor=actor,
                enterprise=row.enterprise,
                industry=row.industry,
                grade=_next_lower(row.current_grade, ladder),
                effective_from=timezone.localdate(),
                source=GradeRecord.Source.SPOT_CHECK,
                source_ref=f"行业降级{proposal.pk}",
                reason=reason,
            )
            affected += 1
    proposal.status = (
        IndustryDowngradeProposal.Status.CONFIRMED
        if confirm
        else IndustryDowngradeProposal.Status.DISMISSED
    )
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason.strip()
    proposal.affected = affected
    proposal.save()
    event_record(
        code="review.industry_downgrade.confirmed"
        if confirm
        else "review.industry_downgrade.dismissed",
        actor=actor,
        target=proposal,
        summary=_("%(industry)s 行业降级：%(status)s，涉及%(n)d家")
        % {
            "industry": proposal.industry.name,
            "status": proposal.get_status_display(),
            "n": affected,
        },
        reason=reason,
    )
    return proposal
