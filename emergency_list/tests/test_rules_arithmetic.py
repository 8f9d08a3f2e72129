"""The same numbers on every database (R-LIST-7): Decimal arithmetic with one rounding rule,
shares within 0–100%, per-process emissions from what the enterprise declared per process.
These tests run on PostgreSQL and on the embedded SQLite (``.ci/run``)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from declarations.models import Declaration, TreatmentFacility
from emergency_list.models import AlertLevel, EntryMeasure, EntryProcess
from emergency_list.services import arithmetic
from emergency_list.services import entries as svc
from emergency_list.services.documents import entry_document_context
from emergency_list.services.ratios import ratio_check
from grading.models import Industry, Process, ProductionLine, Region
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import complete, draft

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def with_processes(names, *, emissions, industry="N31", name=None):
    ent = factories.enterprise(industry=industry, emissions=[emissions], name=name)
    row = ent.industries.get()
    line = ProductionLine.objects.create(enterprise=ent, industry=row, name="1号线")
    processes = [Process.objects.create(line=line, name=n) for n in names]
    return ent, processes


def test_r_list_7_the_baseline_is_not_an_integer_division():
    """The case tried: integer tonnes over integer days read as 0 on SQLite, and a county
    cutting nothing "met" its target. 100 t/a over 300 days is 0.3333 t/d everywhere."""
    ent, _ = with_processes(["印刷"], emissions={"so2_tpa": 100, "nox_tpa": 100})
    ent.industries.update(current_grade=None)
    entry = svc.entry_build(year=YEAR, enterprise=ent)
    EntryMeasure.objects.filter(entry_process__entry=entry).update(
        action="autonomous", ratio_pct=0, so2_td=0, nox_td=0, pm_td=0, vocs_td=0
    )
    red = {
        r.pollutant: r
        for r in ratio_check(scope=Region.objects.get(code="410184"), year=YEAR)[AlertLevel.RED]
    }
    assert red["so2"].baseline_td == Decimal("0.3333")
    assert red["so2"].required_td == Decimal("0.1000")
    assert red["so2"].achieved_pct == 0 and not red["so2"].ok


def test_r_list_7_a_full_stop_is_exactly_100_percent_never_more(county_user):
    """The case tried: the 一厂一策 plan printed 105% for a full stop, each process's cut being
    rounded up on its own. Cuts are apportioned so they add up to the entry's daily total."""
    ent, _ = with_processes(["印刷", "复合", "烘干"], emissions={"vocs_tpa": Decimal("0.315")})
    entry = svc.entry_build(year=YEAR, enterprise=ent)  # ungraded: D, stop from yellow on
    cuts = [
        m.vocs_td
        for m in EntryMeasure.objects.filter(entry_process__entry=entry, level=AlertLevel.RED)
    ]
    assert len(cuts) == 3 and sum(cuts) == Decimal("0.0011")  # 0.315 / 300 = 0.00105 → 0.0011
    plan = entry_document_context(entry)
    red = next(lv for lv in plan["levels"] if lv["code"] == AlertLevel.RED)
    vocs = plan["pollutants"].index("VOCs")
    assert red["shares"][vocs] == "100%"
    for lv in plan["levels"]:
        assert all(s == "—" or Decimal(s.rstrip("%")) <= 100 for s in lv["shares"])
    check = ratio_check(
        scope=entry.county, year=YEAR, entries=type(entry).objects.filter(pk=entry.pk)
    )
    assert all(r.achieved_pct <= 100 for rows in check.values() for r in rows)


def test_r_list_7_shares_and_rounding_rule():
    assert arithmetic.share_pct(Decimal("0.0012"), Decimal("0.00105")) == Decimal("100.0")
    assert arithmetic.share_pct(Decimal(1), 0) == 0
    assert arithmetic.tonnes(Decimal("0.00005")) == Decimal("0.0001")  # half up, not half even
    parts = arithmetic.split(Decimal("1"), [0, 0, 0])
    assert parts == [Decimal("0.3334"), Decimal("0.3333"), Decimal("0.3333")]
    assert sum(arithmetic.split(Decimal("0.8828"), [1, 2, 3, 4])) == Decimal("0.8828")


def test_r_list_7_per_process_emissions_follow_the_declared_facilities(county_user):
    """Processes get the industry's emissions in proportion to what the enterprise declared
    per process in its decided declaration; without a declaration the split is equal and the
    process says so."""
    ent, (printing, drying) = with_processes(
        ["凹版印刷", "烘干"], emissions={"vocs_tpa": 30, "pm_tpa": 10}
    )
    entry = svc.entry_build(year=YEAR, enterprise=ent)
    eps = {ep.process_id: ep for ep in entry.processes.all()}
    assert {ep.emission_basis for ep in eps.values()} == {EntryProcess.EmissionBasis.EVEN}
    assert eps[printing.pk].vocs_tpa == eps[drying.pk].vocs_tpa == Decimal(15)

    user = factories.enterprise_user(ent)
    d = complete(draft(user, industry="N31"), user)
    TreatmentFacility.objects.filter(declaration=d).delete()
    for seq, (process, conc, flow) in enumerate(
        ((printing, Decimal(20), Decimal(30000)), (drying, Decimal(10), Decimal(20000))), start=1
    ):
        for kind in ("vocs", "dust"):
            TreatmentFacility.objects.create(
                declaration=d,
                kind=kind,
                seq=seq,
                process=process,
                technique="RTO",
                commissioned_on=timezone.localdate(),
                running_status="正常",
                removal_efficiency=90,
                concentration=conc,
                airflow=flow,
            )
    Declaration.objects.filter(pk=d.pk).update(status=Declaration.Status.DECIDED)
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=d.requested_grade,
        effective_from=timezone.localdate(),
        source="review",
    )
    eps = {ep.process_id: ep for ep in entry.processes.model.objects.filter(entry__enterprise=ent)}
    # 20 × 30000 : 10 × 20000 = 3 : 1
    assert eps[printing.pk].vocs_tpa == Decimal("22.5") and eps[drying.pk].vocs_tpa == Decimal(
        "7.5"
    )
    assert eps[printing.pk].pm_tpa + eps[drying.pk].pm_tpa == Decimal(10)
    assert {ep.emission_basis for ep in eps.values()} == {EntryProcess.EmissionBasis.DECLARED}
