"""R-PUB-2: after a report (and an objection), a walk of every role's pages, API answers and
exports finds who reported — and who objected — only with the handling bureau's designated
handlers; never in the audit trail or a notification."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.models import AuditEvent, Notification
from grading.models import GradeRecord, Region, User
from publication.services import lists, notices
from publication.services.exports import LEVELS, export_request
from publication.services.reports import report_lodge
from publication.tests import builders
from publication.tests.crawl import crawl
from review.tests.builders import png_bytes
from tests import factories

pytestmark = pytest.mark.django_db
REPORTER = ("举报人孙八", "13512345678")
OBJECTOR = ("异议人周九", "zhoujiu@example.cn")
SKIP = ("/accounts/logout", "/i18n/", "/static/", "/api/docs", "/api/schema", "/admin/logout")


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    target = factories.enterprise(county="410184", name="新郑市甲包装有限公司")
    builders.decided(target, "A", source=GradeRecord.Source.IMPORT)
    builders.decided(factories.enterprise(county="410184", name="新郑市乙印务有限公司"), "C")
    users = {
        "enterprise": factories.enterprise_user(target),
        "county": builders.staff(User.Role.COUNTY, "410184"),
        "county_handler": builders.designated(User.Role.COUNTY, "410184"),
        "other_county_handler": builders.designated(User.Role.COUNTY, "410122"),
        "city": builders.staff(User.Role.CITY, "410100"),
        "city_handler": builders.designated(User.Role.CITY, "410100"),
        "province": builders.staff(User.Role.PROVINCE, "410000"),
        "expert": factories.expert_user(),
        "admin": factories.admin_user(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        lists.list_publish(
            actor=users["province"], issuer=users["province"].region, tier="province"
        )
        with time_machine.travel(builders.DAY):
            notice = notices.notice_open(actor=users["city"])
            notices.objection_lodge(
                item=notice.items.get(),
                content="该企业存在超标排放，不应评为C级以上",
                name=OBJECTOR[0],
                contact=OBJECTOR[1],
            )
        report_lodge(
            kind="grade",
            content="该企业喷涂车间无组织排放严重，不应评为A级",
            enterprise_name=target.name,
            uscc=target.uscc,
            name=REPORTER[0],
            contact=REPORTER[1],
            files=[SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")],
        )
        # Every export each bureau may draw up for its own region.
        for key in ("county", "county_handler", "city", "city_handler", "province"):
            user = users[key]
            for kind, levels in LEVELS.items():
                if user.region.level in levels:
                    export_request(actor=user, kind=kind, region=user.region)
    return users


def walk(user, capture) -> dict[str, tuple[int, str]]:
    client = Client()
    client.force_login(user)

    def get(path):
        with capture(execute=True):
            response = client.get(path)
        if response.status_code == 202:
            with capture(execute=True):
                response = client.get(path)
        return response

    starts = [
        "/inbox/",
        "/publication/",
        "/publication/reports/",
        "/publication/notices/",
        "/publication/exports/",
        "/api/v1/",
        "/api/v1/publication/reports/",
        "/api/v1/publication/objections/",
        "/api/v1/publication/exports/",
        "/api/v1/publication/positive/",
        "/api/v1/publication/dashboard/",
        "/public/",
    ]
    if user.is_superuser:
        starts.append("/admin/")
    return crawl(get, starts, allow=("/",), skip=SKIP, limit=350)


def test_r_pub_2_only_the_designated_handlers_find_who_reported(
    world, django_capture_on_commit_callbacks
):
    found = {}
    with time_machine.travel(datetime.datetime(2026, 3, 3, 10)):
        for key, user in world.items():
            seen = walk(user, django_capture_on_commit_callbacks)
            errors = {p: s for p, (s, _t) in seen.items() if s >= 500}
            assert errors == {}, (key, errors)
            text = "\n".join(t for _s, t in seen.values())
            found[key] = {
                "reporter": [n for n in REPORTER if n in text],
                "objector": [n for n in OBJECTOR if n in text],
                "pages": len(seen),
                "downloads": sum(1 for p in seen if "download" in p or p.endswith("/pdf/")),
            }
    assert {k for k, v in found.items() if v["reporter"]} == {"county_handler"}
    assert found["county_handler"]["reporter"] == list(REPORTER)
    assert {k for k, v in found.items() if v["objector"]} == {"city_handler"}
    assert found["city_handler"]["objector"] == list(OBJECTOR)
    # The walks opened the bureaus' exports and the public downloads.
    for key in ("county", "city", "province"):
        assert found[key]["downloads"] >= 3, (key, found[key])
    for row in AuditEvent.objects.all():
        text = f"{row.summary}{row.reason}{row.data}"
        assert not any(n in text for n in REPORTER + OBJECTOR), row.code
    for note in Notification.objects.all():
        assert not any(n in note.message for n in REPORTER + OBJECTOR)
    assert Region.objects.filter(code="410184").exists()
