"""Each permission of ``emergency_list.rules`` once, for every role (see ``roles``): who may
look at a scope's list, change an entry (R-LIST-3, R-LIST-8), see its plan and signboard
(R-LIST-4, R-LIST-5), call and read alerts (R-LIST-7), and export or import the list."""

import datetime

import pytest
from rules.permissions import permissions

from emergency_list.models import Alert, AlertLevel, ExcelJob
from emergency_list.tests.roles import (
    BUREAUS,
    XINZHENG,
    YEAR,
    ZHENGZHOU_ALERTS,
    ZHENGZHOU_TOTALS,
    excel_job,
    listed,
    users,
)
from grading.models import Region

pytestmark = pytest.mark.django_db

CITY_AND_ABOVE = {"city", "province", "admin"}
CASES = [
    ("emergency_list.view_list", None, BUREAUS),
    ("emergency_list.edit_measure_tables", None, {"admin"}),
    ("emergency_list.view_scope", "410184", XINZHENG),
    ("emergency_list.view_scope", "410100", CITY_AND_ABOVE),
    ("emergency_list.view_scope", "410000", {"province", "admin"}),
    ("emergency_list.generate_list", "410184", XINZHENG),
    ("emergency_list.view_entry", "entry", XINZHENG | {"enterprise"}),
    ("emergency_list.change_entry", "entry", XINZHENG),
    ("emergency_list.view_entry_documents", "entry", XINZHENG | {"enterprise"}),
    ("emergency_list.render_entry_documents", "entry", XINZHENG | {"enterprise"}),
    ("emergency_list.view_alerts", None, BUREAUS),
    ("emergency_list.call_alerts", None, {"city", "other_city", "province", "admin"}),
    ("emergency_list.call_alert_for", "410100", ZHENGZHOU_TOTALS),
    ("emergency_list.view_alert", "alert", ZHENGZHOU_ALERTS),
    ("emergency_list.view_alert_totals", "alert", ZHENGZHOU_TOTALS),
    ("emergency_list.export_alert", "alert", ZHENGZHOU_TOTALS),
    ("emergency_list.view_excel_jobs", None, BUREAUS),
    # by the job's scope, whoever asked for it: the county's export is the city's to follow too
    ("emergency_list.view_excel_job", "county_export", XINZHENG),
    ("emergency_list.view_excel_job", "city_export", CITY_AND_ABOVE),
    ("emergency_list.export_list", "410100", CITY_AND_ABOVE),
    ("emergency_list.import_list", "410184", XINZHENG),
    ("emergency_list.confirm_import", "county_import", XINZHENG),
]


@pytest.fixture
def world():
    entry = listed("410184", "新郑水泥有限公司")
    other = listed("410122", "中牟水泥有限公司")
    people = users(entry, other)
    today = datetime.date(YEAR, 1, 10)
    alert = Alert.objects.create(
        level=AlertLevel.RED, year=YEAR, start_on=today, end_on=today, called_by=people["city"]
    )
    alert.cities.set([Region.objects.get(code="410100")])
    objects = {code: Region.objects.get(code=code) for code in ("410184", "410100", "410000")}
    return {
        **objects,
        "users": people,
        "entry": entry,
        "alert": alert,
        "county_export": excel_job(ExcelJob.Kind.EXPORT, "410184", people["county"]),
        "city_export": excel_job(ExcelJob.Kind.EXPORT, "410100", people["city"]),
        "county_import": excel_job(ExcelJob.Kind.IMPORT, "410184", people["county"]),
    }


@pytest.mark.parametrize(
    ("perm", "target", "allowed"), CASES, ids=[f"{p[15:]}-{t}" for p, t, _a in CASES]
)
def test_permission_by_role(world, perm, target, allowed):
    obj = world[target] if target else None
    granted = {role for role, user in world["users"].items() if user.has_perm(perm, obj)}
    assert granted == allowed


def test_every_permission_of_the_app_is_in_the_table():
    registered = {name for name in permissions if name.startswith("emergency_list.")}
    assert registered == {perm for perm, _target, _allowed in CASES}


def test_an_inactive_account_may_do_nothing(world):
    user = world["users"]["admin"]
    user.is_active = False
    for perm, target, _allowed in CASES:
        assert not user.has_perm(perm, world[target] if target else None), perm
