"""Checking the groups read from an upload against the platform: the enterprise by its
统一社会信用代码 (its county, main industry, grade and small-micro status), its processes
against its own (R-LIST-2), each day's cut against the day's emissions, and each measure
against the guide and the other levels (R-LIST-8)."""

from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from emergency_list.excel.layout import COL, LEVEL_NAMES, NO, UNGRADED, YES
from emergency_list.excel.reading import Q4, GroupData, Reference, Report
from emergency_list.models import PRINT_ORDER, Action, EntryProcess, ListEntry
from emergency_list.services.entries import POLLUTANTS, measure_for
from emergency_list.services.measures import is_weaker
from grading.models import Enterprise, EnterpriseIndustry, Grade, Process
from grading.services.grades import enterprise_managed_grade

TOLERANCE = Decimal("0.0001")


def check_rows(g: GroupData, report: Report, ref: Reference) -> None:
    """Processes against the enterprise's own (R-LIST-2), reductions against the baseline, the
    levels against each other and the measures against the guide (R-LIST-8)."""
    ent = g.enterprise
    if g.baseline is not None and g.rows:
        report.add(g.baseline_row, COL["process"], _("不能为空"))
        g.ok = False
    seen: dict[tuple[str, str], int] = {}
    if ent is not None:
        by_line: dict[tuple[str, str], list[Process]] = {}
        by_name: dict[str, list[Process]] = {}
        for p in ent.air_processes:
            by_line.setdefault((p.line.name, p.name), []).append(p)
            by_name.setdefault(p.name, []).append(p)
    for row in g.rows:
        key = (row.line, row.process_name)
        if key in seen:
            report.add(
                row.row,
                COL["process"],
                _("工序与第%d行重复") % seen[key],
            )
            row.ok = False
            continue
        seen[key] = row.row
        if ent is not None and row.process_name:
            found = by_line.get(key, []) if row.line else by_name.get(row.process_name, [])
            if not found:
                report.add(
                    row.row,
                    COL["process"],
                    _("“%(line)s%(process)s”不是该企业登记的涉气工序")
                    % {
                        "line": f"{row.line}/" if row.line else "",
                        "process": row.process_name,
                    },
                )
                row.ok = False
            elif len(found) > 1:
                report.add(row.row, COL["line"], _("该企业有多个同名工序，请填写生产线名称"))
                row.ok = False
            else:
                row.process = found[0]
        elif ent is None and not row.line:
            report.add(row.row, COL["line"], _("新登记企业须填写生产线名称"))
            row.ok = False
    if ent is not None:
        listed = {r.process.pk for r in g.rows if r.process is not None}
        matched_all = all(r.process is not None for r in g.rows)
        missing = [p for p in ent.air_processes if p.pk not in listed]
        if missing and matched_all:
            report.add(
                g.row,
                COL["process"],
                _("企业登记的涉气工序未列入清单：%s")
                % "、".join(f"{p.line.name}/{p.name}" for p in missing[:10]),
            )
            g.ok = False
    for row in g.rows:  # a day's cut cannot exceed a day's emissions
        if not row.ok:
            continue
        daily = {p: row.tpa[p] / g.operating_days for p in POLLUTANTS}
        for level in PRINT_ORDER:
            for p in POLLUTANTS:
                if row.measures[level].cuts[p] > daily[p] + TOLERANCE:
                    report.add(
                        row.row,
                        COL[f"{level}_{p}"],
                        _("减排量大于该工序日均排放量（%s吨/日）") % daily[p].quantize(Q4),
                    )
                    row.ok = False
    if not g.ok or g.industry is None:
        return  # the guide's measures depend on a valid grade, industry and flags
    probe = _probe_entry(g, ref)
    for row in g.rows:
        if not row.ok:
            continue
        ep = EntryProcess(**{f"{p}_tpa": row.tpa[p] for p in POLLUTANTS})
        for level in PRINT_ORDER:
            m = row.measures[level]
            expected = measure_for(probe, ep, level, ref.index, g.industry.pk)
            if is_weaker(
                action=m.action,
                ratio=m.ratio,
                than_action=expected.action,
                than_ratio=expected.ratio_pct,
            ):
                report.add(
                    row.row,
                    COL[f"{level}_action"],
                    _("措施弱于技术指南要求（应不低于“%(action)s%(ratio)s”），地方措施只能从严")
                    % {
                        "action": Action(expected.action).label,
                        "ratio": f"{expected.ratio_pct}%" if expected.ratio_pct else "",
                    },
                )
                row.ok = False
        for stronger, weaker in zip(PRINT_ORDER, PRINT_ORDER[1:], strict=False):
            a, b = row.measures[stronger], row.measures[weaker]
            if is_weaker(action=a.action, ratio=a.ratio, than_action=b.action, than_ratio=b.ratio):
                report.add(
                    row.row,
                    COL[f"{stronger}_action"],
                    _("%(a)s措施不能弱于%(b)s措施")
                    % {"a": LEVEL_NAMES[stronger], "b": LEVEL_NAMES[weaker]},
                )
                row.ok = False


