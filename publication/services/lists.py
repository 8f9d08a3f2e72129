"""Publishing a new version of a bureau's list (R-PUB-1): the rows are frozen as text, the
version is numbered and dated, and the worker renders its Excel and PDF downloads."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import Region, User
from publication.models import ListRow, ListVersion, Tier
from publication.rules import require
from publication.selectors.lists import latest_version, publishable_records
from publication.services.downloads import version_files_request


def list_title(issuer: Region, tier: str) -> str:
    if tier == Tier.PROVINCE:
        return _("%(region)s重点行业绩效分级A级、B级（含B-级）、绩效引领性、绩效先进性企业名单") % {
            "region": issuer.name
        }
    return _("%(region)s重点行业绩效分级C级及以下企业名单") % {"region": issuer.name}


def _frozen_rows(issuer: Region, tier: str, today: datetime.date) -> list[ListRow]:
    rows = []
    for seq, record in enumerate(publishable_records(issuer=issuer, tier=tier, today=today), 1):
        county = record.enterprise.county
        city = county.parent if county.level == Region.Level.COUNTY else county
        rows.append(
            ListRow(
                seq=seq,
                city_code=city.code,
                city_name=city.name,
                county_code=county.code,
                county_name=county.name,
                enterprise_name=record.enterprise.name,
                uscc=record.enterprise.uscc,
                industry_code=record.industry.code,
                industry_name=record.industry.name,
                grade_code=record.grade.code,
                grade_name=record.grade.name,
                effective_from=record.effective_from,
            )
        )
    return rows


def _key(row) -> tuple[str, str]:
    return row.uscc, row.industry_code


def _published_grades(version: ListVersion | None) -> dict[tuple[str, str], str]:
    """(USCC, industry code) → grade code of what ``version`` published."""
    if version is None:
        return {}
    rows = version.rows.values_list("uscc", "industry_code", "grade_code")
    return {(u, i): g for u, i, g in rows.iterator()}


@transaction.atomic
def list_publish(
    *,
    actor: User,
    issuer: Region,
    tier: str,
    note: str = "",
    today: datetime.date | None = None,
    require_change: bool = True,
) -> ListVersion | None:
    """Publish what the issuer's list holds now as its next version. Nothing is published
    (None) when it holds exactly what the latest version holds and ``require_change``."""
    require(actor, "publication.publish_list", issuer)
    today = today or timezone.localdate()
    # One publisher at a time per list: the version numbers never collide.
    Region.objects.select_for_update().get(pk=issuer.pk)
    previous = latest_version(issuer=issuer, tier=tier)
    rows = _frozen_rows(issuer, tier, today)
    before = _published_grades(previous)
    after = {_key(r): r.grade_code for r in rows}
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    changed = sum(1 for k in after.keys() & before.keys() if after[k] != before[k])
    if previous is not None and require_change and not (added or removed or changed):
        return None
    version = ListVersion.objects.create(
        issuer=issuer,
        tier=tier,
        number=(previous.number + 1) if previous else 1,
        published_on=today,
        published_by=actor,
        title=list_title(issuer, tier),
        note=note.strip()[:300],
        row_count=len(rows),
        added=added,
        removed=removed,
        changed=changed,
    )
    for row in rows:
        row.version = version
    ListRow.objects.bulk_create(rows, batch_size=2000)
    version_files_request(version=version)
    event_record(
        code="publication.list.published",
        actor=actor,
        target=version,
        summary=_("发布%(title)s第%(n)d版（%(rows)d家，新增%(a)d、移出%(r)d、变化%(c)d）")
        % {
            "title": version.title,
            "n": version.number,
            "rows": len(rows),
            "a": added,
            "r": removed,
            "c": changed,
        },
        reason=note,
        data={"issuer": issuer.code, "tier": tier, "number": version.number},
    )
    return version


def pending_changes(*, issuer: Region, tier: str) -> dict:
    """How what the list would publish now differs from its latest version."""
    previous = latest_version(issuer=issuer, tier=tier)
    before = _published_grades(previous)
    after = {
        (r.enterprise.uscc, r.industry.code): r.grade.code
        for r in publishable_records(issuer=issuer, tier=tier)
    }
    return {
        "latest": previous,
        "rows": len(after),
        "added": len(after.keys() - before.keys()),
        "removed": len(before.keys() - after.keys()),
        "changed": sum(1 for k in after.keys() & before.keys() if after[k] != before[k]),
    }


def check_tier(issuer: Region, tier: str) -> None:
    expected = Tier.PROVINCE if issuer.level == Region.Level.PROVINCE else Tier.LOCAL
    if tier != expected:
        raise ValidationError(_("名单类别与发布单位不符"))
