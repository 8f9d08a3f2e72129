"""Signed opinions of downgrade cases and appeals (R-DYN-1, R-REV-10): who may sign a panel's
opinion, and the signed record itself, kept as one code path for both kinds of case."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from grading.models import Grade, User
from review.models import CaseOpinion, Panel
from review.rules import allows


def panel_signers_check(
    *,
    actor: User,
    signers: Iterable[User],
    panel: Panel,
    perm: str,
    obj,
    member_needed: str,
) -> list[User]:
    """The submitter signs; at least one member of the case's panel signs (``member_needed``
    says so otherwise); every signer holds ``perm`` on the case. Returns the signers without
    repeats, in the order given."""
    signers = list(dict.fromkeys(signers))
    if actor not in signers:
        raise ValidationError({"signers": _("提交人须为签署人之一")})
    members = set(panel.memberships.values_list("expert_id", flat=True))
    if not any(s.pk in members for s in signers):
        raise ValidationError({"signers": member_needed})
    for s in signers:
        if not allows(s, perm, obj):
            raise ValidationError(
                {
                    "signers": _("%(name)s 不是本案专家组成员或市级工作人员")
                    % {"name": s.display_name}
                }
            )
    return signers


def case_opinion_create(
    *,
    case_field: str,
    case,
    kind: str,
    outcome: str,
    grade: Grade | None,
    summary: str,
    conclusion: str,
    actor: User,
    signers: list[User],
    missing_text: str,
) -> CaseOpinion:
    """The signed opinion of ``case`` (``case_field`` names it on CaseOpinion): never edited
    afterwards; a correction is a new opinion."""
    if not summary.strip() or not conclusion.strip():
        raise ValidationError(missing_text)
    opinion = CaseOpinion.objects.create(
        **{case_field: case},
        kind=kind,
        outcome=outcome,
        grade=grade,
        summary=summary.strip(),
        conclusion=conclusion.strip(),
        signed_by=actor,
        signed_at=timezone.now(),
    )
    opinion.signers.set(signers)
    return opinion
