"""R-LIST-6: one write path for every change of an entry — page, API, import, rebuild — keeps
what the entry was before the change, only when something changed, and shows the difference
between any two versions on the entry's page and in the API."""

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from emergency_list.models import Action, AlertLevel, EntryMeasure, EntryRevision, ListEntry
from emergency_list.selectors import entry_version_diff
from emergency_list.services import entries as svc
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
EMISSIONS = [{"so2_tpa": 30, "nox_tpa": 60, "pm_tpa": 15, "vocs_tpa": 9}]


def _entry(county="410184", name="历史水泥有限公司") -> ListEntry:
    ent = factories.enterprise(county=county, industry="N15", name=name, emissions=EMISSIONS)
    ensure_lines(ent)
    return svc.entry_build(year=YEAR, enterprise=ent)


def _yellow(entry) -> EntryMeasure:
    return EntryMeasure.objects.get(entry_process__entry=entry, level=AlertLevel.YELLOW)


def test_r_list_6_edit_keeps_the_values_before_the_change(county_user):
    entry = _entry()
    svc.entry_update(actor=county_user, entry=entry, data={"responsible_person": "张三"})
    svc.entry_update(actor=county_user, entry=entry, data={"responsible_person": "李四"})
    entry.refresh_from_db()
    assert entry.revision == 3 and entry.responsible_person == "李四"
    kept = {r.revision: r.snapshot["flags"]["responsible_person"] for r in entry.revisions.all()}
    assert kept[2] == "张三"  # version 2 said 张三, not the new value
    assert kept[1] not in ("张三", "李四")
    assert entry.revisions.get(revision=2).changed_by == county_user


def test_r_list_6_unchanged_rebuild_adds_no_revision():
    entry = _entry()
    measures = set(EntryMeasure.objects.filter(entry_process__entry=entry).values_list("pk"))
    for _ in range(3):
        svc.entry_build(year=YEAR, enterprise=entry.enterprise, reason="编制清单")
    entry.refresh_from_db()
    assert entry.revision == 1 and not EntryRevision.objects.filter(entry=entry).exists()
    # nothing was rewritten either
    assert set(EntryMeasure.objects.filter(entry_process__entry=entry).values_list("pk")) == (
        measures
    )


def test_r_list_6_saving_the_same_values_adds_no_revision(county_user):
    entry = _entry()
    svc.entry_update(actor=county_user, entry=entry, data={"note": "备注一"})
    svc.entry_update(actor=county_user, entry=entry, data={"note": "备注一"})
    entry.refresh_from_db()
    assert entry.revision == 2 and entry.revisions.count() == 1


def test_r_list_6_override_keeps_the_measure_before_it(county_user):
    entry = _entry()
    before = _yellow(entry)
    svc.measure_override(
        actor=county_user,
        measure=before,
        action=Action.STOP,
        ratio_pct=100,
        text="停产",
        reason="县级加严",
    )
    entry.refresh_from_db()
    kept = entry.revisions.get(revision=1).snapshot
    yellow = kept["processes"][0]["measures"][AlertLevel.YELLOW]
    assert entry.revision == 2 and yellow["action"] == before.action and not yellow["override"]


def test_r_list_6_diff_between_any_two_versions(county_user):
    entry = _entry()
    svc.entry_update(actor=county_user, entry=entry, data={"responsible_person": "张三"})
    svc.entry_update(actor=county_user, entry=entry, data={"operating_days": 250})
    entry.refresh_from_db()
    one_three = {
        c.label: (c.before, c.after) for c in entry_version_diff(entry=entry, older=1, newer=3)
    }
    assert one_three["措施落实责任人"][1] == "张三"
    assert one_three["年生产天数"] == ("300", "250")
    two_three = {c.label for c in entry_version_diff(entry=entry, older=2, newer=3)}
    assert "年生产天数" in two_three and "措施落实责任人" not in two_three
    assert entry_version_diff(entry=entry, older=3, newer=3) == []


def test_r_list_6_entry_page_shows_versions_and_their_difference(county_user):
    entry = _entry()
    svc.entry_update(actor=county_user, entry=entry, data={"responsible_person": "张三"})
    svc.entry_update(actor=county_user, entry=entry, data={"operating_days": 250})
    client = Client()
    client.force_login(county_user)
    url = f"/list/entries/{entry.pk}/"
    page = client.get(url, {"older": 1, "newer": 3}).content.decode()
    assert "第3版" in page and "当前" in page and "第1版 → 第3版" in page
    assert "年生产天数" in page and "张三" in page
    for bad in ({"older": "abc", "newer": "3"}, {"older": "99", "newer": "3"}):
        response = client.get(url, bad)
        assert response.status_code == 200  # a form error or a message, never a 500


def test_r_list_6_history_api_within_reach(county_user, other_county_user):
    entry = _entry()
    svc.entry_update(actor=county_user, entry=entry, data={"note": "改过"})
    client = APIClient()
    client.force_authenticate(county_user)
    url = f"/api/v1/list/entries/{entry.pk}/history/"
    body = client.get(url).json()
    assert [v["number"] for v in body["versions"]] == [2, 1]
    assert body["older"] == 1 and body["newer"] == 2
    assert any(c["label"] == "备注" and c["after"] == "改过" for c in body["changes"])
    assert client.get(url, {"older": 7}).status_code == 400
    assert client.get(url, {"older": "abc"}).status_code == 400
    client.force_authenticate(other_county_user)
    assert client.get(url).status_code == 404
