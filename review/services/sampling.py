"""Province spot checks (R-REV-9): a sample stratified by city and industry, reproducible from
its recorded seed; on-site results downgrade grades that do not match reality; an industry
whose pass rate falls below 60% gets a downgrade proposal the province confirms."""

import math
import random
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import EnterpriseIndustry, Grade, GradeRecord, Industry, Region, User
from grading.selectors import indicator_set_in_force
from grading.services.grades import grade_record_add
from review.models import IndustryDowngradeProposal, SpotCheckItem, SpotCheckSample
from review.rules import require

PASS_RATE_FLOOR = Decimal("0.60")
DEFAULT_GRADES = ("A", "B", "B-", "LEAD")


def _province_of(actor: User) -> Region:
    """The province the actor works for; an administrator acts for the configured province."""
    return actor.region or Region.objects.get(code=settings.GRADING["PROVINCE_CODE"])


def sample_population(
    *, province: Region, grade_codes=DEFAULT_GRADES
) -> QuerySet[EnterpriseIndustry]:
    """Every enterprise-industry currently graded at one of ``grade_codes`` in the province."""
    return (
        EnterpriseIndustry.objects.filter(current_grade__code__in=grade_codes)
        .filter(enterprise__county__in=_units_of(province))
        .select_related("enterprise__county__parent", "industry", "current_grade")
        .order_by("enterprise_id", "industry_id")
    )


def _units_of(province: Region) -> QuerySet[Region]:
    return Region.objects.filter(parent=province) | Region.objects.filter(parent__parent=province)


def stratified_draw(rows, *, percentage: Decimal, seed: int) -> list:
    """Draw ``percentage`` of each (city, industry) stratum, at least one from a non-empty one.
    Strata and their members are taken in a fixed order, so the same seed draws the same
    sample from the same population."""
    strata = defaultdict(list)
    for row in rows:
        county = row.enterprise.county
        city = county if county.level == "city" else county.parent
        strata[(city.code, row.industry.code)].append(row)
    rng = random.Random(seed)
    chosen = []
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda r: (r.enterprise_id, r.industry_id))
        k = min(len(members), max(1, math.ceil(len(members) * float(percentage) / 100)))
        chosen.extend(rng.sample(members, k))
    return chosen


@transaction.atomic
def sample_draw(
    *,
    actor: User,
    year: int,
    percentage: Decimal,
    seed: int | None = None,
    grade_codes=DEFAULT_GRADES,
) -> SpotCheckSample:
    """R-REV-9: draw the province's sample, reproducible from the recorded seed."""
    require(actor, "review.spot_check")
    percentage = Decimal(percentage)
    if not (Decimal("0") < percentage <= Decimal("100")):
        raise ValidationError({"percentage": _("抽查比例应在0到100之间")})
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    rows = list(sample_population(province=_province_of(actor), grade_codes=grade_codes))
    if not rows:
        raise ValidationError(_("没有符合条件的已评级企业"))
    chosen = stratified_draw(rows, percentage=percentage, seed=seed)
    sample = SpotCheckSample.objects.create(
        year=year,
        percentage=percentage,
        seed=seed,
        grade_codes=list(grade_codes),
        population=len(rows),
        drawn_by=actor,
    )
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(
            sample=sample,
            enterprise=r.enterprise,
            industry=r.industry,
            grade=r.current_grade,
            city=r.enterprise.county
            if r.enterprise.county.level == "city"
            else r.enterprise.county.parent,
        )
        for r in chosen
    )
    event_record(
        code="review.sample.drawn",
        actor=actor,
        target=sample,
        summary=_("抽取%(year)s年度抽查样本：%(n)d/%(total)d（%(pct)s%%，种子%(seed)d）")
        % {"year": year, "n": len(chosen), "total": len(rows), "pct": percentage, "seed": seed},
        data={"seed": seed, "grades": list(grade_codes)},
    )
    return sample


def _next_lower(grade: Grade, scheme_grades: list[Grade]) -> Grade:
    ordered = sorted(scheme_grades, key=lambda g: (g.severity, g.code))
    for g in ordered:
        if g.severity > grade.severity:
            return g
    return ordered[-1]


