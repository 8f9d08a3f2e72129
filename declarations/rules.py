"""Who may do what with declarations. Built from ``grading.rules``' role predicates.

Ask with ``allows(user, perm, obj)`` (see ``grading.rules`` for why not
``user.has_perm``). Who may *see* a declaration is also a queryset filter in
``declarations.selectors``; ``view_declaration`` is the same decision for one object, and the
tests hold the two together.
"""

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from declarations.models import Declaration
from grading.rules import (
    allows,
    enterprise_in_reach,
    is_bureau_staff,
    is_county_or_admin,
    is_enterprise_user,
    is_own_enterprise,
    is_province_or_admin,
)


@rules.predicate
def is_declaration_owner(user, declaration) -> bool:
    """The declaration is of the user's own enterprise: only it prepares it (R-DECL-1)."""
    return declaration is not None and is_own_enterprise(user, declaration.enterprise_id)


@rules.predicate
def is_editable(user, declaration) -> bool:
    """A draft, or returned for revision (R-DECL-6)."""
    return declaration is not None and declaration.is_editable


@rules.predicate
def is_submitted(user, declaration) -> bool:
    """Submitted and not yet taken up by the county."""
    return declaration is not None and declaration.status == Declaration.Status.SUBMITTED


@rules.predicate
def has_reached_the_county(user, declaration) -> bool:
    """Submitted at least once and not withdrawn to a draft: the bureaus never see drafts."""
    return (
        declaration is not None
        and declaration.current_version > 0
        and declaration.status != Declaration.Status.DRAFT
    )


@rules.predicate
def is_never_submitted_draft(user, declaration) -> bool:
    """A draft no bureau has ever received."""
    return (
        declaration is not None
        and declaration.status == Declaration.Status.DRAFT
        and not declaration.current_version
    )


@rules.predicate
def declaration_in_reach(user, declaration) -> bool:
    """The declaring enterprise lies in the user's jurisdiction."""
    return declaration is not None and enterprise_in_reach(user, declaration.enterprise)


#: The enterprise sees all its own declarations; bureau staff the submitted ones of their
#: jurisdiction (the same rule as ``selectors.declaration_list``).
can_see_declaration = is_declaration_owner | (
    is_bureau_staff & declaration_in_reach & has_reached_the_county
)


@rules.predicate
def can_see_declaration_of(user, obj) -> bool:
    """The declaration an evidence file or a version belongs to is one the user may see."""
    return obj is not None and can_see_declaration.test(user, obj.declaration)


#: The declarations list and navigation: enterprises and bureau staff (not experts).
rules.add_perm("declarations.view_declarations", is_enterprise_user | is_bureau_staff)
#: Drafts are seen by their enterprise only.
rules.add_perm("declarations.view_drafts", is_enterprise_user)
rules.add_perm("declarations.view_declaration", can_see_declaration)
#: R-DECL-1: an enterprise opens a declaration for one of its industries, all year.
rules.add_perm("declarations.add_declaration", is_enterprise_user)
#: The enterprise fills in its own draft (or one returned for revision, R-DECL-6).
rules.add_perm("declarations.change_declaration", is_declaration_owner & is_editable)
rules.add_perm("declarations.submit_declaration", is_declaration_owner & is_editable)
rules.add_perm("declarations.upload_evidence", is_declaration_owner & is_editable)
#: A draft never submitted may be deleted by its enterprise, on purpose (recorded).
rules.add_perm("declarations.delete_draft", is_declaration_owner & is_never_submitted_draft)
#: A new year's declaration may start as a copy of one the enterprise once submitted.
rules.add_perm("declarations.copy_declaration", is_declaration_owner & ~is_never_submitted_draft)
#: Back to draft until the county starts its first review.
rules.add_perm("declarations.withdraw_declaration", is_declaration_owner & is_submitted)
rules.add_perm("declarations.download_evidence", can_see_declaration_of)
rules.add_perm("declarations.download_package", can_see_declaration_of)
#: Queue a version's package PDF again (a failed render, a lost file): whoever sees it.
rules.add_perm("declarations.request_package", can_see_declaration_of)
#: R-REV-2: the county receives submitted declarations for first review.
rules.add_perm("declarations.receive_submissions", is_county_or_admin)
#: R-REV-1, R-DECL-6: the bureaus of the jurisdiction take a declaration up (the county accepts
#: it for first review), return it for revision, and close it with the chain's decision.
rules.add_perm("declarations.review_declaration", is_bureau_staff & declaration_in_reach)
#: R-TGT-4: the province keeps the year's batches and deadlines.
rules.add_perm("declarations.edit_batches", is_province_or_admin)


@rules.predicate
def is_report_owner(user, report) -> bool:
    """The change report is of the user's own enterprise."""
    return report is not None and is_own_enterprise(user, report.enterprise_id)


@rules.predicate
def report_in_reach(user, report) -> bool:
    return report is not None and enterprise_in_reach(user, report.enterprise)


@rules.predicate
def is_pending_report(user, report) -> bool:
    return report is not None and report.is_pending


#: R-ELIG-5: a graded enterprise reports a change of equipment or treatment facilities (the
#: service checks that it holds a grade).
rules.add_perm("declarations.file_change_report", is_enterprise_user & is_own_enterprise)
rules.add_perm("declarations.view_change_reports", is_enterprise_user | is_bureau_staff)
rules.add_perm(
    "declarations.view_change_report", is_report_owner | (is_bureau_staff & report_in_reach)
)
#: The county of the enterprise acknowledges the report or opens a re-review, once.
rules.add_perm(
    "declarations.handle_change_report", is_county_or_admin & report_in_reach & is_pending_report
)


@rules.predicate
def is_decided_guarantee(user, declaration) -> bool:
    return (
        declaration is not None
        and declaration.control_type == Declaration.ControlType.GUARANTEE
        and declaration.status == Declaration.Status.DECIDED
    )


#: R-GUAR-3/4: a bureau of the jurisdiction takes an enterprise off the guarantee list.
rules.add_perm(
    "declarations.remove_guarantee", is_bureau_staff & declaration_in_reach & is_decided_guarantee
)

#: The Chinese reason a refused permission gives.
REFUSALS = {
    "declarations.remove_guarantee": _(
        "只有企业所在辖区的生态环境部门可以将已认定的保障类企业移出清单"
    ),
    "declarations.file_change_report": _("只有企业本身的账户可以报告本企业的变更"),
    "declarations.view_change_reports": _("无权查看变更报告"),
    "declarations.view_change_report": _("无权查看该变更报告"),
    "declarations.handle_change_report": _(
        "只有企业所属县级生态环境部门可以处理变更报告，且每份报告只处理一次"
    ),
}


def require(user, perm: str, obj=None) -> None:
    """Raise PermissionDenied with the reason unless ``perm`` lets ``user`` act (on ``obj``)."""
    if not allows(user, perm, obj):
        raise PermissionDenied(REFUSALS.get(perm, _("无权执行此操作")))
