"""The declarations API (/api/v1/declarations/): the enterprise's flow from draft to submitted
version, and who may see or change what."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from rest_framework.test import APIClient

from declarations.models import Declaration, DeclarationVersion, Evidence
from declarations.services import lifecycle
from tests import factories
from tests.declaration_builders import complete, draft, ensure_lines, pdf_bytes, pdf_upload

pytestmark = pytest.mark.django_db

BASE = "/api/v1/declarations/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager(settings):
    """The package PDF renders in-process when the submit transaction commits."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(enterprise_user):
    return client_for(enterprise_user)


def submitted(user, capture) -> Declaration:
    """A complete declaration of ``user``'s enterprise, submitted through the API."""
    declaration = complete(draft(user), user)
    with capture(execute=True):
        response = client_for(user).post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(pk=declaration.pk)


def decide(declaration: Declaration) -> None:
    """Stands in for the review chain's decision, which the review app owns."""
    with transaction.atomic():
        d = Declaration.objects.select_for_update().get(pk=declaration.pk)
        d.decide()
        d.save()


def messages(body) -> str:
    """All error texts of a 400/403 body, joined, for `in` assertions."""
    if isinstance(body, dict):
        return " ".join(messages(v) for v in body.values())
    if isinstance(body, list):
        return " ".join(messages(v) for v in body)
    return str(body)


def evidence_files(declaration_pk: int, settings) -> list:
    folder = settings.MEDIA_ROOT / "evidence" / str(declaration_pk)
    return sorted(folder.iterdir()) if folder.exists() else []


# --- create, edit, tables ------------------------------------------------------------------


