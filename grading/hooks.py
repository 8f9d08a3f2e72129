"""The grading app's sections of the inbox and entries of the navigation (see ``core.hooks``)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.hooks import INBOX_ITEMS, InboxSection, NavItem, register
from grading import selectors
from grading.rules import allows


def inbox_sections(user) -> list[InboxSection]:
    if not allows(user, "grading.decide_registrations"):
        return []
    pending = selectors.registration_pending_list(viewer=user)
    return [
        InboxSection(
            key="registrations",
            title=_("企业账户注册审核"),
            items=pending[:INBOX_ITEMS],
            count=pending.count(),
            template="grading/inbox/registrations.html",
        )
    ]


def nav_items(user) -> list[NavItem]:
    items = [NavItem("inbox", pgettext_lazy("导航", "待办"), reverse("inbox"), order=0)]
    if allows(user, "grading.view_own_enterprise"):
        items.append(
            NavItem(
                "enterprise",
                pgettext_lazy("导航", "本企业"),
                reverse("enterprise-detail", args=[user.enterprise_id]),
                order=10,
            )
        )
    if allows(user, "grading.list_enterprises"):
        items.append(
            NavItem(
                "enterprises",
                pgettext_lazy("导航", "企业名录"),
                reverse("enterprise-list"),
                order=40,
            )
        )
    items.append(
        NavItem("industries", pgettext_lazy("导航", "行业指标"), reverse("industry-list"), order=90)
    )
    if allows(user, "grading.view_security_events"):
        items.append(
            NavItem("audit", pgettext_lazy("导航", "操作审计"), reverse("audit-trail"), order=95)
        )
    if user.is_staff:
        items.append(
            NavItem("admin", pgettext_lazy("导航", "系统管理"), reverse("admin:index"), order=100)
        )
    return items


def api_login_refusals(user, *, otp: str) -> list[str]:
    """等保三级 for API tokens: the second factor where the account needs or has one, and a
    password that has not expired."""
    from grading.passwords import password_expired
    from grading.services.second_factor import (
        second_factor_enrolled,
        second_factor_required,
        second_factor_verify,
    )

    if second_factor_enrolled(user):
        if second_factor_verify(user=user, code=otp) is None:
            return [str(_("动态口令不正确"))]
    elif second_factor_required(user):
        return [str(_("请先在网页上启用动态口令（双因素认证）"))]
    if password_expired(user):
        return [str(_("密码已超过有效期，请先在网页上修改密码"))]
    return []


def register_hooks() -> None:
    register("inbox_sections", inbox_sections, order=10)
    register("nav_items", nav_items)
    register("api_login_refusals", api_login_refusals)
