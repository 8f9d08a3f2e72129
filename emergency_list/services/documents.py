"""Printable documents of a list entry: the enterprise's 一厂一策 plan (R-LIST-5, 002 附件2) and
the signboard at its gate (公示牌, R-LIST-4).

Both are laid out from one consistent reading of the entry (taken under the entry's row lock,
so a revision being written is never half read) and rendered by ``core.documents`` (restricted
fetching, autoescaped templates). Files are stored, never overwritten, under
``list_documents/<entry_id>/<kind>-r<revision>-<sha8>.pdf``: a new revision of the entry gives a
new file and the files of earlier revisions stay. A worker renders them
(``emergency_list.tasks.documents.render_entry_documents``), queued by ``documents_request``.
"""

import hashlib
import os
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import event_record
from core.documents import render_document
from emergency_list.models import (
    PRINT_ORDER,
    Action,
    AlertLevel,
    EntryDocument,
    EntryProcess,
    ListEntry,
    TransportRule,
)
from emergency_list.services.arithmetic import per_day, share_pct, tonnes
from emergency_list.services.entries import POLLUTANTS, cut_share, exempt_reason
from emergency_list.services.public_check import check_url, qr_svg
from grading.models import ProductionLine, User
from grading.rules import allows

PLAN = "plan"
SIGNBOARD = "signboard"
KINDS = (PLAN, SIGNBOARD)
TEMPLATES = {PLAN: "emergency_list/plan.html", SIGNBOARD: "emergency_list/signboard.html"}
ROOT = "list_documents"
# Official documents are in Chinese whatever language the asking user browses in.
DOCUMENT_LANGUAGE = "zh-hans"

# 002 附件2, verbatim.
COMMITMENT = "我单位承诺：以上内容真实有效，确保重污染天气预警期间按以上应急减排措施严格落实。"
REPORT_LINE = "举报电话：12369"
POLLUTANT_LABELS = {"so2": "SO2", "nox": "NOx", "pm": "颗粒物", "vocs": "VOCs"}
LEVEL_NUMBER = {AlertLevel.RED: "4.1", AlertLevel.ORANGE: "4.2", AlertLevel.YELLOW: "4.3"}
# Signboard type sizes, largest first; the first one that keeps the board on one sheet wins.
# With each, the enterprise name's size in pt (smaller for a name too long for one line).
SIGNBOARD_SIZES = {"xl": 50, "l": 42, "m": 34, "s": 28, "xs": 22}
SIGNBOARD_NAME_WIDTH_PT = 1060


# --- reading the entry ------------------------------------------------------------------------


def _num(value, places: int) -> str:
    """A tonnage or share for print: rounded, without trailing zeros ("0" for nothing)."""
    d = Decimal(value or 0).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if d == 0:
        return "0"
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pct(part: Decimal, whole: Decimal) -> str:
    """A share for print, never above 100% (R-LIST-7's one rounding rule)."""
    return _num(share_pct(part, whole), 1) + "%" if whole else "—"


def measure_short(action: str, ratio: Decimal) -> str:
    """The measure in a few characters, as on a signboard: 停产, 限产20%, 停工序50%…"""
    label = str(Action(action).label)
    if action in (Action.LIMIT, Action.STOP, Action.STOP_PROCESS) and ratio and ratio < 100:
        return f"{label}{_num(ratio, 2)}%"
    return label


def _reduction_share(action: str, ratio: Decimal) -> str:
    """The share of the process's production the measure takes away (what 减排比例 means)."""
    if action in (Action.AUTONOMOUS, Action.TRANSPORT_ONLY):
        return "—"
    return _num(cut_share(action, ratio) * 100, 2) + "%"


def _transport_label(rule: str) -> str:
    return "" if rule == TransportRule.NONE else str(TransportRule(rule).label)


def _strictest_rule(rules) -> str:
    rules = set(rules)
    for rule in (TransportRule.STOP_ROAD, TransportRule.BAN_HEAVY_LE_CN4):
        if rule in rules:
            return rule
    return TransportRule.NONE


