"""The declarations API while the enterprise prepares a declaration: create, edit, tables,
indicator rows and evidence (/api/v1/declarations/)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from declarations.models import Evidence
from declarations.tests.api_support import (
    BASE,
    client_for,
    evidence_files,
    messages,
)
from declarations.tests.helpers import events
from tests import factories
from tests.declaration_builders import draft, ensure_lines, pdf_bytes, pdf_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


# --- create, edit, tables ------------------------------------------------------------------


def test_create_then_patch_application_fields(api, enterprise):
    enterprise.legal_representative = "王建国"
    enterprise.save(update_fields=["legal_representative"])
    year = timezone.localdate().year
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
            "truth_commitment_on": timezone.localdate().isoformat(),
            "requested_grade": "A",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["responsible_person"] == "李红梅" and body["output_value"] == "5200.00"
    assert body["requested_grade"] == "A"
    assert body["truth_commitment_on"] == timezone.localdate().isoformat()

    listed = api.get(BASE).json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]
    assert api.get(BASE, {"status": "submitted"}).json()["count"] == 0


def test_create_refuses_bad_input_with_chinese_messages(api, enterprise, county_user):
    year = timezone.localdate().year
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
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
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


def test_tables_put_keeps_rows_unless_removed_and_confirms_an_empty_table(api, enterprise_user):
    declaration = draft(enterprise_user)
    url = f"{BASE}{declaration.pk}/tables/materials/"
    ink = {"kind": "raw", "name": "水性油墨", "annual_amount": "120", "unit": "吨"}
    glue = {**ink, "name": "无溶剂胶粘剂", "annual_amount": "30"}
    first = api.put(url, [ink], format="json").json()
    # Sending back what was read, plus a new row: the first row keeps its id.
    got = api.put(url, [*first, glue], format="json").json()
    assert [r["id"] for r in got][0] == first[0]["id"] and len(got) == 2
    # The same table again changes nothing and records nothing.
    assert api.put(url, got, format="json").json() == got
    assert len(events(declaration, "declaration.table_saved")) == 2
    # A saved row left out is refused, never removed.
    response = api.put(url, [got[0]], format="json")
    assert response.status_code == 400 and "未包含在本次保存中" in messages(response.json())
    # Removing is explicit; emptying the table is confirmed.
    response = api.put(url, [got[0], {"id": got[1]["id"], "remove": True}], format="json")
    assert [r["name"] for r in response.json()] == ["水性油墨"]
    response = api.put(url, [{"id": got[0]["id"], "remove": True}], format="json")
    assert response.status_code == 400
    assert "将没有任何行" in messages(response.json()["confirm_empty"])
    response = api.put(
        f"{url}?confirm_empty=true", [{"id": got[0]["id"], "remove": True}], format="json"
    )
    assert response.status_code == 200 and response.json() == []
    response = api.put(url, [{"remove": True}], format="json")
    assert response.status_code == 400 and "删除行须给出该行的 id" in messages(response.json())


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


def test_r_guar_2_a_guarantee_class_enterprise_may_declare_leading():
    enterprise = factories.enterprise(county="410184", industry="HN01")
    user = factories.enterprise_user(enterprise)
    response = client_for(user).post(
        BASE,
        {
            "industry": "HN01",
            "year": timezone.localdate().year,
            "control_type": "guarantee",
            "guarantee_category": "livelihood",
            "requested_grade": "LEAD",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


# --- a replacement stays where the file it replaces was -----------------------------------


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
