"""Who may do what (django-rules): the role predicates every app builds on, and the grading
app's own permissions.

Each app keeps its permissions in its own ``rules.py``, built from the predicates here; views,
API views, templates and exports ask ``user.has_perm(...)`` (or a selector that does) and never
compare ``user.role`` themselves, so a page and its API cannot disagree. Jurisdiction comes from
``grading.jurisdiction`` so the answer is the same as the querysets'.
"""

import rules

from grading.jurisdiction import region_in_reach
from grading.models import User


@rules.predicate
def is_active_user(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _role_predicate(name: str, *roles: str) -> rules.Predicate:
    def check(user) -> bool:
        return is_active_user(user) and user.role in roles

    return rules.predicate(check, name=name)


@rules.predicate
def is_admin(user) -> bool:
    """The system administrator (or a Django superuser), who may see the whole province."""
    return is_active_user(user) and (user.role == User.Role.ADMIN or user.is_superuser)


is_county_staff = _role_predicate("is_county_staff", User.Role.COUNTY)
is_city_staff = _role_predicate("is_city_staff", User.Role.CITY)
is_province_staff = _role_predicate("is_province_staff", User.Role.PROVINCE)
is_expert = _role_predicate("is_expert", User.Role.EXPERT)


@rules.predicate
def is_enterprise_user(user) -> bool:
    """An enterprise's own account (bound to its enterprise)."""
    return is_active_user(user) and user.role == User.Role.ENTERPRISE and bool(user.enterprise_id)


#: County, city and province bureaus and the administrator: the ecological-environment staff.
is_bureau_staff = is_county_staff | is_city_staff | is_province_staff | is_admin
#: Staff who oversee more than one county (city, province, administrator).
is_city_or_above = is_city_staff | is_province_staff | is_admin
is_province_or_admin = is_province_staff | is_admin


@rules.predicate
def region_is_in_reach(user, region) -> bool:
    """The region (a county-level unit) lies in the user's jurisdiction."""
    return region is not None and is_active_user(user) and region_in_reach(user, region)


@rules.predicate
def enterprise_in_reach(user, enterprise) -> bool:
    return enterprise is None or region_is_in_reach(user, enterprise.county)


@rules.predicate
def is_own_enterprise(user, enterprise) -> bool:
    return (
        enterprise is not None
        and is_enterprise_user(user)
        and user.enterprise_id == getattr(enterprise, "pk", enterprise)
    )


def allows(user, perm: str, obj=None) -> bool:
    """Whether the rule ``perm`` of a ``rules.py`` lets ``user`` act (on ``obj``).

    Pages, API, templates' flags and services ask this rather than ``user.has_perm``: Django
    answers True to every ``has_perm`` of a superuser (the administrator's account), who may
    see the province but must not, say, sign a review opinion or declare for an enterprise."""
    return rules.has_perm(perm, user, obj)


def role_label(role: str) -> str:
    """The Chinese name of a role, for messages ("只有……可以……")."""
    return str(User.Role(role).label)


rules.add_perm("grading.view_own_enterprise", is_enterprise_user)
rules.add_perm("grading.decide_registrations", is_county_staff | is_admin)
rules.add_perm("grading.list_enterprises", is_bureau_staff)
rules.add_perm("grading.add_enterprise", is_bureau_staff)
rules.add_perm("grading.change_enterprise", is_bureau_staff & enterprise_in_reach)
