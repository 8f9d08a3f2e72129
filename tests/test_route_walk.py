"""Every route of the URL configuration (pages and API, so a new route is walked without being
listed), requested as every role with an object of the user's own county, an object of
another city, a missing id and malformed parameters (issue 10 item 8, issue 11 "done when").

It asserts that nothing answers a server error, that an object of another city answers
exactly as a missing one (existence cannot be probed), that the other city's enterprise
never appears in what a county, city or enterprise user of 郑州 is served, and that no page
shows a rule code or a grade by its internal code (issue 10 item 7)."""

import re
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from declarations.models import Evidence
from emergency_list.models import ExcelJob
from grading.models import EnterpriseRegistration, Industry, Region, User
from grading.services.accounts import registration_submit, user_create
from publication.models import ExportFile
from review.tests import builders as review_builders
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
MISSING = 987654321
#: Query parameters every route is also asked with: none of them may cause a server error.
MALFORMED_QUERY = (
    "?year=abc&page=abc&page_size=abc&county=abc&region=abc&status=zzz&grade=zz"
    "&industry=zz&search=a%27b%22&level=zz&month=abc&since=abc&until=abc&kind=zz"
    "&tier=zz&item=abc&number=abc&ordering=zz&limit=abc&offset=abc&expert=abc"
)
#: A malformed form or JSON body for the POST pass.
MALFORMED_BODY = {
    "year": "abc",
    "item": "abc",
    "measure": "abc",
    "ratio_pct": "",
    "grade": "zz",
    "decision": "zz",
    "region": "abc",
    "month": "abc",
    "page": "abc",
    "expert": "abc",
    "experts": "abc",
}

#: Which object of a side a route's first id names, by the route's name (longest prefix wins).
OBJECT_OF_ROUTE = {
    "registration-": "registration",
    "enterprise-": "enterprise",
    "violation-": "enterprise",
    "declarations:evidence-download": "evidence",
    "declarations:batch-edit": None,
    "declarations:": "declaration",
    "review:open": "declaration",
    "review:case": "case",
    "emergency_list:entry": "entry",
    "emergency_list:documents": "entry",
    "emergency_list:document": "entry",
    "emergency_list:job": "job",
    "publication:export-download": "export",
    "api:enterprise-": "enterprise",
    "api:declaration-batch-update": None,
    "api:declaration-": "declaration",
    "api:list-entry-": "entry",
    "api:list-excel-job-": "job",
    "api:review-case-": "case",
    "publication-api:export-": "export",
}
#: Reference data every signed-in user reads, whatever the county: no foreign object.
SHARED_VALUES = {
    "industry-detail": "N31",
    "api:industry-": "N31",
    "api:region-detail": "410184",
}
#: Values of second ids (``<number>``, ``<kind>``) that exist for the side's object.
SECOND_VALUES = {
    "number": 1,
    "kind": "plan",
    "index": 0,
    "step": "production",
    "table": "products",
    "fmt": "xlsx",
    "key": "x",
}


