"""Input fields the review API shares: users by username, grades by code, and the nested
values (verdicts per row, rectifications) a multipart form sends as JSON text."""

import json

from rest_framework import serializers
from rest_framework.utils import html

from declarations.api import RejectUnknownFieldsMixin
from grading.models import Grade
from review.models import IndicatorOpinion


def user_field(queryset, **kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=queryset,
        error_messages={"does_not_exist": "用户“{value}”不存在"},
        **kwargs,
    )


def grade_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=Grade.objects.all(),
        error_messages={"does_not_exist": "等级代码“{value}”不存在"},
        **kwargs,
    )


class FormJSONMixin:
    """A nested value (verdicts per row, rectifications) sent in a multipart form arrives as
    one field holding JSON text; in a JSON body it is the value itself."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("应为 JSON 格式") from None
        return super().to_internal_value(data)


class VerdictInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    verdict = serializers.ChoiceField(choices=IndicatorOpinion.Verdict.choices)
    text = serializers.CharField(allow_blank=True, required=False, default="", max_length=1000)


class VerdictsField(FormJSONMixin, serializers.DictField):
    """``{row_id: {verdict, text}}`` → ``{row_id: (verdict, text)}``, the services' shape."""

    child = VerdictInputSerializer()

    def to_internal_value(self, data) -> dict[int, tuple[str, str]]:
        rows = super().to_internal_value(data)
        out = {}
        for key, value in rows.items():
            try:
                out[int(key)] = (value["verdict"], value["text"])
            except ValueError:
                raise serializers.ValidationError(f"指标 id 应为整数：{key}") from None
        return out
