"""Users of every role around one county's list, for the permission tests: the enterprise of
新郑市 and another enterprise, the county of 新郑市, a neighbouring county of the same city
(中牟县) and a county of another city (洛龙区), the cities of 郑州 and 洛阳, the province, an
expert and the administrator.

The administrator is one by role, not a Django superuser: a superuser is granted every
permission without the rules being asked, so only a role account tests what they say."""

from django.utils import timezone

from emergency_list.models import ExcelJob, ListEntry
from emergency_list.services.entries import entry_build
from grading.models import Region, User
from tests import factories
from tests.declaration_builders import ensure_lines

YEAR = timezone.localdate().year
ROLES = (
    "enterprise",
    "other_enterprise",
    "county",
    "other_county",
    "far_county",
    "city",
    "other_city",
    "province",
    "expert",
    "admin",
)
#: The bureaus (who use the list's pages at all).
BUREAUS = {"county", "other_county", "far_county", "city", "other_city", "province", "admin"}
#: Who reaches the county of 新郑市 (and its entries).
XINZHENG = {"county", "city", "province", "admin"}
#: Who reads the alerts of 郑州 (the counties of 郑州 their own part of them).
ZHENGZHOU_ALERTS = {"county", "other_county", "city", "province", "admin"}
#: Who calls alerts for 郑州 and reads the whole of them.
ZHENGZHOU_TOTALS = {"city", "province", "admin"}
EMISSIONS = [{"so2_tpa": 30, "nox_tpa": 60, "pm_tpa": 15, "vocs_tpa": 9}]


def listed(county: str, name: str) -> ListEntry:
    ent = factories.enterprise(county=county, industry="N15", name=name, emissions=EMISSIONS)
    ensure_lines(ent)
    return entry_build(year=YEAR, enterprise=ent)


def users(entry: ListEntry, other: ListEntry) -> dict[str, User]:
    staff = factories.staff_user
    return {
        "enterprise": factories.enterprise_user(entry.enterprise),
        "other_enterprise": factories.enterprise_user(other.enterprise),
        "county": staff(User.Role.COUNTY, "410184"),
        "other_county": staff(User.Role.COUNTY, "410122"),
        "far_county": staff(User.Role.COUNTY, "410311"),
        "city": staff(User.Role.CITY, "410100"),
        "other_city": staff(User.Role.CITY, "410300"),
        "province": staff(User.Role.PROVINCE, "410000"),
        "expert": factories.expert_user(),
        "admin": _administrator(),
    }


def _administrator() -> User:
    user = factories.admin_user()
    user.is_superuser = False
    user.save(update_fields=["is_superuser"])
    return user


def excel_job(kind: str, region: str, by: User, **fields) -> ExcelJob:
    return ExcelJob.objects.create(
        kind=kind, region=Region.objects.get(code=region), year=YEAR, requested_by=by, **fields
    )
