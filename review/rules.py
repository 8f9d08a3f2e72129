"""Who may do what in the review chain. Built from ``grading.rules``' role predicates."""

import rules

from grading.models import User
from grading.rules import (
    is_bureau_staff,
    is_city_or_above,
    is_expert,
    is_province_or_admin,
)
from review.models import ReviewCase

#: The stage of the chain each role works at (experts sit on city-stage panels).
_STAGE_OF_ROLE = {
    User.Role.COUNTY: ReviewCase.Stage.COUNTY,
    User.Role.CITY: ReviewCase.Stage.CITY,
    User.Role.PROVINCE: ReviewCase.Stage.PROVINCE,
    User.Role.EXPERT: ReviewCase.Stage.CITY,
}


def stage_for(user) -> str:
    """The review stage whose queue is the user's own ("" for roles without one)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return _STAGE_OF_ROLE.get(user.role, "")


rules.add_perm("review.view_queue", is_bureau_staff | is_expert)
rules.add_perm("review.view_experts", is_city_or_above | is_expert)
rules.add_perm("review.spot_check", is_province_or_admin)
