from django import template

from publication.selectors.public import bureau_name

register = template.Library()


@register.filter
def bureau(region) -> str:
    """``{{ region|bureau }}``: 河南省生态环境厅, 郑州市生态环境局."""
    return bureau_name(region)
