"""Builders for declarations in tests: a draft, and a complete one that passes every check."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from weasyprint import HTML

from declarations.models import Declaration
from declarations.services import drafting, tables
from grading.models import Equipment, Grade, Industry, Process, ProductionLine, User

_PDF_CACHE: dict[str, bytes] = {}


def pdf_bytes(text: str = "证明材料", pages: int = 1) -> bytes:
    key = f"{text}:{pages}"
    if key not in _PDF_CACHE:
        body = "".join(f"<p style='break-before:page'>{text} 第{i + 1}页</p>" for i in range(pages))
        _PDF_CACHE[key] = HTML(string=body).write_pdf()
    return _PDF_CACHE[key]


def pdf_upload(name: str = "证明.pdf", pages: int = 1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(pages=pages), content_type="application/pdf")


def ensure_lines(enterprise) -> Process:
    """The enterprise's master data: one line with an air-emitting process and its equipment."""
    line = enterprise.lines.first()
    if line is None:
        line = ProductionLine.objects.create(
            enterprise=enterprise,
            industry=enterprise.industries.filter(is_main=True).first(),
            name="1号印刷线",
            products="软包装",
            design_capacity=Decimal("3000"),
            capacity_unit="吨/年",
        )
    process = line.processes.first() or Process.objects.create(line=line, name="凹版印刷")
    if not process.equipment.exists():
        Equipment.objects.create(process=process, name="凹版印刷机", quantity=2)
    return process


def draft(
    user: User,
    *,
    industry: str = "N31",
    grade: str = "B",
    control_type: str = "grading",
    year: int | None = None,
    **extra,
) -> Declaration:
    enterprise = user.enterprise
    if not enterprise.legal_representative:
        enterprise.legal_representative = "王建国"
        enterprise.save(update_fields=["legal_representative"])
    return drafting.declaration_create(
        actor=user,
        enterprise=enterprise,
        industry=Industry.objects.get(code=industry),
        year=year or datetime.date.today().year,
        control_type=control_type,
        requested_grade=Grade.objects.get(code=grade),
        **extra,
    )


def complete(
    declaration: Declaration, user: User, *, evidence_rows: int | None = None
) -> Declaration:
    """Fill every part so that ``declaration_check`` finds nothing."""
    today = datetime.date.today()
    legal = declaration.enterprise.legal_representative
    declaration = drafting.declaration_update(
        actor=user,
        declaration=declaration,
        data={
            "address": "新郑市薛店镇华豫路8号",
            "responsible_person": "李红梅",
            "responsible_mobile": "13803710001",
            "output_value": Decimal("5200"),
            "truth_commitment_by": legal,
            "truth_commitment_on": today,
            "reduction_commitment_by": legal,
            "reduction_commitment_on": today,
            "longitude": Decimal("113.781200"),
            "latitude": Decimal("34.472300"),
            "industry_code": "2319",
            "emission_standards": "《印刷工业大气污染物排放标准》（GB 41616-2022）",
            "legal_compliance": "环评批复及验收手续齐全，一年内无环境违法行为。",
            "process_description": "凹版印刷—复合—烘干—分切。",
        },
    )
    process = ensure_lines(declaration.enterprise)
    table_rows = {
        "products": [
            {
                "line": process.line,
                "product": "软包装",
                "capacity": Decimal(3000),
                "last_year_output": Decimal(2600),
                "unit": "吨",
            }
        ],
        "materials": [
            {
                "kind": "raw",
                "name": "水性油墨",
                "annual_amount": Decimal(120),
                "unit": "吨",
                "storage_transport": "桶装密闭",
            }
        ],
        "transport": [{"mode": "cn6_road", "goods": "薄膜", "annual_tonnes": Decimal(3000)}],
        "vehicles": [
            {
                "plate": "豫A12345",
                "vin": "LFV2A21K6D3012345",
                "engine_number": "E12345",
                "emission_stage": "6",
            }
        ],
        "facilities": [
            {
                "kind": "vocs",
                "seq": 1,
                "process": process,
                "technique": "沸石转轮+RTO",
                "commissioned_on": datetime.date(2023, 5, 1),
                "running_status": "正常",
                "removal_efficiency": Decimal(95),
                "concentration": Decimal("18.5"),
                "airflow": Decimal(40000),
            }
        ],
    }
    for table, rows in table_rows.items():
        tables.declaration_table_save(actor=user, declaration=declaration, table=table, rows=rows)
    rows = list(declaration.indicator_rows.order_by("seq"))
    limit = len(rows) if evidence_rows is None else evidence_rows
    for i, row in enumerate(rows):
        if i < limit:
            drafting.indicator_row_update(
                actor=user,
                row=row,
                applicable=True,
                statement=f"{row.category.name}：已达到要求",
                meets=True,
            )
            drafting.evidence_upload(
                actor=user,
                declaration=declaration,
                upload=pdf_upload(f"{row.category.name}.pdf"),
                title=f"{row.category.name}证明材料",
                section="indicator",
                indicator_row=row,
            )
        else:
            drafting.indicator_row_update(
                actor=user, row=row, applicable=False, not_applicable_reason="本企业不涉及此项"
            )
    return Declaration.objects.get(pk=declaration.pk)
