"""Loading the province's reference data from the files in ``grading/data``.

Idempotent: codes are natural keys, running it again updates rows in place and removes
nothing (rows an administrator added in the admin stay).
"""

import csv
import re
from datetime import date
from pathlib import Path

import yaml
from django.db import transaction

from grading.models import (
    Grade,
    GradeScheme,
    GuidelineVersion,
    IndicatorCategory,
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    IndustryCategory,
    Region,
    ShareTarget,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# The guideline version each industry's scheme is first recorded under.
DEFAULT_VERSION = {"provincial": "henan-2021", "general": "henan-2021"}
NATIONAL_VERSION = "2020"


def _yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def regions_load(path: Path) -> int:
    """GB/T 2260 divisions from a CSV of code,name,level,parent_code,type."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code: dict[str, Region] = {}
    for row in rows:  # parents precede children in the file
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        region, _ = Region.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": row["level"],
                "kind": row.get("type", ""),
                "parent": parent,
            },
        )
        by_code[row["code"]] = region
    # A city-level unit without counties reviews as a county (济源示范区).
    for region in by_code.values():
        if region.level == Region.Level.CITY:
            flag = not any(r.parent_id == region.pk for r in by_code.values())
            if region.reviews_as_county != flag:
                region.reviews_as_county = flag
                region.save(update_fields=["reviews_as_county"])
    return len(rows)


def grades_load(path: Path) -> None:
    data = _yaml(path)
    for g in data["grades"]:
        Grade.objects.update_or_create(
            code=g["code"],
            defaults={k: g[k] for k in ("name", "severity", "autonomous_reduction")},
        )
    for s in data["schemes"]:
        scheme, _ = GradeScheme.objects.update_or_create(
            code=s["code"], defaults={"name": s["name"]}
        )
        scheme.grades.set(Grade.objects.filter(code__in=s["grades"]))


def versions_load(path: Path) -> None:
    for v in _yaml(path)["versions"]:
        GuidelineVersion.objects.update_or_create(
            code=str(v["code"]),
            defaults={
                "name": v["name"],
                "issued_on": v.get("issued_on"),
                "adds": v.get("adds") or "",
                "source_url": v.get("source_url") or "",
            },
        )


def version_start(version: GuidelineVersion) -> date:
    """When a version's issue date is not known, the first day of the year in its code
    (``2021-supp`` → 2021-01-01) keeps later versions later."""
    if version.issued_on:
        return version.issued_on
    match = re.search(r"(19|20)\d{2}", version.code)
    return date(int(match.group(0)), 1, 1) if match else date(2020, 1, 1)


def industries_load(path: Path) -> None:
    data = _yaml(path)
    for i, c in enumerate(data["categories"]):
        IndustryCategory.objects.update_or_create(
            code=c["code"], defaults={"name": c["name"], "seq": i + 1}
        )
    for row in data["industries"]:
        category = IndustryCategory.objects.get(code=row["category"])
        industry, _ = Industry.objects.update_or_create(
            code=str(row["code"]),
            defaults={
                "name": row["name"],
                "category": category,
                "seq": row.get("seq") or 0,
                "gbt4754": str(row.get("gbt4754") or ""),
                "note": row.get("note") or "",
            },
        )
        version = GuidelineVersion.objects.get(
            code=DEFAULT_VERSION.get(row["category"], NATIONAL_VERSION)
        )
        IndicatorSet.objects.update_or_create(
            industry=industry,
            guideline_version=version,
            defaults={
                "scheme": GradeScheme.objects.get(code=row["scheme"]),
                "effective_from": version_start(version),
            },
        )
        # R-GRADE-7: the industry's scheme under later versions (e.g. Henan's B-).
        for version_code, scheme_code in (row.get("schemes") or {}).items():
            later = GuidelineVersion.objects.get(code=str(version_code))
            IndicatorSet.objects.update_or_create(
                industry=industry,
                guideline_version=later,
                defaults={
                    "scheme": GradeScheme.objects.get(code=scheme_code),
                    "effective_from": version_start(later),
                },
            )


def indicator_categories_load(path: Path) -> None:
    for i, c in enumerate(_yaml(path)["categories"]):
        IndicatorCategory.objects.update_or_create(
            code=c["code"], defaults={"name": c["name"], "seq": c.get("seq") or i + 1}
        )


def indicator_set_load(path: Path) -> IndicatorSet:
    """One industry's indicator table under one guideline version (category → text per grade)."""
    data = _yaml(path)
    industry = Industry.objects.get(code=str(data["industry"]))
    version = GuidelineVersion.objects.get(code=str(data["guideline_version"]))
    existing = IndicatorSet.objects.filter(industry=industry).order_by("-effective_from").first()
    scheme_code = data.get("scheme") or (existing.scheme.code if existing else "ABCD")
    indicator_set, _ = IndicatorSet.objects.update_or_create(
        industry=industry,
        guideline_version=version,
        defaults={
            "scheme": GradeScheme.objects.get(code=scheme_code),
            "effective_from": data.get("effective_from") or version_start(version),
            "title": data.get("title") or "",
            "scope": data.get("scope") or "",
            "source_url": data.get("source_url") or "",
        },
    )
    grades = {g.code: g for g in indicator_set.scheme.grades.all()}
    categories = {c.code: c for c in IndicatorCategory.objects.all()}
    for row in data.get("indicators") or []:
        for grade_code, text in (row.get("requirements") or {}).items():
            if str(grade_code) not in grades:
                raise ValueError(f"{path.name}: 等级 {grade_code} 不属于分级体系 {scheme_code}")
            IndicatorRequirement.objects.update_or_create(
                indicator_set=indicator_set,
                category=categories[row["category"]],
                seq=row.get("seq") or 1,
                grade=grades[str(grade_code)],
                defaults={
                    "text": str(text).strip(),
                    "verbatim": bool(row.get("verbatim", True)),
                    "note": row.get("note") or "",
                },
            )
    return indicator_set


def targets_load(path: Path) -> None:
    data = _yaml(path)
    year = int(data["year"])
    source = data.get("source") or ""
    for row in data["by_category"]:
        ShareTarget.objects.update_or_create(
            year=year,
            category=IndustryCategory.objects.get(code=row["category"]),
            defaults={
                "baseline_pct": row.get("baseline_pct"),
                "target_pct": row["target_pct"],
                "source": source[:200],
            },
        )
    for row in data["by_city"]:
        ShareTarget.objects.update_or_create(
            year=year,
            region=Region.objects.get(code=str(row["code"])),
            defaults={"target_pct": row["target_pct"], "source": source[:200]},
        )


@transaction.atomic
def reference_load(*, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Load everything, in dependency order; returns counts for the command's report."""
    for csv_path in sorted((data_dir / "regions").glob("*.csv")):
        regions_load(csv_path)
    grades_load(data_dir / "grades.yaml")
    versions_load(data_dir / "guideline_versions.yaml")
    indicator_categories_load(data_dir / "indicator_categories.yaml")
    industries_load(data_dir / "industries.yaml")
    for path in sorted((data_dir / "indicators").glob("*.yaml")):
        indicator_set_load(path)
    for path in sorted(data_dir.glob("targets*.yaml")):
        targets_load(path)
    return {
        "regions": Region.objects.count(),
        "industries": Industry.objects.count(),
        "grades": Grade.objects.count(),
        "indicator_requirements": IndicatorRequirement.objects.count(),
        "share_targets": ShareTarget.objects.count(),
    }
