from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}`` for dictionaries keyed by non-string values."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def get_field(form, name):
    """``{{ form|get_field:name }}``: a bound field by a computed name."""
    return form[name]


@register.filter
def split_words(value: str) -> list[str]:
    return value.split()