def test_create_then_patch_application_fields(api, enterprise):
    enterprise.legal_representative = "王建国"
    enterprise.save(update_fields=["legal_representative"])
    year = datetime.date.today().year
    response = api.post(
        BASE,
        {"industry": "N31", "year": year, "control_type": "grading", "requested_grade": "B"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == f"SB{year}{body['id']:06d}"
    assert body["enterprise"] == enterprise.pk and body["enterprise_name"] == enterprise.name
    assert (body["industry"], body["requested_grade"], body["status"]) == ("N31", "B", "draft")
    assert body["indicator_set"] == {"guideline_version": "2021-supp", "scheme": "ABCD"}
    assert body["batch"] is None and body["current_version"] == 0
    assert body["submitted_at"] is None

    url = f"{BASE}{body['id']}/"
    response = api.patch(
        url,
        {
            "address": "新郑市薛店镇华豫路8号",
            "responsible_person": "李红梅",
            "responsible_mobile": "13803710001",
            "output_value": "5200",
            "truth_commitment_by": "王建国",
            "truth_commitment_on": datetime.date.today().isoformat(),
            "requested_grade": "A",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["responsible_person"] == "李红梅" and body["output_value"] == "5200.00"
    assert body["requested_grade"] == "A"
    assert body["truth_commitment_on"] == datetime.date.today().isoformat()

    listed = api.get(BASE).json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]
    assert api.get(BASE, {"status": "submitted"}).json()["count"] == 0


def test_create_refuses_bad_input_with_chinese_messages(api, enterprise, county_user):
    year = datetime.date.today().year
    good = {"industry": "N31", "year": year, "control_type": "grading", "requested_grade": "B"}
    response = api.post(BASE, {**good, "industry": "N15"}, format="json")
    assert response.status_code == 400
    assert "请先在企业信息中登记该行业" in messages(response.json()["industry"])
    response = api.post(BASE, {**good, "year": year - 1}, format="json")
    assert response.status_code == 400 and "只能申报本年度或下一年度" in messages(response.json())
    response = api.post(BASE, {**good, "requested_grade": "LEAD"}, format="json")
    assert response.status_code == 400 and "requested_grade" in response.json()
    response = api.post(BASE, {**good, "requested_grade": "XX"}, format="json")
    assert response.status_code == 400 and "等级代码“XX”不存在" in messages(response.json())
    assert api.post(BASE, good, format="json").status_code == 201
    response = api.post(BASE, good, format="json")
    assert response.status_code == 400 and "已有申报" in messages(response.json())

    response = client_for(county_user).post(BASE, good, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "只有企业账户可以新建申报"


def test_patch_refuses_unknown_and_non_editable_fields(api, enterprise_user):
    declaration = draft(enterprise_user)
    url = f"{BASE}{declaration.pk}/"
    response = api.patch(url, {"status": "decided", "address": "某地"}, format="json")
    assert response.status_code == 400
    assert "不能修改的字段：status" in messages(response.json())
    response = api.patch(url, {"responsible_mobile": "12345"}, format="json")
    assert response.status_code == 400 and "responsible_mobile" in response.json()
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    response = api.patch(url, {"truth_commitment_on": tomorrow.isoformat()}, format="json")
    assert response.status_code == 400
    assert "承诺日期不能晚于今天" in messages(response.json()["truth_commitment_on"])
    declaration.refresh_from_db()
    assert declaration.status == "draft" and declaration.address != "某地"
    assert declaration.truth_commitment_on is None


def test_tables_put_and_get(api, enterprise_user, enterprise):
    declaration = draft(enterprise_user)
    process = ensure_lines(enterprise)
    url = f"{BASE}{declaration.pk}/tables/"
    products = [
        {
            "line": process.line_id,
            "product": "软包装",
            "capacity": "3000",
            "last_year_output": "2600",
            "unit": "吨",
        }
    ]
    response = api.put(f"{url}products/", products, format="json")
    assert response.status_code == 200, response.json()
    got = api.get(f"{url}products/").json()
    assert len(got) == 1 and got[0]["line"] == process.line_id
    assert got[0]["line_name"] == "1号印刷线" and got[0]["capacity"] == "3000.00"
    # What was read can be sent back as it is (read-only fields are ignored).
    assert api.put(f"{url}products/", got, format="json").status_code == 200

    facilities = [
        {
            "kind": "vocs",
            "seq": 1,
            "process": process.pk,
            "technique": "沸石转轮+RTO",
            "commissioned_on": "2023-05-01",
            "running_status": "正常",
            "removal_efficiency": "95",
            "concentration": "18.5",
            "airflow": "40000",
        }
    ]
    response = api.put(f"{url}facilities/", facilities, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()[0]["process_name"] == "凹版印刷"

    vehicle = {
        "plate": "豫A12345",
        "vin": "LFV2A21K6D3012345",
        "engine_number": "E1",
        "emission_stage": "6",
    }
    response = api.put(f"{url}vehicles/", [vehicle, vehicle], format="json")
    assert response.status_code == 400
    assert "车辆识别代号（VIN）重复" in messages(response.json())
    assert api.get(f"{url}vehicles/").json() == []
    assert api.get(f"{url}unknown/").status_code == 404


def test_tables_refuse_another_enterprises_line_and_process(api, enterprise_user, other_enterprise):
    declaration = draft(enterprise_user)
    foreign = ensure_lines(other_enterprise)
    url = f"{BASE}{declaration.pk}/tables/"
    response = api.put(
        f"{url}products/",
        [
            {
                "line": foreign.line_id,
                "product": "水泥",
                "capacity": "1",
                "last_year_output": "1",
                "unit": "吨",
            }
        ],
        format="json",
    )
    assert response.status_code == 400 and "生产线不属于本企业" in messages(response.json())
    response = api.put(
        f"{url}facilities/",
        [
            {
                "kind": "dust",
                "seq": 1,
                "process": foreign.pk,
                "technique": "布袋除尘",
                "commissioned_on": "2023-05-01",
                "running_status": "正常",
                "removal_efficiency": "99",
                "concentration": "5",
                "airflow": "1000",
            }
        ],
        format="json",
    )
    assert response.status_code == 400
    assert "产污环节不是本企业登记的工序" in messages(response.json())
    response = api.put(f"{url}materials/", [{"kind": "raw", "colour": "红"}], format="json")
    assert response.status_code == 400 and "colour" in messages(response.json())
    assert not declaration.products.exists() and not declaration.facilities.exists()


# --- indicator rows and evidence -----------------------------------------------------------


def test_indicator_rows_list_and_patch(api, enterprise_user):
    declaration = draft(enterprise_user)
    rows = api.get(f"{BASE}{declaration.pk}/indicator-rows/").json()
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) == 7
    first = rows[0]
    assert first["category"] == "raw_materials" and first["category_name"]
    assert first["applicable"] is True and first["meets"] is None and first["evidence"] == []

    url = f"{BASE}{declaration.pk}/indicator-rows/{first['id']}/"
    response = api.patch(url, {"statement": "水性油墨比例65%", "meets": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["statement"] == "水性油墨比例65%" and response.json()["meets"] is True
    # Fields left out keep their value.
    response = api.patch(url, {"remark": "见附件"}, format="json")
    assert response.json()["statement"] == "水性油墨比例65%" and response.json()["meets"] is True

    response = api.patch(url, {"applicable": False}, format="json")
    assert response.status_code == 400
    assert "标为不涉及时请说明理由" in messages(response.json()["not_applicable_reason"])
    response = api.patch(
        url, {"applicable": False, "not_applicable_reason": "无凹版印刷"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["meets"] is None

    other = draft(factories.enterprise_user(factories.enterprise(county="410184")))
    foreign_row = other.indicator_rows.first()
    response = api.patch(
        f"{BASE}{declaration.pk}/indicator-rows/{foreign_row.pk}/", {"remark": "x"}, format="json"
    )
    assert response.status_code == 404


def test_evidence_upload_list_and_replace(api, enterprise_user, settings):
    declaration = draft(enterprise_user)
    row = declaration.indicator_rows.order_by("seq").first()
    url = f"{BASE}{declaration.pk}/evidence/"
    response = api.post(
        url,
        {"file": pdf_upload("油墨检测报告.pdf"), "title": "油墨检测报告", "indicator_row": row.pk},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    first = response.json()
    assert first["section"] == "indicator" and first["indicator_row"] == row.pk
    assert first["kind"] == "pdf" and first["original_name"] == "油墨检测报告.pdf"
    assert len(first["sha256"]) == 64 and first["size"] > 0 and first["replaced_by"] is None
    assert first["download_url"] == f"/declarations/evidence/{first['id']}/download/"

    response = api.post(
        url,
        {"file": pdf_upload("新报告.pdf"), "title": "新报告", "replaces": first["id"]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    second = response.json()
    assert second["indicator_row"] == row.pk  # the replacement keeps the row

    listed = {e["id"]: e for e in api.get(url).json()}
    assert listed[first["id"]]["replaced_by"] == second["id"]
    assert listed[second["id"]]["replaced_by"] is None
    rows = api.get(f"{BASE}{declaration.pk}/indicator-rows/").json()
    assert next(r for r in rows if r["id"] == row.pk)["evidence"] == [second["id"]]

    response = api.post(
        url, {"file": pdf_upload(), "title": "x", "replaces": first["id"]}, format="multipart"
    )
    assert response.status_code == 400
    assert "只能替换本申报当前有效的材料" in messages(response.json())
    assert len(evidence_files(declaration.pk, settings)) == 2


def test_evidence_upload_refuses_an_executable_named_pdf(api, enterprise_user, settings):
    declaration = draft(enterprise_user)
    fake = SimpleUploadedFile("x.pdf", b"MZ" + b"\x90" * 512, content_type="application/pdf")
    response = api.post(
        f"{BASE}{declaration.pk}/evidence/",
        {"file": fake, "title": "伪装文件", "section": "basic"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "文件内容与扩展名不符：该文件实为可执行程序，已拒绝" in messages(response.json())
    assert not Evidence.objects.filter(declaration=declaration).exists()
    assert evidence_files(declaration.pk, settings) == []


def test_evidence_upload_needs_a_section_and_a_row_of_this_declaration(api, enterprise_user):
    declaration = draft(enterprise_user)
    other = draft(factories.enterprise_user(factories.enterprise(county="410184")))
    url = f"{BASE}{declaration.pk}/evidence/"
    response = api.post(url, {"file": pdf_upload(), "title": "x"}, format="multipart")
    assert response.status_code == 400 and "请选择材料所属部分" in messages(response.json())
    response = api.post(
        url,
        {"file": pdf_upload(), "indicator_row": other.indicator_rows.first().pk},
        format="multipart",
    )
    assert response.status_code == 400 and "指标不属于本申报" in messages(response.json())
    assert not Evidence.objects.exists()


# --- check, submit, withdraw ---------------------------------------------------------------


def test_check_lists_issues_and_submit_is_refused_with_named_rules(api, enterprise_user):
    declaration = draft(enterprise_user)
    body = api.get(f"{BASE}{declaration.pk}/check/").json()
    assert body["ok"] is False and body["issues"]
    assert {"rule", "section", "message", "row"} <= set(body["issues"][0])
    assert {"R-DECL-2", "R-DECL-3", "R-DECL-4"} <= {i["rule"] for i in body["issues"]}

    response = api.post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 400
    refused = response.json()
    assert refused["detail"] == "申报未通过提交前检查"
    assert all(i["rule"].startswith("R-") for i in refused["issues"])
    assert any(
        i["rule"] == "R-DECL-3" and "缺少证明材料" in i["message"] for i in refused["issues"]
    )
    declaration.refresh_from_db()
    assert declaration.status == "draft" and declaration.current_version == 0
    assert not declaration.versions.exists()


def test_r_grade_3_an_unmet_indicator_refuses_submit(api, enterprise_user):
    declaration = complete(draft(enterprise_user), enterprise_user)
    row = declaration.indicator_rows.order_by("seq").first()
    api.patch(f"{BASE}{declaration.pk}/indicator-rows/{row.pk}/", {"meets": False}, format="json")
    response = api.post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 400
    assert [i["rule"] for i in response.json()["issues"]] == ["R-GRADE-3"]


def test_submit_withdraw_and_resubmit(
    api, enterprise_user, eager, django_capture_on_commit_callbacks
):
    declaration = complete(draft(enterprise_user), enterprise_user)
    assert api.get(f"{BASE}{declaration.pk}/check/").json() == {"ok": True, "issues": []}

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 201, response.json()
    version = response.json()
    assert version["number"] == 1 and version["submitted_at"]
    assert version["package_status"] == "pending"

    body = api.get(f"{BASE}{declaration.pk}/").json()
    assert body["status"] == "submitted" and body["current_version"] == 1
    assert body["submitted_at"]

    response = api.post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 400
    assert "申报当前状态为“已提交”，不能提交" in messages(response.json())
    response = api.patch(f"{BASE}{declaration.pk}/", {"park": "某园区"}, format="json")
    assert response.status_code == 400 and "不能修改" in messages(response.json())

    response = api.post(f"{BASE}{declaration.pk}/withdraw/", {"reason": "补充材料"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "draft"
    response = api.post(f"{BASE}{declaration.pk}/withdraw/", format="json")
    assert response.status_code == 400 and "不能撤回" in messages(response.json())

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == 2
    assert api.get(f"{BASE}{declaration.pk}/").json()["status"] == "submitted"
    versions = api.get(f"{BASE}{declaration.pk}/versions/").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert {"submitted_at", "rectification", "package_status", "package_progress"} <= set(
        versions[0]
    )


def test_versions_snapshot_and_package(
    api, enterprise_user, eager, django_capture_on_commit_callbacks
):
    declaration = submitted(enterprise_user, django_capture_on_commit_callbacks)
    url = f"{BASE}{declaration.pk}/versions/1/"
    body = api.get(url).json()
    assert body["number"] == 1
    assert body["snapshot"]["declaration"]["number"] == declaration.number
    assert body["snapshot"]["indicator_set"]["scheme"] == "ABCD"

    package = api.get(f"{url}package/").json()
    assert package["status"] == "ready" and package["progress"] == 100
    assert len(package["sha256"]) == 64
    assert package["download_url"] == f"/declarations/{declaration.pk}/versions/1/package.pdf"

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{url}package/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending" and response.json()["download_url"] is None
    assert api.get(f"{url}package/").json()["status"] == "ready"
    assert api.get(f"{BASE}{declaration.pk}/versions/9/").status_code == 404


def test_package_request_is_refused_while_queued(api, enterprise_user):
    declaration = complete(draft(enterprise_user), enterprise_user)
    # Without the commit hook the render stays queued ("pending").
    assert api.post(f"{BASE}{declaration.pk}/submit/", format="json").status_code == 201
    version = DeclarationVersion.objects.get(declaration=declaration, number=1)
    assert version.package_status == "pending"
    url = f"{BASE}{declaration.pk}/versions/1/package/"
    assert api.get(url).json() == {
        "status": "pending",
        "status_display": "排队中",
        "progress": 0,
        "sha256": "",
        "error": "",
        "download_url": None,
    }
    response = api.post(url)
    assert response.status_code == 400 and "正在生成" in messages(response.json())


def test_a_decided_declaration_cannot_be_resubmitted_or_withdrawn(
    api, enterprise_user, county_user, eager, django_capture_on_commit_callbacks
):
    declaration = submitted(enterprise_user, django_capture_on_commit_callbacks)
    lifecycle.declaration_start_review(actor=county_user, declaration=declaration)
    decide(declaration)
    response = api.post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 400
    assert "申报当前状态为“已认定”，不能提交" in messages(response.json())
    response = api.post(f"{BASE}{declaration.pk}/withdraw/", format="json")
    assert response.status_code == 400 and "不能撤回" in messages(response.json())
    declaration.refresh_from_db()
    assert declaration.status == "decided" and declaration.current_version == 1


# --- who sees what -------------------------------------------------------------------------


def detail_requests(pk: int, row_pk: int, evidence_pk: int) -> list[tuple[str, str, dict]]:
    """Every endpoint under one declaration, with a plausible body."""
    d = f"{BASE}{pk}/"
    return [
        ("get", d, {}),
        ("patch", d, {"park": "某园区"}),
        ("get", f"{d}check/", {}),
        ("post", f"{d}submit/", {}),
        ("post", f"{d}withdraw/", {}),
        ("get", f"{d}tables/materials/", {}),
        ("put", f"{d}tables/materials/", []),
        ("get", f"{d}indicator-rows/", {}),
        ("patch", f"{d}indicator-rows/{row_pk}/", {"remark": "x"}),
        ("get", f"{d}evidence/", {}),
        ("post", f"{d}evidence/", {"replaces": evidence_pk}),
        ("get", f"{d}versions/", {}),
        ("get", f"{d}versions/1/", {}),
        ("get", f"{d}versions/1/package/", {}),
        ("post", f"{d}versions/1/package/", {}),
    ]


def assert_all_404(client, declaration: Declaration) -> None:
    row = declaration.indicator_rows.first()
    evidence = declaration.evidence.first()
    for method, url, data in detail_requests(declaration.pk, row.pk, evidence.pk):
        fmt = "multipart" if url.endswith("evidence/") and method == "post" else "json"
        response = getattr(client, method)(url, data, format=fmt)
        assert response.status_code == 404, (method, url, response.status_code)


def test_another_enterprise_gets_404_everywhere(
    enterprise_user, other_enterprise, eager, django_capture_on_commit_callbacks
):
    declaration = submitted(enterprise_user, django_capture_on_commit_callbacks)
    stranger = client_for(factories.enterprise_user(other_enterprise))
    assert stranger.get(BASE).json()["count"] == 0
    assert_all_404(stranger, declaration)
    # A draft of the enterprise is just as invisible.
    declaration = complete(
        draft(enterprise_user, industry="N31", year=declaration.year + 1), enterprise_user
    )
    assert_all_404(stranger, declaration)


def test_a_county_of_another_jurisdiction_gets_404_everywhere(
    enterprise_user, other_county_user, eager, django_capture_on_commit_callbacks
):
    declaration = submitted(enterprise_user, django_capture_on_commit_callbacks)
    client = client_for(other_county_user)
    assert client.get(BASE).json()["count"] == 0
    assert_all_404(client, declaration)


def test_the_county_sees_submitted_declarations_but_not_drafts_and_cannot_edit(
    enterprise_user, county_user, eager, django_capture_on_commit_callbacks
):
    year = datetime.date.today().year
    drafted = complete(draft(enterprise_user, year=year + 1), enterprise_user)
    client = client_for(county_user)
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}{drafted.pk}/").status_code == 404
    assert_all_404(client, drafted)

    declaration = submitted(enterprise_user, django_capture_on_commit_callbacks)
    listed = client.get(BASE).json()
    assert [d["id"] for d in listed["results"]] == [declaration.pk]
    body = client.get(f"{BASE}{declaration.pk}/").json()
    assert body["status"] == "submitted" and body["enterprise"] == declaration.enterprise_id
    assert client.get(f"{BASE}{declaration.pk}/evidence/").status_code == 200
    assert client.get(f"{BASE}{declaration.pk}/versions/1/").status_code == 200

    response = client.patch(f"{BASE}{declaration.pk}/", {"park": "某园区"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "只有企业本身的账户可以填报本企业的申报"
    response = client.post(f"{BASE}{declaration.pk}/withdraw/", format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "只有企业本身的账户可以填报本企业的申报"
    declaration.refresh_from_db()
    assert declaration.status == "submitted" and declaration.park != "某园区"

    # After a withdrawal the declaration is a draft again, out of the county's sight.
    client_for(enterprise_user).post(f"{BASE}{declaration.pk}/withdraw/", format="json")
    assert client.get(f"{BASE}{declaration.pk}/").status_code == 404


def test_anonymous_requests_are_refused(enterprise_user):
    declaration = draft(enterprise_user)
    # Token authentication comes first: no credentials is 401 with how to authenticate.
    assert APIClient().get(BASE).status_code == 401
    assert APIClient().get(f"{BASE}{declaration.pk}/").status_code == 401


# --- rules met on the way ------------------------------------------------------------------


def test_replacing_a_file_does_not_count_the_replaced_file_against_the_total(
    api, enterprise_user, settings
):
    size = len(pdf_bytes())
    settings.GRADING = {**settings.GRADING, "EVIDENCE_MAX_TOTAL_MB": size * 1.5 / 1048576}
    declaration = draft(enterprise_user)
    url = f"{BASE}{declaration.pk}/evidence/"
    first = api.post(url, {"file": pdf_upload(), "section": "basic"}, format="multipart")
    assert first.status_code == 201
    response = api.post(url, {"file": pdf_upload(), "section": "basic"}, format="multipart")
    assert response.status_code == 400 and "总量不能超过" in messages(response.json())
    response = api.post(
        url, {"file": pdf_upload(), "replaces": first.json()["id"]}, format="multipart"
    )
    assert response.status_code == 201, response.json()


def test_r_decl_6_each_return_needs_its_own_rectification(
    api, enterprise_user, county_user, eager, django_capture_on_commit_callbacks
):
    declaration = submitted(enterprise_user, django_capture_on_commit_callbacks)
    url = f"{BASE}{declaration.pk}/submit/"
    lifecycle.declaration_start_review(actor=county_user, declaration=declaration)
    lifecycle.declaration_return(actor=county_user, declaration=declaration, reason="补充监测报告")
    response = api.post(url, format="json")
    assert response.status_code == 400
    assert [i["rule"] for i in response.json()["issues"]] == ["R-DECL-6"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, {"rectification": "已补充监测报告"}, format="json")
    assert response.status_code == 201 and response.json()["number"] == 2

    lifecycle.declaration_start_review(actor=county_user, declaration=declaration)
    lifecycle.declaration_return(actor=county_user, declaration=declaration, reason="补充台账")
    response = api.post(url, format="json")
    assert response.status_code == 400, "第二次退回后不得沿用第一次的整改情况"
    assert [i["rule"] for i in response.json()["issues"]] == ["R-DECL-6"]


def test_r_guar_2_a_guarantee_class_enterprise_may_declare_leading():
    enterprise = factories.enterprise(county="410184", industry="HN01")
    user = factories.enterprise_user(enterprise)
    response = client_for(user).post(
        BASE,
        {
            "industry": "HN01",
            "year": datetime.date.today().year,
            "control_type": "guarantee",
            "guarantee_category": "livelihood",
            "requested_grade": "LEAD",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


# --- a service bug found while building the API: the correct behaviour, marked until fixed --


def test_a_replacement_of_indicator_evidence_stays_in_the_indicator_section(api, enterprise_user):
    declaration = draft(enterprise_user)
    row = declaration.indicator_rows.first()
    url = f"{BASE}{declaration.pk}/evidence/"
    first = api.post(
        url,
        {"file": pdf_upload(), "title": "检测报告", "indicator_row": row.pk},
        format="multipart",
    ).json()
    response = api.post(
        url,
        {"file": pdf_upload(), "title": "新检测报告", "section": "basic", "replaces": first["id"]},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["indicator_row"] == row.pk
    assert response.json()["section"] == "indicator"
