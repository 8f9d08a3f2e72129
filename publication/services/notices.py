"""Public notice (公示) of decided results before publication (R-PUB-1, R-PUB-2).

A bureau puts a batch of its decided results on notice for a number of working days (5 unless
it sets another length); anyone may object while the window is open; each objection is handled
by the bureau's designated handlers with a recorded outcome. Once the window is over the bureau
publishes: results with an open objection wait, and are published as soon as their outcome
lets them (kept, or grade changed); a result sent back for re-review is not published.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.audit import event_record
from core.notifications import notify
from grading.models import Grade, GradeRecord, User
from grading.services.grades import grade_record_add
from publication import workdays
from publication.models import Notice, NoticeItem, Objection
from publication.rules import issuer_for, require
from publication.selectors.handlers import handlers_of
from publication.selectors.notices import notice_candidates
from publication.services.anonymous import (
    address_rate_check,
    receipt_new,
    without_address,
)
from publication.services.lists import list_publish

MAX_WORKDAYS = 30


def default_workdays() -> int:
    return int(settings.GRADING.get("NOTICE_WORKDAYS", 5))


def _number(issuer, year: int) -> str:
    prefix = f"GS{year}-{issuer.code}-"
    last = Notice.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


@transaction.atomic
def notice_open(
    *,
    actor: User,
    records: list[GradeRecord] | None = None,
    workdays_count: int | None = None,
    title: str = "",
    statement: str = "",
    today: datetime.date | None = None,
) -> Notice:
    """Put decided results of the actor's bureau on notice (all waiting ones when ``records``
    is None). The window starts today (or the next working day) and lasts ``workdays_count``
    working days of the mainland calendar."""
    mine = issuer_for(actor)
    require(actor, "publication.manage_notices", mine[0] if mine else None)
    issuer, tier = mine
    workdays_count = default_workdays() if workdays_count is None else int(workdays_count)
    if not 1 <= workdays_count <= MAX_WORKDAYS:
        raise ValidationError(
            {"workdays": _("公示期应为1至%(max)d个工作日") % {"max": MAX_WORKDAYS}}
        )
    waiting = notice_candidates(issuer=issuer, tier=tier).select_for_update(of=("self",))
    if records is not None:
        chosen = {r.pk for r in records}
        if not chosen:
            raise ValidationError({"records": _("请选择要公示的认定结果")})
        waiting = waiting.filter(pk__in=chosen)
        found = list(waiting)
        if len(found) != len(chosen):
            raise ValidationError(
                {"records": _("所选结果中有不属于本单位待公示范围的（可能已公示或已变更）")}
            )
    else:
        found = list(waiting)
    if not found:
        raise ValidationError({"records": _("没有待公示的认定结果")})
    today = today or timezone.localdate()
    starts_on, ends_on = workdays.window(today, workdays_count)
    notice = Notice.objects.create(
        number=_number(issuer, today.year),
        issuer=issuer,
        tier=tier,
        title=(
            title.strip() or _("%(region)s重点行业企业绩效分级结果公示") % {"region": issuer.name}
        )[:200],
        statement=statement.strip(),
        workdays=workdays_count,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    NoticeItem.objects.bulk_create(
        NoticeItem(
            notice=notice,
            record=r,
            enterprise=r.enterprise,
            industry=r.industry,
            grade=r.grade,
        )
        for r in found
    )
    event_record(
        code="publication.notice.opened",
        actor=actor,
        target=notice,
        summary=_("公示%(n)d家企业的认定结果（%(start)s至%(end)s，%(days)d个工作日）")
        % {"n": len(found), "start": starts_on, "end": ends_on, "days": workdays_count},
        data={"number": notice.number, "records": [r.pk for r in found]},
    )
    enterprise_users = User.objects.filter(
        enterprise__in={r.enterprise_id for r in found}, is_active=True
    )
    notify(
        recipients=enterprise_users,
        code="publication.notice.opened",
        message=_("本企业的绩效分级认定结果正在公示（%(start)s至%(end)s）")
        % {"start": starts_on, "end": ends_on},
        url=f"/public/notices/{notice.number}/",
    )
    return notice


def objection_lodge(
    *,
    item: NoticeItem,
    content: str,
    name: str = "",
    contact: str = "",
    today: datetime.date | None = None,
) -> Objection:
    """Anyone objects to a noticed result while the window is open (no account). Name and
    contact are optional and seen only by the issuer's designated handlers (R-PUB-2)."""
    content = (content or "").strip()
    if len(content) < 10:
        raise ValidationError({"content": _("请具体说明异议内容（至少10个字）")})
    if len(content) > 5000:
        raise ValidationError({"content": _("异议内容不能超过5000字")})
    today = today or timezone.localdate()
    notice = item.notice
    if today < notice.starts_on:
        raise ValidationError(_("公示尚未开始，暂不能提出异议"))
    if today > notice.ends_on:
        raise ValidationError(
            _("公示期已于%(end)s结束，不能再提出异议；如发现等级与实际不符，可通过举报渠道反映")
            % {"end": notice.ends_on}
        )
    address_rate_check("objection")
    with transaction.atomic(), without_address():
        objection = Objection.objects.create(
            item=item,
            receipt=receipt_new("YY"),
            content=content,
            objector_name=(name or "").strip()[:50],
            objector_contact=(contact or "").strip()[:100],
        )
        # The event names neither the objector nor how to reach them (R-PUB-2).
        event_record(
            code="publication.objection.lodged",
            actor=None,
            target=objection,
            summary=_("公示%(number)s收到异议（受理编号%(receipt)s）")
            % {"number": notice.number, "receipt": objection.receipt},
            data={"notice": notice.number, "item": item.pk},
        )
        notify(
            recipients=handlers_of(notice.issuer, tier=notice.tier),
            code="publication.objection.lodged",
            message=_("公示%(number)s收到一条异议，请及时核实处理") % {"number": notice.number},
            url=f"/publication/objections/{objection.pk}/",
        )
    return objection


