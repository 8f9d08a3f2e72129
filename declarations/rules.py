"""Who may do what with declarations. Built from ``grading.rules``' role predicates."""

import rules

from grading.rules import is_admin, is_bureau_staff, is_county_staff, is_enterprise_user

rules.add_perm("declarations.view_declarations", is_enterprise_user | is_bureau_staff)
rules.add_perm("declarations.add_declaration", is_enterprise_user)
#: The county bureau receives submitted declarations for first review (R-REV-2).
rules.add_perm("declarations.receive_submissions", is_county_staff | is_admin)
