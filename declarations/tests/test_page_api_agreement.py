"""For every role, each declarations resource's page and its API give the same answer: both
served, both 404 (outside the viewer's reach, the same as missing), or both refused (403 on
the API, or 400 when the declaration's state forbids the change; 403 or a redirect with a
message on the page). Experts see no declaration here: an expert on a panel works from the
review pages."""

import pytest

from grading.tests.people import ROLES, api_outcome, make_people, page_outcome
from tests import declaration_builders as builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_eager")]

AGREEMENT_ROLES = [r for r in ROLES if r != "inactive"]
IN_REACH = {"county", "city", "province", "admin"}
EVERYONE = set(AGREEMENT_ROLES)
API = "/api/v1/declarations/"


@pytest.fixture
def people(enterprise, other_enterprise, enterprise_user):
    return {**make_people(enterprise, other_enterprise), "enterprise": enterprise_user}


@pytest.fixture
def draft(enterprise_user, submitted):
    return builders.draft(enterprise_user, grade="B", year=submitted.year + 1)


def expected(role: str, *, ok=(), refused=(), missing=()) -> str:
    """The first of ok, refused, missing whose roles include ``role``."""
    for outcome, roles in (("ok", ok), ("refused", refused), ("missing", missing)):
        if role in roles:
            return outcome
    raise AssertionError(role)


def check(role, pairs):
    for name, page, api, want in pairs:
        assert (page, api) == (want, want), (role, name)


@pytest.mark.parametrize("role", AGREEMENT_ROLES)
def test_declaration_pages_and_api_agree(people, submitted, draft, role):
    user = people[role]
    s, d = submitted.pk, draft.pk
    seen = expected(role, ok=IN_REACH | {"enterprise"}, missing=EVERYONE)
    own_draft = expected(role, ok={"enterprise"}, missing=EVERYONE)
    frozen = expected(role, refused=IN_REACH | {"enterprise"}, missing=EVERYONE)
    row = submitted.indicator_rows.first().pk
    check(
        role,
        [
            (
                "list",
                page_outcome(user, "/declarations/"),
                api_outcome(user, API),
                expected(role, ok=EVERYONE - {"expert"}, refused={"expert"}),
            ),
            (
                "submitted declaration",
                page_outcome(user, f"/declarations/{s}/"),
                api_outcome(user, f"{API}{s}/"),
                seen,
            ),
            (
                "draft",
                page_outcome(user, f"/declarations/{d}/"),
                api_outcome(user, f"{API}{d}/"),
                own_draft,
            ),
            (
                "editing a draft",
                page_outcome(user, f"/declarations/{d}/application/"),
                api_outcome(user, f"{API}{d}/", "patch"),
                own_draft,
            ),
            (
                "editing a submitted declaration",
                page_outcome(user, f"/declarations/{s}/application/"),
                api_outcome(user, f"{API}{s}/", "patch", refused=(403, 400)),
                frozen,
            ),
            (
                "a draft's table",
                page_outcome(user, f"/declarations/{d}/tables/materials/"),
                api_outcome(user, f"{API}{d}/tables/materials/", "put", []),
                own_draft,
            ),
            (
                "a submitted declaration's table",
                page_outcome(user, f"/declarations/{s}/tables/materials/"),
                api_outcome(user, f"{API}{s}/tables/materials/", "put", [], refused=(403, 400)),
                frozen,
            ),
            (
                "the comparison table",
                page_outcome(user, f"/declarations/{s}/indicators/"),
                api_outcome(user, f"{API}{s}/indicator-rows/"),
                seen,
            ),
            (
                "saving an indicator of a submitted declaration",
                page_outcome(user, f"/declarations/{s}/indicators/", "post", {"go": ""}),
                api_outcome(user, f"{API}{s}/indicator-rows/{row}/", "patch", refused=(403, 400)),
                frozen,
            ),
            (
                "evidence",
                page_outcome(
                    user, f"/declarations/evidence/{submitted.evidence.first().pk}/download/"
                ),
                api_outcome(user, f"{API}{s}/evidence/"),
                seen,
            ),
            (
                "a version",
                page_outcome(user, f"/declarations/{s}/versions/1/"),
                api_outcome(user, f"{API}{s}/versions/1/"),
                seen,
            ),
            (
                "its package",
                page_outcome(user, f"/declarations/{s}/versions/1/package/"),
                api_outcome(user, f"{API}{s}/versions/1/package/"),
                seen,
            ),
            (
                "a new declaration",
                page_outcome(user, "/declarations/new/"),
                api_outcome(user, API, "post", {}, ok=(400,)),
                expected(role, ok={"enterprise", "other enterprise"}, refused=EVERYONE),
            ),
            (
                "batches",
                page_outcome(user, "/declarations/batches/"),
                api_outcome(user, f"{API}batches/"),
                "ok",
            ),
            (
                "a new batch",
                page_outcome(user, "/declarations/batches/new/"),
                api_outcome(user, f"{API}batches/", "post", {}, ok=(400,)),
                expected(role, ok={"province", "admin"}, refused=EVERYONE),
            ),
        ],
    )


@pytest.mark.parametrize("role", [r for r in AGREEMENT_ROLES if r != "enterprise"])
def test_only_the_enterprise_withdraws_alike(people, submitted, role):
    user = people[role]
    s = submitted.pk
    check(
        role,
        [
            (
                "withdraw",
                page_outcome(user, f"/declarations/{s}/withdraw/", "post"),
                api_outcome(user, f"{API}{s}/withdraw/", "post"),
                expected(role, refused=IN_REACH, missing=EVERYONE),
            )
        ],
    )
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
