"""Whether an indicator requirement text is really there (R-GRADE-7, R-DECL-3).

A cell whose guideline text has not been entered is shown to enterprises, reviewers and in
the declaration PDF as one plain sentence, never as a placeholder string."""

from django.utils.translation import gettext_lazy as _

#: What the seed files hold for a cell whose original text was not obtained.
PLACEHOLDER_PREFIX = "【原文待补录】"
MISSING_TEXT = _("技术指南中本项指标的要求尚未录入平台，请以技术指南原文为准。")


def text_is_missing(text: str | None) -> bool:
    return not (text or "").strip() or (text or "").strip().startswith(PLACEHOLDER_PREFIX)


def requirement_display(text: str | None) -> str:
    """The text, or the plain sentence that says it has not been entered."""
    return str(MISSING_TEXT) if text_is_missing(text) else text
