"""Who may do what (django-rules): the role predicates every app builds on, and the grading
app's own permissions.

Each app keeps its permissions in its own ``rules.py``, built from the predicates here; views,
API views, templates and exports ask for a permission (or a selector that does) and never
compare ``user.role`` themselves, so a page and its API cannot disagree. Jurisdiction comes from
``grading.jurisdiction`` so the answer is the same as the querysets'.

Ask ``allows(user, perm, obj)``: Django's ``user.has_perm`` answers yes to every permission of
an active superuser (the administrator), also to what only an enterprise's own account may do.
"""

import rules

from grading.jurisdiction import region_in_reach
from grading.models import User


@rules.predicate
def is_active_user(user) -> bool:
    """A signed-in, active account."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def _role_predicate(name: str, *roles: str) -> rules.Predicate:
    def check(user) -> bool:
        return is_active_user(user) and user.role in roles

    return rules.predicate(check, name=name)


@rules.predicate
def is_admin(user) -> bool:
    """The system administrator (or a Django superuser), who may see the whole province."""
    return is_active_user(user) and (user.role == User.Role.ADMIN or user.is_superuser)


#: The county bureau: first review of its county's declarations (R-REV-2).
is_county_staff = _role_predicate("is_county_staff", User.Role.COUNTY)
#: The city bureau: city review, C decisions, on-site verification (R-REV-3).
is_city_staff = _role_predicate("is_city_staff", User.Role.CITY)
#: The province bureau: spot checks, A/B/引领性 decisions (R-REV-1, R-REV-9).
is_province_staff = _role_predicate("is_province_staff", User.Role.PROVINCE)
#: An expert of the pool (R-REV-6..8).
is_expert = _role_predicate("is_expert", User.Role.EXPERT)
#: 三员分立: the security administrator (account security, not the whole trail).
is_security_admin = _role_predicate("is_security_admin", User.Role.SECURITY)
#: 三员分立: the audit administrator, the only reader of the whole audit trail.
is_auditor = _role_predicate("is_auditor", User.Role.AUDITOR)


@rules.predicate
def is_enterprise_user(user) -> bool:
    """An enterprise's own account (bound to its enterprise)."""
    return is_active_user(user) and user.role == User.Role.ENTERPRISE and bool(user.enterprise_id)


#: County, city and province bureaus and the administrator: the ecological-environment staff.
is_bureau_staff = is_county_staff | is_city_staff | is_province_staff | is_admin
#: Staff who oversee more than one county (city, province, administrator).
is_city_or_above = is_city_staff | is_province_staff | is_admin
is_province_or_admin = is_province_staff | is_admin
#: Those who receive self-registrations and submitted declarations: the county (R-REV-2).
is_county_or_admin = is_county_staff | is_admin


@rules.predicate
def region_is_in_reach(user, region) -> bool:
    """The region (a county-level unit) lies in the user's jurisdiction."""
    return region is not None and is_active_user(user) and region_in_reach(user, region)


@rules.predicate
def enterprise_in_reach(user, enterprise) -> bool:
    """The enterprise's county lies in the user's jurisdiction (no enterprise given: any)."""
    return enterprise is None or region_is_in_reach(user, enterprise.county)


@rules.predicate
def is_own_enterprise(user, enterprise) -> bool:
    """The enterprise is the user's own (an enterprise account)."""
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


@rules.predicate
def registration_in_reach(user, registration) -> bool:
    """The self-registration names a county in the user's jurisdiction (none given: any)."""
    return registration is None or region_is_in_reach(user, registration.county)


def role_label(role: str) -> str:
    """The Chinese name of a role, for messages ("只有……可以……")."""
    return str(User.Role(role).label)


#: The enterprise's own page, from the navigation.
rules.add_perm("grading.view_own_enterprise", is_enterprise_user)
#: The enterprise directory (page and navigation).
rules.add_perm("grading.list_enterprises", is_bureau_staff)
#: Looking enterprises up (API list): staff in their jurisdiction, an enterprise only itself.
rules.add_perm("grading.view_enterprises", is_bureau_staff | is_enterprise_user)
rules.add_perm("grading.add_enterprise", is_bureau_staff)
rules.add_perm("grading.change_enterprise", is_bureau_staff & enterprise_in_reach)
#: R-DECL-1: the county approves or rejects an enterprise's self-registration.
rules.add_perm("grading.decide_registrations", is_county_or_admin & registration_in_reach)
#: R-ELIG-1..3, R-DYN-1: the penalty and violation records; not shown to experts.
rules.add_perm(
    "grading.view_violations", (is_bureau_staff & enterprise_in_reach) | is_own_enterprise
)
#: R-ELIG-3: the integrity record (诚信档案): fraud findings and every downgrade, for the
#: bureaus of the enterprise's jurisdiction.
rules.add_perm("grading.view_integrity_record", is_bureau_staff & enterprise_in_reach)
#: R-ELIG-1..3: the bureaus of the enterprise's jurisdiction record violations and revoke
#: records overturned on appeal.
rules.add_perm("grading.record_violation", is_bureau_staff & enterprise_in_reach)
rules.add_perm("grading.revoke_violation", is_bureau_staff & enterprise_in_reach)
#: Production lines, processes and equipment (master data): the enterprise itself, or bureau
#: staff whose jurisdiction holds it.
rules.add_perm("grading.edit_lines", is_own_enterprise | (is_bureau_staff & enterprise_in_reach))
#: R-GRADE-7: the administrator keeps the industries' indicator tables and their schemes.
rules.add_perm("grading.edit_indicator_tables", is_admin)
#: 三员分立 (等保三级): the whole audit trail is read by the audit administrator alone; the
#: system administrator, who could otherwise hide its own actions, does not read it.
rules.add_perm("grading.view_audit_trail", is_auditor)
#: The security administrator reads the account-security part of the trail (logins, failed
#: logins, logouts, password and second-factor changes).
rules.add_perm("grading.view_security_events", is_auditor | is_security_admin)
#: 等保三级: administrators of every kind and province staff log in with a second factor (TOTP).
rules.add_perm(
    "grading.needs_second_factor",
    is_admin | is_province_staff | is_security_admin | is_auditor,
)
