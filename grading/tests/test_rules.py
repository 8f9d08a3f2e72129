"""Each permission and predicate of grading/rules.py, once, for every role (a table of role ×
expected answer). Asked through ``rules.has_perm``: the administrator is a superuser, and
Django's own ``has_perm`` would say yes to everything for it."""

import pytest
import rules

from grading import rules as grading_rules
from grading.models import EnterpriseRegistration, Industry, Region, User
from grading.services.accounts import registration_submit
from grading.tests.people import ROLES, make_people
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(enterprise, other_enterprise):
    return make_people(enterprise, other_enterprise)


def answers(people, check) -> dict[str, bool]:
    return {role: bool(check(people[role])) for role in ROLES}


def expect(*yes: str) -> dict[str, bool]:
    return {role: role in yes for role in ROLES}


BUREAU = ("county", "other county", "city", "other city", "province", "admin")
IN_REACH = ("county", "city", "province", "admin")


@pytest.mark.parametrize(
    "predicate,yes",
    [
        ("is_active_user", [r for r in ROLES if r != "inactive"]),
        ("is_admin", ["admin"]),
        ("is_county_staff", ["county", "other county"]),
        ("is_city_staff", ["city", "other city"]),
        ("is_province_staff", ["province"]),
        ("is_expert", ["expert"]),
        ("is_enterprise_user", ["enterprise", "other enterprise"]),
        ("is_bureau_staff", BUREAU),
        ("is_city_or_above", ["city", "other city", "province", "admin"]),
        ("is_province_or_admin", ["province", "admin"]),
        ("is_county_or_admin", ["county", "other county", "admin"]),
    ],
)
def test_role_predicates(people, predicate, yes):
    check = getattr(grading_rules, predicate)
    assert answers(people, check) == expect(*yes)


def test_region_and_enterprise_in_reach(people, enterprise):
    xinzheng = Region.objects.get(code="410184")
    assert answers(people, lambda u: grading_rules.region_is_in_reach(u, xinzheng)) == expect(
        *IN_REACH
    )
    assert not grading_rules.region_is_in_reach(people["county"], None)
    assert answers(people, lambda u: grading_rules.enterprise_in_reach(u, enterprise)) == expect(
        *IN_REACH
    )
    assert grading_rules.enterprise_in_reach(people["expert"], None)  # no object: no limit


def test_is_own_enterprise(people, enterprise):
    assert answers(people, lambda u: grading_rules.is_own_enterprise(u, enterprise)) == expect(
        "enterprise"
    )
    assert grading_rules.is_own_enterprise(people["enterprise"], enterprise.pk)


def test_registration_in_reach(people):
    registration = EnterpriseRegistration(county=Region.objects.get(code="410184"))
    assert answers(
        people, lambda u: grading_rules.registration_in_reach(u, registration)
    ) == expect(*IN_REACH)


def test_role_label():
    assert grading_rules.role_label(User.Role.COUNTY) == "县级生态环境部门"


@pytest.mark.parametrize(
    "perm,on,yes",
    [
        ("grading.view_own_enterprise", None, ["enterprise", "other enterprise"]),
        ("grading.list_enterprises", None, BUREAU),
        ("grading.view_enterprises", None, [*BUREAU, "enterprise", "other enterprise"]),
        ("grading.add_enterprise", None, BUREAU),
        ("grading.change_enterprise", "enterprise", IN_REACH),
        ("grading.view_violations", "enterprise", [*IN_REACH, "enterprise"]),
        ("grading.record_violation", "enterprise", IN_REACH),
        ("grading.revoke_violation", "enterprise", IN_REACH),
        ("grading.edit_lines", "enterprise", [*IN_REACH, "enterprise"]),
        ("grading.decide_registrations", None, ["county", "other county", "admin"]),
        ("grading.decide_registrations", "registration", ["county", "admin"]),
    ],
)
def test_permissions(people, enterprise, perm, on, yes):
    registration = (
        registration_submit(
            username="newent",
            password=factories.PASSWORD,
            uscc=factories.valid_uscc("410184"),
            enterprise_name="新郑市新登记有限公司",
            county=Region.objects.get(code="410184"),
            industry=Industry.objects.get(code="N31"),
            contact_person="张三",
            contact_mobile="13800000000",
        )
        if on == "registration"
        else None
    )
    obj = {"enterprise": enterprise, "registration": registration}.get(on)
    assert answers(people, lambda u: rules.has_perm(perm, u, obj)) == expect(*yes)


def test_the_administrator_is_not_an_enterprise(people):
    """Django's has_perm says yes to a superuser for anything; the rules do not."""
    admin = people["admin"]
    assert admin.has_perm("grading.view_own_enterprise")
    assert not rules.has_perm("grading.view_own_enterprise", admin)
