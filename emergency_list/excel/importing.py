"""A county's existing list, uploaded in the layout of the export (R-LIST-1, R-LIST-2,
R-LIST-3, R-LIST-4, R-LIST-8, R-GUAR-4).

``import_validate`` reads the workbook and names every problem by Excel row and Chinese column
without writing anything; ``import_apply`` validates again and, only when the file is clean,
saves it in one transaction. Matching is by 统一社会信用代码 and, within the enterprise, by
生产线 + 涉气工序 (the process name alone when it is unique), so importing the same file twice
changes nothing the second time.

An enterprise new to the platform is registered in the county with its main industry, lines,
processes and equipment (through the grading services, with the importing user as actor), and a
grade in the file is recorded as history (历史导入). For an enterprise already registered, the
file must agree with the platform on its county, main industry, grade and small-micro status,
and every process must be one of its air-emitting processes; its master data is not changed.
Columns the platform does not hold (乡镇/街道, 排污许可证编号, 实际产量, 减排基准, 燃料) are read
and ignored, with a warning when they hold anything.

The archive is checked before openpyxl sees it (``archive``); the rows are read by ``reading``
and checked against the platform by ``checks``.
"""

import logging
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import event_record
from emergency_list.excel.archive import (
    MALFORMED,
    XML_BOMB,
    ImportRefused,
    archive_check,
    open_list_sheet,
    out_of_memory,
    refused_by_defusedxml,
)
from emergency_list.excel.checks import check_rows, match_enterprises
from emergency_list.excel.layout import COL, COLUMNS, HEADER_ROWS, NCOL
from emergency_list.excel.reading import (
    MOBILE,
    Q4,
    GroupData,
    Reference,
    Report,
    SheetRow,
    cell_text,
    check_header,
    parse_group,
    parse_row,
)
from emergency_list.models import (
    ACTION_RANK,
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    ListEntry,
)
from emergency_list.services.entries import POLLUTANTS, measure_for
from emergency_list.services.history import entry_revising
from emergency_list.services.measures import TemplateIndex
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord, Region, User
from grading.rules import allows
from grading.services.enterprises import IndustryEntry, enterprise_create
from grading.services.grades import enterprise_managed_grade, grade_record_add
from grading.services.lines import equipment_save, process_save, production_line_save
from grading.validators import normalize_uscc

logger = logging.getLogger(__name__)
MAX_IMPORT_ROWS = 50_000  # data rows; a county's list is a few thousand
MAX_SCANNED_ROWS = 200_000  # rows read at all, empty ones included


class ImportInvalid(ValidationError):
    """``import_apply`` on a file with errors: nothing was saved; ``report`` names them."""

    def __init__(self, report: dict) -> None:
        super().__init__(report.get("file_error") or _("清单文件校验未通过，未导入任何数据"))
        self.report = report


