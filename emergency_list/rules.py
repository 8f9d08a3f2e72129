"""Who may do what with the emergency list. Built from ``grading.rules``' role predicates and
the reach of ``emergency_list.jurisdiction``.

Pages, API views, templates and services ask these permissions (``grading.rules.allows``) or
a selector that does; none of them compares roles itself. Objects:

- a list scope or a county (``Region``): look at it, compile it, export or import it;
- a list entry (``ListEntry``): read it, change it (flags and stricter measures), its
  一厂一策 plan and signboard;
- an alert (``Alert``): read it, and whether the whole of it or only the reader's county;
- an Excel job (``ExcelJob``): follow it, confirm an import.
"""

import rules

from emergency_list.jurisdiction import alert_cities_for, list_scopes_for
from grading.rules import (
    is_admin,
    is_bureau_staff,
    is_city_or_above,
    is_own_enterprise,
    region_is_in_reach,
)


@rules.predicate
def scope_is_in_reach(user, region) -> bool:
    """The region (county, city or province) is one whose list the user looks at."""
    return region is not None and list_scopes_for(user).filter(pk=region.pk).exists()


@rules.predicate
def is_own_entry(user, entry) -> bool:
    """The entry is of the user's own enterprise."""
    return entry is not None and is_own_enterprise(user, entry.enterprise_id)


@rules.predicate
def entry_county_is_in_reach(user, entry) -> bool:
    """The entry's county lies in the user's jurisdiction."""
    return entry is not None and region_is_in_reach(user, entry.county)


@rules.predicate
def city_is_in_alert_reach(user, city) -> bool:
    """The city is one whose alerts the user reads."""
    return city is not None and alert_cities_for(user).filter(pk=city.pk).exists()


@rules.predicate
def alert_is_in_reach(user, alert) -> bool:
    """One of the alert's cities is a city whose alerts the user reads."""
    return alert is not None and alert.cities.filter(pk__in=alert_cities_for(user)).exists()


@rules.predicate
def job_scope_is_in_reach(user, job) -> bool:
    """The Excel job's scope is one whose list the user looks at now (whoever asked for it)."""
    return job is not None and scope_is_in_reach(user, job.region)


@rules.predicate
def job_county_is_in_reach(user, job) -> bool:
    """The Excel job's county lies in the user's jurisdiction."""
    return job is not None and region_is_in_reach(user, job.region)


reads_entry = is_own_entry | (is_bureau_staff & entry_county_is_in_reach)

# The list of a scope (pages and API of lists, ratio checks).
rules.add_perm("emergency_list.view_list", is_bureau_staff)
#: R-LIST-7 ratio check and list of a county, a city or the province, within reach.
rules.add_perm("emergency_list.view_scope", is_bureau_staff & scope_is_in_reach)
#: R-LIST-1: the bureau of the county (or above it) compiles or refreshes its list.
rules.add_perm("emergency_list.generate_list", is_bureau_staff & region_is_in_reach)

# Entries.
rules.add_perm("emergency_list.view_entry", reads_entry)
#: R-LIST-3, R-LIST-4, R-GUAR-4 flags and R-LIST-8 stricter measures: the county's bureau
#: (or the city's and province's above it).
rules.add_perm("emergency_list.change_entry", is_bureau_staff & entry_county_is_in_reach)
#: R-LIST-4, R-LIST-5: the enterprise sees (and asks for) its own plan and signboard.
rules.add_perm("emergency_list.view_entry_documents", reads_entry)
rules.add_perm("emergency_list.render_entry_documents", reads_entry)

# Alerts.
rules.add_perm("emergency_list.view_alerts", is_bureau_staff)
rules.add_perm("emergency_list.call_alerts", is_city_or_above)
#: Province staff call alerts for the cities of their province, city staff for their own.
rules.add_perm("emergency_list.call_alert_for", is_city_or_above & city_is_in_alert_reach)
rules.add_perm("emergency_list.view_alert", is_bureau_staff & alert_is_in_reach)
#: The whole alert (every county, city totals, overall, shortfalls); a county reads its part.
rules.add_perm("emergency_list.view_alert_totals", is_city_or_above & alert_is_in_reach)
rules.add_perm("emergency_list.export_alert", is_city_or_above & alert_is_in_reach)

# Excel jobs.
rules.add_perm("emergency_list.view_excel_jobs", is_bureau_staff)
rules.add_perm("emergency_list.view_excel_job", is_bureau_staff & job_scope_is_in_reach)
rules.add_perm("emergency_list.export_list", is_bureau_staff & scope_is_in_reach)
rules.add_perm("emergency_list.import_list", is_bureau_staff & region_is_in_reach)
rules.add_perm("emergency_list.confirm_import", is_bureau_staff & job_county_is_in_reach)
#: R-LIST-8: the administrator keeps the industries' measure tables, per guideline version.
rules.add_perm("emergency_list.edit_measure_tables", is_admin)
