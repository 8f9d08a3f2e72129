from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeclarationsConfig(AppConfig):
    name = "declarations"
    verbose_name = _("企业申报")

    def ready(self) -> None:
        from declarations.hooks import register_hooks

        register_hooks()
