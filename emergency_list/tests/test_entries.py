"""Building the list: every enterprise, its processes, measures from the templates, exemptions,
history when a grade changes, stricter-only overrides."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from emergency_list.models import Action, AlertLevel, EntryMeasure, EntryRevision, ListEntry
from emergency_list.selectors import entry_get
from emergency_list.services import entries as svc
from emergency_list.services.measures import TemplateIndex, applies
from emergency_list.services.ratios import ratio_check, required_pct
from grading.models import Enterprise, Grade, Industry, Region
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
EMISSIONS = [{"so2_tpa": 30, "nox_tpa": 60, "pm_tpa": 15, "vocs_tpa": 9}]


def _ent(county="410184", industry="N15", **fields):
    ent = factories.enterprise(county=county, industry=industry, emissions=EMISSIONS, **fields)
    ensure_lines(ent)
    return ent


def _grade(ent, industry, code, actor):
    grade_record_add(
        actor=actor,
        enterprise=ent,
        industry=Industry.objects.get(code=industry),
        grade=Grade.objects.get(code=code),
        effective_from=date(YEAR, 1, 2),
        source="import",
    )


def _entry(ent) -> ListEntry:
    """The enterprise's entry this year (a grade change already refreshed it, if any)."""
    return ListEntry.objects.filter(enterprise=ent, year=YEAR).first() or svc.entry_build(
        year=YEAR, enterprise=ent
    )


def _measures(entry) -> dict:
    m = EntryMeasure.objects.filter(entry_process__entry=entry).order_by("level")
    return {x.level: x for x in m}


def test_r_list_1_every_enterprise_on_the_list_graded_or_not_stopped_or_new(county_user):
    running = _ent(name="运行企业")
    stopped = _ent(name="停产企业", production_status=Enterprise.ProductionStatus.STOPPED)
    new = _ent(name="新建企业", production_status=Enterprise.ProductionStatus.NEW)
    no_lines = factories.enterprise(county="410184", industry="N31", name="未登记工序企业")
    factories.enterprise(county="410122", industry="N31")  # another county: not on this list
    n = svc.list_generate(actor=county_user, county=Region.objects.get(code="410184"), year=YEAR)
    names = set(
        ListEntry.objects.filter(year=YEAR, county__code="410184").values_list(
            "enterprise__name", flat=True
        )
    )
    assert n == 4 and names == {e.name for e in (running, stopped, new, no_lines)}
    ungraded = ListEntry.objects.get(enterprise=running)
    assert not ungraded.graded and ungraded.grade.code == "D"  # R-ELIG-4: managed at the lowest


def test_r_list_2_entry_controls_the_enterprise_own_processes_by_reference():
    ent = _ent()
    entry = svc.entry_build(year=YEAR, enterprise=ent)
    process = ent.lines.first().processes.first()
    assert [ep.process_id for ep in entry.processes.all()] == [process.pk]
    process.name = "改名后的工序"
    process.save()
    assert entry_get_any(entry).processes.first().process.name == "改名后的工序"


def entry_get_any(entry):
    return ListEntry.objects.prefetch_related("processes__process").get(pk=entry.pk)


def test_r_list_8_cement_measures_verbatim_and_cumulative(county_user):
    ent = _ent(industry="N15")
    _grade(ent, "N15", "B", county_user)
    entry = _entry(ent)
    m = _measures(entry)
    assert m[AlertLevel.YELLOW].action == Action.TRANSPORT_ONLY
    assert m[AlertLevel.ORANGE].action == Action.LIMIT and m[AlertLevel.ORANGE].ratio_pct == 20
    assert "限产20%" in m[AlertLevel.ORANGE].text
    assert m[AlertLevel.RED].action == Action.STOP
    # Cuts follow the action: a day's emissions × share.
    day = Decimal(30) / 300
    assert m[AlertLevel.ORANGE].so2_td == (day * Decimal("0.2")).quantize(Decimal("0.0001"))
    assert m[AlertLevel.RED].so2_td == day.quantize(Decimal("0.0001"))


def test_r_list_8_a_template_from_orange_applies_at_red_unless_capped():
    index = TemplateIndex()
    c = Grade.objects.get(code="C")
    n15 = Industry.objects.get(code="N15")
    orange_up = [t for t in index.for_level(industry_id=n15.pk, grade_id=c.pk, level="red")]
    assert orange_up and all(applies(t, "red") for t in orange_up)
    assert not any(t.level_to == "yellow" for t in orange_up)


def test_r_list_8_county_may_tighten_never_loosen(county_user):
    ent = _ent(industry="N15")
    _grade(ent, "N15", "B", county_user)
    entry = _entry(ent)
    orange = _measures(entry)[AlertLevel.ORANGE]
    with pytest.raises(ValidationError) as exc:
        svc.measure_override(
            actor=county_user,
            measure=orange,
            action=Action.LIMIT,
            ratio_pct=Decimal(10),
            text="",
            reason="放宽",
        )
    assert "不能放宽" in str(exc.value)
    tightened = svc.measure_override(
        actor=county_user,
        measure=orange,
        action=Action.LIMIT,
        ratio_pct=Decimal(40),
        text="限产40%",
        reason="本地大气质量形势",
    )
    assert tightened.is_override and tightened.ratio_pct == 40
    assert EntryRevision.objects.filter(entry=entry).exists()


