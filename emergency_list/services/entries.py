"""Building the list (R-LIST-1, R-LIST-2, R-LIST-3, R-LIST-6, R-GUAR-4): an entry per
air-polluting enterprise, its controlled processes (referenced, not copied), baseline
emissions and, per alert level, the measure of each process and the cut it makes per day."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.jobs import broker_check, job_enqueue
from emergency_list.models import (
    Action,
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    ListEntry,
    TransportRule,
)
from emergency_list.services.arithmetic import apportion, per_day, tonnes
from emergency_list.services.history import entry_revising
from emergency_list.services.measures import TemplateIndex, is_weaker, strongest
from emergency_list.services.processes import process_plans
from grading.models import Enterprise, EnterpriseIndustry, Grade, Process, Region, User
from grading.rules import allows
from grading.services.grades import enterprise_managed_grade

POLLUTANTS = ("so2", "nox", "pm", "vocs")
FLAG_FIELDS = (
    "is_power_plant",
    "is_heating_boiler",
    "is_guarantee",
    "guarantee_scope",
    "bulk_transport",
    "transport_plan",
    "gate_system",
    "responsible_person",
    "contact_mobile",
    "operating_days",
    "note",
)


def cut_share(action: str, ratio: Decimal | None) -> Decimal:
    """The share of a process's daily emissions a measure cuts: stopping cuts all (or the
    stated share of lines), limiting cuts its ratio, the rest cut nothing from production."""
    if action in (Action.STOP, Action.STOP_PROCESS):
        return (ratio if ratio else Decimal(100)) / 100
    if action == Action.LIMIT:
        return (ratio or Decimal(0)) / 100
    return Decimal(0)


def exempt_reason(entry: ListEntry) -> str:
    """R-LIST-3: power plants, heating boilers and small-micro enterprises are listed but not
    forced to stop or limit (transport controls may apply). R-GUAR-4: a guarantee-class
    enterprise produces only for its guarantee task during an alert."""
    if entry.is_guarantee:
        return _("保障类企业：预警期间仅限保障任务生产（%s），超出范围立即移出保障类名单") % (
            entry.guarantee_scope or _("保障任务")
        )
    if entry.is_power_plant:
        return _("电厂：列入清单，不强制停限产")
    if entry.is_heating_boiler:
        return _("供暖锅炉：列入清单，不强制停限产")
    if entry.enterprise.is_small_micro:
        return _("小微涉气企业：列入清单，不强制停限产")
    return ""


def measure_for(
    entry: ListEntry,
    ep: EntryProcess,
    level: str,
    index: TemplateIndex,
    main_industry_id: int | None = None,
) -> EntryMeasure:
    """The measure of one process at one level: the templates of the process's industry and
    grade (R-GRADE-4; the entry's main industry and grade where the process names none), with
    its daily cut (``cuts_apportion`` then makes an entry's cuts add up)."""
    templates = index.for_level(
        industry_id=ep.industry_id or main_industry_id,
        grade_id=ep.grade_id or entry.grade_id,
        level=level,
    )
    t = strongest(templates)
    rule = TransportRule.NONE
    for tt in templates:
        if tt.transport_rule == TransportRule.STOP_ROAD or (
            tt.transport_rule == TransportRule.BAN_HEAVY_LE_CN4 and rule == TransportRule.NONE
        ):
            rule = tt.transport_rule
    if t is None:
        action, ratio, text = Action.AUTONOMOUS, Decimal(0), _("未设定措施，请县级生态环境部门设定")
    else:
        action, ratio, text = t.action, t.ratio_pct or Decimal(0), t.text
        if action in (Action.STOP, Action.STOP_PROCESS) and not t.ratio_pct:
            ratio = Decimal(100)  # stopping without a stated share stops all of it
    exempt = exempt_reason(entry)
    if exempt and action not in (Action.AUTONOMOUS,):
        action, ratio = Action.TRANSPORT_ONLY, Decimal(0)
        text = (
            f"{exempt}。{TransportRule(rule).label if rule != TransportRule.NONE else ''}".rstrip(
                "。"
            )
            + "。"
        )
    share = cut_share(action, ratio)
    m = EntryMeasure(
        entry_process=ep,
        level=level,
        action=action,
        ratio_pct=ratio,
        transport_rule=rule,
        text=text,
        template=t,
    )
    days = entry.operating_days
    for p in POLLUTANTS:
        setattr(m, f"{p}_td", tonnes(per_day(getattr(ep, f"{p}_tpa"), days) * share))
    return m


def cuts_apportion(days: int, pairs: list[tuple[EntryProcess, EntryMeasure]]) -> None:
    """R-LIST-7: the daily cuts of an entry's processes at one level, rounded so that they add
    up to the rounded exact total (largest remainder): a full stop cuts exactly the entry's
    rounded daily emissions, never more."""
    for p in POLLUTANTS:
        exact = [
            per_day(getattr(ep, f"{p}_tpa"), days) * cut_share(m.action, m.ratio_pct)
            for ep, m in pairs
        ]
        for (_ep, m), value in zip(pairs, apportion(exact), strict=True):
            setattr(m, f"{p}_td", value)


def baseline_of(enterprise: Enterprise) -> dict[str, Decimal]:
    """The enterprise's yearly emissions per pollutant: the sum over its industries."""
    rows = getattr(enterprise, "all_industries", None) or list(enterprise.industries.all())
    return {p: sum((getattr(r, f"{p}_tpa") for r in rows), Decimal(0)) for p in POLLUTANTS}


def _processes(enterprise: Enterprise) -> list[Process]:
    """R-LIST-2: the air-emitting processes of the enterprise's lines."""
    if hasattr(enterprise, "air_processes"):
        return enterprise.air_processes
    return list(
        Process.objects.filter(line__enterprise=enterprise, is_air_emitting=True).order_by(
            "line_id", "id"
        )
    )


def _rebuild(entry: ListEntry, enterprise: Enterprise, index: TemplateIndex) -> None:
    """(Re)create processes and measures. Each process gets its industry's grade and measures
    (R-GRADE-4) and its share of the baseline (``processes.process_plans``); shares the county
    imported stay while the processes and the baseline are unchanged; a county's stricter
    override survives as long as it is still not weaker than the new template."""
    overrides = {
        (m.entry_process.process_id, m.level): m
        for m in EntryMeasure.objects.filter(
            entry_process__entry=entry, is_override=True
        ).select_related("entry_process")
    }
    old = {ep.process_id: ep for ep in EntryProcess.objects.filter(entry=entry)}
    EntryProcess.objects.filter(entry=entry).delete()
    processes = _processes(enterprise)
    plans = process_plans(
        enterprise=enterprise, processes=processes, fallback=entry.grade, index=index
    )
    keep_imported = (
        set(old) == {p.pk for p in processes}
        and all(ep.emission_basis == EntryProcess.EmissionBasis.IMPORTED for ep in old.values())
        and all(
            sum((getattr(ep, f"{p}_tpa") for ep in old.values()), Decimal(0))
            == getattr(entry, f"{p}_tpa")
            for p in POLLUTANTS
        )
    )
    eps = []
    for plan in plans:
        ep = EntryProcess(
            entry=entry,
            process=plan.process,
            industry_id=plan.industry_id,
            grade=plan.grade,
            emission_basis=plan.basis,
        )
        source = old[plan.process.pk] if keep_imported else None
        for p in POLLUTANTS:
            value = getattr(source, f"{p}_tpa") if source is not None else plan.tpa[p]
            setattr(ep, f"{p}_tpa", value)
        if source is not None:
            ep.emission_basis = EntryProcess.EmissionBasis.IMPORTED
        eps.append(ep)
    EntryProcess.objects.bulk_create(eps)
    main = next((r for r in enterprise.industries.all() if r.is_main), None)
    main_id = main.industry_id if main else None
    measures = []
    by_level: dict[str, list] = {level: [] for level in AlertLevel.values}
    for ep in eps:
        for level in AlertLevel.values:
            m = measure_for(entry, ep, level, index, main_id)
            kept = overrides.get((ep.process_id, level))
            if kept and not is_weaker(
                action=kept.action,
                ratio=kept.ratio_pct,
                than_action=m.action,
                than_ratio=m.ratio_pct,
            ):
                m.action, m.ratio_pct, m.text = kept.action, kept.ratio_pct, kept.text
                m.is_override, m.override_reason = True, kept.override_reason
            measures.append(m)
            by_level[level].append((ep, m))
    for pairs in by_level.values():
        cuts_apportion(entry.operating_days, pairs)
    EntryMeasure.objects.bulk_create(measures)


def enterprises_to_build():
    """Enterprises with what building their entry reads (grade, county, industries)."""
    return Enterprise.objects.select_related("overall_grade", "county").prefetch_related(
        Prefetch(
            "industries",
            queryset=EnterpriseIndustry.objects.select_related("industry", "current_grade"),
        ),
    )


@transaction.atomic
def entry_build(
    *,
    year: int,
    enterprise: Enterprise,
    actor: User | None = None,
    reason: str = "",
    index: TemplateIndex | None = None,
) -> ListEntry:
    """Create or refresh one enterprise's entry; a refresh that changes the entry keeps what
    it was before as a revision, one that changes nothing leaves no trace (R-LIST-6)."""
    index = index or TemplateIndex()
    enterprise = enterprises_to_build().get(pk=enterprise.pk)
    entry = ListEntry.objects.select_for_update().filter(year=year, enterprise=enterprise).first()
    if entry is None:
        entry = ListEntry(
            year=year,
            enterprise=enterprise,
            county=enterprise.county,
            responsible_person=enterprise.contact_person,
            contact_mobile=enterprise.contact_mobile,
        )
        from emergency_list.services.guarantee import guarantee_standing

        entry.is_guarantee, entry.guarantee_scope = guarantee_standing(
            enterprise=enterprise, year=year
        )
        entry_refresh(entry, enterprise, index)
        code = "list.entry.created"
    else:
        with entry_revising(entry, actor=actor, reason=reason or _("更新清单")) as change:
            entry_refresh(entry, enterprise, index)
        if not change.changed:
            return entry
        code = "list.entry.refreshed"
    event_record(
        code=code,
        actor=actor,
        target=entry,
        summary=_("%(year)s年清单：%(ent)s（%(grade)s）")
        % {"year": year, "ent": enterprise.name, "grade": entry.grade.name},
        reason=reason,
    )
    return entry


def entry_refresh(entry: ListEntry, enterprise: Enterprise, index: TemplateIndex) -> None:
    """Grade, county, baseline, processes and measures read again from the enterprise."""
    entry.grade = enterprise_managed_grade(enterprise)
    entry.graded = enterprise.overall_grade_id is not None
    entry.county = enterprise.county
    base = baseline_of(enterprise)
    for p in POLLUTANTS:
        setattr(entry, f"{p}_tpa", tonnes(base[p]))
    entry.save()
    _rebuild(entry, enterprise, index)


def list_generate_request(*, actor: User, county: Region, year: int) -> None:
    """Queue compiling or refreshing a county's list (R-LIST-1) for a worker, audited; the
    work itself is ``list_generate``, started when the request's transaction commits."""
    if not county.holds_enterprises:
        raise ValidationError({"county": _("请指定县（市、区）区划代码")})
    if not allows(actor, "emergency_list.generate_list", county):
        raise PermissionDenied(_("只有辖区生态环境部门可以编制应急减排清单"))
    broker_check()
    from emergency_list.tasks.lists import generate_list

    with transaction.atomic():
        event_record(
            code="list.generate.requested",
            actor=actor,
            target=county,
            summary=_("编制%(year)s年%(county)s应急减排清单")
            % {"year": year, "county": county.name},
        )
        transaction.on_commit(lambda: job_enqueue(generate_list, county.pk, year, actor.pk))


def list_generate(*, actor: User, county: Region, year: int, progress=None) -> int:
    """R-LIST-1: every air-polluting enterprise of the county, graded or not, stopped plants
    able to resume and new plants included. One transaction per enterprise keeps a large county
    from holding one huge transaction; re-running refreshes (with history)."""
    if not allows(actor, "emergency_list.generate_list", county):
        raise PermissionDenied(_("只有辖区生态环境部门可以编制应急减排清单"))
    index = TemplateIndex()
    ids = list(Enterprise.objects.filter(county=county).order_by("pk").values_list("pk", flat=True))
    for i, pk in enumerate(ids, start=1):
        entry_build(
            year=year, enterprise=Enterprise(pk=pk), actor=actor, reason=_("编制清单"), index=index
        )
        if progress and i % 50 == 0:
            progress(i, len(ids))
    return len(ids)


def entries_follow_grade(*, enterprise: Enterprise, actor: User | None, grade: Grade) -> int:
    """R-LIST-6: a grade change updates the enterprise's entries of this year and later."""
    year = timezone.localdate().year
    n = 0
    index = TemplateIndex()
    for entry in ListEntry.objects.filter(enterprise=enterprise, year__gte=year):
        entry_build(
            year=entry.year,
            enterprise=enterprise,
            actor=actor,
            reason=_("绩效等级变更为%s") % grade.name,
            index=index,
        )
        n += 1
    return n


def _require_change(actor: User, entry: ListEntry) -> None:
    if not allows(actor, "emergency_list.change_entry", entry):
        raise PermissionDenied(_("只有辖区生态环境部门可以修改应急减排清单"))


@transaction.atomic
def entry_update(*, actor: User, entry: ListEntry, data: dict) -> ListEntry:
    """The county edits the entry's flags, responsible person and operating days; measures
    follow (R-LIST-3, R-LIST-4, R-GUAR-4)."""
    entry = ListEntry.objects.select_for_update().select_related("county").get(pk=entry.pk)
    _require_change(actor, entry)
    unknown = set(data) - set(FLAG_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改的字段：%s") % "、".join(sorted(unknown)))
    if data.get("is_guarantee") and not (data.get("guarantee_scope") or entry.guarantee_scope):
        raise ValidationError({"guarantee_scope": _("保障类企业须写明保障任务范围")})
    if data.get("bulk_transport") and not (data.get("transport_plan") or entry.transport_plan):
        raise ValidationError({"transport_plan": _("大宗物料运输企业须制定应急运输响应方案")})
    with entry_revising(entry, actor=actor, reason=_("修改清单信息")):
        for k, v in data.items():
            setattr(entry, k, v)
        entry.full_clean(exclude=["enterprise", "county", "grade"])
        entry.save()
        enterprise = enterprises_to_build().get(pk=entry.enterprise_id)
        entry_refresh(entry, enterprise, TemplateIndex())
    return entry


@transaction.atomic
def measure_override(
    *,
    actor: User,
    measure: EntryMeasure,
    action: str,
    ratio_pct: Decimal,
    text: str,
    reason: str,
) -> EntryMeasure:
    """The county makes one measure stricter, with a reason; never weaker (R-LIST-8)."""
    m = (
        EntryMeasure.objects.select_for_update()
        .select_related("entry_process__entry__county")
        .get(pk=measure.pk)
    )
    entry = m.entry_process.entry
    _require_change(actor, entry)
    if not reason.strip():
        raise ValidationError({"reason": _("加严措施须说明理由")})
    ratio = Decimal(ratio_pct or 0)
    base_action, base_ratio = m.action, m.ratio_pct
    if m.template is not None:
        base_action, base_ratio = m.template.action, m.template.ratio_pct or Decimal(0)
    if is_weaker(action=action, ratio=ratio, than_action=base_action, than_ratio=base_ratio):
        raise ValidationError({"action": _("地方措施只能严于技术指南要求，不能放宽")})
    if not (Decimal(0) <= ratio <= Decimal(100)):
        raise ValidationError({"ratio_pct": _("比例应在0到100之间")})
    before = {"action": m.action, "ratio": str(m.ratio_pct), "text": m.text}
    ep = m.entry_process
    with entry_revising(entry, actor=actor, reason=reason.strip()):
        m.action, m.ratio_pct, m.text = action, ratio, text.strip() or m.text
        m.is_override, m.override_reason = True, reason.strip()
        m.save()
        # R-LIST-7: the level's cuts of the entry are apportioned again, this one included.
        pairs = [
            (x.entry_process, x)
            for x in EntryMeasure.objects.filter(entry_process__entry=entry, level=m.level)
            .select_related("entry_process")
            .order_by("entry_process_id")
        ]
        cuts_apportion(entry.operating_days, pairs)
        EntryMeasure.objects.bulk_update([x for _ep, x in pairs], [f"{p}_td" for p in POLLUTANTS])
    m.refresh_from_db()
    event_record(
        code="list.measure.tightened",
        actor=actor,
        target=entry,
        summary=_("加严%(process)s%(level)s措施")
        % {"process": ep.process.name, "level": m.get_level_display()},
        reason=reason,
        data={"before": before, "after": {"action": action, "ratio": str(ratio)}},
    )
    return m