def _transition(objection: Objection) -> None:
    try:
        objection.handle()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(_("该异议已处理（可能已被他人处理，请刷新）")) from exc


@transaction.atomic
def objection_handle(
    *,
    actor: User,
    objection: Objection,
    outcome: str,
    note: str,
    new_grade: Grade | None = None,
    today: datetime.date | None = None,
) -> Objection:
    """Record an objection's outcome (kept / re-review opened / grade changed). A result whose
    notice is already published goes out in a new version of the list as soon as its
    outcome lets it."""
    objection = (
        Objection.objects.select_for_update().select_related("item__notice").get(pk=objection.pk)
    )
    require(actor, "publication.handle_objection", objection)
    if outcome not in Objection.Outcome.values:
        raise ValidationError({"outcome": _("请选择处理结果")})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写核实情况和处理说明")})
    item = NoticeItem.objects.select_for_update().get(pk=objection.item_id)
    notice = item.notice
    today = today or timezone.localdate()
    _transition(objection)
    if outcome == Objection.Outcome.GRADE_CHANGED:
        if item.status != NoticeItem.Status.NOTICED:
            raise ValidationError(
                {
                    "outcome": _("该公示结果已%(s)s，不能再变更等级")
                    % {"s": item.get_status_display()}
                }
            )
        if new_grade is None or new_grade.pk == item.grade_id:
            raise ValidationError({"new_grade": _("请选择变更后的等级（与公示等级不同）")})
        if item.record.effective_to is not None:
            raise ValidationError({"outcome": _("该企业此行业的等级已另有变更，请核实后处理")})
        record = grade_record_add(
            actor=actor,
            enterprise=item.enterprise,
            industry=item.industry,
            grade=new_grade,
            effective_from=today,
            source=GradeRecord.Source.REVIEW,
            source_ref=notice.number,
            reason=note,
        )
        item.final_record = record
        item.status = NoticeItem.Status.CHANGED
        item.save(update_fields=["final_record", "status"])
        objection.new_grade = new_grade
    elif outcome == Objection.Outcome.RE_REVIEW and item.status == NoticeItem.Status.NOTICED:
        item.status = NoticeItem.Status.WITHDRAWN
        item.save(update_fields=["status"])
    objection.outcome = outcome
    objection.outcome_note = note
    objection.handled_by = actor
    objection.handled_at = timezone.now()
    objection.save()
    event_record(
        code="publication.objection.handled",
        actor=actor,
        target=objection,
        summary=_("异议%(receipt)s处理结果：%(outcome)s")
        % {"receipt": objection.receipt, "outcome": objection.get_outcome_display()}
        + (f"（{new_grade.name}）" if objection.new_grade_id else ""),
        reason=note,
        data={"notice": notice.number, "item": item.pk, "outcome": outcome},
    )
    if notice.status == Notice.Status.PUBLISHED and outcome != Objection.Outcome.RE_REVIEW:
        list_publish(
            actor=actor,
            issuer=notice.issuer,
            tier=notice.tier,
            note=_("公示%(number)s异议处理完毕") % {"number": notice.number},
            today=today,
        )
    return objection


@transaction.atomic
def notice_publish(
    *, actor: User, notice: Notice, note: str = "", today: datetime.date | None = None
) -> Notice:
    """After the window, publish the issuer's list with the notice's results; those with an
    open objection wait for its outcome."""
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    require(actor, "publication.publish_list", notice)
    today = today or timezone.localdate()
    if not notice.window_over(today):
        raise ValidationError(_("公示期至%(end)s结束，期满后方可发布") % {"end": notice.ends_on})
    try:
        notice.publish()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(_("该公示已发布")) from exc
    version = list_publish(
        actor=actor,
        issuer=notice.issuer,
        tier=notice.tier,
        note=note or _("公示%(number)s期满发布") % {"number": notice.number},
        today=today,
    )
    waiting = (
        NoticeItem.objects.filter(notice=notice, objections__status=Objection.Status.OPEN)
        .distinct()
        .count()
    )
    notice.version = version
    notice.published_by = actor
    notice.published_at = timezone.now()
    notice.save()
    event_record(
        code="publication.notice.published",
        actor=actor,
        target=notice,
        summary=_("公示%(number)s期满发布%(version)s；%(waiting)d家企业异议待处理，暂不发布")
        % {
            "number": notice.number,
            "version": _("（第%d版）") % version.number if version else "",
            "waiting": waiting,
        },
        reason=note,
        data={"version": version.number if version else None, "waiting": waiting},
    )
    return notice