@dataclass
class Side:
    county: str
    city: str
    objects: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def _build_side(county: str, city: str) -> Side:
    side = Side(county, city)
    ent = factories.enterprise(county=county, industry="N31")
    ent_user = factories.enterprise_user(ent)
    county_user = factories.staff_user(User.Role.COUNTY, county)
    city_user = factories.staff_user(User.Role.CITY, city)
    declaration = review_builders.submitted(ent_user)
    case = review_builders.open_case(county_user, declaration)
    listed = factories.enterprise(
        county=county,
        industry="N15",
        emissions=[{"so2_tpa": 30, "nox_tpa": 60, "pm_tpa": 15, "vocs_tpa": 9}],
    )
    ensure_lines(listed)
    from emergency_list.services.entries import entry_build

    entry = entry_build(year=YEAR, enterprise=listed)
    region = Region.objects.get(code=county)
    side.objects = {
        "enterprise": ent,
        "declaration": declaration,
        "case": case,
        "evidence": Evidence.objects.filter(declaration=declaration).first(),
        "entry": entry,
        "job": ExcelJob.objects.create(
            kind=ExcelJob.Kind.EXPORT, region=region, year=YEAR, requested_by=county_user
        ),
        "export": ExportFile.objects.create(
            kind=ExportFile.Kind.POSITIVE, region=region, year=YEAR, requested_by=county_user
        ),
        "registration": registration_submit(
            username=f"reg{county}",
            password=factories.PASSWORD,
            uscc=factories.valid_uscc(county),
            enterprise_name=f"注册企业{county}",
            county=region,
            industry=Industry.objects.get(code="N31"),
            contact_person="联系人",
            contact_mobile="13800000000",
        ),
    }
    assert isinstance(side.objects["registration"], EnterpriseRegistration)
    side.users = {"enterprise": ent_user, "county": county_user, "city": city_user}
    return side


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    home = _build_side("410184", "410100")
    foreign = _build_side("410311", "410300")
    return home, foreign


def _role_user(role: str, home: Side) -> User | None:
    if role in home.users:
        return home.users[role]
    if role == "province":
        return factories.staff_user(User.Role.PROVINCE, "410000")
    if role == "expert":
        return factories.expert_user()
    if role == "admin":
        return factories.admin_user()
    if role in ("auditor", "security"):
        return user_create(
            actor=None, username=f"{role}-walk", password=factories.PASSWORD, role=role
        )
    return None  # anonymous


