"""Review cases and what hangs from them: opinions, approval forms, on-site photos and
rectifications; the queue of each role; who signs and who is notified."""

from django.db.models import Prefetch, Q, QuerySet

from declarations.models import Declaration, Evidence, IndicatorRow
from declarations.selectors import declaration_list
from grading.jurisdiction import scope_to_viewer
from grading.models import Region, User
from grading.rules import is_expert
from review.models import (
    ApprovalForm,
    IndicatorOpinion,
    OnSiteVerification,
    Opinion,
    Panel,
    PanelMember,
    Rectification,
    RectificationPhoto,
    ReviewCase,
    VerificationPhoto,
)
from review.rules import allows, stage_for
from review.selectors import get_or_404

MEMBERS = PanelMember.objects.select_related("expert").order_by("-is_leader", "id")
PANELS = Panel.objects.select_related("formed_by").prefetch_related(
    Prefetch("memberships", queryset=MEMBERS)
)
OPINIONS = (
    Opinion.objects.select_related("grade", "signed_by")
    .prefetch_related(
        "signers",
        Prefetch(
            "indicators",
            queryset=IndicatorOpinion.objects.select_related("indicator_row__category"),
        ),
        Prefetch("forms", queryset=ApprovalForm.objects.order_by("-revision")),
    )
    .order_by("signed_at", "id")
)
VERIFICATIONS = (
    OnSiteVerification.objects.select_related("recommended_grade")
    .prefetch_related(
        Prefetch("rectifications", queryset=Rectification.objects.select_related("followed_up_by")),
        "photos",
    )
    .order_by("visited_on", "id")
)
#: A case with its whole record: panel, opinions with their forms, verifications.
CASE_RECORD = [
    Prefetch("panel", queryset=PANELS),
    Prefetch("opinions", queryset=OPINIONS),
    Prefetch("verifications", queryset=VERIFICATIONS),
]


def case_list(*, viewer: User, stage: str = "", record: bool = False) -> QuerySet[ReviewCase]:
    """Bureau staff see the cases of their jurisdiction, the province every case in the
    province; experts the cases whose panel they sit on; an enterprise its own. ``record``
    brings each case's panel, opinions and verifications along."""
    qs = ReviewCase.objects.all()
    if is_expert(viewer):
        qs = qs.filter(panel__memberships__expert=viewer)
    else:
        qs = scope_to_viewer(qs, viewer, enterprise_path="declaration__enterprise")
    if stage:
        qs = qs.filter(stage=stage)
    qs = qs.select_related(
        "declaration__enterprise__county__parent",
        "declaration__industry",
        "declaration__requested_grade",
        "version",
        "proposed_grade",
        "city_grade",
        "final_grade",
    ).order_by("reached_stage_at", "id")
    return qs.prefetch_related(*CASE_RECORD) if record else qs


def case_get(*, viewer: User, pk: int, record: bool = False) -> ReviewCase:
    """One case the viewer may see; 404 when missing or outside reach."""
    return get_or_404(case_list(viewer=viewer, record=record), pk)


def open_case_for(declaration: Declaration) -> ReviewCase | None:
    return ReviewCase.objects.filter(declaration=declaration, stage__in=ReviewCase.OPEN).first()


def queue_cases(*, viewer: User) -> QuerySet[ReviewCase]:
    """The viewer's work queue: the cases at its stage, or every open case it may see."""
    stage = stage_for(viewer)
    cases = case_list(viewer=viewer, stage=stage)
    if not stage:
        cases = cases.filter(stage__in=ReviewCase.OPEN)
    return cases.prefetch_related("panel__memberships")


def submissions_waiting(*, viewer: User, limit: int = 200) -> list[Declaration]:
    """Submitted declarations waiting for the viewer to open their first review, oldest
    first (none for those who do not receive submissions)."""
    if not allows(viewer, "declarations.receive_submissions"):
        return []
    waiting = declaration_list(viewer=viewer, status=Declaration.Status.SUBMITTED)
    return list(waiting.order_by("submitted_at", "id")[:limit])


# --- What hangs from a case the viewer already holds ------------------------------------------


def case_indicator_rows(*, case: ReviewCase) -> list[IndicatorRow]:
    return list(
        IndicatorRow.objects.filter(declaration=case.declaration)
        .select_related("category")
        .prefetch_related("evidence")
        .order_by("seq")
    )


def declaration_opinions(*, case: ReviewCase) -> QuerySet[Opinion]:
    """The opinions of every case of the case's declaration, oldest first."""
    return OPINIONS.filter(case__declaration=case.declaration)


def declaration_photos(*, case: ReviewCase) -> QuerySet[VerificationPhoto]:
    return VerificationPhoto.objects.filter(verification__case__declaration=case.declaration)


def declaration_rectifications(*, case: ReviewCase) -> QuerySet[Rectification]:
    return (
        Rectification.objects.filter(verification__case__declaration=case.declaration)
        .select_related("verification", "followed_up_by")
        .prefetch_related("photos")
    )


def other_cases(*, case: ReviewCase) -> QuerySet[ReviewCase]:
    """The declaration's earlier (or later) cases, newest first."""
    return case.declaration.review_cases.exclude(pk=case.pk).order_by("-opened_at")


