"""An entry's controlled processes: the industry each belongs to and the grade it is managed at
(R-GRADE-4, R-ELIG-4), and its share of the entry's baseline emissions (R-LIST-7).

A process belongs to the industry of its production line (the enterprise's main industry when
the line names none). It takes the measures of that industry's current grade; an industry of
the enterprise with no grade is managed at the lowest grade of that industry's scheme. The
enterprise as a whole is still called by its overall (worst) grade.

Each industry's declared yearly emissions are shared out over that industry's processes in
proportion to what the enterprise declared per process in its latest decided declaration
(each treatment facility's outlet concentration × air flow, per pollutant it treats); only
where it declared nothing for a pollutant is the share equal, and the process is marked so."""

from dataclasses import dataclass, field
from decimal import Decimal

from declarations.models import Declaration, TreatmentFacility
from emergency_list.models import EntryProcess
from emergency_list.services.arithmetic import ZERO, split
from emergency_list.services.measures import TemplateIndex
from grading.models import Enterprise, EnterpriseIndustry, Grade, Process

POLLUTANTS = ("so2", "nox", "pm", "vocs")
FACILITY_POLLUTANT = {
    TreatmentFacility.Kind.DESULPHURISATION: "so2",
    TreatmentFacility.Kind.DENITRATION: "nox",
    TreatmentFacility.Kind.DUST: "pm",
    TreatmentFacility.Kind.VOCS: "vocs",
}


@dataclass
class ProcessPlan:
    """What the entry records for one process before its measures are chosen."""

    process: Process
    industry_id: int | None
    grade: Grade
    tpa: dict[str, Decimal] = field(default_factory=dict)
    basis: str = EntryProcess.EmissionBasis.EVEN


def latest_decided_declarations(enterprise: Enterprise) -> list[Declaration]:
    """The enterprise's latest decided declaration of each of its industries."""
    seen: dict[int, Declaration] = {}
    for d in Declaration.objects.filter(
        enterprise=enterprise, status=Declaration.Status.DECIDED
    ).order_by("-year", "-submitted_at", "-id"):
        seen.setdefault(d.industry_id, d)
    return list(seen.values())


def declared_weights(declarations: list[Declaration]) -> dict[int, dict[str, Decimal]]:
    """{process id: {pollutant: weight}} from the declarations' treatment facilities: outlet
    concentration (mg/m³) × air flow (m³/h), i.e. what leaves the process per hour."""
    out: dict[int, dict[str, Decimal]] = {}
    for kind, process_id, conc, flow in TreatmentFacility.objects.filter(
        declaration__in=declarations
    ).values_list("kind", "process_id", "concentration", "airflow"):
        p = FACILITY_POLLUTANT.get(kind)
        if p is None:
            continue
        cell = out.setdefault(process_id, dict.fromkeys(POLLUTANTS, ZERO))
        cell[p] += Decimal(conc or 0) * Decimal(flow or 0)
    return out


def batch_weights(enterprise_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """``declared_weights`` of many enterprises at once (the bulk build): two queries."""
    latest: dict[tuple[int, int], int] = {}
    for pk, ent, industry in (
        Declaration.objects.filter(
            enterprise_id__in=enterprise_ids, status=Declaration.Status.DECIDED
        )
        .order_by("-year", "-submitted_at", "-id")
        .values_list("pk", "enterprise_id", "industry_id")
    ):
        latest.setdefault((ent, industry), pk)
    return declared_weights(list(latest.values())) if latest else {}


def process_plans(
    *,
    enterprise: Enterprise,
    processes: list[Process],
    fallback: Grade,
    index: TemplateIndex,
    line_industry: dict[int, int | None] | None = None,
    weights: dict[int, dict[str, Decimal]] | None = None,
) -> list[ProcessPlan]:
    """Industry, grade and emissions of each process (see the module's docstring).
    ``fallback`` is the grade of a process of an enterprise that registered no industry.
    ``line_industry`` ({process id: its line's EnterpriseIndustry id}) and ``weights`` are
    read here unless a bulk caller read them for many enterprises at once."""
    rows = list(enterprise.industries.all())
    by_pk = {r.pk: r for r in rows}
    main = next((r for r in rows if r.is_main), rows[0] if rows else None)
    if line_industry is None:
        line_industry = dict(
            Process.objects.filter(pk__in=[p.pk for p in processes]).values_list(
                "pk", "line__industry_id"
            )
        )
    plans: list[ProcessPlan] = []
    groups: dict[int | None, list[ProcessPlan]] = {}
    for process in processes:
        row: EnterpriseIndustry | None = by_pk.get(line_industry.get(process.pk)) or main
        if row is None:
            plan = ProcessPlan(process=process, industry_id=None, grade=fallback)
        else:
            grade = row.current_grade or index.lowest(row.industry)
            plan = ProcessPlan(process=process, industry_id=row.industry_id, grade=grade)
        plans.append(plan)
        groups.setdefault(row.pk if row else None, []).append(plan)
    if weights is None:
        weights = declared_weights(latest_decided_declarations(enterprise)) if plans else {}
    declared_any = {plan.process.pk: False for plan in plans}
    even_any = dict(declared_any)
    for p in POLLUTANTS:
        amounts = {key: getattr(by_pk[key], f"{p}_tpa") for key in groups if key is not None}
        # An industry with emissions but no process of its own: its share goes to all of them.
        orphan = sum(
            (getattr(r, f"{p}_tpa") for r in rows if r.pk not in groups), ZERO
        ) + amounts.pop(None, ZERO)
        for key, members in groups.items():
            total = amounts.get(key, ZERO)
            w = [weights.get(m.process.pk, {}).get(p, ZERO) for m in members]
            parts = split(total, w)
            for m, part in zip(members, parts, strict=True):
                m.tpa[p] = part
                if total:
                    if any(w):
                        declared_any[m.process.pk] = True
                    else:
                        even_any[m.process.pk] = True
        if orphan:
            for m, part in zip(plans, split(orphan, [ZERO] * len(plans)), strict=True):
                m.tpa[p] += part
                even_any[m.process.pk] = True
    for plan in plans:
        if declared_any[plan.process.pk] and not even_any[plan.process.pk]:
            plan.basis = EntryProcess.EmissionBasis.DECLARED
    return plans
