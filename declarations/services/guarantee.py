"""The guarantee list (保障类, R-GUAR-3, R-GUAR-4): an enterprise whose 保障类 declaration was
decided is on its city's guarantee list of that year (the data source the official list of
publication reads too: ``declarations.selectors.guarantee_declarations``) until a bureau of its
jurisdiction removes it with a reason and a date. The removal sends ``guarantee_removed``
inside the transaction so that the stages above (the emergency list) follow it."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.notifications import notify
from declarations.models import Declaration, GuaranteeRemoval
from declarations.rules import require
from declarations.signals import guarantee_removed
from grading.models import User


@transaction.atomic
def guarantee_remove(
    *, actor: User, declaration: Declaration, reason: str, on: date | None = None
) -> GuaranteeRemoval:
    """R-GUAR-3/4: take the enterprise of a decided 保障类 declaration off the guarantee list
    from ``on`` (today by default), with the reason; recorded, told, and signalled."""
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("enterprise__county")
        .get(pk=declaration.pk)
    )
    require(actor, "declarations.remove_guarantee", declaration)
    if not (
        declaration.control_type == Declaration.ControlType.GUARANTEE
        and declaration.status == Declaration.Status.DECIDED
    ):
        raise ValidationError(_("只有已认定的保障类申报可以移出保障类清单"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写移出理由")})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": _("移出日期不能晚于今天")})
    try:
        with transaction.atomic():
            removal = GuaranteeRemoval.objects.create(
                declaration=declaration,
                enterprise=declaration.enterprise,
                reason=reason.strip(),
                removed_on=on,
                removed_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(_("该企业已移出保障类清单")) from exc
    enterprise = declaration.enterprise
    summary = _("移出%(year)s年保障类清单（%(on)s）") % {
        "year": declaration.year,
        "on": on.isoformat(),
    }
    event_record(
        code="declarations.guarantee.removed",
        actor=actor,
        target=declaration,
        summary=summary,
        reason=reason,
    )
    event_record(
        code="enterprise.guarantee_removed",
        actor=actor,
        target=enterprise,
        summary=summary,
        reason=reason,
        data={"declaration": declaration.pk},
    )
    notify(
        recipients=enterprise.users.filter(is_active=True),
        code="declarations.guarantee.removed",
        message=f"{enterprise.name} {summary}：{reason.strip()}",
        url="/declarations/results/",
    )
    guarantee_removed.send(
        sender=GuaranteeRemoval, enterprise=enterprise, reason=reason.strip(), on=on, actor=actor
    )
    return removal
