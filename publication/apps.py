from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationConfig(AppConfig):
    name = "publication"
    verbose_name = _("公示与公开")

    def ready(self) -> None:
        from publication.hooks import register_hooks

        register_hooks()
