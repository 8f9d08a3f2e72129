"""Builders for review-chain tests: a submitted declaration, its case opened by the county,
verdicts for every row, the panel and its on-site record, and a case walked up the chain;
what a declaration's timeline and a signed opinion hold.

Every step goes through the real services, so the rules apply to the test data too."""

import datetime
import struct
import zlib

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.models import AuditEvent
from declarations.models import Declaration
from declarations.services import lifecycle
from grading.models import Grade, Industry, Region, User
from review.models import IndicatorOpinion, OnSiteVerification, Opinion, ReviewCase
from review.services import decisions, onsite, panels, pools
from tests import declaration_builders, factories

MEETS = IndicatorOpinion.Verdict.MEETS
NOT_MEETS = IndicatorOpinion.Verdict.NOT_MEETS
NEEDS_EVIDENCE = IndicatorOpinion.Verdict.NEEDS_EVIDENCE
D = Opinion.Decision


def isolate(settings, tmp_path, monkeypatch) -> None:
    """Files go to the test's own folder; tasks run in-process and the approval form is not
    rendered (its renderer is tested on its own)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    import review.tasks

    monkeypatch.setattr(review.tasks.render_approval_form, "delay", lambda *a, **k: None)


def grade(code: str) -> Grade:
    return Grade.objects.get(code=code)


def industry(code: str) -> Industry:
    return Industry.objects.get(code=code)


def county_staff(code: str = "410184") -> User:
    return factories.staff_user(User.Role.COUNTY, code)


def city_staff(code: str = "410100") -> User:
    return factories.staff_user(User.Role.CITY, code)


def expert(*industry_codes: str, pool: str | None = "410000", **profile) -> User:
    """An expert who knows ``industry_codes``, in the pool of ``pool`` (the provincial pool
    unless told; None for none)."""
    user = factories.expert_user(industries=[industry(c) for c in industry_codes], **profile)
    if pool is not None and not user.expert_profile.employer_is_service_agency:
        join_pool(user, pool)
    return user


def join_pool(expert: User, pool: str) -> None:
    pools.pool_member_add(
        actor=factories.admin_user(), expert=expert, pool=Region.objects.get(code=pool)
    )


def submitted(user: User, *, grade: str = "B", industry: str = "N31") -> Declaration:
    """A complete declaration of the enterprise of ``user``, submitted (version 1)."""
    d = declaration_builders.complete(
        declaration_builders.draft(user, grade=grade, industry=industry), user
    )
    lifecycle.declaration_submit(actor=user, declaration=d)
    return Declaration.objects.get(pk=d.pk)


def open_case(county_user: User, declaration: Declaration) -> ReviewCase:
    return refresh(decisions.first_review_open(actor=county_user, declaration=declaration))


def refresh(case: ReviewCase) -> ReviewCase:
    return ReviewCase.objects.get(pk=case.pk)


def verdicts(case: ReviewCase, verdict: str = MEETS, **by_seq: str) -> dict:
    """A verdict for every applicable row; ``by_seq`` overrides rows by their seq
    (``s3="not_meets"``)."""
    rows = case.declaration.indicator_rows.filter(applicable=True).order_by("seq")
    return {r.pk: (by_seq.get(f"s{r.seq}", verdict), f"第{r.seq}项意见") for r in rows}


def sign(
    case: ReviewCase,
    actor: User,
    decision: str,
    *,
    signers: list[User] | None = None,
    grade_code: str | None = None,
    verdict_map: dict | None = None,
    conclusion: str = "同意",
) -> Opinion:
    return decisions.review_sign(
        actor=actor,
        case=case,
        decision=decision,
        summary="审核意见汇总",
        conclusion=conclusion,
        signers=signers if signers is not None else [actor],
        grade=grade(grade_code) if grade_code else None,
        verdicts=verdict_map,
    )


def county_recommend(
    case: ReviewCase, signers: list[User], grade_code: str | None = None
) -> Opinion:
    """The county's first review: every row meets, the group signs (R-REV-5)."""
    return sign(
        case,
        signers[0],
        D.RECOMMEND,
        signers=signers,
        grade_code=grade_code or case.declaration.requested_grade.code,
        verdict_map=verdicts(case),
    )


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, small RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def png_upload(name: str = "现场.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def panel_form(case: ReviewCase, city_user: User, experts: list[User]):
    return panels.panel_assign(actor=city_user, case=case, experts=experts)


def onsite_record(
    case: ReviewCase,
    actor: User,
    *,
    signers: list[User] | None = None,
    grade_code: str | None = None,
    rectifications: list[tuple[str, datetime.date]] | None = None,
    photos: list | None = None,
    visited_on: datetime.date | None = None,
) -> OnSiteVerification:
    return onsite.onsite_record(
        actor=actor,
        case=case,
        visited_on=visited_on or timezone.localdate(),
        recommended_grade=grade(grade_code or case.declaration.requested_grade.code),
        summary="现场核查情况：与申报一致",
        conclusion="建议按申报等级认定",
        signers=signers if signers is not None else [actor],
        rectifications=rectifications,
        photos=photos,
    )


def city_ready_to_forward(case: ReviewCase, city_user: User, panel_expert: User) -> None:
    """R-REV-3, R-REV-6: a panel with an industry expert and its on-site record."""
    panel_form(case, city_user, [panel_expert])
    onsite_record(case, panel_expert)


def to_province(
    case: ReviewCase,
    *,
    county_signers: list[User],
    city_user: User,
    panel_expert: User,
    grade_code: str | None = None,
) -> ReviewCase:
    """Walk a case from the county to the province stage."""
    county_recommend(case, county_signers, grade_code)
    case = refresh(case)
    city_ready_to_forward(case, city_user, panel_expert)
    sign(case, city_user, D.FORWARD, grade_code=grade_code or case.proposed_grade.code)
    return refresh(case)


def codes_for(declaration) -> list[str]:
    """The audit codes of a declaration's timeline, oldest first."""
    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Declaration),
            object_id=str(declaration.pk),
        )
        .order_by("at", "id")
        .values_list("code", flat=True)
    )


def snapshot(opinion: Opinion) -> dict:
    """What a signed opinion says, as stored (to show it never changes)."""
    opinion = Opinion.objects.get(pk=opinion.pk)
    return {
        "kind": opinion.kind,
        "decision": opinion.decision,
        "grade": opinion.grade_id,
        "summary": opinion.summary,
        "conclusion": opinion.conclusion,
        "signed_by": opinion.signed_by_id,
        "signed_at": opinion.signed_at,
        "corrects": opinion.corrects_id,
        "signers": sorted(opinion.signers.values_list("pk", flat=True)),
        "indicators": list(
            opinion.indicators.order_by("indicator_row_id").values_list(
                "indicator_row_id", "verdict", "text"
            )
        ),
    }
