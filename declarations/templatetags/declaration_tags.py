from django import template

from grading.indicator_texts import requirement_display

register = template.Library()


@register.filter
def requirement_text(text: str) -> str:
    """An indicator row's requirement, or the plain sentence saying it is not entered yet."""
    return requirement_display(text)
