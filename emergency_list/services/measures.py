"""Measure templates (R-LIST-8): loading them, and choosing the ones that apply to an industry,
a grade and an alert level. Levels are cumulative: a template "from orange" applies to orange
and red unless it names the last level it applies to."""

from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction
from django.utils import timezone

from emergency_list.models import (
    ACTION_RANK,
    LEVEL_RANK,
    AlertLevel,
    MeasureTemplate,
    TransportRule,
)
from grading.models import Grade, Industry
from grading.selectors import indicator_set_in_force
from grading.services.grades import industry_lowest_grade

GRADING_DATA = Path(__file__).resolve().parents[2] / "grading" / "data" / "measures"
LOCAL_DEFAULT = Path(__file__).resolve().parents[1] / "data" / "measures_local_default.yaml"


def applies(template: MeasureTemplate, level: str) -> bool:
    rank = LEVEL_RANK[level]
    if LEVEL_RANK[template.level_from] > rank:
        return False
    return not template.level_to or LEVEL_RANK[template.level_to] >= rank


def strongest(templates: list[MeasureTemplate]) -> MeasureTemplate | None:
    """When several templates apply at one level, the strictest one governs production; its
    transport rule is the strictest of all of them."""
    if not templates:
        return None
    return max(templates, key=lambda t: (ACTION_RANK[t.action], t.ratio_pct or Decimal(0)))


class TemplateIndex:
    """All templates in memory, keyed by (industry id or None, grade id): the list of a
    province is generated without a query per entry."""

    def __init__(self) -> None:
        self.by_key: dict[tuple, list[MeasureTemplate]] = {}
        self._lowest: dict[int, Grade] = {}
        self._version: dict[int, int | None] = {}
        for t in MeasureTemplate.objects.all():
            self.by_key.setdefault((t.industry_id, t.grade_id), []).append(t)

    def lowest(self, industry: Industry) -> Grade:
        """The lowest grade of the industry's scheme in force (R-ELIG-4), once per industry."""
        if industry.pk not in self._lowest:
            self._lowest[industry.pk] = industry_lowest_grade(industry)
        return self._lowest[industry.pk]

    def for_level(
        self, *, industry_id: int | None, grade_id: int, level: str
    ) -> list[MeasureTemplate]:
        """The industry's own templates for the grade — the measure table of the guideline
        version in force for it, else the shipped ones — else the local general pattern."""
        own = self.by_key.get((industry_id, grade_id)) or []
        if own:
            version = self.version_in_force(industry_id)
            chosen = [t for t in own if version and t.guideline_version_id == version]
            own = chosen or [t for t in own if t.guideline_version_id is None]
        pool = own if own else self.by_key.get((None, grade_id), [])
        return [t for t in pool if applies(t, level)]

    def version_in_force(self, industry_id: int) -> int | None:
        """The guideline version of the industry's indicator set in force today (R-GRADE-7)."""
        if industry_id not in self._version:
            industry = Industry.objects.filter(pk=industry_id).first()
            found = (
                indicator_set_in_force(industry=industry, on=timezone.localdate())
                if industry
                else None
            )
            self._version[industry_id] = found.guideline_version_id if found else None
        return self._version[industry_id]


def _level(value) -> str:
    return value or AlertLevel.YELLOW


@transaction.atomic
def templates_load_file(path: Path, *, industry: Industry | None = None) -> int:
    """Load one measures file: either an industry's guide (``industry: N15``) or the local
    default pattern (``grades: [...]`` per row, no industry). Replaces that scope's templates."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    code = data.get("industry")
    if industry is None and code and code != Industry.GENERAL_CODE:
        industry = Industry.objects.get(code=code)
    source = data.get("source_url") or data.get("source") or ""
    MeasureTemplate.objects.filter(
        industry=industry, source=source[:300], guideline_version__isnull=True
    ).delete()
    grades = {g.code: g for g in Grade.objects.all()}
    created = 0
    for row in data["measures"]:
        codes = row.get("grades") or [row["grade"]]
        for code_ in codes:
            MeasureTemplate.objects.create(
                industry=industry,
                grade=grades[str(code_)],
                level_from=_level(row.get("level_from")),
                level_to=row.get("level_to") or "",
                action=row["action"],
                ratio_pct=row.get("ratio_pct"),
                unit=row.get("unit") or "",
                transport_rule=row.get("transport_rule") or TransportRule.NONE,
                text=row["text"],
                source=source[:300],
            )
            created += 1
    return created


def templates_load_all() -> int:
    """The verified industry guides shipped as data, then the local default pattern.
    The general-industry file holds a pattern without levels or ratios; it is reference text,
    and the local default pattern (editable) stands in for it."""
    n = 0
    for path in sorted(GRADING_DATA.glob("*.yaml")):
        if path.stem == Industry.GENERAL_CODE:
            continue
        n += templates_load_file(path)
    n += templates_load_file(LOCAL_DEFAULT)
    return n


def is_weaker(
    *, action: str, ratio: Decimal | None, than_action: str, than_ratio: Decimal | None
) -> bool:
    """R-LIST-8: a local measure may be stricter than the guide, never weaker."""
    if ACTION_RANK[action] != ACTION_RANK[than_action]:
        return ACTION_RANK[action] < ACTION_RANK[than_action]
    return (ratio or Decimal(0)) < (than_ratio or Decimal(0))
