"""R-DECL-5, R-PUB-1: a walk of every public route — pages, API, downloads — with confidential
A-grade enterprises in the data finds them nowhere, and no contact data anywhere."""

import datetime
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import get_resolver

from declarations.services import drafting
from emergency_list.services.entries import entry_build, entry_update
from emergency_list.services.public_check import check_url
from grading.models import Enterprise, GradeRecord
from publication.services import lists, notices
from publication.tests import builders
from publication.tests.crawl import crawl, view_names
from tests import declaration_builders, factories

pytestmark = pytest.mark.django_db
IMPORT = GradeRecord.Source.IMPORT
#: Keys that would be internal ids in a public JSON answer.
INTERNAL_KEYS = {"id", "pk", "enterprise", "record", "item_id", "user"}


def public_route_names() -> set[str]:
    names = set()
    for namespace in ("public", "public-api"):
        resolver = get_resolver().namespace_dict[namespace][1]
        names |= {
            f"{namespace}:{p.name}" for p in resolver.url_patterns if getattr(p, "name", None)
        }
    return names


def internal_keys(value) -> set[str]:
    if isinstance(value, dict):
        found = INTERNAL_KEYS & set(value)
        for v in value.values():
            found |= internal_keys(v)
        return found
    if isinstance(value, list):
        return set().union(*(internal_keys(v) for v in value)) if value else set()
    return set()


@pytest.fixture
def data(province, zhengzhou, django_capture_on_commit_callbacks):
    """Visible and confidential enterprises, graded A and C, on published lists and notices."""
    visible_a = factories.enterprise(
        county="410184",
        name="新郑市公开甲包装有限公司",
        contact_person="刘联系",
        contact_mobile="13612345678",
    )
    secret_a = factories.enterprise(
        county="410184", name="新郑市保密军工配套有限公司", is_confidential=True
    )
    project_a = factories.enterprise(county="410122", name="中牟县涉密工程印务有限公司")
    user = factories.enterprise_user(project_a)
    declaration = declaration_builders.draft(user, grade="A")
    drafting.declaration_update(
        actor=user, declaration=declaration, data={"confidential_note": "外贸订单涉密"}
    )
    later_secret = factories.enterprise(county="410184", name="新郑市后定密彩印有限公司")
    visible_c = factories.enterprise(county="410184", name="新郑市公开丙印务有限公司")
    secret_c = factories.enterprise(
        county="410184", name="新郑市保密丁化工有限公司", is_confidential=True
    )
    for ent in (visible_a, secret_a, project_a, later_secret):
        builders.decided(ent, "A", source=IMPORT)
    for ent in (visible_c, secret_c):
        builders.decided(ent, "C", source=IMPORT)
    # Decided by the chain and noticed: one public, one confidential (never noticed).
    noticed_a = factories.enterprise(county="410184", name="新郑市公示戊包装有限公司")
    builders.decided(noticed_a, "B")
    builders.decided(factories.enterprise(county="410184", is_confidential=True), "B")
    with time_machine.travel(builders.DAY):
        notice = notices.notice_open(actor=province)
    with django_capture_on_commit_callbacks(execute=True):
        lists.list_publish(actor=province, issuer=province.region, tier="province")
        lists.list_publish(actor=zhengzhou, issuer=zhengzhou.region, tier="local")
    # A later change publishes version 2 of the province's list; version 1 stays readable.
    builders.decided(noticed_a, "A", on=builders.DAY, source=GradeRecord.Source.SPOT_CHECK)
    with django_capture_on_commit_callbacks(execute=True):
        lists.list_publish(actor=province, issuer=province.region, tier="province")
    # Published while visible, declared confidential afterwards.
    Enterprise.objects.filter(pk=later_secret.pk).update(is_confidential=True)
    secrets = [secret_a, project_a, later_secret, secret_c]
    needles = [e.name for e in secrets] + [e.uscc for e in secrets] + ["刘联系", "13612345678"]
    # The QR codes of signboards: a visible enterprise's board, current and outdated, and the
    # boards of confidential ones (which only say whether they are current).
    signboards = []
    for ent in (visible_a, secret_a, project_a):
        entry = entry_build(year=2026, enterprise=ent)
        signboards.append(check_url(entry, 1).split("testserver", 1)[-1])
    entry_update(actor=province, entry=visible_a.list_entries.get(), data={"note": "公开企业备注"})
    return {
        "notice": notice,
        "needles": needles,
        "visible": [visible_a, visible_c, noticed_a],
        "signboards": [urlsplit(u).path for u in signboards],
    }


