"""Who may do what with the emergency list. Built from ``grading.rules``' role predicates."""

import rules

from grading.rules import is_bureau_staff, is_city_or_above

rules.add_perm("emergency_list.view_list", is_bureau_staff)
rules.add_perm("emergency_list.view_alerts", is_city_or_above)
