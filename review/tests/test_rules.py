"""Each permission of ``review.rules`` once, for every role: the enterprise under review and
another one, its county and another county, its city and another city, the province, an
expert on the case's panel and one who is not, and the administrator."""

import pytest
from django.core.exceptions import PermissionDenied

from grading.models import Region, User
from review.models import Appeal, DowngradeCase, ServiceUnit, SpotCheckSample
from review.rules import allows, refusal, require, stage_for
from review.services.bundles import bundle_units
from review.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = (
    "own_enterprise",
    "other_enterprise",
    "county",
    "other_county",
    "city",
    "other_city",
    "province",
    "panel_expert",
    "other_expert",
    "admin",
)
BUREAUS = {"county", "other_county", "city", "other_city", "province", "admin"}
EXPERTS = {"panel_expert", "other_expert"}


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    builders.isolate(settings, tmp_path, monkeypatch)


@pytest.fixture
def people(
    enterprise_user, other_enterprise, county_user, other_county_user, city_user, province_user
):
    return {
        "own_enterprise": enterprise_user,
        "other_enterprise": factories.enterprise_user(other_enterprise),
        "county": county_user,
        "other_county": other_county_user,
        "city": city_user,
        "other_city": builders.city_staff("410200"),
        "province": province_user,
        "panel_expert": builders.expert("N31"),
        "other_expert": builders.expert("N31"),
        "admin": factories.admin_user(),
    }


@pytest.fixture
def world(people, at_city, city_user):
    """新郑市's B case at the city stage with its panel, and what the rules are asked about."""
    builders.panel_form(at_city, city_user, [people["panel_expert"]])
    case = builders.refresh(at_city)

    def at_county():
        other = factories.enterprise_user(factories.enterprise(county="410184", industry="N31"))
        return builders.open_case(people["county"], builders.submitted(other, grade="B"))

    return {
        "none": lambda: None,
        "case": lambda: case,
        "case_at_county": at_county,
        "declaration": lambda: case.declaration,
        "enterprise": lambda: case.declaration.enterprise,
        "first_review": lambda: case.opinions.get(kind="first_review"),
        "panel_expert": lambda: people["panel_expert"],
        "xinzheng_units": lambda: bundle_units(Region.objects.get(code="410184")),
        "downgrade_case": lambda: DowngradeCase(enterprise=case.declaration.enterprise),
        "appeal": lambda: Appeal(enterprise=case.declaration.enterprise),
        "zhengzhou_pool": lambda: Region.objects.get(code="410100"),
        "zhengzhou_unit": lambda: ServiceUnit(region=Region.objects.get(code="410100")),
        "provincial_unit": lambda: ServiceUnit(region=Region.objects.get(code="410000")),
        "zhengzhou_sample": lambda: SpotCheckSample(region=Region.objects.get(code="410100")),
        "province_sample": lambda: SpotCheckSample(region=Region.objects.get(code="410000")),
    }


