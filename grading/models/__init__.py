from grading.models.accounts import EnterpriseRegistration, ExpertProfile, PasswordHistory, User
from grading.models.enterprises import (
    Enterprise,
    EnterpriseIndustry,
    Equipment,
    GradeRecord,
    Process,
    ProductionLine,
    ViolationRecord,
)
from grading.models.industries import (
    Grade,
    GradeScheme,
    GuidelineVersion,
    IndicatorCategory,
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    IndustryCategory,
    ShareTarget,
)
from grading.models.regions import Region

__all__ = [
    "Enterprise",
    "EnterpriseIndustry",
    "EnterpriseRegistration",
    "Equipment",
    "ExpertProfile",
    "PasswordHistory",
    "Grade",
    "GradeRecord",
    "GradeScheme",
    "GuidelineVersion",
    "IndicatorCategory",
    "IndicatorRequirement",
    "IndicatorSet",
    "Industry",
    "IndustryCategory",
    "Process",
    "ProductionLine",
    "Region",
    "ShareTarget",
    "User",
    "ViolationRecord",
]