def _lines(entry: ListEntry, controlled: set[int]) -> list[dict]:
    lines = (
        ProductionLine.objects.filter(enterprise_id=entry.enterprise_id)
        .select_related("industry__industry")
        .prefetch_related("processes__equipment")
        .order_by("id")
    )
    out = []
    for line in lines:
        capacity = ""
        if line.design_capacity is not None:
            capacity = f"{_num(line.design_capacity, 2)} {line.capacity_unit}".strip()
        out.append(
            {
                "name": line.name,
                "industry": line.industry.industry.name if line.industry else "",
                "products": line.products,
                "capacity": capacity,
                "status": line.get_status_display(),
                "processes": [
                    {
                        "name": p.name,
                        "air": p.is_air_emitting,
                        "controlled": p.pk in controlled,
                        "equipment": [
                            {
                                "name": e.name,
                                "model": e.model,
                                "quantity": e.quantity,
                                "capacity": (
                                    f"{_num(e.capacity, 2)} {e.capacity_unit}".strip()
                                    if e.capacity is not None
                                    else ""
                                ),
                            }
                            for e in p.equipment.all()
                        ],
                    }
                    for p in line.processes.all()
                ],
            }
        )
    return out


def _levels(entry: ListEntry, eps: list[EntryProcess]) -> list[dict]:
    days = entry.operating_days
    daily = {p: tonnes(per_day(getattr(entry, f"{p}_tpa"), days)) for p in POLLUTANTS}
    # On the board a process is named alone, or with its line where lines share the name.
    lines_of: dict[str, set[int]] = {}
    for ep in eps:
        lines_of.setdefault(ep.process.name, set()).add(ep.process.line_id)
    board_name = {
        ep.pk: ep.process.name
        if len(lines_of[ep.process.name]) == 1
        else f"{ep.process.line.name}·{ep.process.name}"
        for ep in eps
    }
    levels = []
    for level in PRINT_ORDER:
        rows, groups = [], {}
        totals = {p: Decimal(0) for p in POLLUTANTS}
        for ep in eps:
            m = next((m for m in ep.measures.all() if m.level == level), None)
            if m is None:
                continue
            short = measure_short(m.action, m.ratio_pct)
            rows.append(
                {
                    "process": ep.process.name,
                    "line": ep.process.line.name,
                    "action": m.get_action_display(),
                    "short": short,
                    "ratio": _reduction_share(m.action, m.ratio_pct),
                    "text": m.text,
                    "transport": _transport_label(m.transport_rule),
                    "override": m.is_override,
                    "override_reason": m.override_reason,
                    "cuts": [_num(getattr(m, f"{p}_td"), 4) for p in POLLUTANTS],
                }
            )
            for p in POLLUTANTS:
                totals[p] += getattr(m, f"{p}_td")
            names = groups.setdefault(short, [])
            if board_name[ep.pk] not in names:
                names.append(board_name[ep.pk])
        rule = _strictest_rule(
            r_m.transport_rule for ep in eps for r_m in ep.measures.all() if r_m.level == level
        )
        levels.append(
            {
                "code": level,
                "label": str(AlertLevel(level).label),
                "number": LEVEL_NUMBER[level],
                "rows": rows,
                "totals": [_num(totals[p], 4) for p in POLLUTANTS],
                "shares": [_pct(totals[p], daily[p]) for p in POLLUTANTS],
                "transport": _transport_label(rule),
                # Signboard: processes with the same measure share one line.
                "two_columns": len(groups) > 4,
                "groups": [
                    {"processes": "、".join(names), "short": short, "all": len(groups) == 1}
                    for short, names in groups.items()
                ],
            }
        )
    return levels


