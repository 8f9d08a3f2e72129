from review.models.annual import ReapplicationDecision, ReapplicationReminder
from review.models.appeals import Appeal, AppealFile
from review.models.bundles import ApprovalFormBundle
from review.models.cases import IndicatorOpinion, Opinion, ReviewCase
from review.models.documents import ApprovalForm
from review.models.downgrades import (
    CaseOpinion,
    CaseOpinionForm,
    DowngradeCase,
    DowngradeTrigger,
)
from review.models.experts import (
    ExpertBlacklisting,
    ExpertConflict,
    ExpertTraining,
    Panel,
    PanelMember,
    PoolMembership,
)
from review.models.guarantee import GuaranteeCoReview, GuaranteeReport
from review.models.onsite import (
    OnSiteVerification,
    Rectification,
    RectificationPhoto,
    VerificationPhoto,
)
from review.models.sampling import (
    IndustryDowngradeProposal,
    SpotCheckItem,
    SpotCheckPolicy,
    SpotCheckSample,
)
from review.models.units import (
    ServiceEngagement,
    ServiceUnit,
    ServiceUnitBlacklisting,
    ServiceUnitMember,
)

__all__ = [
    "Appeal",
    "AppealFile",
    "ApprovalForm",
    "ApprovalFormBundle",
    "CaseOpinion",
    "CaseOpinionForm",
    "DowngradeCase",
    "DowngradeTrigger",
    "ExpertBlacklisting",
    "ExpertConflict",
    "ExpertTraining",
    "GuaranteeCoReview",
    "GuaranteeReport",
    "IndicatorOpinion",
    "IndustryDowngradeProposal",
    "OnSiteVerification",
    "Opinion",
    "Panel",
    "PanelMember",
    "PoolMembership",
    "ReapplicationDecision",
    "ReapplicationReminder",
    "Rectification",
    "RectificationPhoto",
    "ReviewCase",
    "ServiceEngagement",
    "ServiceUnit",
    "ServiceUnitBlacklisting",
    "ServiceUnitMember",
    "SpotCheckItem",
    "SpotCheckPolicy",
    "SpotCheckSample",
    "VerificationPhoto",
]
