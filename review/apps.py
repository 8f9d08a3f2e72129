from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from grading.signals import violation_recorded


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("审核")

    def ready(self) -> None:
        from review.hooks import register_hooks

        register_hooks()
        violation_recorded.connect(_open_downgrade, dispatch_uid="review.open_downgrade")


def _open_downgrade(sender, *, record, actor, **kwargs) -> None:
    """R-DYN-1: a violation of the kinds that call for it opens a downgrade case (inside the
    recording transaction)."""
    from review.services.downgrades import downgrade_case_from_violation

    downgrade_case_from_violation(record=record, actor=actor)
