"""Asking for a version's package PDF again (a failed render, or a lost file)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from core.jobs import broker_check, job_enqueue
from declarations.models import DeclarationVersion
from declarations.tasks import render_package
from grading.models import User
from grading.rules import allows

RERENDERABLE = (
    DeclarationVersion.RenderStatus.FAILED,
    DeclarationVersion.RenderStatus.READY,
    DeclarationVersion.RenderStatus.NONE,
)


@transaction.atomic
def package_rerender(*, actor: User, version: DeclarationVersion) -> DeclarationVersion:
    """Queue the render again. The frozen snapshot does not change, so neither does the
    content; a render already queued or running is not queued twice. Whoever may see the
    version may ask."""
    if not allows(actor, "declarations.request_package", version):
        raise PermissionDenied(_("无权重新生成该申报材料PDF"))
    broker_check()
    version = DeclarationVersion.objects.select_for_update().get(pk=version.pk)
    if version.package_status not in RERENDERABLE:
        raise ValidationError(_("申报材料PDF正在生成，请稍候"))
    version.package_status = DeclarationVersion.RenderStatus.PENDING
    version.package_progress = 0
    version.save(update_fields=["package_status", "package_progress"])
    event_record(
        code="declaration.package_requested",
        actor=actor,
        target=version.declaration,
        summary=_("重新生成第%d版申报材料PDF") % version.number,
    )
    transaction.on_commit(lambda: job_enqueue(render_package, version.pk))
    return version
