from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import Enterprise, EnterpriseRegistration, ExpertProfile, Industry, Region, User
from grading.rules import allows
from grading.services.enterprises import IndustryEntry, enterprise_create
from grading.validators import normalize_uscc


@transaction.atomic
def registration_submit(
    *,
    username: str,
    password: str,
    uscc: str,
    enterprise_name: str,
    county: Region,
    industry: Industry,
    contact_person: str,
    contact_mobile: str,
    address: str = "",
) -> EnterpriseRegistration:
    """An enterprise registers an account with its USCC; the account stays inactive until its
    county approves it (R-DECL-1). Grading is free of charge (R-ELIG-6)."""
    uscc = normalize_uscc(uscc)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("该用户名已被使用")})
    if not county.holds_enterprises:
        raise ValidationError({"county": _("请选择县（市、区）级单位")})
    existing = Enterprise.objects.filter(uscc=uscc).first()
    if existing is not None and (
        existing.name != enterprise_name or existing.county_id != county.pk
    ):
        raise ValidationError(
            {
                "enterprise_name": _(
                    "企业名称或所属县区与已登记的信息不一致，请核对营业执照或联系属地生态环境部门"
                )
            }
        )
    if EnterpriseRegistration.objects.filter(
        uscc=uscc, status=EnterpriseRegistration.Status.PENDING
    ).exists():
        raise ValidationError({"uscc": _("该企业已有待审核的注册申请，请等待县级生态环境部门审核")})
    user = User(
        username=username,
        role=User.Role.ENTERPRISE,
        full_name=contact_person,
        mobile=contact_mobile,
        is_active=False,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    registration = EnterpriseRegistration(
        user=user,
        uscc=uscc,
        enterprise_name=enterprise_name,
        county=county,
        industry=industry,
        address=address,
        contact_person=contact_person,
        contact_mobile=contact_mobile,
        enterprise=existing,
    )
    registration.full_clean()
    registration.save()
    event_record(
        code="registration.submitted",
        actor=user,
        target=registration,
        summary=_("%(name)s 提交账户注册申请") % {"name": enterprise_name},
        data={"uscc": uscc, "county": county.code},
    )
    return registration


def _lock_pending(registration: EnterpriseRegistration) -> EnterpriseRegistration:
    locked = EnterpriseRegistration.objects.select_for_update().get(pk=registration.pk)
    if locked.status != EnterpriseRegistration.Status.PENDING:
        raise ValidationError(_("该申请已处理，请刷新页面"))
    return locked


def _check_county_actor(actor: User, registration: EnterpriseRegistration) -> None:
    if not allows(actor, "grading.decide_registrations", registration):
        raise ValidationError(_("只有企业所属县级生态环境部门可以审核该申请"))


@transaction.atomic
def registration_approve(
    *, actor: User, registration: EnterpriseRegistration, reason: str = ""
) -> EnterpriseRegistration:
    """The county approves: the account is bound to the enterprise (created if new) and enabled."""
    registration = _lock_pending(registration)
    _check_county_actor(actor, registration)
    enterprise = (
        registration.enterprise or Enterprise.objects.filter(uscc=registration.uscc).first()
    )
    if enterprise is None:
        enterprise = enterprise_create(
            actor=actor,
            data={
                "name": registration.enterprise_name,
                "uscc": registration.uscc,
                "county": registration.county,
                "address": registration.address,
                "contact_person": registration.contact_person,
                "contact_mobile": registration.contact_mobile,
            },
            industries=[IndustryEntry(industry=registration.industry)],
        )
    user = registration.user
    user.enterprise = enterprise
    user.is_active = True
    user.save(update_fields=["enterprise", "is_active"])
    registration.enterprise = enterprise
    registration.status = EnterpriseRegistration.Status.APPROVED
    registration.decided_by = actor
    registration.decided_at = timezone.now()
    registration.decision_reason = reason
    registration.save()
    event_record(
        code="registration.approved",
        actor=actor,
        target=registration,
        summary=_("通过 %(name)s 的账户注册申请") % {"name": registration.enterprise_name},
        reason=reason,
        data={"enterprise": enterprise.pk},
    )
    return registration


@transaction.atomic
def registration_reject(
    *, actor: User, registration: EnterpriseRegistration, reason: str
) -> EnterpriseRegistration:
    if not reason.strip():
        raise ValidationError({"reason": _("请填写不予通过的理由")})
    registration = _lock_pending(registration)
    _check_county_actor(actor, registration)
    registration.status = EnterpriseRegistration.Status.REJECTED
    registration.decided_by = actor
    registration.decided_at = timezone.now()
    registration.decision_reason = reason
    registration.save()
    event_record(
        code="registration.rejected",
        actor=actor,
        target=registration,
        summary=_("未通过 %(name)s 的账户注册申请") % {"name": registration.enterprise_name},
        reason=reason,
    )
    return registration


def _role_region_check(role: str, region: Region | None) -> None:
    expected = {
        User.Role.COUNTY: lambda r: r.holds_enterprises,
        User.Role.CITY: lambda r: r.level == Region.Level.CITY,
        User.Role.PROVINCE: lambda r: r.level == Region.Level.PROVINCE,
    }
    if role in expected and (region is None or not expected[role](region)):
        raise ValidationError({"region": _("所属区划与角色不符")})


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    region: Region | None = None,
    enterprise: Enterprise | None = None,
    mobile: str = "",
    expert: dict | None = None,
) -> User:
    """Create an account of any role (administrators; demo data). Staff need a matching region;
    an enterprise user its enterprise; an expert a profile."""
    _role_region_check(role, region)
    if role == User.Role.ENTERPRISE and enterprise is None:
        raise ValidationError({"enterprise": _("企业用户须绑定企业")})
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        region=region if role in User.STAFF_ROLES else None,
        enterprise=enterprise if role == User.Role.ENTERPRISE else None,
        mobile=mobile,
        is_staff=role == User.Role.ADMIN,
        is_superuser=role == User.Role.ADMIN,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    if role == User.Role.EXPERT:
        expert = expert or {}
        profile = ExpertProfile.objects.create(
            user=user,
            employer=expert.get("employer", ""),
            employer_is_service_agency=expert.get("employer_is_service_agency", False),
            title=expert.get("title", ""),
            home_region=expert.get("home_region"),
        )
        profile.industries.set(expert.get("industries", []))
    event_record(
        code="user.created",
        actor=actor,
        target=user,
        summary=_("创建用户 %(username)s（%(role)s）")
        % {"username": username, "role": user.get_role_display()},
    )
    return user