def routes(patterns=None, prefix: str = "") -> list[tuple[str, list[str]]]:
    """(name, id names) of every named route but the admin site's and format suffixes."""
    found = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if p.app_name == "admin" or p.namespace == "admin":
                continue
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            found += routes(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            kwargs = list(p.pattern.regex.groupindex)
            if "format" in kwargs:
                continue
            found.append((f"{prefix}{p.name}", kwargs))
    return sorted(set((n, tuple(k)) for n, k in found), key=lambda r: r[0])


ROUTES = routes()


def _lookup(table: dict, name: str):
    keys = [k for k in table if name.startswith(k)]
    return table[max(keys, key=len)] if keys else "unknown"


def _reverse(name: str, kwargs: dict) -> str | None:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        try:
            return reverse(name, kwargs={k: str(v) for k, v in kwargs.items()})
        except NoReverseMatch:
            return None


def _urls(name: str, kwarg_names: tuple, home: Side, foreign: Side) -> dict[str, str | None]:
    """The route's URL for each variant: valid (home object), foreign, missing, malformed."""
    if not kwarg_names:
        return {"plain": reverse(name), "malformed": reverse(name) + MALFORMED_QUERY}
    first, rest = kwarg_names[0], kwarg_names[1:]
    second = {k: SECOND_VALUES.get(k, 1) for k in rest}
    shared = _lookup(SHARED_VALUES, name)
    which = _lookup(OBJECT_OF_ROUTE, name)
    out: dict[str, str | None] = {
        "missing": _reverse(name, {first: MISSING, **second})
        or _reverse(name, {first: "999999", **second}),
        "malformed_id": _reverse(name, {first: "abc'x", **second}),
    }
    if shared != "unknown":
        out["valid"] = _reverse(name, {first: shared, **second})
    elif which not in ("unknown", None) and home.objects.get(which) is not None:
        out["valid"] = _reverse(name, {first: home.objects[which].pk, **second})
        out["foreign"] = _reverse(name, {first: foreign.objects[which].pk, **second})
    if out.get("valid"):
        out["malformed"] = out["valid"] + MALFORMED_QUERY
    return out


#: A code of RULES.md: it belongs to code, docstrings, audit data and the API's ``rule`` key.
RULE_CODE = re.compile(r"R-[A-Z]+-\d+")
#: A grade shown by its code in a grade cell (a table cell, a grade badge) instead of its name.
BARE_GRADE_CELL = re.compile(
    r"<(td|dd|span)(?: class=\"[^\"]*grade[^\"]*\")?>\s*(A\+|A|B-|B|C|D|LEAD|NONLEAD|ADV|NONADV)"
    r"\s*</\1>"
)
#: Grade codes that are never a name, anywhere in the text users read.
INTERNAL_GRADE = re.compile(r"\b(NONADV|NONLEAD|ADV|LEAD)\b")


def internal_codes_shown(response) -> list[str]:
    """Rule codes and internal grade codes in an HTML page's text (API JSON may carry them)."""
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    body = _body(response)
    text = re.sub(r"<[^>]+>", " ", body)
    return (
        RULE_CODE.findall(body)
        + [m.group(2) for m in BARE_GRADE_CELL.finditer(body)]
        + INTERNAL_GRADE.findall(text)
    )


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", errors="replace")


#: Roles whose reach is 郑州 (or one enterprise of it) or nothing: another city's objects must
#: answer as missing ones.
CONFINED = {"enterprise", "county", "city", "expert", "auditor", "security", "anonymous"}
#: The API's routes: their JSON (browsable or not) keeps machine-readable codes.
API_ROUTES = ("api:", "publication-api:", "public-api:")
#: Routes the POST pass leaves alone: logging out would end the walk's session.
NO_POST = {"logout"}
ROLES = ["enterprise", "county", "city", "province", "expert", "admin", "auditor", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role_answers_without_error_or_leak(role, world):
    home, foreign = world
    user = _role_user(role, home)
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    foreign_names = {foreign.objects["enterprise"].name, foreign.objects["enterprise"].uscc}
    errors, leaks, coded, opened = [], [], [], set()
    for name, kwarg_names in ROUTES:
        urls = _urls(name, kwarg_names, home, foreign)
        status = {}
        for variant, url in urls.items():
            if url is None:
                continue
            response = client.get(url)
            status[variant] = response.status_code
            if variant == "valid" and response.status_code == 200:
                opened.add(name)
            if response.status_code >= 500:
                errors.append(f"GET {url} ({variant}) → {response.status_code}")
            body = _body(response)
            if variant != "malformed" and not name.startswith(API_ROUTES):
                codes = internal_codes_shown(response)
            else:
                codes = []
            if codes:
                coded.append(f"GET {url} ({variant}) shows internal codes {sorted(set(codes))}")
            if role in ("enterprise", "county", "city") and any(n in body for n in foreign_names):
                leaks.append(f"GET {url} ({variant}) shows the other city's enterprise")
        if role in CONFINED and "foreign" in status and status["foreign"] != status["missing"]:
            leaks.append(
                f"{name}: another city's object answers {status['foreign']}, "
                f"a missing one {status['missing']}"
            )
        post_url = urls.get("valid") or urls.get("plain")
        if post_url and role != "anonymous" and name not in NO_POST:
            response = client.post(post_url, MALFORMED_BODY)
            if response.status_code >= 500:
                errors.append(f"POST {post_url} (malformed form) → {response.status_code}")
            if name.startswith(API_ROUTES):
                response = client.post(
                    post_url, {"year": "abc", "ratio_pct": None}, content_type="application/json"
                )
                if response.status_code >= 500:
                    errors.append(f"POST {post_url} (malformed JSON) → {response.status_code}")
    assert errors == [] and leaks == [] and coded == [], "\n".join(errors + leaks + coded)
    if role == "county":  # the walk really opened the county's own objects
        assert {
            "declarations:detail",
            "review:case",
            "emergency_list:entry",
            "enterprise-detail",
            "api:declaration-detail",
            "api:list-entry-detail",
        } <= opened


def test_the_walk_covers_every_route_with_ids():
    """A route with an id either names a built object, reference data, or is walked with a
    missing and a malformed id only; it is never skipped."""
    for name, kwarg_names in ROUTES:
        if not kwarg_names:
            continue
        urls = _urls(name, kwarg_names, Side("410184", "410100"), Side("410311", "410300"))
        assert urls["missing"] or urls["malformed_id"], name
