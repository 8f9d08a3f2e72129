"""The official lists as the seeds lay them out, column by column and in their sort order.

- 重点行业绩效分级提升企业清单 (001 附件3, R-TGT-2): one row per enterprise and industry, the
  enterprise's other industries noted in 备注; sorted by county, industry type, improvement
  target and differentiating indicator (附件3 注3、注4).
- 重点行业企业绩效分级申报清单 (002 附件3, R-TGT-3): the county's first-reviewed A, B (B-), C
  and 引领性 results of the period, sorted by industry type and grade (its 填报要求).
- A级、B级、绩效引领性企业清单 (001 四(三), 附件4): the seed names it but does not lay it out;
  it takes 附件3's columns for place, enterprise and industry, then the grade and its date, in
  附件3's order (county, industry type, grade).
- 保障类企业清单 (002 第十条(4)(5)): the seed names it without columns; per city, sorted by
  county, guarantee category and name.
"""

from datetime import date
from pathlib import Path

from declarations.models import Declaration
from emergency_list.models import ListEntry
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord, Region
from publication.excel.sheets import write_list
from publication.models import ExportFile, ImprovementEntry
from publication.selectors.public import area_q, bureau_name, by_name
from review.models import Opinion

IMPROVEMENT_COLUMNS = [
    ("序号", 6),
    ("省辖市", 10),
    ("县(市、区)", 12),
    ("企业名称", 32),
    ("重点行业类型", 14),
    ("重点行业分支", 14),
    ("绩效现状", 10),
    ("绩效提升目标", 12),
    ("差异化指标", 14),
    ("存在问题", 30),
    ("改造措施", 30),
    ("拟完成时间", 16),
    ("备注", 24),
]
DECLARATION_COLUMNS = [
    ("序号", 6),
    ("企业名称", 32),
    ("详细地址", 36),
    ("行业类型", 16),
    ("评定等级", 12),
    ("企业负责人", 12),
    ("联系方式", 16),
]
PROVINCE_AB_COLUMNS = [
    ("序号", 6),
    ("省辖市", 10),
    ("县(市、区)", 12),
    ("企业名称", 32),
    ("重点行业类型", 14),
    ("重点行业分支", 14),
    ("绩效等级", 12),
    ("评定日期", 16),
    ("备注", 24),
]
GUARANTEE_COLUMNS = [
    ("序号", 6),
    ("县(市、区)", 12),
    ("企业名称", 32),
    ("统一社会信用代码", 22),
    ("行业类型", 16),
    ("保障类类别", 20),
    ("绩效等级", 12),
    ("保障任务范围", 30),
    ("备注", 30),
]
PROVINCE_AB_GRADES = ("A+", "A", "B", "B-", "LEAD")


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _city_of(county: Region) -> Region:
    return county.parent if county.level == Region.Level.COUNTY else county


def _other_industries(enterprise_ids) -> dict[int, list[tuple[int, str]]]:
    """Enterprise id → [(industry id, name)] of all its industries (one query)."""
    out: dict[int, list[tuple[int, str]]] = {}
    rows = EnterpriseIndustry.objects.filter(enterprise_id__in=enterprise_ids).values_list(
        "enterprise_id", "industry_id", "industry__name"
    )
    for ent, ind, name in rows.order_by("industry__seq"):
        out.setdefault(ent, []).append((ind, name))
    return out


