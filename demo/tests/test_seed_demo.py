import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from stdnum.cn import uscc

from grading.models import Enterprise, Region, User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_covers_every_county():
    call_command("seed_demo", enterprises=400, password="Demo@2026", verbosity=0)
    count = Enterprise.objects.count()
    call_command("seed_demo", enterprises=400, password="Demo@2026", verbosity=0)
    assert Enterprise.objects.count() == count == 401  # plus the demo enterprise
    assert all(uscc.is_valid(code) for code in Enterprise.objects.values_list("uscc", flat=True))
    holding = Region.objects.filter(level="county").count() + 1  # 济源
    assert Enterprise.objects.values("county").distinct().count() == holding
    graded = Enterprise.objects.filter(overall_grade__isnull=False).count()
    assert 0 < graded < count


def test_seed_demo_users_log_in_with_roles_and_places(rf):
    call_command("seed_demo", enterprises=10, password="Demo@2026", verbosity=0)
    expected = {
        "demo-enterprise": User.Role.ENTERPRISE,
        "demo-county": User.Role.COUNTY,
        "demo-city": User.Role.CITY,
        "demo-expert": User.Role.EXPERT,
        "demo-province": User.Role.PROVINCE,
        "demo-admin": User.Role.ADMIN,
        "demo-security": User.Role.SECURITY,
        "demo-auditor": User.Role.AUDITOR,
    }
    for username, role in expected.items():
        user = authenticate(rf.post("/"), username=username, password="Demo@2026")
        assert user is not None and user.role == role
    ent_user = User.objects.get(username="demo-enterprise")
    county = User.objects.get(username="demo-county").region
    assert ent_user.enterprise.county == county
    assert User.objects.get(username="demo-city").region == county.parent
    assert User.objects.get(username="demo-expert").expert_profile.industries.exists()
