from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = _("绩效分级基础")

    def ready(self) -> None:
        from grading.hooks import register_hooks

        register_hooks()
        from grading import checks  # noqa: F401  (registers system checks)
