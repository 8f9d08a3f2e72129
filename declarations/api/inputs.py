"""What every input of the API shares."""

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.settings import api_settings


class RejectUnknownFieldsMixin:
    """A field the serializer does not know is an error, not silently dropped: a client that
    sends ``status`` or a misspelt name learns that nothing was saved for it. Read-only fields
    of the same shape (``id``, ``line_name``) are ignored, so a row read can be sent back."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {api_settings.NON_FIELD_ERRORS_KEY: ["不能修改的字段：" + "、".join(unknown)]}
                )
        return super().to_internal_value(data)