def entry_document_context(entry: ListEntry) -> dict:
    """Everything both documents show, read in one go under the entry's row lock."""
    with transaction.atomic():
        entry = (
            ListEntry.objects.select_for_update(of=("self",))
            .select_related("enterprise__county__parent", "county__parent", "grade")
            .get(pk=entry.pk)
        )
        enterprise = entry.enterprise
        eps = list(entry.processes.select_related("process__line").prefetch_related("measures"))
        industries = list(
            enterprise.industries.select_related("industry", "current_grade").order_by(
                "-is_main", "id"
            )
        )
        lines = _lines(entry, {ep.process_id for ep in eps})
        levels = _levels(entry, eps)
    days = entry.operating_days
    baseline = [
        {
            "label": POLLUTANT_LABELS[p],
            "tpa": _num(getattr(entry, f"{p}_tpa"), 3),
            "tpd": _num(per_day(getattr(entry, f"{p}_tpa"), days), 4),
        }
        for p in POLLUTANTS
    ]
    processes = [
        {
            "name": ep.process.name,
            "line": ep.process.line.name,
            "cells": [
                {
                    "tpa": _num(getattr(ep, f"{p}_tpa"), 3),
                    "share": _pct(getattr(ep, f"{p}_tpa"), getattr(entry, f"{p}_tpa")),
                }
                for p in POLLUTANTS
            ],
        }
        for ep in eps
    ]
    county = entry.county
    city = county.city.name if county.city and county.city != county else ""
    address = enterprise.address
    if not address.startswith(("河南", city or county.name, county.name)):
        address = " ".join(x for x in ("河南省", city, county.name, address) if x)
    now = timezone.localtime()
    url = check_url(entry, entry.revision)
    return {
        "entry": entry,
        "check_url": url,
        "qr_svg": qr_svg(url),
        "revision": entry.revision,
        "year": entry.year,
        "enterprise": enterprise,
        "county": county.name,
        "city": city,
        "address": address,
        "grade": entry.grade.name,
        "graded": entry.graded,
        "exempt": exempt_reason(entry),
        "industries": [
            {
                "name": r.industry.name,
                "branch": r.branch,
                "main": r.is_main,
                "grade": r.current_grade.name if r.current_grade else "",
            }
            for r in industries
        ],
        "products": [
            {"line": li["name"], "products": li["products"], "capacity": li["capacity"]}
            for li in lines
            if li["products"] or li["capacity"]
        ],
        "lines": lines,
        "pollutants": [POLLUTANT_LABELS[p] for p in POLLUTANTS],
        "baseline": baseline,
        "processes": processes,
        "levels": levels,
        "responsible_person": entry.responsible_person,
        "contact_mobile": entry.contact_mobile,
        "commitment": COMMITMENT,
        "report_line": REPORT_LINE,
        "generated_at": now,
        "plan_date": f"{now.year}年{now.month}月",
    }


# --- rendering --------------------------------------------------------------------------------


def _pdf(document) -> bytes:
    return document.write_pdf()


def plan_render_with_revision(entry: ListEntry) -> tuple[bytes, int]:
    with translation.override(DOCUMENT_LANGUAGE):
        context = entry_document_context(entry)
        document = render_document(template=TEMPLATES[PLAN], context=context)
    return _pdf(document), context["revision"]


def _spare_height(document) -> float:
    """CSS px left below the board on its (one) page; 0 when it cannot be told."""
    try:
        page = document.pages[0]._page_box
        board = next(
            b
            for b in page.descendants()
            if getattr(b, "element", None) is not None
            and "board" in (b.element.get("class") or "").split()
        )
        bottom = page.content_box_y() + page.height
        return max(0.0, bottom - (board.position_y + board.margin_height()))
    except (AttributeError, StopIteration, IndexError):  # WeasyPrint's layout boxes changed
        return 0.0


def _cell_height(document) -> float:
    """The height of the tallest level column's content (CSS px)."""
    heights = [0.0]
    for b in document.pages[0]._page_box.descendants():
        element = getattr(b, "element", None)
        if element is not None and "fill" in (element.get("class") or "").split():
            heights.append(b.height)
    return max(heights)


def signboard_render_with_revision(entry: ListEntry) -> tuple[bytes, int]:
    """The board must fit one A3 sheet: the type shrinks a step at a time until it does; then
    the level columns are stretched so that the board fills the sheet."""
    with translation.override(DOCUMENT_LANGUAGE):
        return _signboard(entry)


def _signboard(entry: ListEntry) -> tuple[bytes, int]:
    context = entry_document_context(entry)
    document = None
    name_length = max(len(context["enterprise"].name), 1)
    for size, name_pt in SIGNBOARD_SIZES.items():
        context["size"] = size
        context["name_pt"] = f"{min(name_pt, SIGNBOARD_NAME_WIDTH_PT / name_length):.1f}"
        document = render_document(template=TEMPLATES[SIGNBOARD], context=context)
        if len(document.pages) == 1:
            break
    spare = _spare_height(document) if len(document.pages) == 1 else 0.0
    if spare > 2:
        context["fill_px"] = f"{_cell_height(document) + spare - 2:.1f}"
        filled = render_document(template=TEMPLATES[SIGNBOARD], context=context)
        if len(filled.pages) == 1:
            document = filled
    return _pdf(document), context["revision"]


def plan_render(entry: ListEntry) -> bytes:
    """一厂一策 实施方案 (002 附件2): cover, 1 基本情况, 2 工艺流程, 3 排放情况, 4 措施 per level
    (red, orange, yellow), the commitment and the signature block."""
    return plan_render_with_revision(entry)[0]


