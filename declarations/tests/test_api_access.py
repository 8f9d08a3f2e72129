"""Who sees and changes what through the declarations API: another enterprise, another county
and the county of a draft get 404 on every endpoint; staff may read but not edit."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from declarations.models import Declaration
from declarations.tests.api_support import (
    BASE,
    client_for,
    submitted,
)
from tests import factories
from tests.declaration_builders import complete, draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


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
    year = timezone.localdate().year
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
