from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyListConfig(AppConfig):
    name = "emergency_list"
    verbose_name = _("应急减排清单")