def _read(county: Region, year: int, path: Path | str) -> tuple[dict, list[GroupData]]:
    """Parse and validate; returns the report and, when it is clean, the groups to save."""
    report = Report()
    base = {
        "ok": False,
        "file_error": "",
        "file_error_code": "",
        "errors": [],
        "error_rows": [],
        "warnings": [],
        "truncated": False,
        "enterprises": 0,
        "rows": 0,
        "new_enterprises": 0,
    }
    try:
        archive_check(path)
        wb, ws = open_list_sheet(path)
    except ImportRefused as exc:
        return {**base, "file_error": exc.message, "file_error_code": exc.code}, []
    ref = Reference(county)
    groups: list[GroupData] = []
    seen_uscc: dict[str, int] = {}
    ignored = set()
    n_rows = 0
    try:
        rows = ws.iter_rows(max_col=NCOL)
        header = []
        for _i in range(HEADER_ROWS):
            header.append(next(rows, ()))
        check_header(header)
        ent_cols = [i for i, c in enumerate(COLUMNS) if c.enterprise]
        unstored = [i for i, c in enumerate(COLUMNS) if not c.stored]
        emission_cols = [COL[p] for p in POLLUTANTS]
        process_cols = [i for i in range(NCOL) if i not in ent_cols and i not in emission_cols]
        current: GroupData | None = None
        for number, cells in enumerate(rows, start=HEADER_ROWS + 1):
            if number > MAX_SCANNED_ROWS + HEADER_ROWS:
                raise ImportRefused(
                    _("文件行数过多（超过%d行），请按县（市、区）分别导入") % MAX_SCANNED_ROWS,
                    "too_many_rows",
                )
            r = SheetRow(number, cells, report)
            if r.empty() and r.ok:
                continue
            n_rows += 1
            if n_rows > MAX_IMPORT_ROWS:
                raise ImportRefused(
                    _("数据行数超过%d行，请按县（市、区）分别导入") % MAX_IMPORT_ROWS,
                    "too_many_rows",
                )
            ignored.update(COLUMNS[i].label for i in unstored if cell_text(r.values[i]))
            uscc = normalize_uscc(cell_text(r.values[COL["uscc"]]))
            continues = current is not None and (
                (not uscc and r.empty(ent_cols)) or (uscc and uscc == current.uscc)
            )
            if not continues:
                if current is None and not uscc and r.empty(ent_cols):
                    r.error(COL["uscc"], _("缺少企业信息（该行之前没有企业）"))
                    continue
                current = parse_group(r, ref)
                if current.uscc and current.uscc in seen_uscc:
                    first = seen_uscc[current.uscc]
                    message = _("该企业已在第%d行列出，同一企业的工序应连续填写") % first
                    r.error(COL["uscc"], message)
                    current.ok = False
                elif current.uscc:
                    seen_uscc[current.uscc] = number
                groups.append(current)
            if r.empty(process_cols):
                if not r.empty(emission_cols):  # an enterprise without air processes
                    current.baseline = {p: r.decimal(p) for p in POLLUTANTS}
                    current.baseline_row = number
                    current.ok = current.ok and r.ok
                continue
            current.rows.append(parse_row(r, ref))
    except ImportRefused as exc:
        wb.close()
        return {**base, "file_error": exc.message, "file_error_code": exc.code}, []
    except Exception as exc:
        wb.close()
        if out_of_memory(exc):
            raise MemoryError(str(exc)) from exc  # the worker's cap: the job says so
        if refused_by_defusedxml(exc):
            return {**base, "file_error": _(XML_BOMB), "file_error_code": "xml_bomb"}, []
        logger.warning("list import: unreadable workbook %s", path, exc_info=True)
        return {
            **base,
            "file_error": _(MALFORMED),
            "file_error_code": "malformed",
        }, []
    wb.close()
    if not groups:
        return {**base, "file_error": _("文件中没有清单数据"), "file_error_code": "empty"}, []
    match_enterprises(groups, report, ref)
    for g in groups:
        check_rows(g, report, ref)
    if ignored:
        report.warnings.append(_("以下列的内容平台暂不保存：%s") % "、".join(sorted(ignored)))
    listed = {g.uscc for g in groups}
    absent = list(
        Enterprise.objects.filter(county=county)
        .exclude(uscc__in=listed)
        .order_by("name")
        .values_list("name", flat=True)[:11]
    )
    if absent:
        report.warnings.append(
            _("本县已登记企业未列入文件（每家涉气企业都应列入清单）：%s") % "、".join(absent[:10])
            + ("等" if len(absent) > 10 else "")
        )
    out = {
        **base,
        "ok": not report.error_rows,
        "errors": sorted(report.errors, key=lambda e: e["row"]),
        "error_rows": sorted(report.error_rows),
        "warnings": report.warnings,
        "truncated": report.truncated,
        "enterprises": len(groups),
        "rows": n_rows,
        "new_enterprises": sum(1 for g in groups if g.enterprise is None),
    }
    return out, groups


def import_validate(*, county: Region, year: int, path: Path | str) -> dict:
    """Read and check the file; write nothing. The report (JSON-ready) has ``ok``, a
    ``file_error`` when the file as a whole is refused, and ``errors`` as
    ``{"row": Excel row, "column": Chinese column name, "message"}``."""
    with translation.override("zh-hans"):
        report, _groups = _read(county, year, path)
    return report


