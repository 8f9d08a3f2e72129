from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("审核")

    def ready(self) -> None:
        from review.hooks import register_hooks

        register_hooks()
