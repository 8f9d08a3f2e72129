from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for trying the site and for benchmarks. It sits above the four stages and
    may use all of them; nothing imports it."""

    name = "demo"
    verbose_name = _("演示数据")
