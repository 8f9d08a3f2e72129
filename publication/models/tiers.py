"""Who publishes what (R-PUB-1): the province its A, B (B-), 引领性 and 先进性 enterprises, each
city its C and below."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    PROVINCE = "province", _("A级、B级（含B-级）、绩效引领性、绩效先进性企业名单")
    LOCAL = "local", _("C级及以下企业名单")


#: R-PUB-1: grades the province publishes; the cities publish the others.
TIER_GRADES = {
    Tier.PROVINCE: ("A+", "A", "B", "B-", "LEAD", "ADV"),
    Tier.LOCAL: ("C", "D", "NONLEAD", "NONADV"),
}
#: R-PUB-3: grades of the positive enforcement list (监管执法正面清单).
POSITIVE_GRADES = ("A+", "A", "LEAD", "ADV")


def tier_of_grade(code: str) -> str:
    return Tier.PROVINCE if code in TIER_GRADES[Tier.PROVINCE] else Tier.LOCAL
