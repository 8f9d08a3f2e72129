"""For every role, each grading resource's page and its API give the same answer: both
served, both 404 (outside the viewer's reach, the same as missing), or both refused (403 on
the API, 403 or a redirect with a message on the page)."""

import pytest

from grading.tests.people import ROLES, api_outcome, make_people, page_outcome

pytestmark = pytest.mark.django_db

AGREEMENT_ROLES = [r for r in ROLES if r != "inactive"]
IN_REACH = {"county", "city", "province", "admin"}


@pytest.fixture
def people(enterprise, other_enterprise):
    return make_people(enterprise, other_enterprise)


def expected(role: str, *, ok=(), refused=(), missing=()) -> str:
    """The first of ok, refused, missing whose roles include ``role``."""
    for outcome, roles in (("ok", ok), ("refused", refused), ("missing", missing)):
        if role in roles:
            return outcome
    raise AssertionError(role)


@pytest.mark.parametrize("role", AGREEMENT_ROLES)
def test_enterprise_pages_and_api_agree(people, enterprise, role):
    user = people[role]
    pk = enterprise.pk
    both = [
        # The enterprise list (an enterprise user's page shows its own enterprise).
        (
            page_outcome(user, "/enterprises/"),
            api_outcome(user, "/api/v1/enterprises/"),
            expected(role, refused={"expert"}, ok=set(AGREEMENT_ROLES) - {"expert"}),
        ),
        # One enterprise, and its history.
        (
            page_outcome(user, f"/enterprises/{pk}/"),
            api_outcome(user, f"/api/v1/enterprises/{pk}/"),
            expected(role, ok=IN_REACH | {"enterprise"}, missing=set(AGREEMENT_ROLES)),
        ),
        (
            page_outcome(user, f"/enterprises/{pk}/"),
            api_outcome(user, f"/api/v1/enterprises/{pk}/history/"),
            expected(role, ok=IN_REACH | {"enterprise"}, missing=set(AGREEMENT_ROLES)),
        ),
        # Changing it: the edit page against a PATCH that changes nothing.
        (
            page_outcome(user, f"/enterprises/{pk}/edit/"),
            api_outcome(user, f"/api/v1/enterprises/{pk}/", "patch"),
            expected(role, ok=IN_REACH, refused={"enterprise"}, missing=set(AGREEMENT_ROLES)),
        ),
        # Registering one: the form page against a POST (refused, or a 400 for its body).
        (
            page_outcome(user, "/enterprises/new/"),
            api_outcome(user, "/api/v1/enterprises/", "post", {}, ok=(400,)),
            expected(
                role,
                ok=IN_REACH | {"other county", "other city"},
                refused={"enterprise", "other enterprise", "expert"},
            ),
        ),
        # Reference data for every signed-in user.
        (
            page_outcome(user, "/industries/"),
            api_outcome(user, "/api/v1/industries/"),
            "ok",
        ),
        (
            page_outcome(user, "/industries/N31/"),
            api_outcome(user, "/api/v1/industries/N31/"),
            "ok",
        ),
    ]
    for i, (page, api, want) in enumerate(both):
        assert (page, api) == (want, want), (role, i)
