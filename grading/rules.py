"""Object permissions (django-rules): who may act on what. Jurisdiction checks come from
``grading.jurisdiction`` so the answer is the same as the querysets'."""

import rules

from grading.jurisdiction import region_in_reach
from grading.models import User

BUREAU_ROLES = (User.Role.COUNTY, User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN)


@rules.predicate
def is_bureau_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in BUREAU_ROLES)


@rules.predicate
def enterprise_in_reach(user, enterprise) -> bool:
    return enterprise is None or region_in_reach(user, enterprise.county)


rules.add_perm("grading.list_enterprises", is_bureau_staff)
rules.add_perm("grading.add_enterprise", is_bureau_staff)
rules.add_perm("grading.change_enterprise", is_bureau_staff & enterprise_in_reach)
