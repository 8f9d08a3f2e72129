"""Eligibility checked again along the chain (R-ELIG-1, R-ELIG-2, R-ELIG-3).

A downgrade, a penalty or a fraud finding may be recorded after the enterprise submitted.
The county's acceptance and every deciding signature ask the declarations app's
``declaration_eligibility_recheck``; a case that fails goes back to the enterprise with the
reason (it may declare again at a grade it may have)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.notifications import notify
from declarations.services import lifecycle
from declarations.services.eligibility import CheckIssue, declaration_eligibility_recheck
from grading.models import Grade, User
from review.models import ReviewCase


class CaseReturnedIneligible(ValidationError):
    """The signature was refused and the case returned to the enterprise: the declaration no
    longer meets the eligibility rules (``issues`` says which)."""

    def __init__(self, issues: list[CheckIssue]):
        self.issues = issues
        super().__init__(
            [_("资格复核未通过，案卷已退回企业：%s") % reason_of(issues)], code="ineligible"
        )


def reason_of(issues: list[CheckIssue]) -> str:
    return "；".join(str(i.message) for i in issues)


def case_eligibility_recheck(
    *, actor: User, case: ReviewCase, on: date, grade: Grade | None = None
) -> list[CheckIssue]:
    """Check the case's declaration again for ``grade`` (by default the requested one); when
    it fails, return the case and the declaration to the enterprise with the reason, in the
    caller's transaction. The case must be locked by the caller. Returns the issues."""
    issues = declaration_eligibility_recheck(declaration=case.declaration, on=on, grade=grade)
    if not issues:
        return []
    reason = reason_of(issues)
    stage = case.stage
    case.return_to_enterprise()
    case.reached_stage_at = case.closed_at = timezone.now()
    case.save()
    declaration = lifecycle.declaration_return(
        actor=actor, declaration=case.declaration, reason=reason
    )
    event_record(
        code="review.case.returned_ineligible",
        actor=actor,
        target=declaration,
        summary=_("资格复核未通过，退回企业"),
        reason=reason,
        data={"case": case.pk, "from": stage, "rules": sorted({i.rule for i in issues})},
    )
    notify(
        recipients=declaration.enterprise.users.filter(is_active=True),
        code="review.case.returned_ineligible",
        message=_("%(ent)s %(industry)s申报资格复核未通过，已退回：%(reason)s")
        % {
            "ent": declaration.enterprise.name,
            "industry": declaration.industry.name,
            "reason": reason,
        },
        url=f"/declarations/{declaration.pk}/",
    )
    return issues


def decision_eligibility_gate(
    *, actor: User, case: ReviewCase, grade: Grade | None, on: date | None = None
) -> None:
    """Before a decision that gives a grade is signed: re-check, and when the case fails,
    return it (committed) and refuse the signature with ``CaseReturnedIneligible``."""
    with transaction.atomic():
        case = ReviewCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
        if not case.is_open:
            return
        issues = case_eligibility_recheck(
            actor=actor, case=case, on=on or timezone.localdate(), grade=grade
        )
    if issues:
        raise CaseReturnedIneligible(issues)
