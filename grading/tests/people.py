"""One user of every role around an enterprise of 新郑市 (郑州市), for permission tests:
its own account, another enterprise's, the county, another county of the same city, the city,
another city, the province, an expert, the administrator and an inactive county account."""

from django.contrib.messages import get_messages
from django.test import Client
from rest_framework.test import APIClient

from grading.models import Enterprise, User
from tests import factories

ROLES = [
    "enterprise",
    "other enterprise",
    "county",
    "other county",
    "city",
    "other city",
    "province",
    "expert",
    "admin",
    "inactive",
]


def make_people(enterprise: Enterprise, other_enterprise: Enterprise) -> dict[str, User]:
    """``enterprise`` is of 新郑市 (410184); ``other_enterprise`` of another county."""
    inactive = factories.staff_user(User.Role.COUNTY, "410184")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    return {
        "enterprise": factories.enterprise_user(enterprise),
        "other enterprise": factories.enterprise_user(other_enterprise),
        "county": factories.staff_user(User.Role.COUNTY, "410184"),
        "other county": factories.staff_user(User.Role.COUNTY, "410122"),
        "city": factories.staff_user(User.Role.CITY, "410100"),
        "other city": factories.staff_user(User.Role.CITY, "410300"),
        "province": factories.staff_user(User.Role.PROVINCE, "410000"),
        "expert": factories.expert_user(),
        "admin": factories.admin_user(),
        "inactive": inactive,
    }


def page_outcome(user: User, url: str, method: str = "get", data=None) -> str:
    """How a page answers: ``ok``, ``missing`` (404), or ``refused`` (403, or a redirect that
    carries an error message)."""
    client = Client()
    client.force_login(user)
    response = getattr(client, method)(url, data or {})
    if response.status_code == 404:
        return "missing"
    if response.status_code == 403:
        return "refused"
    if response.status_code == 302:
        errors = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
        return "refused" if errors else "ok"
    assert response.status_code == 200, (url, response.status_code)
    return "ok"


def api_outcome(
    user: User, url: str, method: str = "get", data=None, *, refused=(403,), ok=()
) -> str:
    """How the API answers: ``ok`` (2xx, or a code in ``ok`` such as the 400 an empty body
    gets from a create the user may make), ``missing`` (404) or ``refused`` (403, or a code in
    ``refused`` such as the 400 for a state that forbids the change)."""
    client = APIClient()
    client.force_authenticate(user)
    response = getattr(client, method)(url, data if data is not None else {}, format="json")
    if response.status_code == 404:
        return "missing"
    if response.status_code in refused:
        return "refused"
    assert response.status_code < 300 or response.status_code in ok, (
        url,
        response.status_code,
        response.content[:300],
    )
    return "ok"
