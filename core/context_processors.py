"""Navigation per role, built in one place for the base layout."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [("inbox", _("待办"), reverse("inbox"))]
    role = getattr(user, "role", "")
    if role == "enterprise" and user.enterprise_id:
        items.append(
            ("enterprise", _("本企业"), reverse("enterprise-detail", args=[user.enterprise_id]))
        )
    if role in ("enterprise", "county", "city", "province", "admin") or user.is_superuser:
        items.append(("declarations", _("申报"), reverse("declarations:index")))
    if role in ("county", "city", "province", "expert", "admin") or user.is_superuser:
        items.append(("review", _("审核"), reverse("review:queue")))
    if role in ("county", "city", "province", "admin") or user.is_superuser:
        items.append(("enterprises", _("企业名录"), reverse("enterprise-list")))
    if role in ("county", "city", "province", "admin"):
        items.append(("list", _("减排清单"), reverse("emergency_list:index")))
    if role in ("city", "province", "expert", "admin"):
        items.append(("experts", _("专家库"), reverse("review:experts")))
    if role in ("city", "province", "admin"):
        items.append(("alerts", _("预警模拟"), reverse("emergency_list:alerts")))
    if role in ("province", "admin"):
        items.append(("spot", _("抽查复核"), reverse("review:spot-checks")))
    items.append(("industries", _("行业指标"), reverse("industry-list")))
    if user.is_staff:
        items.append(("admin", _("系统管理"), reverse("admin:index")))
    path = request.path
    matches = [url for _k, _l, url in items if path.startswith(url) and url != "/"]
    active = max(matches, key=len) if matches else None  # the most specific section wins
    return {
        "nav_items": [
            {"key": key, "label": label, "url": url, "active": url == active}
            for key, label, url in items
        ]
    }