def write_improvement(export: ExportFile, path: Path) -> int:
    """001 附件3 (R-TGT-2)."""
    entries = list(
        ImprovementEntry.objects.filter(
            area_q(export.region, county_path="enterprise__county"), year=export.year
        )
        .select_related(
            "enterprise__county__parent", "industry__category", "target_grade", "indicator"
        )
        .order_by(
            "enterprise__county__code",
            "industry__category__seq",
            "industry__seq",
            "target_grade__severity",
            "indicator__seq",
            by_name("enterprise__name"),
            "pk",
        )
    )
    industries = _other_industries({e.enterprise_id for e in entries})
    rows_of = EnterpriseIndustry.objects.filter(
        enterprise_id__in={e.enterprise_id for e in entries}
    ).select_related("current_grade")
    current = {(r.enterprise_id, r.industry_id): r for r in rows_of}

    def rows():
        for n, e in enumerate(entries, 1):
            row = current.get((e.enterprise_id, e.industry_id))
            others = [
                name for ind, name in industries.get(e.enterprise_id, []) if ind != e.industry_id
            ]
            note = "；".join(
                p for p in (f"企业还涉及：{'、'.join(others)}" if others else "", e.note) if p
            )
            yield [
                n,
                _city_of(e.enterprise.county).name,
                e.enterprise.county.name,
                e.enterprise.name,
                e.industry.name,
                row.branch if row else "",
                row.current_grade.name if row and row.current_grade else "未分级",
                e.target_grade.name,
                e.indicator.name,
                e.problem,
                e.measures,
                chinese_date(e.due_on),
                note,
            ]

    return write_list(
        path,
        sheet="绩效提升企业清单",
        title="重点行业绩效分级提升企业清单",
        lines=[f"{bureau_name(export.region)}    日期：{chinese_date(export.requested_at.date())}"],
        columns=IMPROVEMENT_COLUMNS,
        rows=rows(),
    )


def write_declaration(export: ExportFile, path: Path) -> int:
    """002 附件3 (R-TGT-3): the results the county's first review passed up in the period
    (``params["month"]`` narrows the year to one month), the latest opinion per declaration."""
    opinions = Opinion.objects.filter(
        area_q(export.region, county_path="case__declaration__enterprise__county"),
        kind=Opinion.Kind.FIRST_REVIEW,
        decision=Opinion.Decision.RECOMMEND,
        signed_at__year=export.year,
        grade__code__in=("A+", "A", "B", "B-", "C", "LEAD"),
    )
    month = export.params.get("month")
    if month:
        opinions = opinions.filter(signed_at__month=int(month))
    latest = {}
    for o in opinions.select_related(
        "grade",
        "case__declaration__enterprise",
        "case__declaration__industry__category",
    ).order_by("signed_at", "pk"):
        latest[o.case.declaration_id] = o
    chosen = sorted(
        latest.values(),
        key=lambda o: (
            o.case.declaration.industry.category.seq,
            o.case.declaration.industry.seq,
            o.grade.severity,
            o.grade.code,
            o.case.declaration.enterprise.county_id,
            o.case.declaration.enterprise.name,
        ),
    )

    def rows():
        for n, o in enumerate(chosen, 1):
            d: Declaration = o.case.declaration
            ent = d.enterprise
            yield [
                n,
                ent.name,
                d.address or ent.address,
                d.industry.name,
                o.grade.name,
                d.responsible_person or ent.legal_representative,
                d.responsible_mobile or ent.contact_mobile,
            ]

    region = export.region
    city = _city_of(region) if region.level != Region.Level.PROVINCE else region
    period = f"{export.year}年{month}月" if month else f"{export.year}年"
    return write_list(
        path,
        sheet="申报清单",
        title=f"{city.name}重点行业企业绩效分级申报清单",
        lines=[
            "(填报要求：按技术指南区分行业类型、评定等级排序填报)",
            f"{bureau_name(region)}    日期：{chinese_date(export.requested_at.date())}"
            f"    （{period}初审）",
        ],
        columns=DECLARATION_COLUMNS,
        rows=rows(),
    )