def _create_enterprise(g: GroupData, actor: User, county: Region) -> Enterprise:
    totals = g.totals()
    ent = enterprise_create(
        actor=actor,
        data={
            "name": g.name,
            "uscc": g.uscc,
            "county": county,
            "address": g.address,
            "longitude": g.longitude,
            "latitude": g.latitude,
            "contact_person": g.responsible_person,
            "contact_mobile": g.contact_mobile if MOBILE.match(g.contact_mobile) else "",
            "production_status": g.status,
            "is_small_micro": g.is_small_micro,
        },
        industries=[
            IndustryEntry(
                industry=g.industry,
                **{
                    f"{p}_tpa": totals[p].quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
                    for p in POLLUTANTS
                },
            )
        ],
    )
    main = ent.industries.get(is_main=True)
    lines = {}
    for row in g.rows:
        line = lines.get(row.line)
        if line is None:
            line = lines[row.line] = production_line_save(
                actor=actor,
                enterprise=ent,
                data={
                    "name": row.line,
                    "products": row.products,
                    "design_capacity": row.capacity,
                    "capacity_unit": row.capacity_unit,
                    "industry": main,
                },
            )
        row.process = process_save(
            actor=actor, line=line, data={"name": row.process_name, "is_air_emitting": True}
        )
        for name, qty in row.equipment:
            equipment_save(actor=actor, process=row.process, data={"name": name, "quantity": qty})
    if g.graded:
        grade_record_add(
            actor=actor,
            enterprise=ent,
            industry=g.industry,
            grade=g.grade,
            effective_from=timezone.localdate(),
            source=GradeRecord.Source.IMPORT,
            reason=_("应急减排清单导入：原清单所载绩效等级"),
        )
    return Enterprise.objects.select_related("overall_grade").get(pk=ent.pk)


_ENTRY_FIELDS = (
    "is_guarantee",
    "guarantee_scope",
    "is_power_plant",
    "is_heating_boiler",
    "bulk_transport",
    "transport_plan",
    "gate_system",
    "responsible_person",
    "contact_mobile",
    "operating_days",
    "note",
)


def _wanted(g: GroupData, entry: ListEntry, index: TemplateIndex):
    """The entry's content as the file states it: (entry fields, [(process, tpa, measures)])."""
    fields = {f: getattr(g, f) for f in _ENTRY_FIELDS}
    fields.update({f"{p}_tpa": v for p, v in g.totals().items()})
    processes = []
    for row in g.rows:
        ep = EntryProcess(
            process=row.process,
            industry=g.industry,
            grade=entry.grade,
            emission_basis=EntryProcess.EmissionBasis.IMPORTED,
            **{f"{p}_tpa": row.tpa[p] for p in POLLUTANTS},
        )
        measures = []
        for level in AlertLevel.values:
            m = row.measures[level]
            expected = measure_for(entry, ep, level, index, g.industry.pk)
            stricter = ACTION_RANK[m.action] != ACTION_RANK[expected.action] or m.ratio != (
                expected.ratio_pct or Decimal(0)
            )
            measures.append(
                EntryMeasure(
                    level=level,
                    action=m.action,
                    ratio_pct=m.ratio,
                    transport_rule=m.transport,
                    text=m.text,
                    template=expected.template,
                    is_override=stricter,
                    override_reason=_("导入清单：县级加严措施") if stricter else "",
                    **{f"{p}_td": m.cuts[p] for p in POLLUTANTS},
                )
            )
        processes.append((ep, measures))
    return fields, processes


def _signature(fields: dict, processes) -> tuple:
    return (
        tuple(sorted((k, str(v)) for k, v in fields.items())),
        tuple(
            (
                ep.process_id,
                tuple(str(getattr(ep, f"{p}_tpa")) for p in POLLUTANTS),
                tuple(
                    (
                        m.level,
                        m.action,
                        str(Decimal(m.ratio_pct).quantize(Decimal("0.01"))),
                        m.transport_rule,
                        m.text,
                        tuple(str(Decimal(getattr(m, f"{p}_td")).quantize(Q4)) for p in POLLUTANTS),
                    )
                    for m in sorted(ms, key=lambda m: m.level)
                ),
            )
            for ep, ms in sorted(processes, key=lambda pm: pm[0].process_id)
        ),
    )


