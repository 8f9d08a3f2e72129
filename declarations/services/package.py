"""The declaration package PDF (申报材料, 002 附件4), rendered from a frozen version.

Image evidence is laid out inside the document (its page numbers come from CSS
target-counter); PDF evidence is appended after it, and its page numbers are computed from
the laid-out document, re-laying it out until the numbers are stable. Office files cannot be
paged and are listed as electronic attachments.
"""

import io
from collections.abc import Callable

from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from core.documents import render_document
from declarations.models import (
    Declaration,
    DeclarationVersion,
    Evidence,
    MaterialUse,
    TransportVolume,
    TreatmentFacility,
    Vehicle,
)
from declarations.texts import reduction_commitment, truth_commitment


def _label(choices, value) -> str:
    return dict(choices).get(value, value)


def package_context(version: DeclarationVersion) -> tuple[dict, list[Evidence]]:
    snap = version.snapshot
    fields = snap["declaration"]
    evidence_ids = [e["id"] for e in snap["evidence"]]
    evidence = {e.pk: e for e in Evidence.objects.filter(pk__in=evidence_ids)}
    ordered = [evidence[i] for i in evidence_ids if i in evidence]
    by_row: dict[int, list[Evidence]] = {}
    for row in snap["indicators"]:
        by_row[row["seq"]] = [evidence[i] for i in row["evidence"] if i in evidence]
    grade = snap["requested_grade"]
    context = {
        "version": version,
        "snap": snap,
        "d": fields,
        "enterprise": snap["enterprise"],
        "control_type": _label(Declaration.ControlType.choices, fields["control_type"]),
        "guarantee_category": _label(
            Declaration.GuaranteeCategory.choices, fields["guarantee_category"]
        ),
        "truth_text": truth_commitment(
            city=snap["enterprise"]["city"],
            year=fields["year"],
            industry=snap["industry"],
            grade=grade,
        ),
        "reduction_text": reduction_commitment(industry=snap["industry"], grade=grade),
        "materials": [
            {**m, "kind": _label(MaterialUse.Kind.choices, m["kind"])} for m in snap["materials"]
        ],
        "transport": [
            {**t, "mode": _label(TransportVolume.Mode.choices, t["mode"])}
            for t in snap["transport"]
        ],
        "vehicles": [
            {**v, "emission_stage": _label(Vehicle.EmissionStage.choices, v["emission_stage"])}
            for v in snap["vehicles"]
        ],
        "facility_groups": [
            (label, [f for f in snap["facilities"] if f["kind"] == kind])
            for kind, label in TreatmentFacility.Kind.choices
        ],
        "indicators": [{**row, "files": by_row.get(row["seq"], [])} for row in snap["indicators"]],
        "images": [e for e in ordered if e.kind in ("jpeg", "png")],
        "pdfs": [e for e in ordered if e.kind == "pdf"],
        "office": [e for e in ordered if e.kind in ("xlsx", "docx")],
        "generated_at": timezone.localtime(),
    }
    return context, ordered


def package_render(
    version: DeclarationVersion, *, progress: Callable[[int], None] = lambda p: None
) -> bytes:
    context, ordered = package_context(version)
    # Stored files, read through the storage API (local folder or object storage alike).
    attached = {f"ev{e.pk}": e.file for e in ordered if e.kind in ("jpeg", "png")}
    pdfs = context["pdfs"]
    # Lay out until the appended PDFs' page numbers (and the total) no longer move the layout.
    pdf_pages: dict[int, int] = {}
    total = 0
    document = None
    for _attempt in range(4):
        context["pdf_pages"], context["total_pages"] = pdf_pages, total
        document = render_document(
            template="declarations/package.html", context=context, attached=attached
        )
        start = len(document.pages) + 1
        new_pages = {}
        for e in pdfs:
            new_pages[e.pk] = start
            start += e.page_count
        if new_pages == pdf_pages and start - 1 == total:
            break
        pdf_pages, total = new_pages, start - 1
    progress(60)
    main = io.BytesIO()
    document.write_pdf(main)
    progress(80)
    if not pdfs:
        return main.getvalue()
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(main.getvalue())))
    for e in pdfs:
        with e.file.open("rb") as fh:
            writer.append(PdfReader(io.BytesIO(fh.read())))
    out = io.BytesIO()
    writer.write(out)
    progress(95)
    return out.getvalue()
