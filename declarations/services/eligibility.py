"""Eligibility of a declaration (R-ELIG-1, R-ELIG-2, R-ELIG-3): what the bureaus recorded
against the enterprise, and every grade record that lowered one of its grades, within the
one-year windows measured from the declaration date.

Checked when the enterprise submits, and again when the county accepts the case and before a
decision is signed (``declaration_eligibility_recheck``): an event may happen after
submission, so a re-check reads records up to the day it runs.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from declarations.models import Declaration
from grading.models import Grade, GradeRecord, ViolationRecord

# R-ELIG-1: a penalty or downgrade within a year bars these grades.
ELIG_1_BARRED = {"A+", "A", "B", "B-", "LEAD"}
ELIG_1_KINDS = {ViolationRecord.Kind.ADMINISTRATIVE_PENALTY, ViolationRecord.Kind.DOWNGRADE}
# R-ELIG-2: these violations within a year bar these grades and the guarantee class.
ELIG_2_BARRED = {"A+", "A", "B", "B-", "LEAD", "ADV"}
ELIG_2_KINDS = {
    ViolationRecord.Kind.UNAPPROVED_CONSTRUCTION,
    ViolationRecord.Kind.EXCEEDING_PERMIT,
    ViolationRecord.Kind.MONITORING,
    ViolationRecord.Kind.CRIME,
}
# R-ELIG-3: concealment, false material or bribery: only the lowest grade.
ELIG_3_KINDS = {ViolationRecord.Kind.FALSE_MATERIAL, ViolationRecord.Kind.BRIBERY}
#: Grade records that give a grade rather than take one away: a lower grade from a review,
#: an import or the first registration is not a downgrade. Every other source that lowered a
#: grade (spot check, dynamic adjustment, fraud finding, inspection, appeal) is (R-ELIG-1).
NOT_DOWNGRADES = {
    GradeRecord.Source.REVIEW,
    GradeRecord.Source.IMPORT,
    GradeRecord.Source.INITIAL,
}


@dataclass(frozen=True)
class CheckIssue:
    rule: str
    section: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "section": self.section,
            "message": self.message,
            "row": self.row,
        }


def one_year_before(on: date) -> date:
    try:
        return on.replace(year=on.year - 1)
    except ValueError:  # 29 February
        return on.replace(year=on.year - 1, day=28)


@dataclass(frozen=True)
class _Window:
    """From one year before the declaration date up to the day of the check (inclusive)."""

    start: date
    end: date

    def filter(self, by: str) -> dict:
        return {f"{by}__gt": self.start, f"{by}__lte": self.end}


def _violations(declaration: Declaration, kinds: set, window: _Window, *, by: str):
    return ViolationRecord.objects.filter(
        enterprise=declaration.enterprise, kind__in=kinds, revoked=False, **window.filter(by)
    ).order_by("-" + by)


def downgrades_within(*, enterprise_id: int, start: date, end: date) -> QuerySet[GradeRecord]:
    """Grade records of the enterprise that lowered a grade, effective in (start, end]."""
    return (
        GradeRecord.objects.filter(
            enterprise_id=enterprise_id,
            lowers=True,
            effective_from__gt=start,
            effective_from__lte=end,
        )
        .exclude(source__in=NOT_DOWNGRADES)
        .select_related("industry", "grade")
        .order_by("-effective_from", "-id")
    )


def check_eligibility(
    declaration: Declaration,
    on: date,
    *,
    declared_on: date | None = None,
    grade: Grade | None = None,
) -> list[CheckIssue]:
    """R-ELIG-1, R-ELIG-2, R-ELIG-3 at ``on`` for ``grade`` (by default the requested one).

    The one-year windows start a year before the declaration date (``declared_on``, by default
    ``on``: the day of submission) and run to ``on``, so that a re-check after submission also
    sees what happened since."""
    grade = grade or declaration.requested_grade
    window = _Window(one_year_before(declared_on or on), on)
    recheck = declared_on is not None and declared_on != on
    verb = _("不得评为") if recheck else _("不得申报")
    issues = []
    guarantee = declaration.control_type == Declaration.ControlType.GUARANTEE
    if grade.code in ELIG_1_BARRED:
        issues += _elig_1(declaration, window, grade, verb)
    if grade.code in ELIG_2_BARRED or guarantee:
        for v in _violations(declaration, ELIG_2_KINDS, window, by="occurred_on")[:1]:
            issues.append(
                CheckIssue(
                    "R-ELIG-2",
                    "eligibility",
                    _(
                        "申报日前一年内存在%(kind)s（%(date)s），当年不得申报A、B（含B-）级、"
                        "引领性、绩效先进性及保障类"
                    )
                    % {"kind": v.get_kind_display(), "date": v.occurred_on},
                )
            )
    lowest = declaration.indicator_set.scheme.lowest()
    if grade.code != lowest.code:
        for v in _violations(declaration, ELIG_3_KINDS, window, by="decided_on")[:1]:
            issues.append(
                CheckIssue(
                    "R-ELIG-3",
                    "eligibility",
                    _("企业存在%(kind)s行为（%(date)s），直接评定为最低等级（%(lowest)s）")
                    % {"kind": v.get_kind_display(), "date": v.decided_on, "lowest": lowest.name},
                )
            )
    return issues


def _elig_1(declaration: Declaration, window: _Window, grade: Grade, verb: str) -> list:
    """R-ELIG-1: the latest penalty or downgrade of the window, whichever was recorded how."""
    issues = []
    for v in _violations(declaration, ELIG_1_KINDS, window, by="decided_on")[:1]:
        issues.append(
            CheckIssue(
                "R-ELIG-1",
                "eligibility",
                _("申报日前一年内受到%(kind)s（%(date)s，%(doc)s），%(verb)s%(grade)s")
                % {
                    "kind": v.get_kind_display(),
                    "date": v.decided_on,
                    "doc": v.document_no or _("无文号"),
                    "verb": verb,
                    "grade": grade.name,
                },
            )
        )
    downgrades = downgrades_within(
        enterprise_id=declaration.enterprise_id, start=window.start, end=window.end
    )
    for r in downgrades[:1]:
        issues.append(
            CheckIssue(
                "R-ELIG-1",
                "eligibility",
                _(
                    "申报日前一年内被降级（%(source)s：%(industry)s于%(date)s降为%(to)s），"
                    "%(verb)s%(grade)s"
                )
                % {
                    "source": r.get_source_display(),
                    "industry": r.industry.name,
                    "date": r.effective_from,
                    "to": r.grade.name,
                    "verb": verb,
                    "grade": grade.name,
                },
            )
        )
    return issues


def declaration_eligibility_recheck(
    *, declaration: Declaration, on: date, grade: Grade | None = None
) -> list[CheckIssue]:
    """R-ELIG-1, R-ELIG-2, R-ELIG-3 again, when the county accepts the case and before a
    decision is signed: the windows are measured from the declaration date (its latest
    submission) and read every record up to ``on``. ``grade`` is the grade about to be
    given (by default the requested one). Returns the issues; none means still eligible."""
    submitted = declaration.submitted_at
    declared_on = timezone.localdate(submitted) if submitted else on
    return check_eligibility(declaration, on, declared_on=min(declared_on, on), grade=grade)