def signboard_render(entry: ListEntry) -> bytes:
    """公示牌 (R-LIST-4): one A3 landscape sheet in large type."""
    return signboard_render_with_revision(entry)[0]


RENDERERS = {PLAN: plan_render_with_revision, SIGNBOARD: signboard_render_with_revision}


# --- storing ----------------------------------------------------------------------------------


def document_name(entry_pk: int, kind: str, revision: int, sha256: str) -> str:
    return f"{ROOT}/{entry_pk}/{kind}-r{revision}-{sha256[:8]}.pdf"


def _write(name: str, pdf: bytes, sha256: str) -> str:
    """Write the file whole or not at all. The name holds the checksum, so a file already there
    under it has this content (checked) and is left alone."""
    storage = default_storage
    if storage.exists(name):
        with storage.open(name, "rb") as fh:
            if hashlib.sha256(fh.read()).hexdigest() == sha256:
                return name
        raise ValidationError(_("文件%s已存在且内容不一致") % name)
    try:
        path = Path(storage.path(name))
    except NotImplementedError:  # remote storages write an object whole
        return storage.save(name, ContentFile(pdf))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pdf)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def document_store_revision(
    entry_pk: int, kind: str, revision: int, pdf_bytes: bytes
) -> tuple[str, str]:
    if kind not in KINDS:
        raise ValidationError(_("未知的文件类型：%s") % kind)
    digest = hashlib.sha256(pdf_bytes).hexdigest()
    return _write(document_name(entry_pk, kind, revision, digest), pdf_bytes, digest), digest


def document_record(
    *, entry_pk: int, kind: str, revision: int, path: str, sha256: str, size: int
) -> EntryDocument:
    """Record a stored file as a document of the entry (once per file): what the entry page,
    the API and the county's bundle list."""
    doc, _created = EntryDocument.objects.get_or_create(
        path=path,
        defaults={
            "entry_id": entry_pk,
            "kind": kind,
            "revision": revision,
            "sha256": sha256,
            "size": size,
        },
    )
    return doc


def document_render_and_record(entry: ListEntry, kind: str) -> EntryDocument:
    """Render one document of the entry's current version, store it whole and record it."""
    pdf, revision = RENDERERS[kind](entry)
    path, digest = document_store_revision(entry.pk, kind, revision, pdf)
    return document_record(
        entry_pk=entry.pk, kind=kind, revision=revision, path=path, sha256=digest, size=len(pdf)
    )


def document_store(entry: ListEntry, kind: str, pdf_bytes: bytes) -> tuple[str, str]:
    """Store a rendered document of the entry's current revision; returns (name, sha256)."""
    return document_store_revision(entry.pk, kind, entry.revision, pdf_bytes)


def documents_list(entry: ListEntry) -> dict[str, list[str]]:
    """The stored files of the entry per kind, newest revision first."""
    folder = f"{ROOT}/{entry.pk}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        files = []
    out: dict[str, list[tuple[int, str]]] = {k: [] for k in KINDS}
    for f in files:
        kind, _sep, rest = f.partition("-r")
        if kind in out and f.endswith(".pdf") and rest.split("-")[0].isdigit():
            out[kind].append((int(rest.split("-")[0]), f"{folder}/{f}"))
    return {k: [n for _r, n in sorted(v, reverse=True)] for k, v in out.items()}


# --- asking for them --------------------------------------------------------------------------


@transaction.atomic
def documents_request(*, actor: User, entry: ListEntry) -> None:
    """Queue the plan and the signboard of the entry for a worker; the county's (city's,
    province's) staff or the enterprise itself may ask (``render_entry_documents``)."""
    entry = ListEntry.objects.select_related("county", "enterprise").get(pk=entry.pk)
    if not allows(actor, "emergency_list.render_entry_documents", entry):
        raise PermissionDenied(_("无权生成该企业的一厂一策实施方案和公示牌"))
    event_record(
        code="list.documents.requested",
        actor=actor,
        target=entry,
        summary=_("生成%(year)s年一厂一策实施方案及公示牌：%(ent)s（第%(rev)d版）")
        % {"year": entry.year, "ent": entry.enterprise.name, "rev": entry.revision},
        data={"revision": entry.revision},
    )
    from emergency_list.tasks.documents import render_entry_documents

    pk = entry.pk
    transaction.on_commit(lambda: render_entry_documents.delay(pk))
