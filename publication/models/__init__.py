from publication.models.exports import ExportFile
from publication.models.handlers import HandlerDesignation
from publication.models.improvement import ImprovementEntry
from publication.models.lists import ListRow, ListVersion, VersionFile
from publication.models.notices import Notice, NoticeItem, Objection
from publication.models.reports import PublicReport, ReportEvidence
from publication.models.tiers import POSITIVE_GRADES, TIER_GRADES, Tier

__all__ = [
    "POSITIVE_GRADES",
    "ExportFile",
    "TIER_GRADES",
    "HandlerDesignation",
    "ImprovementEntry",
    "ListRow",
    "ListVersion",
    "Notice",
    "NoticeItem",
    "Objection",
    "PublicReport",
    "ReportEvidence",
    "Tier",
    "VersionFile",
]