#: (permission, what it is asked about, the roles it lets act)
TABLE = [
    ("review.view_queue", "none", BUREAUS | EXPERTS),
    ("review.open_case", "declaration", {"county"}),
    ("review.sign_opinion", "case_at_county", {"county"}),
    ("review.sign_opinion", "case", {"city"}),
    ("review.co_sign_opinion", "case_at_county", {"county"} | EXPERTS),
    ("review.co_sign_opinion", "case", {"city", "panel_expert"}),
    # county_user signed the first review (with another county user).
    ("review.correct_opinion", "first_review", {"county"}),
    ("review.assign_panel", "case", {"city"}),
    ("review.record_onsite", "case", {"city", "panel_expert"}),
    ("review.report_rectification", "case", {"own_enterprise"}),
    ("review.verify_rectification", "case", {"city", "panel_expert"}),
    ("review.rerender_approval_form", "case", {"county", "city", "province", "admin"}),
    ("review.request_bundle", "xinzheng_units", {"county", "city", "province"}),
    ("review.view_experts", "none", {"city", "other_city", "province", "admin"} | EXPERTS),
    (
        "review.record_conflict",
        "panel_expert",
        {"city", "other_city", "province", "admin"} | {"panel_expert"},
    ),
    ("review.blacklist_expert", "none", {"city", "other_city", "province", "admin"}),
    # The panel's expert is of the provincial pool: the province's to blacklist.
    ("review.blacklist_expert", "panel_expert", {"province", "admin"}),
    ("review.manage_pool", "zhengzhou_pool", {"city", "province", "admin"}),
    # The panel's expert is of the provincial pool: the province keeps its record.
    ("review.record_training", "panel_expert", {"province", "admin"}),
    ("review.view_service_units", "none", {"city", "other_city", "province", "admin"}),
    ("review.keep_service_unit", "zhengzhou_unit", {"city", "province", "admin"}),
    ("review.record_engagement", "zhengzhou_unit", {"city", "province", "admin"}),
    ("review.record_engagement", "provincial_unit", {"city", "other_city", "province", "admin"}),
    ("review.lift_unit_blacklisting", "none", {"province", "admin"}),
    ("review.view_downgrades", "none", BUREAUS | EXPERTS | {"own_enterprise", "other_enterprise"}),
    ("review.open_downgrade", "enterprise", {"county"}),
    ("review.decide_downgrade", "downgrade_case", {"county"}),
    ("review.assign_downgrade_panel", "downgrade_case", {"city"}),
    ("review.rerender_case_form", "downgrade_case", {"county", "city", "province", "admin"}),
    ("review.view_appeals", "none", BUREAUS | EXPERTS | {"own_enterprise", "other_enterprise"}),
    ("review.file_appeal", "enterprise", {"own_enterprise"}),
    ("review.withdraw_appeal", "appeal", {"own_enterprise"}),
    ("review.assign_appeal_panel", "appeal", {"city"}),
    ("review.decide_appeal", "appeal", {"city"}),
    ("review.lift_blacklisting", "none", {"province", "admin"}),
    ("review.spot_check", "none", {"city", "other_city", "province", "admin"}),
    ("review.set_spot_check_policy", "none", {"province", "admin"}),
    ("review.check_sample", "zhengzhou_sample", {"city", "admin"}),
    ("review.check_sample", "province_sample", {"province", "admin"}),
    ("review.grade_directly", "enterprise", {"county"}),
    ("review.view_reapplications", "none", BUREAUS),
]


@pytest.mark.parametrize(
    ("perm", "about", "allowed"), TABLE, ids=[f"{perm}-{about}" for perm, about, _ in TABLE]
)
def test_each_permission_for_every_role(people, world, perm, about, allowed):
    obj = world[about]()
    granted = {role for role in ROLES if allows(people[role], perm, obj)}
    assert granted == allowed


def test_an_inactive_account_may_do_nothing(people, world):
    city = people["city"]
    city.is_active = False
    city.save()
    assert not allows(city, "review.sign_opinion", world["case"]())
    assert not allows(city, "review.view_experts")


def test_require_refuses_with_the_rules_chinese_reason(people, world):
    case = world["case"]()
    with pytest.raises(PermissionDenied) as exc:
        require(people["county"], "review.sign_opinion", case)
    assert str(exc.value) == "只有该企业所属市级生态环境部门可以作出此项审核"
    require(people["city"], "review.sign_opinion", case)
    units = world["xinzheng_units"]()
    assert refusal(people["admin"], "review.request_bundle", units) == (
        "只有生态环境部门工作人员可以批量生成审核意见表"
    )
    assert refusal(people["other_county"], "review.request_bundle", units) == (
        "只能批量生成本辖区的审核意见表"
    )


def test_each_role_works_at_its_stage_of_the_chain(people):
    stages = {role: stage_for(people[role]) for role in ROLES}
    assert stages == {
        "own_enterprise": "",
        "other_enterprise": "",
        "county": "county",
        "other_county": "county",
        "city": "city",
        "other_city": "city",
        "province": "province",
        "panel_expert": "city",
        "other_expert": "city",
        "admin": "",
    }
    assert people["admin"].role == User.Role.ADMIN and people["admin"].is_superuser
