"""Form plumbing: service errors land on the form fields they name."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: named fields where the form has them,
    the rest as non-field errors (so nothing the service said is lost)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def error_text(error: ValidationError | forms.BaseForm | Exception) -> str:
    """One line of every message of a service error or an invalid form, joined the Chinese
    way ("；"), for a flash message."""
    if isinstance(error, forms.BaseForm):
        return "；".join(str(m) for ms in error.errors.values() for m in ms)
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "；".join(str(m) for ms in error.message_dict.values() for m in ms)
        return "；".join(str(m) for m in error.messages)
    return str(error)
