"""Checks before submit: completeness of the package and the eligibility rules.

Each check returns ``CheckIssue`` items the user can act on: which part of the package,
what is wrong, and the RULES code behind it. ``declaration_check`` runs them all; submit is
refused while any issue remains.
"""

from datetime import date

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from declarations.models import Declaration
from declarations.services.eligibility import CheckIssue, check_eligibility, one_year_before
from grading.models import Grade

__all__ = ["CheckIssue", "check_eligibility", "declaration_check", "one_year_before"]


def check_guarantee(declaration: Declaration) -> list[CheckIssue]:
    """R-GUAR-2: in a key industry a guarantee-class enterprise must be B or better, or 引领性."""
    if declaration.control_type != Declaration.ControlType.GUARANTEE:
        return []
    issues = []
    if not declaration.guarantee_category:
        issues.append(CheckIssue("R-GUAR-1", "application", _("请选择保障类类别")))
    if declaration.industry.is_general:
        return issues
    minimum = Grade.objects.get(code=settings.GRADING["GUARANTEE_MIN_GRADE"])
    grade = declaration.requested_grade
    if grade.code != "LEAD" and grade.severity > minimum.severity:
        issues.append(
            CheckIssue(
                "R-GUAR-2",
                "application",
                _("重点行业保障类企业须达到%(min)s及以上或绩效引领性，当前自评为%(grade)s")
                % {"min": minimum.name, "grade": grade.name},
            )
        )
    return issues


def check_multi_industry(declaration: Declaration) -> list[CheckIssue]:
    """R-GRADE-4: the other industries' declarations of the same year ask for the same grade."""
    others = (
        Declaration.objects.filter(enterprise=declaration.enterprise, year=declaration.year)
        .exclude(pk=declaration.pk)
        .exclude(status=Declaration.Status.REJECTED)
        .exclude(requested_grade=declaration.requested_grade)
        .select_related("industry", "requested_grade")
    )
    return [
        CheckIssue(
            "R-GRADE-4",
            "application",
            _(
                "企业涉及多个行业，%(industry)s申报为%(other)s，各行业须申报同一等级（当前%(grade)s）"
            )
            % {
                "industry": o.industry.name,
                "other": o.requested_grade.name,
                "grade": declaration.requested_grade.name,
            },
        )
        for o in others
    ]


ROAD_MODES = ("ne_road", "cn6_road", "other_road")
REQUIRED_APPLICATION = ("address", "responsible_person", "responsible_mobile", "output_value")
REQUIRED_BASIC = (
    "longitude",
    "latitude",
    "industry_code",
    "emission_standards",
    "legal_compliance",
    "process_description",
)


def check_completeness(declaration: Declaration) -> list[CheckIssue]:
    """R-DECL-2, R-DECL-3, R-DECL-4: every required part is filled in."""
    d = declaration
    issues = []
    for name in REQUIRED_APPLICATION:
        if getattr(d, name) in (None, ""):
            label = d._meta.get_field(name).verbose_name
            issues.append(CheckIssue("R-DECL-2", "application", _("申请表未填写：%s") % label))
    legal = d.enterprise.legal_representative
    for who, when, title in (
        ("truth_commitment_by", "truth_commitment_on", _("资料真实性承诺书")),
        ("reduction_commitment_by", "reduction_commitment_on", _("重污染天气应急减排承诺书")),
    ):
        if not getattr(d, who) or not getattr(d, when):
            issues.append(
                CheckIssue("R-DECL-2", "commitments", _("%s尚未由法定代表人确认") % title)
            )
        elif legal and getattr(d, who).strip() != legal.strip():
            issues.append(
                CheckIssue(
                    "R-DECL-2",
                    "commitments",
                    _("%(title)s的确认人应为法定代表人%(legal)s")
                    % {"title": title, "legal": legal},
                )
            )
    for name in REQUIRED_BASIC:
        if getattr(d, name) in (None, ""):
            label = d._meta.get_field(name).verbose_name
            issues.append(CheckIssue("R-DECL-2", "basic", _("企业基本情况未填写：%s") % label))
    counts = {
        "products": d.products.count(),
        "materials": d.materials.count(),
        "transport": d.transport.count(),
        "vehicles": d.vehicles.count(),
        "facilities": d.facilities.count(),
        "road": d.transport.filter(mode__in=ROAD_MODES).count(),
    }
    for key, section, message in (
        ("products", "production", _("请填写产品及产能（分生产线）")),
        ("materials", "materials", _("请填写原辅材料及能源消耗情况")),
        ("transport", "transport", _("请填写运输情况（各运输方式运输量）")),
        ("facilities", "facilities", _("请填写污染治理设施（按产污环节逐一列出）")),
    ):
        if not counts[key]:
            rule = "R-DECL-4" if key == "facilities" else "R-DECL-2"
            issues.append(CheckIssue(rule, section, message))
    if counts["road"] and not counts["vehicles"]:
        issues.append(
            CheckIssue("R-DECL-4", "transport", _("有公路运输的企业须填写运输车辆电子台账"))
        )
    rows = d.indicator_rows.select_related("category").annotate(
        n_evidence=Count("evidence", filter=Q(evidence__replaced_by__isnull=True))
    )
    for row in rows:
        name = row.category.name
        if not row.applicable:
            if not row.not_applicable_reason.strip():
                issues.append(
                    CheckIssue(
                        "R-DECL-3", "indicators", _("“%s”标为不涉及，请说明理由") % name, row.seq
                    )
                )
            continue
        if not row.statement.strip():
            issues.append(
                CheckIssue("R-DECL-3", "indicators", _("“%s”未填写企业对标情况") % name, row.seq)
            )
        if row.meets is None:
            issues.append(
                CheckIssue("R-DECL-3", "indicators", _("“%s”未自评是否达到要求") % name, row.seq)
            )
        if not row.n_evidence:
            issues.append(
                CheckIssue("R-DECL-3", "indicators", _("“%s”缺少证明材料") % name, row.seq)
            )
    return issues


def check_strict_grading(declaration: Declaration) -> list[CheckIssue]:
    """R-GRADE-3: one unmet indicator means the next lower grade; the self-assessment must
    match what the enterprise itself states."""
    unmet = declaration.indicator_rows.filter(applicable=True, meets=False).select_related(
        "category"
    )
    return [
        CheckIssue(
            "R-GRADE-3",
            "indicators",
            _("“%(name)s”自评未达到%(grade)s要求：按严格分级原则，不能申报该等级，请调整自评估等级")
            % {"name": row.category.name, "grade": declaration.requested_grade.name},
            row.seq,
        )
        for row in unmet
    ]


def declaration_check(declaration: Declaration, *, on: date) -> list[CheckIssue]:
    """All checks, in the order the user fixes them: eligibility first, then the package."""
    return (
        check_eligibility(declaration, on)
        + check_guarantee(declaration)
        + check_multi_industry(declaration)
        + check_strict_grading(declaration)
        + check_completeness(declaration)
    )
