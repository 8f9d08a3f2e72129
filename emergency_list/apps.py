from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from declarations.signals import guarantee_granted, guarantee_removed
from grading.signals import grade_recorded


class EmergencyListConfig(AppConfig):
    name = "emergency_list"
    verbose_name = _("应急减排清单")

    def ready(self) -> None:
        from emergency_list.hooks import register_hooks

        register_hooks()
        grade_recorded.connect(_follow_grade, dispatch_uid="emergency_list.follow_grade")
        guarantee_granted.connect(_guarantee_on, dispatch_uid="emergency_list.guarantee_on")
        guarantee_removed.connect(_guarantee_off, dispatch_uid="emergency_list.guarantee_off")


def _follow_grade(sender, *, enterprise, grade, actor, **kwargs) -> None:
    """R-LIST-6: the list follows a recorded grade (inside the recording transaction)."""
    from emergency_list.services.entries import entries_follow_grade

    entries_follow_grade(enterprise=enterprise, actor=actor, grade=grade)


def _guarantee_on(sender, *, enterprise, declaration, actor, **kwargs) -> None:
    """R-GUAR-4: a decided 保障类 declaration puts the entries on the guarantee class."""
    from emergency_list.services.guarantee import entries_guarantee_grant

    entries_guarantee_grant(enterprise=enterprise, declaration=declaration, actor=actor)


def _guarantee_off(sender, *, enterprise, reason, on, actor, **kwargs) -> None:
    """R-GUAR-4: removal from the guarantee list takes the entries off it."""
    from emergency_list.services.guarantee import entries_guarantee_remove

    entries_guarantee_remove(enterprise=enterprise, reason=reason, on=on, actor=actor)
