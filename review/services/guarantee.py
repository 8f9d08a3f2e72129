"""The guarantee-class chain (保障类, R-GUAR-3; 002 第六条(4), 第十条(4)).

A 保障类 declaration goes through first review at the county, due by 20 September of its
year (``GRADING["GUARANTEE_COUNTY_DUE"]``, "09-20" by default); the city then reviews it with
the development-and-reform, industry, commerce and market-regulation departments, each
recorded as a co-reviewer that signs or records an objection. The city decides the case
itself (it does not go to the province for a decision) once every department has signed and
none objects, and reports its guarantee list to the province. Deciding sends
``guarantee_granted``; removal is ``declarations.services.guarantee.guarantee_remove``.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from core.notifications import notify
from declarations.models import Declaration
from declarations.selectors import guarantee_declarations
from declarations.signals import guarantee_granted
from grading.models import Region, User
from review.models import GuaranteeCoReview, GuaranteeReport, Opinion, ReviewCase
from review.rules import require
from review.selectors.cases import staff_of

Department = GuaranteeCoReview.Department
Verdict = GuaranteeCoReview.Verdict


def is_guarantee_case(case: ReviewCase) -> bool:
    return case.declaration.control_type == Declaration.ControlType.GUARANTEE


def guarantee_county_due(year: int) -> date:
    """R-GUAR-3: counties finish the review of guarantee cases by 20 September."""
    month, day = (int(p) for p in settings.GRADING.get("GUARANTEE_COUNTY_DUE", "09-20").split("-"))
    return date(year, month, day)


def co_review_problems(case: ReviewCase) -> list[str]:
    """What still stands between the city and its decision on a guarantee case: departments
    that have not signed, and objections on record."""
    recorded = {r.department: r for r in case.guarantee_co_reviews.all()}
    problems = []
    missing = [label for value, label in Department.choices if value not in recorded]
    if missing:
        problems.append(_("尚待以下部门会审签署：%s") % "、".join(str(m) for m in missing))
    objecting = [
        r.get_department_display() for r in recorded.values() if r.verdict == Verdict.OBJECTION
    ]
    if objecting:
        problems.append(
            _("%s 提出异议，不能认定为保障类；请退回企业修改或不予通过") % "、".join(objecting)
        )
    return problems


def guarantee_decision_check(case: ReviewCase, decision: str) -> None:
    """R-GUAR-3, called by ``review_sign`` for a guarantee case at the city: it decides, after
    the joint review with the four departments, and does not forward to the province."""
    if decision == Opinion.Decision.FORWARD:
        raise ValidationError(
            _("保障类由市级会同发展改革、工信、商务、市场监管部门审核认定，并报省备案")
        )
    if decision == Opinion.Decision.DECIDE:
        problems = co_review_problems(case)
        if problems:
            raise ValidationError(problems)


def guarantee_granted_send(*, case: ReviewCase, actor: User) -> None:
    """Tell the stages above, inside the transaction, that a guarantee case was decided."""
    declaration = case.declaration
    guarantee_granted.send(
        sender=ReviewCase, enterprise=declaration.enterprise, declaration=declaration, actor=actor
    )


@transaction.atomic
def guarantee_co_review_record(
    *,
    actor: User,
    case: ReviewCase,
    department: str,
    verdict: str,
    signatory: str,
    opinion: str,
) -> GuaranteeCoReview:
    """R-GUAR-3: the city records one department's joint-review statement on a guarantee case
    at its stage: signed, or an objection with its grounds. Never edited afterwards."""
    case = ReviewCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
    require(actor, "review.record_guarantee_co_review", case)
    if not is_guarantee_case(case):
        raise ValidationError(_("只有保障类申报需要部门会审"))
    if case.stage != ReviewCase.Stage.CITY:
        raise ValidationError(_("部门会审在市级审核阶段进行"))
    if department not in Department.values:
        raise ValidationError({"department": _("请选择会审部门")})
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": _("请选择同意或有异议")})
    if not signatory.strip():
        raise ValidationError({"signatory": _("请填写部门签署人")})
    if not opinion.strip():
        raise ValidationError({"opinion": _("请填写会审意见或异议内容")})
    try:
        with transaction.atomic():
            row = GuaranteeCoReview.objects.create(
                case=case,
                department=department,
                verdict=verdict,
                signatory=signatory.strip(),
                opinion=opinion.strip(),
                recorded_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError({"department": _("该部门已登记会审意见")}) from exc
    event_record(
        code="review.guarantee.co_reviewed",
        actor=actor,
        target=case.declaration,
        summary=_("保障类部门会审：%(dept)s %(verdict)s（%(who)s）")
        % {
            "dept": row.get_department_display(),
            "verdict": row.get_verdict_display(),
            "who": row.signatory,
        },
        reason=row.opinion,
        data={"case": case.pk, "department": department, "verdict": verdict},
    )
    return row


def guarantee_list_rows(*, city: Region, year: int):
    """The whole city's guarantee list of the year (the declarations stage's data source)."""
    counties = Region.objects.filter(pk=city.pk) | Region.objects.filter(parent=city)
    return guarantee_declarations(counties=counties, year=year)


@transaction.atomic
def guarantee_report_submit(
    *, actor: User, city: Region, year: int, note: str = ""
) -> GuaranteeReport:
    """R-GUAR-3: the city reports its guarantee list of the year to the province, as it now
    stands (a frozen copy)."""
    require(actor, "review.report_guarantee_list", city)
    rows = list(guarantee_list_rows(city=city, year=year))
    if not rows:
        raise ValidationError(_("本市%d年尚无已认定的保障类企业，无需报送") % year)
    report = GuaranteeReport.objects.create(
        city=city,
        year=year,
        note=note.strip(),
        submitted_by=actor,
        enterprises=[
            {
                "enterprise": d.enterprise_id,
                "name": d.enterprise.name,
                "county": d.enterprise.county.name,
                "category": d.get_guarantee_category_display(),
                "declaration": d.number,
            }
            for d in rows
        ],
    )
    summary = _("%(city)s报送%(year)s年保障类企业清单（%(n)d家）") % {
        "city": city.name,
        "year": year,
        "n": len(rows),
    }
    event_record(code="review.guarantee.reported", actor=actor, target=report, summary=summary)
    province = city.parent
    notify(
        recipients=staff_of(province, User.Role.PROVINCE) if province else [],
        code="review.guarantee.reported",
        message=summary,
        url=f"/review/guarantee/?city={city.code}&year={year}",
    )
    return report