def test_override_needs_reason_and_jurisdiction(county_user, other_county_user):
    ent = _ent(industry="N15")
    entry = svc.entry_build(year=YEAR, enterprise=ent)
    red = _measures(entry)[AlertLevel.RED]
    with pytest.raises(ValidationError):
        svc.measure_override(
            actor=county_user, measure=red, action=Action.STOP, ratio_pct=100, text="", reason=""
        )
    with pytest.raises(PermissionDenied):
        svc.measure_override(
            actor=other_county_user,
            measure=red,
            action=Action.STOP,
            ratio_pct=100,
            text="",
            reason="x",
        )


def test_r_list_6_grade_change_updates_the_entry_with_history(county_user):
    ent = _ent(industry="N15")
    entry = svc.entry_build(year=YEAR, enterprise=ent)
    assert entry.grade.code == "D"
    _grade(ent, "N15", "B", county_user)
    entry = ListEntry.objects.get(pk=entry.pk)
    assert entry.grade.code == "B" and entry.revision == 2
    history = EntryRevision.objects.get(entry=entry, revision=1)
    assert history.snapshot["grade"] == "D" and "绩效等级变更" in history.reason


def test_r_list_6_override_survives_a_grade_change_while_still_stricter(county_user):
    ent = _ent(industry="N15")
    _grade(ent, "N15", "B", county_user)
    entry = ListEntry.objects.filter(enterprise=ent).first() or svc.entry_build(
        year=YEAR, enterprise=ent
    )
    orange = _measures(entry)[AlertLevel.ORANGE]
    svc.measure_override(
        actor=county_user,
        measure=orange,
        action=Action.STOP,
        ratio_pct=100,
        text="停产",
        reason="加严",
    )
    _grade(ent, "N15", "A", county_user)  # the guide now lets it act on its own: the stop stays
    kept = _measures(ListEntry.objects.get(pk=entry.pk))[AlertLevel.ORANGE]
    assert kept.is_override and kept.action == Action.STOP


def test_r_list_3_power_plant_boiler_and_small_micro_listed_not_forced_to_stop(county_user):
    small = _ent(industry="GENERAL", is_small_micro=True)
    entry = svc.entry_build(year=YEAR, enterprise=small)
    assert all(m.action == Action.TRANSPORT_ONLY for m in _measures(entry).values())
    plant = _ent(industry="N15")
    plant_entry = svc.entry_build(year=YEAR, enterprise=plant)
    svc.entry_update(actor=county_user, entry=plant_entry, data={"is_power_plant": True})
    m = _measures(ListEntry.objects.get(pk=plant_entry.pk))
    assert all(x.action == Action.TRANSPORT_ONLY and x.so2_td == 0 for x in m.values())
    assert "不强制停限产" in m[AlertLevel.RED].text


def test_r_guar_4_guarantee_entry_needs_its_scope(county_user):
    ent = _ent(industry="N15")
    entry = svc.entry_build(year=YEAR, enterprise=ent)
    with pytest.raises(ValidationError):
        svc.entry_update(actor=county_user, entry=entry, data={"is_guarantee": True})
    svc.entry_update(
        actor=county_user, entry=entry, data={"is_guarantee": True, "guarantee_scope": "民生供热"}
    )
    red = _measures(ListEntry.objects.get(pk=entry.pk))[AlertLevel.RED]
    assert "民生供热" in red.text and red.so2_td == 0


def test_r_list_4_bulk_transport_needs_a_transport_plan(county_user):
    entry = svc.entry_build(year=YEAR, enterprise=_ent())
    with pytest.raises(ValidationError) as exc:
        svc.entry_update(actor=county_user, entry=entry, data={"bulk_transport": True})
    assert "运输" in str(exc.value)


def test_r_list_7_targets_are_settings_per_city_and_year():
    from emergency_list.models import ReductionTarget

    zz = Region.objects.get(code="410100")
    assert required_pct(scope=zz, year=YEAR, level="orange")["nox"] == 20
    ReductionTarget.objects.create(
        region=zz, year=YEAR, level="orange", so2_pct=20, nox_pct=20, pm_pct=20, vocs_pct=15
    )
    assert (
        required_pct(scope=Region.objects.get(code="410184"), year=YEAR, level="orange")["vocs"]
        == 15
    )
    assert (
        required_pct(scope=Region.objects.get(code="410300"), year=YEAR, level="orange")["vocs"]
        == 20
    )


def test_r_list_7_ratio_check_sums_and_names_the_shortfall(county_user):
    for code in ("A", "D"):
        ent = _ent(industry="N15")
        _grade(ent, "N15", code, county_user)
        _entry(ent)
    res = ratio_check(scope=Region.objects.get(code="410184"), year=YEAR)
    red = {r.pollutant: r for r in res["red"]}
    # Two equal enterprises: D stops (cuts its share), A acts on its own (cuts nothing): 50%.
    assert red["so2"].achieved_pct == Decimal("50.0") and red["so2"].ok
    yellow = {r.pollutant: r for r in res["yellow"]}
    assert yellow["so2"].achieved_pct == Decimal("50.0")


def test_selector_scopes_entries(county_user, other_county_user):
    entry = svc.entry_build(year=YEAR, enterprise=_ent())
    assert entry_get(viewer=county_user, pk=entry.pk) == entry
    from django.http import Http404

    with pytest.raises(Http404):
        entry_get(viewer=other_county_user, pk=entry.pk)
