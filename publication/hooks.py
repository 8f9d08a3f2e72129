"""The publication app's entries of the navigation and sections of the inbox (``core.hooks``),
and the parts of its hub page each user may use."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.hooks import INBOX_ITEMS, InboxSection, NavItem, register
from grading.rules import allows
from publication.selectors.notices import objection_list
from publication.selectors.reports import report_list


def hub_sections(user) -> list[dict]:
    """The parts of /publication/ the user may open, each with a line of what it is for."""
    parts = [
        (
            "publication.manage_notices",
            "publication:notices",
            _("公示与公布"),
            _("公示本级认定结果，处理异议，发布公开名单新版本"),
        ),
        (
            "publication.view_dashboard",
            "publication:dashboard",
            _("目标进展"),
            _("A、B级企业占比对照年度目标和2020年基数，D级企业数，逐月进展"),
        ),
        (
            "publication.view_positive_list",
            "publication:positive",
            _("监管执法正面清单"),
            _("A级、绩效引领性、符合绩效先进性指标企业，随等级变化更新"),
        ),
        (
            "publication.view_positive_list",
            "publication:improvement",
            _("绩效提升企业清单"),
            _("排查建立、分行业填报绩效提升企业（001 附件3）"),
        ),
        (
            "publication.view_positive_list",
            "publication:exports",
            _("清单导出"),
            _("按文件格式导出报送清单和正面清单"),
        ),
        (
            "publication.view_reports",
            "publication:reports",
            _("公众举报"),
            _("核实本辖区收到的举报并记录结果"),
        ),
        (
            "publication.view_handlers",
            "publication:handlers",
            _("指定承办人"),
            _("处理异议和举报、可见举报人身份的工作人员"),
        ),
    ]
    return [
        {"url": reverse(name), "title": title, "text": text}
        for perm, name, title, text in parts
        if allows(user, perm)
    ]


def nav_items(user) -> list[NavItem]:
    if not hub_sections(user):
        return []
    return [
        NavItem(
            "publication",
            pgettext_lazy("导航", "公开与清单"),
            reverse("publication:index"),
            order=70,
        )
    ]


def inbox_sections(user) -> list[InboxSection]:
    sections = []
    if allows(user, "publication.handle_objection"):
        waiting = objection_list(viewer=user).filter(status="open")
        sections.append(
            InboxSection(
                key="objections",
                title=_("待处理的公示异议"),
                items=waiting[:INBOX_ITEMS],
                count=waiting.count(),
                template="publication/inbox/objections.html",
            )
        )
    if allows(user, "publication.handle_report"):
        waiting = report_list(viewer=user, status="received")
        if waiting.exists():
            sections.append(
                InboxSection(
                    key="reports",
                    title=_("待核实的公众举报"),
                    items=waiting[:INBOX_ITEMS],
                    count=waiting.count(),
                    template="publication/inbox/reports.html",
                )
            )
    return sections


def register_hooks() -> None:
    register("nav_items", nav_items)
    register("inbox_sections", inbox_sections, order=50)
