"""Reads of the grading app. Anything that depends on who asks takes a ``viewer``."""

from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from core.models import AuditEvent
from grading.indicator_texts import text_is_missing
from grading.jurisdiction import county_units_for, scope_to_viewer, unit_ids_within
from grading.models import (
    Enterprise,
    EnterpriseIndustry,
    EnterpriseRegistration,
    Grade,
    GradeRecord,
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    Region,
    User,
    ViolationRecord,
)
from grading.rules import allows


def indicator_set_in_force(*, industry: Industry, on: date) -> IndicatorSet | None:
    """The industry's indicator set in force on ``on`` (R-GRADE-7): the latest effective one.

    An industry without indicators of its own (no set of its own in force, e.g. a non-key
    industry an administrator added) is graded on the general industry's set (R-GRADE-5).
    """
    sets = IndicatorSet.objects.select_related("scheme", "guideline_version").filter(
        effective_from__lte=on
    )
    latest = ("-effective_from", "-guideline_version__issued_on", "-pk")
    own = sets.filter(industry=industry).order_by(*latest).first()
    if own is not None or industry.is_general:
        return own
    return sets.filter(industry__code=Industry.GENERAL_CODE).order_by(*latest).first()


def scheme_grades(*, industry: Industry | None = None, on: date | None = None) -> list[Grade]:
    """The grades a grade field, filter or drop-down offers (R-GRADE-1, R-GRADE-7): those of
    the industry's scheme in force on ``on`` (today by default); without an industry, those of
    any industry's scheme in force. Ordered best first."""
    on = on or timezone.localdate()
    if industry is not None:
        indicator_set = indicator_set_in_force(industry=industry, on=on)
        if indicator_set is not None:
            return indicator_set.scheme.ordered_grades()
        return list(Grade.objects.order_by("severity", "code"))
    later = IndicatorSet.objects.filter(
        industry=OuterRef("industry"),
        effective_from__lte=on,
        effective_from__gt=OuterRef("effective_from"),
    )
    in_force = IndicatorSet.objects.filter(effective_from__lte=on).exclude(Exists(later))
    return list(
        Grade.objects.filter(schemes__in=in_force.values("scheme"))
        .distinct()
        .order_by("severity", "code")
    )


def enterprise_list(
    *,
    viewer: User,
    search: str = "",
    county: Region | None = None,
    industry: Industry | None = None,
    grade: str = "",
    status: str = "",
) -> QuerySet[Enterprise]:
    """Enterprises the viewer may see, filtered. ``grade`` is a grade code or ``none``: the
    overall grade, or with ``industry`` the current grade in that industry."""
    qs = scope_to_viewer(Enterprise.objects.all(), viewer)
    if search:
        search = search.strip()
        qs = qs.filter(Q(name__contains=search) | Q(uscc=search.upper()))
    if county is not None:
        qs = qs.filter(county_id__in=unit_ids_within(county))
    if industry is not None:
        rows = EnterpriseIndustry.objects.filter(enterprise=OuterRef("pk"), industry=industry)
        if grade == "none":
            rows = rows.filter(current_grade__isnull=True)
        elif grade:
            rows = rows.filter(current_grade__code=grade)
        qs = qs.filter(Exists(rows))
    elif grade == "none":
        qs = qs.filter(overall_grade__isnull=True)
    elif grade:
        qs = qs.filter(overall_grade__code=grade)
    if status:
        qs = qs.filter(production_status=status)
    main_industries = EnterpriseIndustry.objects.filter(is_main=True).select_related("industry")
    return (
        qs.select_related("county", "county__parent", "overall_grade")
        .prefetch_related(
            Prefetch("industries", queryset=main_industries, to_attr="main_industries")
        )
        .order_by("county_id", "name", "id")  # the index (county, name): no sort of the lot
    )


def enterprise_summaries(*, viewer: User, **filters) -> QuerySet[Enterprise]:
    """``enterprise_list`` reduced to what a list row shows (the API's list): the row's own
    columns, the county's code and name and the overall grade's code. The main industries of
    a page come from ``with_main_industry_codes`` once the page is cut."""
    return (
        enterprise_list(viewer=viewer, **filters)
        .prefetch_related(None)
        .select_related(None)
        .select_related("county", "overall_grade")
        .only(
            "id",
            "name",
            "uscc",
            "production_status",
            "is_small_micro",
            "county__code",
            "county__name",
            "overall_grade__code",
        )
    )


def with_main_industry_codes(enterprises: list[Enterprise]) -> list[Enterprise]:
    """Sets ``main_industry_codes`` (sorted codes) on each of a page of enterprises: one query
    of (enterprise, code) pairs, no model objects."""
    codes: dict[int, list[str]] = {e.pk: [] for e in enterprises}
    pairs = (
        EnterpriseIndustry.objects.filter(enterprise_id__in=codes, is_main=True)
        .order_by()
        .values_list("enterprise_id", "industry__code")
    )
    for enterprise_id, code in pairs:
        codes[enterprise_id].append(code)
    for e in enterprises:
        e.main_industry_codes = sorted(codes[e.pk])
    return enterprises


def enterprise_get(*, viewer: User, pk: int) -> Enterprise:
    """One enterprise; 404 when missing or outside the viewer's reach (same answer for both)."""
    qs = (
        scope_to_viewer(Enterprise.objects.all(), viewer)
        .select_related("county", "county__parent", "overall_grade")
        .prefetch_related(
            Prefetch(
                "industries",
                queryset=EnterpriseIndustry.objects.select_related(
                    "industry__category", "current_grade"
                ),
            ),
            "lines__processes__equipment",
        )
    )
    try:
        return qs.get(pk=pk)
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def county_choices_for(*, viewer: User) -> QuerySet[Region]:
    """County-level units the viewer may place an enterprise in."""
    return county_units_for(viewer).select_related("parent").order_by("code")