def case_opinion_get(*, case: ReviewCase, pk: int) -> Opinion:
    return get_or_404(OPINIONS.filter(case=case), pk)


def case_rectification_get(*, case: ReviewCase, pk: int) -> Rectification:
    return get_or_404(Rectification.objects.filter(verification__case=case), pk)


def panel_detail(*, panel: Panel) -> Panel:
    return PANELS.get(pk=panel.pk)


def verification_detail(*, verification: OnSiteVerification) -> OnSiteVerification:
    return VERIFICATIONS.get(pk=verification.pk)


def opinion_detail(*, opinion: Opinion) -> Opinion:
    return OPINIONS.get(pk=opinion.pk)


# --- Reached by their own id: 404 unless the viewer sees their case ---------------------------


def _in_viewers_cases(qs: QuerySet, viewer: User, case_path: str) -> QuerySet:
    return qs.filter(**{f"{case_path}__in": case_list(viewer=viewer).values("pk")})


def opinion_get(*, viewer: User, pk: int) -> Opinion:
    return get_or_404(_in_viewers_cases(Opinion.objects.select_related("case"), viewer, "case"), pk)


def rectification_get(*, viewer: User, pk: int) -> Rectification:
    qs = Rectification.objects.select_related("verification__case")
    return get_or_404(_in_viewers_cases(qs, viewer, "verification__case"), pk)


def approval_form_get(*, viewer: User, pk: int) -> ApprovalForm:
    qs = ApprovalForm.objects.select_related("opinion__case__declaration")
    return get_or_404(_in_viewers_cases(qs, viewer, "opinion__case"), pk)


def rectification_photo_get(*, viewer: User, pk) -> RectificationPhoto:
    qs = RectificationPhoto.objects.select_related("rectification__verification")
    return get_or_404(_in_viewers_cases(qs, viewer, "rectification__verification__case"), pk)


def case_evidence(*, case: ReviewCase) -> QuerySet[Evidence]:
    """The current evidence of the case's declaration (the case's viewers read it: the panel's
    experts included, who see nothing of the declarations stage otherwise)."""
    return (
        Evidence.objects.filter(declaration=case.declaration, replaced_by__isnull=True)
        .select_related("indicator_row__category")
        .order_by("section", "indicator_row__seq", "id")
    )


def case_evidence_get(*, viewer: User, case_pk, pk) -> Evidence:
    """One evidence file of a case the viewer may see (a panel expert: only its cases'); the
    same 404 for a missing file, another declaration's, or a case out of reach."""
    case = case_get(viewer=viewer, pk=case_pk)
    return get_or_404(Evidence.objects.filter(declaration=case.declaration), pk)


def photo_get(*, viewer: User, pk: int) -> VerificationPhoto:
    qs = VerificationPhoto.objects.select_related("verification")
    return get_or_404(_in_viewers_cases(qs, viewer, "verification__case"), pk)


# --- Who signs, who is notified ---------------------------------------------------------------


def _city_of(county: Region) -> Region:
    return county if county.level == Region.Level.CITY else county.parent


def _province_of(county: Region) -> Region:
    return county.parent if county.level == Region.Level.CITY else county.parent.parent


def _panel_expert_ids(case: ReviewCase) -> QuerySet | list:
    panel = getattr(case, "panel", None)
    return panel.memberships.values("expert") if panel is not None else []


def staff_of(region: Region, role: str) -> QuerySet[User]:
    """Active staff of one role at one region (who is notified when a case reaches them)."""
    return User.objects.filter(role=role, region=region, is_active=True)


def city_staff_for(county: Region) -> QuerySet[User]:
    return staff_of(_city_of(county), User.Role.CITY)


def province_staff_for(county: Region) -> QuerySet[User]:
    return staff_of(_province_of(county), User.Role.PROVINCE)


def decision_signers(*, case: ReviewCase) -> QuerySet[User]:
    """Who may sign the decision of the case's stage (``review.co_sign_opinion``, R-REV-5):
    the county's staff and experts of the pool at first review, the city's staff and the
    panel at the city, the province's staff at the province."""
    county = case.declaration.enterprise.county
    if case.stage == ReviewCase.Stage.COUNTY:
        signers = User.objects.filter(
            Q(role=User.Role.COUNTY, region=county)
            | Q(role=User.Role.EXPERT, expert_profile__employer_is_service_agency=False),
            is_active=True,
        )
    elif case.stage == ReviewCase.Stage.CITY:
        signers = User.objects.filter(
            Q(role=User.Role.CITY, region=_city_of(county)) | Q(pk__in=_panel_expert_ids(case)),
            is_active=True,
        )
    else:
        signers = province_staff_for(county)
    return signers.select_related("expert_profile").order_by("role", "full_name")


def onsite_signers(*, case: ReviewCase) -> QuerySet[User]:
    """Who may sign the on-site record (``review.record_onsite``): the panel and the city's
    staff."""
    city = _city_of(case.declaration.enterprise.county)
    return User.objects.filter(
        Q(pk__in=_panel_expert_ids(case)) | Q(role=User.Role.CITY, region=city), is_active=True
    ).select_related("expert_profile")