def _managed_grade(g: GroupData, ref: Reference) -> Grade:
    if g.enterprise is not None:
        return enterprise_managed_grade(g.enterprise)
    return g.grade if g.graded else ref.lowest(g.industry)


def _probe_entry(g: GroupData, ref: Reference) -> ListEntry:
    """An unsaved entry with the file's flags, to ask ``measure_for`` what the guide requires."""
    ent = g.enterprise or Enterprise(is_small_micro=g.is_small_micro)
    return ListEntry(
        enterprise=ent,
        grade=_managed_grade(g, ref),
        is_guarantee=g.is_guarantee,
        guarantee_scope=g.guarantee_scope,
        is_power_plant=g.is_power_plant,
        is_heating_boiler=g.is_heating_boiler,
        operating_days=g.operating_days,
    )


def match_enterprises(groups: list[GroupData], report: Report, ref: Reference) -> None:
    codes = [g.uscc for g in groups if g.uscc]
    processes = (
        Process.objects.filter(is_air_emitting=True)
        .select_related("line")
        .order_by("line_id", "id")
    )
    found = {
        e.uscc: e
        for e in Enterprise.objects.filter(uscc__in=codes)
        .select_related("overall_grade")
        .prefetch_related(
            Prefetch("industries", queryset=EnterpriseIndustry.objects.select_related("industry"))
        )
    }
    by_ent: dict[int, list[Process]] = {}
    for p in processes.filter(line__enterprise__in=list(found.values())):
        by_ent.setdefault(p.line.enterprise_id, []).append(p)
    for g in groups:
        ent = found.get(g.uscc)
        if ent is None:
            continue
        if ent.county_id != ref.county.pk:
            report.add(
                g.row,
                COL["uscc"],
                _("该统一社会信用代码的企业已登记在其他县（市、区），不能列入本县清单"),
            )
            g.ok = False
            continue
        ent.air_processes = by_ent.get(ent.pk, [])
        g.enterprise = ent
        main = next((r for r in ent.industries.all() if r.is_main), None)
        if g.industry is not None and (main is None or main.industry_id != g.industry.pk):
            report.add(
                g.row,
                COL["industry"],
                _("与平台登记的主行业（%s）不一致") % (main.industry.name if main else _("无")),
            )
            g.ok = False
        platform_grade = ent.overall_grade.name if ent.overall_grade_id else UNGRADED
        file_grade = g.grade.name if g.graded and g.grade else UNGRADED
        if (g.grade is not None or not g.graded) and platform_grade != file_grade:
            report.add(
                g.row,
                COL["grade"],
                _("与平台记录的绩效等级（%s）不一致；绩效等级以审核认定结果为准") % platform_grade,
            )
            g.ok = False
        if g.is_small_micro != ent.is_small_micro:
            report.add(
                g.row,
                COL["control"],
                _("“小微涉气企业”与企业登记信息不一致（登记为：%s）")
                % (YES if ent.is_small_micro else NO),
            )
            g.ok = False
        if g.name and g.name != ent.name:
            report.warnings.append(
                _("第%(row)d行：企业名称与平台登记（%(name)s）不同，以平台登记为准")
                % {"row": g.row, "name": ent.name}
            )
