from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        from core import account_events, schema, tokens  # noqa: F401  (schema: extensions)

        account_events.connect_signals()
        tokens.connect_signals()