def test_r_decl_5_every_public_route_leaves_confidential_enterprises_out(
    data, django_capture_on_commit_callbacks
):
    client = Client()

    def get(path):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(path)
        if response.status_code == 202:  # a download rendered now, without the withheld one
            with django_capture_on_commit_callbacks(execute=True):
                response = client.get(path)
        return response

    searches = []
    for needle in [*data["needles"], "新郑市", "涉密", "保密"]:
        searches += [f"/public/search/?q={needle}", f"/public/lists/410000/?q={needle}"]
        searches += [f"/api/v1/public/lists/410000/versions/latest/rows/?q={needle}"]
    filtered = [
        "/public/lists/410000/?grade=A&county=410184",
        "/public/lists/410100/?county=410184&grade=C",
        "/api/v1/public/lists/410100/versions/1/rows/?grade=C",
        "/api/v1/public/lists/410000/versions/1/rows/?city=410100&industry=N31",
        "/public/positive/?county=410184",
        "/api/v1/public/positive/?q=新郑市",
    ]
    with time_machine.travel(datetime.date(2026, 3, 3)):
        seen = crawl(
            get,
            ["/public/", "/api/v1/public/", *searches, *filtered, *data["signboards"]],
            allow=("/public/", "/api/v1/public/"),
        )
    post_only = {"public-api:objection-lodge", "public-api:report-lodge"}
    assert {
        p: s
        for p, (s, _t) in seen.items()
        if s not in (200, 302) and not (s == 405 and view_names([p]) <= post_only)
    } == {}
    # Every public route was walked but the pages shown after a form's POST.
    posted = {"public:objection-done", "public:report-lodged"}
    assert public_route_names() - posted <= view_names(seen)
    downloads = [p for p in seen if p.endswith(("/xlsx/", "/pdf/"))]
    assert len(downloads) == 6  # province v1, v2 and the city's v1, each Excel and PDF
    for path, (_status, text) in seen.items():
        for _key, echoed in parse_qsl(urlsplit(path).query):
            text = text.replace(echoed, "")  # a search box shows what was asked
        for needle in data["needles"]:
            assert needle not in text, f"{needle} on {path}"
        if path.startswith("/api/") and text:
            assert internal_keys(json.loads(text)) == set(), path
    everything = "".join(text for _s, text in seen.values())
    for ent in data["visible"]:
        assert ent.name in everything


def test_r_decl_5_a_confidential_item_cannot_be_reached_by_its_key(data):
    notice = data["notice"]
    secret = Enterprise.objects.get(name="新郑市保密军工配套有限公司")
    key = f"{secret.uscc}-N31"
    with time_machine.travel(datetime.date(2026, 3, 3)):
        page = Client().get(f"/public/notices/{notice.number}/objection/{key}/")
        api = Client().post(
            f"/api/v1/public/notices/{notice.number}/objections/",
            {"item": key, "content": "等级与实际情况不符，请核实处理"},
            content_type="application/json",
        )
    assert page.status_code == 404
    assert api.status_code == 404


def test_r_decl_5_a_report_about_a_confidential_enterprise_reveals_nothing(data):
    secret = Enterprise.objects.get(name="新郑市保密军工配套有限公司")
    client = Client()
    form = client.get(f"/public/report/?uscc={secret.uscc}").content.decode()
    assert secret.name not in form
    response = client.post(
        "/api/v1/public/reports/",
        {
            "enterprise_name": "某军工企业",
            "uscc": secret.uscc,
            "kind": "conduct",
            "content": "夜间偷排废气，治理设施未运行",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert set(response.json()) == {"receipt"}
