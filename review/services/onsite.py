"""On-site verification (现场核查意见, R-REV-3) recorded by the case's expert panel, and the
follow-up of the rectifications it requires (R-DECL-6)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.notifications import notify
from core.uploads import validate_upload
from declarations.models import IndicatorRow
from grading.models import Grade, User
from review.models import (
    IndicatorOpinion,
    OnSiteVerification,
    Opinion,
    Rectification,
    RectificationPhoto,
    ReviewCase,
    VerificationPhoto,
)
from review.rules import allows, require
from review.services.forms import approval_form_request
from review.services.panels import panel_refusals

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_RECTIFICATION_PHOTOS = 10


@transaction.atomic
def onsite_record(
    *,
    actor: User,
    case: ReviewCase,
    visited_on: date,
    recommended_grade: Grade,
    summary: str,
    conclusion: str,
    signers: list[User],
    findings: dict[int, tuple[str, str]] | None = None,
    rectifications: list[tuple[str, date]] | None = None,
    photos: list[tuple[object, str]] | None = None,
) -> OnSiteVerification:
    """The panel's signed record of its visit: date, members, findings per indicator, photos,
    conclusion, recommended grade and required rectifications. The worker renders it as the
    on-site verification form (现场核查意见表, 002 附件1; R-REV-3), kept with its revisions
    like the approval forms."""
    case = (
        ReviewCase.objects.select_for_update()
        .select_related(
            "declaration__enterprise__county",
            "declaration__industry",
            "declaration__indicator_set__scheme",
        )
        .get(pk=case.pk)
    )
    if case.stage != ReviewCase.Stage.CITY:
        raise ValidationError(_("只有处于市级审核阶段的案卷可以记录现场核查"))
    refusals = panel_refusals(case=case)
    if refusals:
        raise ValidationError(refusals)
    require(actor, "review.record_onsite", case)
    signers = list(dict.fromkeys(signers))
    if actor not in signers:
        raise ValidationError({"signers": _("提交人须为签署人之一")})
    members = set(case.panel.memberships.values_list("expert_id", flat=True))
    if not any(s.pk in members for s in signers):
        raise ValidationError({"signers": _("现场核查意见须由专家组成员签署")})
    for s in signers:
        if not allows(s, "review.record_onsite", case):
            raise ValidationError(
                {
                    "signers": _("%(name)s 不是本案专家组成员或市级工作人员")
                    % {"name": s.display_name}
                }
            )
    today = timezone.localdate()
    if visited_on > today:
        raise ValidationError({"visited_on": _("核查日期不能晚于今天")})
    if visited_on < timezone.localdate(case.declaration.submitted_at):
        raise ValidationError({"visited_on": _("核查日期不能早于申报提交日期")})
    if not case.declaration.indicator_set.scheme.grades.filter(pk=recommended_grade.pk).exists():
        raise ValidationError({"recommended_grade": _("等级不属于该行业的分级体系")})
    if not summary.strip() or not conclusion.strip():
        raise ValidationError(_("请填写核查情况和核查结论"))
    findings = findings or {}
    rows = set(
        IndicatorRow.objects.filter(declaration=case.declaration).values_list("pk", flat=True)
    )
    if set(findings) - rows:
        raise ValidationError({"findings": _("指标不属于本申报")})
    for requirement, due_on in rectifications or []:
        if not requirement.strip():
            raise ValidationError({"rectifications": _("整改要求不能为空")})
        if due_on < visited_on:
            raise ValidationError({"rectifications": _("整改期限不能早于核查日期")})
    checked_photos = []
    for upload, caption in photos or []:
        checked = validate_upload(
            upload, original_name=getattr(upload, "name", ""), max_bytes=MAX_PHOTO_BYTES
        )
        if checked.kind not in ("jpeg", "png"):
            raise ValidationError({"photos": _("现场照片仅支持 JPG、PNG 格式")})
        checked_photos.append((upload, caption, checked))
    opinion = Opinion.objects.create(
        case=case,
        kind=Opinion.Kind.ON_SITE,
        decision=Opinion.Decision.FINDINGS,
        grade=recommended_grade,
        summary=summary.strip(),
        conclusion=conclusion.strip(),
        signed_by=actor,
        signed_at=timezone.now(),
    )
    opinion.signers.set(signers)
    IndicatorOpinion.objects.bulk_create(
        IndicatorOpinion(opinion=opinion, indicator_row_id=pk, verdict=v, text=t.strip())
        for pk, (v, t) in findings.items()
    )
    verification = OnSiteVerification.objects.create(
        case=case, opinion=opinion, visited_on=visited_on, recommended_grade=recommended_grade
    )
    Rectification.objects.bulk_create(
        Rectification(verification=verification, requirement=r.strip(), due_on=d)
        for r, d in rectifications or []
    )
    for upload, caption, checked in checked_photos:
        photo = VerificationPhoto(
            verification=verification,
            caption=(caption or checked.safe_name)[:200],
            extension=checked.extension,
            content_type=checked.content_type,
            sha256=checked.sha256,
            uploaded_by=actor,
        )
        photo.file.save(f"photo{checked.extension}", upload, save=False)
        photo.save()
    event_record(
        code="review.onsite.recorded",
        actor=actor,
        target=case.declaration,
        summary=_("记录现场核查意见（%(date)s，建议%(grade)s）")
        % {"date": visited_on, "grade": recommended_grade.name},
        reason=conclusion,
        data={"case": case.pk, "opinion": opinion.pk, "rectifications": len(rectifications or [])},
    )
    if rectifications:
        notify(
            recipients=case.declaration.enterprise.users.filter(is_active=True),
            code="review.onsite.rectification",
            message=_("现场核查提出%(n)d项整改要求，请按期整改并说明整改情况")
            % {"n": len(rectifications)},
            url=f"/review/cases/{case.pk}/",
        )
    approval_form_request(actor=actor, opinion=opinion)
    return verification


@transaction.atomic
def rectification_report(
    *, actor: User, rectification: Rectification, note: str, photos: list | None = None
) -> Rectification:
    """The enterprise states what it rectified (R-DECL-6), with photos if it has them: JPG or
    PNG, checked by their content like every upload, at most ``MAX_RECTIFICATION_PHOTOS``."""
    r = (
        Rectification.objects.select_for_update()
        .select_related("verification__case__declaration__enterprise")
        .get(pk=rectification.pk)
    )
    require(actor, "review.report_rectification", r.verification.case)
    if r.status == Rectification.Status.VERIFIED:
        raise ValidationError(_("该项整改已核实"))
    if not note.strip():
        raise ValidationError({"note": _("请说明整改情况")})
    photos = list(photos or [])
    if len(photos) + r.photos.count() > MAX_RECTIFICATION_PHOTOS:
        raise ValidationError({"photos": _("每项整改最多上传%d张照片") % MAX_RECTIFICATION_PHOTOS})
    checked = []
    for upload in photos:
        result = validate_upload(
            upload, original_name=getattr(upload, "name", ""), max_bytes=MAX_PHOTO_BYTES
        )
        if result.kind not in ("jpeg", "png"):
            raise ValidationError({"photos": _("整改照片仅支持 JPG、PNG 格式")})
        checked.append((upload, result))
    r.enterprise_note = note.strip()
    r.status = Rectification.Status.DONE
    r.save(update_fields=["enterprise_note", "status"])
    for upload, result in checked:
        photo = RectificationPhoto(
            rectification=r,
            name=result.safe_name[:200],
            extension=result.extension,
            content_type=result.content_type,
            size=result.size,
            sha256=result.sha256,
            uploaded_by=actor,
        )
        photo.file.save(f"photo{result.extension}", upload, save=False)
        photo.save()
    event_record(
        code="review.rectification.reported",
        actor=actor,
        target=r.verification.case.declaration,
        summary=_("填报整改情况：%s") % r.requirement[:40]
        + (_("（附照片%d张）") % len(checked) if checked else ""),
        reason=note,
        data={"photos": len(checked)},
    )
    return r


@transaction.atomic
def rectification_verify(*, actor: User, rectification: Rectification, note: str) -> Rectification:
    """City staff or a panel member verify the rectification (the follow-up of R-DECL-6)."""
    r = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related(
            "verification__case__declaration__enterprise__county", "verification__case__panel"
        )
        .get(pk=rectification.pk)
    )
    case = r.verification.case
    require(actor, "review.verify_rectification", case)
    if r.status != Rectification.Status.DONE:
        raise ValidationError(_("企业尚未填报整改情况"))
    if not note.strip():
        raise ValidationError({"note": _("请填写核实情况")})
    r.status = Rectification.Status.VERIFIED
    r.follow_up_note = note.strip()
    r.followed_up_by = actor
    r.followed_up_at = timezone.now()
    r.save()
    event_record(
        code="review.rectification.verified",
        actor=actor,
        target=case.declaration,
        summary=_("核实整改：%s") % r.requirement[:40],
        reason=note,
    )
    return r