def _registrations_for(viewer: User) -> QuerySet[EnterpriseRegistration]:
    """Self-registrations of the counties whose registrations the viewer decides (R-DECL-1)."""
    if not allows(viewer, "grading.decide_registrations"):
        return EnterpriseRegistration.objects.none()
    return EnterpriseRegistration.objects.filter(
        county__in=county_units_for(viewer)
    ).select_related("user", "county", "industry")


def registration_pending_list(*, viewer: User) -> QuerySet[EnterpriseRegistration]:
    """Self-registrations waiting for the viewer's county (oldest first)."""
    return (
        _registrations_for(viewer)
        .filter(status=EnterpriseRegistration.Status.PENDING)
        .order_by("submitted_at", "id")
    )


def registration_get(*, viewer: User, pk: int) -> EnterpriseRegistration:
    """One registration the viewer decides; 404 otherwise (a bureau that does not decide
    registrations has none to open)."""
    try:
        return _registrations_for(viewer).get(pk=pk)
    except (EnterpriseRegistration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def violation_list(*, viewer: User, enterprise: Enterprise) -> QuerySet[ViolationRecord]:
    """The enterprise's penalty and violation records, for those who may see them (R-ELIG-1..3);
    nothing for the others."""
    if not allows(viewer, "grading.view_violations", enterprise):
        return ViolationRecord.objects.none()
    return enterprise.violations.select_related("recorded_by")


#: R-ELIG-3: the kinds of finding that go on the integrity record.
INTEGRITY_KINDS = (ViolationRecord.Kind.FALSE_MATERIAL, ViolationRecord.Kind.BRIBERY)


def integrity_record(*, viewer: User, enterprise: Enterprise) -> dict | None:
    """The enterprise's integrity record (诚信档案, R-ELIG-3): its fraud findings and every
    grade record that lowered a grade (R-ELIG-1); None for those who may not see it."""
    if not allows(viewer, "grading.view_integrity_record", enterprise):
        return None
    return {
        "findings": list(
            enterprise.violations.filter(kind__in=INTEGRITY_KINDS).select_related("recorded_by")
        ),
        "downgrades": list(
            GradeRecord.objects.filter(enterprise=enterprise, lowers=True)
            .select_related("industry", "grade")
            .order_by("-effective_from", "-id")
        ),
    }


def indicator_completeness(*, on: date | None = None) -> list[dict]:
    """Per industry and guideline version, which requirement texts are missing (R-GRADE-7):
    every category of the table × every grade of its scheme without a text (a placeholder
    counts as missing); a table with no row at all misses everything. Two queries."""
    on = on or timezone.localdate()
    sets = list(
        IndicatorSet.objects.select_related("industry__category", "guideline_version", "scheme")
        .prefetch_related("scheme__grades")
        .order_by("industry__category__seq", "industry__seq", "industry__code", "effective_from")
    )
    filled: dict[int, dict] = {s.pk: {} for s in sets}
    for set_id, cat, seq, grade_id, text in IndicatorRequirement.objects.values_list(
        "indicator_set_id", "category__name", "seq", "grade_id", "text"
    ).order_by("category__seq", "seq"):
        cells = filled[set_id].setdefault((cat, seq), set())
        if not text_is_missing(text):
            cells.add(grade_id)
    in_force = {}
    for s in sets:
        if s.effective_from <= on:
            in_force[s.industry_id] = s.pk
    out = []
    for s in sets:
        grades = s.scheme.ordered_grades()
        rows = filled[s.pk]
        missing = []
        for (cat, seq), have in rows.items():
            lacking = "、".join(g.name for g in grades if g.pk not in have)
            if lacking:
                missing.append(f"{cat}{'' if seq == 1 else f'（{seq}）'}：{lacking}")
        total = len(rows) * len(grades)
        done = sum(len(have) for have in rows.values())
        out.append(
            {
                "set": s,
                "in_force": in_force.get(s.industry_id) == s.pk,
                "rows": len(rows),
                "cells": total,
                "filled": done,
                "missing": missing,
                "empty": not rows,
            }
        )
    return out


#: The account-security part of the trail (the security administrator's reading).
SECURITY_EVENT_PREFIXES = ("account.", "download.")


def audit_event_list(
    *,
    viewer: User,
    code: str = "",
    actor: str = "",
    outcome: str = "",
    address: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit trail, newest first, filtered (三员分立, 等保三级): the audit administrator
    reads all of it, the security administrator its account-security events; nobody else
    reads it here (404, the same answer as a page that does not exist)."""
    if allows(viewer, "grading.view_audit_trail"):
        qs = AuditEvent.objects.all()
    elif allows(viewer, "grading.view_security_events"):
        security = Q()
        for prefix in SECURITY_EVENT_PREFIXES:
            security |= Q(code__startswith=prefix)
        qs = AuditEvent.objects.filter(security)
    else:
        raise Http404
    if code:
        qs = qs.filter(code__startswith=code)
    if actor:
        qs = qs.filter(Q(actor__username=actor) | Q(data__username=actor))
    if outcome:
        qs = qs.filter(outcome=outcome)
    if address:
        qs = qs.filter(address=address)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs.select_related("actor", "content_type").order_by("-at", "-id")