def write_province_ab(export: ExportFile, path: Path) -> int:
    """001 附件4 as reported to the province: A, B (B-) and 引领性 results of the region."""
    qs = (
        EnterpriseIndustry.objects.filter(
            area_q(export.region, county_path="enterprise__county"),
            current_grade__code__in=PROVINCE_AB_GRADES,
        )
        .select_related("enterprise__county__parent", "industry__category", "current_grade")
        .order_by(
            "enterprise__county__code",
            "industry__category__seq",
            "industry__seq",
            "current_grade__severity",
            by_name("enterprise__name"),
            "pk",
        )
    )
    since = {
        (r["enterprise_id"], r["industry_id"]): r["effective_from"]
        for r in _current_records(export.region)
    }

    def rows():
        for n, r in enumerate(qs.iterator(chunk_size=2000), 1):
            ent = r.enterprise
            day = since.get((r.enterprise_id, r.industry_id))
            yield [
                n,
                _city_of(ent.county).name,
                ent.county.name,
                ent.name,
                r.industry.name,
                r.branch,
                r.current_grade.name,
                chinese_date(day) if day else "",
                "涉密企业，不对外公开" if ent.is_confidential else "",
            ]

    return write_list(
        path,
        sheet="A级B级引领性企业清单",
        title=f"{export.region.name}A级、B级、绩效引领性企业清单",
        lines=[f"{bureau_name(export.region)}    日期：{chinese_date(export.requested_at.date())}"],
        columns=PROVINCE_AB_COLUMNS,
        rows=rows(),
    )


def _current_records(region: Region):
    return GradeRecord.objects.filter(
        area_q(region, county_path="enterprise__county"),
        effective_to__isnull=True,
        grade__code__in=PROVINCE_AB_GRADES,
    ).values("enterprise_id", "industry_id", "effective_from")


def write_guarantee(export: ExportFile, path: Path) -> int:
    """The city's guarantee-class enterprises (R-GUAR-1..4): on the year's emergency list as
    guarantee class, or decided on a guarantee-class declaration of the year."""
    region = export.region
    listed = {
        e.enterprise_id: e
        for e in ListEntry.objects.filter(area_q(region), year=export.year, is_guarantee=True).only(
            "enterprise_id", "guarantee_scope"
        )
    }
    declared = {}
    for d in Declaration.objects.filter(
        area_q(region, county_path="enterprise__county"),
        year=export.year,
        control_type=Declaration.ControlType.GUARANTEE,
        status=Declaration.Status.DECIDED,
        guarantee_removal__isnull=True,  # taken off the list since (R-GUAR-3)
    ).order_by("updated_at", "pk"):
        declared[d.enterprise_id] = d
    enterprises = (
        Enterprise.objects.filter(pk__in=set(listed) | set(declared))
        .select_related("county", "overall_grade")
        .prefetch_related("industries__industry__category")
    )
    categories = dict(Declaration.GuaranteeCategory.choices)

    def sort_key(e):
        d = declared.get(e.pk)
        return (e.county.code, d.guarantee_category if d else "~", e.name)

    def rows():
        for n, e in enumerate(sorted(enterprises, key=sort_key), 1):
            d = declared.get(e.pk)
            main = next((i for i in e.industries.all() if i.is_main), None)
            grade = e.overall_grade
            key_industry = main is not None and main.industry.category.code != "general"
            below_b = grade is None or (grade.severity > 20 and grade.code != "LEAD")
            note = (
                "重点行业保障类企业须达到B级及以上或引领性，需帮扶提升"
                if key_industry and below_b
                else ""
            )
            yield [
                n,
                e.county.name,
                e.name,
                e.uscc,
                main.industry.name if main else "",
                categories.get(d.guarantee_category, "") if d else "",
                grade.name if grade else "未分级",
                listed[e.pk].guarantee_scope if e.pk in listed else "",
                note,
            ]

    return write_list(
        path,
        sheet="保障类企业清单",
        title=f"{region.name}{export.year}年保障类企业清单",
        lines=[f"{bureau_name(region)}    日期：{chinese_date(export.requested_at.date())}"],
        columns=GUARANTEE_COLUMNS,
        rows=rows(),
    )