def _scheme_grades(industry: Industry) -> list[Grade]:
    s = indicator_set_in_force(industry=industry, on=timezone.localdate())
    return s.scheme.ordered_grades() if s else list(Grade.objects.all())


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
    (to the stated grade, by default the next lower one); then the industry's pass rate is
    re-computed and a proposal opened if it falls below 60%."""
    require(actor, "review.spot_check")
    item = (
        SpotCheckItem.objects.select_for_update().select_related("sample", "grade").get(pk=item.pk)
    )
    if item.result != SpotCheckItem.Result.PENDING:
        raise ValidationError(_("该企业的抽查结果已记录"))
    if not findings.strip():
        raise ValidationError({"findings": _("请填写核查情况")})
    item.findings = findings.strip()
    item.checked_by = actor
    item.checked_at = timezone.now()
    if passed:
        item.result = SpotCheckItem.Result.PASSED
    else:
        item.result = SpotCheckItem.Result.FAILED
        ladder = _scheme_grades(item.industry)
        target = downgrade_to or _next_lower(item.grade, ladder)
        if target.severity <= item.grade.severity or target not in ladder:
            raise ValidationError(
                {"downgrade_to": _("降级后的等级须低于原等级且属于该行业分级体系")}
            )
        item.downgrade_to = target
        grade_record_add(
            actor=actor,
            enterprise=item.enterprise,
            industry=item.industry,
            grade=target,
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
        summary=_("%(ent)s %(industry)s 抽查%(result)s")
        % {
            "ent": item.enterprise.name,
            "industry": item.industry.name,
            "result": item.get_result_display(),
        },
        reason=findings,
    )
    industry_pass_rate_review(actor=actor, year=item.sample.year, industry=item.industry)
    return item


def industry_pass_rate(*, year: int, industry) -> tuple[int, int]:
    items = SpotCheckItem.objects.filter(sample__year=year, industry=industry).exclude(
        result=SpotCheckItem.Result.PENDING
    )
    checked = items.count()
    passed = items.filter(result=SpotCheckItem.Result.PASSED).count()
    return checked, passed


def industry_pass_rate_review(
    *, actor: User, year: int, industry
) -> IndustryDowngradeProposal | None:
    """R-REV-9: below 60% passing, propose downgrading the industry's grades (once per year
    while a proposal is open); the proposal carries the numbers it was based on. When later
    checks bring the rate back to 60% or more, the open proposal no longer holds and is
    withdrawn (dismissed by the system, with the numbers), so it cannot be confirmed."""
    checked, passed = industry_pass_rate(year=year, industry=industry)
    if not checked or Decimal(passed) / Decimal(checked) >= PASS_RATE_FLOOR:
        stale = IndustryDowngradeProposal.objects.filter(
            year=year, industry=industry, status=IndustryDowngradeProposal.Status.PROPOSED
        )
        for proposal in stale:
            proposal.checked, proposal.passed = checked, passed
            proposal.status = IndustryDowngradeProposal.Status.DISMISSED
            proposal.decided_at = timezone.now()
            proposal.decision_reason = _(
                "抽查合格率回升至 %(p)d/%(c)d，不低于60%%，系统撤销行业降级建议（R-REV-9）"
            ) % {"p": passed, "c": checked}
            proposal.save()
            event_record(
                code="review.industry_downgrade.withdrawn",
                actor=actor,
                target=proposal,
                summary=proposal.decision_reason,
            )
        return None
    proposal, created = IndustryDowngradeProposal.objects.update_or_create(
        year=year,
        industry=industry,
        status=IndustryDowngradeProposal.Status.PROPOSED,
        defaults={"checked": checked, "passed": passed},
    )
    if created:
        event_record(
            code="review.industry_downgrade.proposed",
            actor=actor,
            target=proposal,
            summary=_("%(industry)s 抽查合格率 %(p)d/%(c)d 低于60%%，建议行业降级")
            % {"industry": industry.name, "p": passed, "c": checked},
        )
    return proposal


@transaction.atomic
def industry_downgrade_decide(
    *, actor: User, proposal: IndustryDowngradeProposal, confirm: bool, reason: str
) -> IndustryDowngradeProposal:
    """Confirm: every enterprise of the industry graded A, B, B- or 引领性 in the province goes
    one grade down; dismiss: nothing changes. Either way the decision is recorded."""
    require(actor, "review.spot_check")
    if not reason.strip():
        raise ValidationError({"reason": _("请填写理由")})
    proposal = IndustryDowngradeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != IndustryDowngradeProposal.Status.PROPOSED:
        raise ValidationError(_("该建议已处理"))
    affected = 0
    if confirm:
        for row in sample_population(province=_province_of(actor)):
            if row.industry_id != proposal.industry_id:
                continue
            ladder = _scheme_grades(row.industry)
            target = _next_lower(row.current_grade, ladder)
            grade_record_add(
                actor=actor,
                enterprise=row.enterprise,
                industry=row.industry,
                grade=target,
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
