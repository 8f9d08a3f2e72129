from review.models.bundles import ApprovalFormBundle
from review.models.cases import IndicatorOpinion, Opinion, ReviewCase
from review.models.documents import ApprovalForm
from review.models.experts import (
    ExpertBlacklisting,
    ExpertConflict,
    Panel,
    PanelMember,
    PoolMembership,
)
from review.models.onsite import OnSiteVerification, Rectification, VerificationPhoto
from review.models.sampling import (
    IndustryDowngradeProposal,
    SpotCheckItem,
    SpotCheckPolicy,
    SpotCheckSample,
)

__all__ = [
    "ApprovalForm",
    "ApprovalFormBundle",
    "ExpertBlacklisting",
    "ExpertConflict",
    "IndicatorOpinion",
    "IndustryDowngradeProposal",
    "OnSiteVerification",
    "Opinion",
    "Panel",
    "PanelMember",
    "PoolMembership",
    "Rectification",
    "ReviewCase",
    "SpotCheckItem",
    "SpotCheckPolicy",
    "SpotCheckSample",
    "VerificationPhoto",
]
