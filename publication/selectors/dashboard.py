"""Figures of the targets dashboard (R-TGT-1; 001 附件1/附件2; 004 §22).

The A/B share is counted over enterprises of the key industries (main industry of the metal,
building-materials, VOCs-related or provincial category) that hold a grade; an enterprise
counts as A/B when its overall grade (R-GRADE-4) is A+, A, B, B- or 引领性 — the 2021 aim
reads "A、B 级企业和绩效引领性企业". D enterprises are counted over every industry.

Two grouped queries answer everything: the current figures grouped by county-level unit and
main industry (a few thousand rows at most, summed up by city, county, category and industry
here), and the month-end history from the grade records.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Case, Count, F, Max, Q, When
from django.http import Http404
from django.utils import timezone

from core.cache import cache_key
from grading.models import (
    Enterprise,
    EnterpriseIndustry,
    GradeRecord,
    Industry,
    IndustryCategory,
    Region,
    ShareTarget,
)
from publication.rules import allows, refusal

#: The industry categories whose A/B share has a target (001 附件1).
KEY_CATEGORIES = ("metal", "building", "vocs", "provincial")
#: Grades counted as A/B (with 引领性): severity up to B- (25).
AB_MAX_SEVERITY = 25
D_SEVERITY = 40
#: 004 §22: A/B at least 20% by the end of 2021 and 70% by the end of 2025; D eliminated.
DEFAULT_GOALS = {2021: 20, 2025: 70}


def goals() -> dict[int, int]:
    configured = settings.GRADING.get("AB_SHARE_GOALS", DEFAULT_GOALS)
    return {int(k): int(v) for k, v in configured.items()}


def goal_for(year: int) -> tuple[int, int] | None:
    """(goal year, A/B share goal): the first goal due in or after ``year``, else the last."""
    found = goals()
    if not found:
        return None
    due = [y for y in found if y >= year]
    chosen = min(due) if due else max(found)
    return chosen, found[chosen]


def pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Tally:
    graded: int = 0
    ab: int = 0
    d: int = 0
    ungraded: int = 0

    @property
    def share(self) -> Decimal | None:
        return pct(self.ab, self.graded)


@dataclass
class Line:
    """One row of a table: a category, a city or county, an industry."""

    code: str
    name: str
    tally: Tally = field(default_factory=Tally)
    target: Decimal | None = None
    baseline: Decimal | None = None
    drill: str = ""
    group: str = ""

    @property
    def gap(self) -> Decimal | None:
        share = self.tally.share
        if share is None or self.target is None:
            return None
        return share - self.target


def county_units(region: Region) -> list[int]:
    """Ids of the county-level units (or city-level units reviewing as counties) in region."""
    holds = Q(level=Region.Level.COUNTY) | Q(level=Region.Level.CITY, reviews_as_county=True)
    units = Region.objects.filter(holds)
    if region.level == Region.Level.PROVINCE:
        units = units.filter(Q(parent=region) | Q(parent__parent=region))
    elif region.level == Region.Level.CITY:
        units = units.filter(Q(pk=region.pk) | Q(parent=region))
    else:
        units = units.filter(pk=region.pk)
    return list(units.values_list("pk", flat=True))


def current_rows(region: Region) -> list[dict]:
    """Query 1: per area of the drill-down (the province's cities, a city's county-level
    units, a county itself) and main industry, graded / A/B / D / ungraded counts."""
    key = Q(industry__category__code__in=KEY_CATEGORIES)
    grade = "enterprise__overall_grade"
    area = F("enterprise__county_id")
    if region.level == Region.Level.PROVINCE:  # a city reviewing as a county is its own area
        area = Case(
            When(enterprise__county__level=Region.Level.CITY, then=area),
            default=F("enterprise__county__parent_id"),
        )
    return list(
        EnterpriseIndustry.objects.filter(
            enterprise__county_id__in=county_units(region), is_main=True
        )
        .values("industry_id", area=area)
        .annotate(
            graded=Count("pk", filter=key & Q(**{f"{grade}__isnull": False})),
            ab=Count("pk", filter=key & Q(**{f"{grade}__severity__lte": AB_MAX_SEVERITY})),
            d=Count("pk", filter=Q(**{f"{grade}__severity__gte": D_SEVERITY})),
            ungraded=Count("pk", filter=key & Q(**{f"{grade}__isnull": True})),
        )
        .order_by()
    )


MONTHLY_SQL = """
WITH scoped AS MATERIALIZED (
    SELECT r.enterprise_id, r.industry_id, r.effective_from AS f, r.effective_to AS t,
           g.severity, COALESCE(mi.industry_id = ANY(%(key_industries)s), false) AS is_key
    FROM grading_graderecord r
    JOIN grading_grade g ON g.id = r.grade_id
    JOIN grading_enterprise e ON e.id = r.enterprise_id
    LEFT JOIN grading_enterpriseindustry mi ON mi.enterprise_id = r.enterprise_id AND mi.is_main
    WHERE e.county_id = ANY(%(units)s)
      AND r.effective_from <= %(last_day)s
      AND (r.effective_to IS NULL OR r.effective_to >= %(first_day)s)
),
multi AS (
    SELECT enterprise_id FROM scoped
    GROUP BY enterprise_id HAVING MIN(industry_id) <> MAX(industry_id)
),
spans AS (
    -- One record at a time: the month ends it covers, from m_from to m_to.
    SELECT CASE WHEN s.f < %(year_start)s THEN 1 ELSE EXTRACT(MONTH FROM s.f)::int END AS m_from,
           CASE WHEN s.t IS NULL OR s.t >= %(year_end)s THEN 12
                WHEN s.t = (date_trunc('month', s.t) + interval '1 month - 1 day')::date
                    THEN EXTRACT(MONTH FROM s.t)::int
                ELSE EXTRACT(MONTH FROM s.t)::int - 1 END AS m_to,
           s.is_key, s.severity
    FROM scoped s
    WHERE NOT EXISTS (SELECT 1 FROM multi WHERE multi.enterprise_id = s.enterprise_id)
    UNION ALL
    -- Several industries: the worst of the records in force at each month end (R-GRADE-4).
    SELECT EXTRACT(MONTH FROM m.day)::int, EXTRACT(MONTH FROM m.day)::int,
           BOOL_OR(s.is_key), MAX(s.severity)
    FROM unnest(%(days)s::date[]) AS m(day)
    JOIN scoped s ON s.f <= m.day AND (s.t IS NULL OR s.t >= m.day)
    WHERE EXISTS (SELECT 1 FROM multi WHERE multi.enterprise_id = s.enterprise_id)
    GROUP BY m.day, s.enterprise_id
)
SELECT m_from, m_to, is_key, severity <= %(ab)s, severity >= %(d)s, COUNT(*)
FROM spans
GROUP BY 1, 2, 3, 4, 5
"""


def key_industry_ids() -> list[int]:
    return list(
        Industry.objects.filter(category__code__in=KEY_CATEGORIES).values_list("pk", flat=True)
    )


def month_ends(year: int, months: int) -> list[datetime.date]:
    out = []
    for m in range(1, months + 1):
        first_next = datetime.date(year + (m == 12), m % 12 + 1, 1)
        out.append(first_next - datetime.timedelta(days=1))
    return out


def monthly(
    region: Region, year: int, today: datetime.date, key_industries: list[int] | None = None
) -> list[dict]:
    """Query 2: the share at each month end of ``year`` (to this month for the current year),
    from the grade history. An enterprise's grade on a day is the worst of its industries'
    records in force that day (R-GRADE-4). Records of enterprises graded in one industry
    are counted by the span of month ends they cover (one scan, no per-day rows); only
    enterprises graded in several industries are evaluated month end by month end."""
    months = 12 if year < today.year else today.month if year == today.year else 0
    if months == 0:
        return []
    days = month_ends(year, months)
    with connection.cursor() as cursor:
        cursor.execute(
            MONTHLY_SQL,
            {
                "year_start": datetime.date(year, 1, 1),
                "year_end": datetime.date(year, 12, 31),
                "first_day": days[0],
                "last_day": days[-1],
                "days": days,
                "units": county_units(region),
                "key_industries": key_industry_ids() if key_industries is None else key_industries,
                "ab": AB_MAX_SEVERITY,
                "d": D_SEVERITY,
            },
        )
        spans = cursor.fetchall()
    graded, ab, d = [0] * (months + 1), [0] * (months + 1), [0] * (months + 1)
    for m_from, m_to, is_key, is_ab, is_d, n in spans:
        for m in range(max(1, m_from), min(months, m_to) + 1):
            if is_key:
                graded[m] += n
                if is_ab:
                    ab[m] += n
            if is_d:
                d[m] += n
    return [
        {
            "month": m,
            "day": days[m - 1],
            "graded": graded[m],
            "ab": ab[m],
            "d": d[m],
            "share": pct(ab[m], graded[m]),
        }
        for m in range(1, months + 1)
    ]


def targets_for(year: int) -> tuple[int | None, dict, dict]:
    """(targets' year, by category code, by city id): the year's share targets, or those of
    the latest earlier year that has any (targets carry forward until replaced)."""
    years = ShareTarget.objects.order_by("-year").values_list("year", flat=True)
    chosen = years.filter(year__lte=year).first() or years.order_by("year").first()
    if chosen is None:
        return None, {}, {}
    rows = ShareTarget.objects.filter(year=chosen).select_related("category")
    by_category = {r.category.code: r for r in rows if r.category_id}
    by_city = {r.region_id: r for r in rows if r.region_id}
    return chosen, by_category, by_city


@dataclass
class Dashboard:
    region: Region
    year: int
    targets_year: int | None
    total: Tally
    target: Decimal | None
    categories: list[Line]
    areas: list[Line]
    industries: list[Line]
    months: list[dict]
    goal: tuple[int, int] | None


def dashboard(*, region: Region, year: int | None = None) -> Dashboard:
    """The figures of ``region`` (the caller has checked the viewer may see it).

    The province's figures read every enterprise and grade record (0.37 s at 100,000
    enterprises): they are kept in the cache under what they depend on (the enterprises' and
    grade records' newest and last change, read by two index lookups) and for five minutes at
    most (a changed target, or a main industry changed without a new grade record, shows after
    that)."""
    today = timezone.localdate()
    year = year or today.year
    # each an index lookup: the newest enterprise, the last change of one, the newest record
    enterprises = Enterprise.objects.aggregate(newest=Max("id"), last=Max("updated_at"))
    records = GradeRecord.objects.aggregate(newest=Max("id"))
    key = cache_key("dashboard", region.pk, year, today, *records.values(), *enterprises.values())
    figures = cache.get(key)
    if figures is None:
        figures = _dashboard(region=region, year=year, today=today)
        cache.set(key, figures, 300)
    return figures


def _dashboard(*, region: Region, year: int, today: datetime.date) -> Dashboard:
    targets_year, by_category, by_city = targets_for(year)
    units = {
        r.pk: r for r in Region.objects.filter(pk__in=county_units(region)).select_related("parent")
    }
    industries = {i.pk: i for i in Industry.objects.select_related("category")}
    categories = {
        c.code: Line(
            c.code,
            c.name,
            target=by_category[c.code].target_pct if c.code in by_category else None,
            baseline=by_category[c.code].baseline_pct if c.code in by_category else None,
        )
        for c in IndustryCategory.objects.filter(code__in=KEY_CATEGORIES).order_by("seq")
    }
    # Drill-down one level: the province's cities, a city's counties; a county shows itself.
    if region.level == Region.Level.PROVINCE:
        children = {
            r.pk: r
            for r in Region.objects.filter(parent=region, level=Region.Level.CITY).order_by("code")
        }
    else:
        children = {pk: u for pk, u in sorted(units.items(), key=lambda kv: kv[1].code)}

    def city_target(r: Region) -> Decimal | None:
        found = by_city.get(r.pk) or by_city.get(r.parent_id)
        return found.target_pct if found else None

    areas = {
        pk: Line(r.code, r.name, target=city_target(r), drill=r.code) for pk, r in children.items()
    }
    # Summed as plain counts (a few hundred rows at most), Tally lines built once at the end.
    per_industry: dict[int, list[int]] = {}
    per_category: dict[str, list[int]] = {}
    per_area: dict[int, list[int]] = {}
    totals = [0, 0, 0, 0]
    for row in current_rows(region):
        counts = (row["graded"], row["ab"], row["d"], row["ungraded"])
        code = industries[row["industry_id"]].category.code
        for sums in (
            totals,
            per_industry.setdefault(row["industry_id"], [0, 0, 0, 0]),
            per_category.setdefault(code, [0, 0, 0, 0]) if code in categories else None,
            per_area.setdefault(row["area"], [0, 0, 0, 0]) if row["area"] in areas else None,
        ):
            if sums is not None:
                for i, n in enumerate(counts):
                    sums[i] += n
    total = Tally(*totals)
    for code, sums in per_category.items():
        categories[code].tally = Tally(*sums)
    for pk, sums in per_area.items():
        areas[pk].tally = Tally(*sums)
    lines = {}
    for pk, sums in per_industry.items():
        industry = industries[pk]
        lines[pk] = Line(
            industry.code,
            industry.name,
            tally=Tally(*sums),
            drill=industry.category.code,
            group=industry.category.name,
        )
    city = region if region.level == Region.Level.CITY else region.parent
    goal = goal_for(year)
    if region.level == Region.Level.PROVINCE:
        target = Decimal(goal[1]) if goal else None
    else:
        city_target = by_city.get(region.pk) or (by_city.get(city.pk) if city else None)
        target = city_target.target_pct if city_target else None
    ordered_industries = [
        lines[pk]
        for pk in sorted(lines, key=lambda pk: (industries[pk].category.seq, industries[pk].seq))
    ]
    return Dashboard(
        region=region,
        year=year,
        targets_year=targets_year,
        total=total,
        target=target,
        categories=list(categories.values()),
        areas=list(areas.values()),
        industries=ordered_industries,
        months=monthly(
            region,
            year,
            today,
            [pk for pk, i in industries.items() if i.category.code in KEY_CATEGORIES],
        ),
        goal=goal,
    )


def dashboard_region_get(*, viewer, code: str) -> Region:
    """The region asked for (the viewer's own by default, the province for the
    administrator); 404 outside the viewer's reach, 403 for a role without a dashboard."""
    from publication.selectors.exports import regions_in_reach

    if not allows(viewer, "publication.view_dashboard"):
        raise PermissionDenied(refusal(viewer, "publication.view_dashboard"))
    reach = regions_in_reach(viewer)
    if code:
        region = reach.filter(code=code).first()
    else:
        region = viewer.region if viewer.region_id else reach.filter(level="province").first()
    if region is None or not allows(viewer, "publication.view_dashboard", region):
        raise Http404
    return region


def year_from(text: str) -> int:
    """The year a page or API asks for: 2020 to this year, this year otherwise."""
    today = timezone.localdate()
    return int(text) if text.isdigit() and 2020 <= int(text) <= today.year else today.year
