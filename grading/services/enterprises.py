from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.jurisdiction import region_in_reach
from grading.models import Enterprise, EnterpriseIndustry, Industry, Region, User
from grading.services.grades import enterprise_overall_grade_refresh
from grading.validators import normalize_uscc

ENTERPRISE_FIELDS = (
    "name",
    "uscc",
    "county",
    "address",
    "longitude",
    "latitude",
    "park",
    "legal_representative",
    "contact_person",
    "contact_mobile",
    "production_status",
    "is_small_micro",
    "is_confidential",
)


@dataclass
class IndustryEntry:
    """One industry of an enterprise as entered on a form or through the API."""

    industry: Industry
    branch: str = ""
    so2_tpa: Decimal = Decimal(0)
    nox_tpa: Decimal = Decimal(0)
    pm_tpa: Decimal = Decimal(0)
    vocs_tpa: Decimal = Decimal(0)
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.so2_tpa + self.nox_tpa + self.pm_tpa + self.vocs_tpa


def main_industry_index(entries: list[IndustryEntry]) -> int:
    """R-GRADE-4: the industry with the largest pollutant emissions is the main industry.

    When emissions are not known (all equal), the first entry, the one the user named as main,
    stays main.
    """
    best = 0
    for i, entry in enumerate(entries):
        if entry.total > entries[best].total:
            best = i
    return best


def _check_region(actor: User, county: Region) -> None:
    if not county.holds_enterprises:
        raise ValidationError({"county": _("请选择县（市、区）级单位")})
    if not region_in_reach(actor, county):
        raise ValidationError({"county": _("所选县（市、区）不在您的管辖范围内")})


def _check_industries(entries: list[IndustryEntry]) -> None:
    if not entries:
        raise ValidationError({"industries": _("至少填写一个所属行业")})
    codes = [e.industry.code for e in entries]
    if len(codes) != len(set(codes)):
        raise ValidationError({"industries": _("所属行业不能重复")})
    for e in entries:
        if not e.industry.is_active:
            raise ValidationError(
                {"industries": _("行业“%(name)s”已停用") % {"name": e.industry.name}}
            )
        for attr in ("so2_tpa", "nox_tpa", "pm_tpa", "vocs_tpa"):
            if getattr(e, attr) < 0:
                raise ValidationError({"industries": _("排放量不能为负数")})


def _check_unique_uscc(uscc: str, exclude_pk: int | None = None) -> None:
    qs = Enterprise.objects.filter(uscc=uscc)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        # The message does not say where the enterprise is: jurisdiction stays unprobeable.
        raise ValidationError(
            {
                "uscc": _(
                    "该统一社会信用代码的企业已登记，请勿重复录入；如需变更所属县区请联系原属地生态环境部门"
                )
            }
        )


def _industries_save(enterprise: Enterprise, entries: list[IndustryEntry]) -> None:
    main = main_industry_index(entries)
    existing = {row.industry_id: row for row in enterprise.industries.all()}
    keep = set()
    # Clear the main flag first so the one-main constraint holds throughout.
    enterprise.industries.filter(is_main=True).update(is_main=False)
    for i, entry in enumerate(entries):
        row = existing.get(entry.industry.pk) or EnterpriseIndustry(
            enterprise=enterprise, industry=entry.industry
        )
        row.branch = entry.branch
        row.so2_tpa, row.nox_tpa = entry.so2_tpa, entry.nox_tpa
        row.pm_tpa, row.vocs_tpa = entry.pm_tpa, entry.vocs_tpa
        row.is_main = i == main
        row.save()
        keep.add(entry.industry.pk)
    removed = [row for pk, row in existing.items() if pk not in keep]
    for row in removed:
        if (
            row.current_grade_id
            or enterprise.grade_records.filter(industry_id=row.industry_id).exists()
        ):
            raise ValidationError(
                {
                    "industries": _("行业“%(name)s”已有绩效等级记录，不能删除")
                    % {"name": row.industry.name}
                }
            )
        row.delete()
    enterprise_overall_grade_refresh(enterprise=enterprise)


@transaction.atomic
def enterprise_create(*, actor: User, data: dict, industries: list[IndustryEntry]) -> Enterprise:
    """Register an enterprise in a county within the actor's jurisdiction."""
    data = {k: v for k, v in data.items() if k in ENTERPRISE_FIELDS}
    data["uscc"] = normalize_uscc(data.get("uscc", ""))
    _check_region(actor, data["county"])
    _check_industries(industries)
    _check_unique_uscc(data["uscc"])
    enterprise = Enterprise(**data)
    enterprise.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError as exc:  # a concurrent registration of the same code
        raise ValidationError({"uscc": _("该统一社会信用代码的企业已登记，请勿重复录入")}) from exc
    _industries_save(enterprise, industries)
    event_record(
        code="enterprise.created",
        actor=actor,
        target=enterprise,
        summary=_("登记企业 %(name)s") % {"name": enterprise.name},
        data={"uscc": enterprise.uscc, "county": enterprise.county.code},
    )
    return enterprise


@transaction.atomic
def enterprise_update(
    *,
    actor: User,
    enterprise: Enterprise,
    data: dict,
    industries: list[IndustryEntry] | None = None,
) -> Enterprise:
    """Change an enterprise's master data; every changed field is recorded in the event."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    data = {k: v for k, v in data.items() if k in ENTERPRISE_FIELDS}
    if "uscc" in data:
        data["uscc"] = normalize_uscc(data["uscc"])
        _check_unique_uscc(data["uscc"], exclude_pk=enterprise.pk)
    if "county" in data and data["county"].pk != enterprise.county_id:
        _check_region(actor, data["county"])
    changes = {}
    for key, value in data.items():
        old = getattr(enterprise, key)
        if old != value:
            changes[key] = [str(old), str(value)]
            setattr(enterprise, key, value)
    enterprise.full_clean(validate_unique=False)
    enterprise.save()
    if industries is not None:
        _check_industries(industries)
        before = sorted(r.industry.code for r in enterprise.industries.select_related("industry"))
        _industries_save(enterprise, industries)
        after = sorted(e.industry.code for e in industries)
        if before != after:
            changes["industries"] = [before, after]
    event_record(
        code="enterprise.updated",
        actor=actor,
        target=enterprise,
        summary=_("修改企业信息：%(fields)s") % {"fields": "、".join(changes) or _("无变化")},
        data={"changes": changes},
    )
    return enterprise
