"""What may ever reach the public (R-PUB-1, R-DECL-5): the one place that decides it.

A confidential enterprise (``Enterprise.is_confidential``) and an enterprise with a project
declared confidential (a declaration with a ``confidential_note``) never appear on a public
page, download, API answer or search result, whatever list or version they were on."""

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Collate
from django.utils.translation import gettext as _

from declarations.models import Declaration
from grading.models import Enterprise, Region


def publishable_enterprises() -> QuerySet[Enterprise]:
    """Enterprises the public may see (R-DECL-5)."""
    confidential_project = Declaration.objects.filter(enterprise=OuterRef("pk")).exclude(
        confidential_note=""
    )
    return Enterprise.objects.filter(is_confidential=False).exclude(Exists(confidential_project))


def withheld_usccs(usccs) -> set[str]:
    """Which of ``usccs`` belong to enterprises the public may not see (now)."""
    usccs = set(usccs)
    if not usccs:
        return set()
    visible = set(publishable_enterprises().filter(uscc__in=usccs).values_list("uscc", flat=True))
    return usccs - visible


def area_q(region: Region, *, county_path: str = "county") -> Q:
    """Enterprises (through ``county_path``) located in ``region`` (a province, a city or a
    county-level unit)."""
    if region.level == Region.Level.PROVINCE:
        return Q(**{f"{county_path}__parent": region}) | Q(
            **{f"{county_path}__parent__parent": region}
        )
    if region.level == Region.Level.CITY:
        return Q(**{county_path: region}) | Q(**{f"{county_path}__parent": region})
    return Q(**{county_path: region})


def by_name(field: str):
    """Order by a Chinese name in pinyin order where PostgreSQL's ICU collation exists."""
    if connection.vendor == "postgresql":
        return Collate(F(field), "zh-x-icu")
    return F(field)


def bureau_name(region: Region | None) -> str:
    """The ecological-environment bureau of a region: 河南省生态环境厅, 郑州市生态环境局."""
    if region is None:
        return ""
    suffix = _("生态环境厅") if region.level == Region.Level.PROVINCE else _("生态环境局")
    return f"{region.name}{suffix}"