def _stored(entry: ListEntry):
    fields = {f: getattr(entry, f) for f in _ENTRY_FIELDS}
    fields.update({f"{p}_tpa": getattr(entry, f"{p}_tpa") for p in POLLUTANTS})
    processes = [
        (ep, list(ep.measures.all()))
        for ep in entry.processes.order_by("id").prefetch_related("measures")
    ]
    return fields, processes


def _normal(fields: dict) -> dict:
    return {k: (Decimal(v).quantize(Q4) if k.endswith("_tpa") else v) for k, v in fields.items()}


def _write_entry(entry, ent, county, grade, fields: dict, processes) -> None:
    entry.county, entry.grade = county, grade
    entry.graded = ent.overall_grade_id is not None
    for k, v in fields.items():
        setattr(entry, k, v)
    entry.save()
    for ep, _measures in processes:
        ep.entry = entry
    EntryProcess.objects.bulk_create([ep for ep, _m in processes])
    measures = []
    for ep, ms in processes:
        for m in ms:
            m.entry_process = ep
            measures.append(m)
    EntryMeasure.objects.bulk_create(measures)


def _save_group(
    g: GroupData, *, actor: User, county: Region, year: int, index: TemplateIndex, counts: dict
) -> None:
    if g.enterprise is None:
        g.enterprise = _create_enterprise(g, actor, county)
        counts["enterprises_created"] += 1
    ent = (
        Enterprise.objects.prefetch_related(
            Prefetch("industries", queryset=EnterpriseIndustry.objects.select_related("industry"))
        )
        .select_related("overall_grade", "county")
        .get(pk=g.enterprise.pk)
    )
    grade = enterprise_managed_grade(ent)
    entry = ListEntry.objects.select_for_update().filter(year=year, enterprise=ent).first()
    created = entry is None
    if created:
        entry = ListEntry(year=year, enterprise=ent, county=county, grade=grade)
    entry.enterprise = ent
    probe = ListEntry(
        enterprise=ent,
        grade=grade,
        **{f: getattr(g, f) for f in _ENTRY_FIELDS},
    )
    fields, processes = _wanted(g, probe, index)
    if not created:
        same_head = (
            entry.county_id == county.pk
            and entry.grade_id == grade.pk
            and entry.graded == (ent.overall_grade_id is not None)
        )
        stored_fields, stored_processes = _stored(entry)
        if same_head and _signature(_normal(fields), processes) == _signature(
            _normal(stored_fields), stored_processes
        ):
            counts["entries_unchanged"] += 1
            return
        with entry_revising(entry, actor=actor, reason=_("导入清单")) as change:
            EntryProcess.objects.filter(entry=entry).delete()
            _write_entry(entry, ent, county, grade, fields, processes)
        if not change.changed:
            counts["entries_unchanged"] += 1
            return
    else:
        _write_entry(entry, ent, county, grade, fields, processes)
    counts["entries_created" if created else "entries_updated"] += 1
    event_record(
        code="list.entry.imported",
        actor=actor,
        target=entry,
        summary=_("%(year)s年清单导入：%(ent)s（%(grade)s）")
        % {"year": year, "ent": ent.name, "grade": grade.name},
    )


def import_apply(*, actor: User, county: Region, year: int, path: Path | str) -> dict:
    """Validate again and save the whole file in one transaction, or nothing (``ImportInvalid``
    carries the report). Idempotent: a second run of the same file changes nothing."""
    if not allows(actor, "emergency_list.import_list", county):
        raise PermissionDenied(_("只有辖区生态环境部门可以导入应急减排清单"))
    with translation.override("zh-hans"), transaction.atomic():
        report, groups = _read(county, year, path)
        if not report["ok"]:
            raise ImportInvalid(report)
        counts = {
            "enterprises_created": 0,
            "entries_created": 0,
            "entries_updated": 0,
            "entries_unchanged": 0,
            "rows": report["rows"],
        }
        index = TemplateIndex()
        for g in groups:
            _save_group(g, actor=actor, county=county, year=year, index=index, counts=counts)
        event_record(
            code="list.imported",
            actor=actor,
            target=county,
            summary=_("导入%(year)s年应急减排清单：%(n)d家企业") % {"year": year, "n": len(groups)},
            data=counts,
        )
    return counts
