from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from grading.signals import grade_recorded


class EmergencyListConfig(AppConfig):
    name = "emergency_list"
    verbose_name = _("应急减排清单")

    def ready(self) -> None:
        from emergency_list.hooks import register_hooks

        register_hooks()
        grade_recorded.connect(_follow_grade, dispatch_uid="emergency_list.follow_grade")


def _follow_grade(sender, *, enterprise, grade, actor, **kwargs) -> None:
    """R-LIST-6: the list follows a recorded grade (inside the recording transaction)."""
    from emergency_list.services.entries import entries_follow_grade

    entries_follow_grade(enterprise=enterprise, actor=actor, grade=grade)
