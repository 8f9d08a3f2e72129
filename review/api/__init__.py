"""REST API of the review chain (/api/v1/review/), one module per resource. Thin: validate,
call a selector or service, present. Who may see a case or a pool is decided by
``review.selectors`` (404 outside the viewer's reach, the same as a missing one; 403 with the
reason for a role that may not read the resource); who may act, by the services with
``review.rules`` (403 with the reason, 400 naming the rule). The web pages of
``review.views`` ask the same."""

from review.api.appeals import AppealViewSet
from review.api.cases import ReviewCaseViewSet
from review.api.change_reports import ChangeReportReviewViewSet
from review.api.downgrades import DowngradeCaseViewSet
from review.api.experts import ExpertViewSet
from review.api.guarantee import GuaranteeViewSet
from review.api.reapplications import ReapplicationViewSet
from review.api.spot_checks import DowngradeProposalViewSet, SpotCheckSampleViewSet
from review.api.units import ServiceUnitViewSet

__all__ = [
    "AppealViewSet",
    "ChangeReportReviewViewSet",
    "DowngradeCaseViewSet",
    "DowngradeProposalViewSet",
    "ExpertViewSet",
    "GuaranteeViewSet",
    "ReapplicationViewSet",
    "ReviewCaseViewSet",
    "ServiceUnitViewSet",
    "SpotCheckSampleViewSet",
]
