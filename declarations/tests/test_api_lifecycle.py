"""The declarations API from check to version: submit, withdraw, resubmit, the package PDF
(R-GRADE-3, R-DECL-6)."""

import pytest

from declarations.models import DeclarationVersion
from declarations.services import lifecycle
from declarations.tests.api_support import (
    BASE,
    decide,
    messages,
    submitted,
)
from tests.declaration_builders import complete, draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


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
