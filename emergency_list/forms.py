"""Forms of the emergency list's pages: every input is read through one of them (the API has
the matching serializers)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from emergency_list.models import Action, AlertLevel, ListEntry
from grading.models import Region

YEAR_BOUNDS = {"min_value": 2000, "max_value": 2100}
YEAR_ERRORS = {"invalid": _("年度格式不正确")}
VERSION_ERRORS = {"invalid": _("版本号格式不正确"), "min_value": _("版本号格式不正确")}


def _year(cleaned: int | None) -> int:
    return cleaned or timezone.localdate().year


class RegionCodeField(forms.ModelChoiceField):
    """A region given by its code (区划代码)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": _("区划代码不存在")})
        super().__init__(queryset=Region.objects.all(), to_field_name="code", **kwargs)


class ListQueryForm(forms.Form):
    """What the list and ratio pages look at: a scope (its code), a year, a name to search."""

    scope = forms.CharField(required=False, max_length=12)
    year = forms.IntegerField(required=False, error_messages=YEAR_ERRORS, **YEAR_BOUNDS)
    q = forms.CharField(required=False, max_length=100)

    def values(self) -> tuple[str, int, str]:
        """(scope code, year, search); a malformed year reads as this year."""
        self.is_valid()  # the fields that are valid are in cleaned_data either way
        data = self.cleaned_data
        return data.get("scope") or "", _year(data.get("year")), data.get("q") or ""


class GenerateForm(forms.Form):
    """Compile or refresh a county's list (R-LIST-1)."""

    county = RegionCodeField(label=_("县（市、区）"))
    year = forms.IntegerField(
        label=_("年度"), required=False, error_messages=YEAR_ERRORS, **YEAR_BOUNDS
    )

    def clean_year(self) -> int:
        return _year(self.cleaned_data.get("year"))


class EntryForm(forms.ModelForm):
    class Meta:
        model = ListEntry
        fields = [
            "responsible_person",
            "contact_mobile",
            "operating_days",
            "is_power_plant",
            "is_heating_boiler",
            "is_guarantee",
            "guarantee_scope",
            "bulk_transport",
            "transport_plan",
            "gate_system",
            "note",
        ]
        widgets = {"transport_plan": forms.Textarea(attrs={"rows": 2})}


class OverrideForm(forms.Form):
    """A stricter measure for one process at one level, with its reason (R-LIST-8)."""

    measure = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(label=_("措施"), choices=Action.choices)
    ratio_pct = forms.DecimalField(
        label=_("比例（%）"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    text = forms.CharField(label=_("措施内容"), required=False, max_length=500)
    reason = forms.CharField(label=_("加严理由"), max_length=300)

    def service_data(self) -> dict:
        """The cleaned values ``measure_override`` takes."""
        return {k: self.cleaned_data[k] for k in ("action", "ratio_pct", "text", "reason")}


class VersionDiffForm(forms.Form):
    """Two versions of an entry to compare (R-LIST-6); by default the current one and the one
    before it."""

    older = forms.IntegerField(label=_("从"), min_value=1, error_messages=VERSION_ERRORS)
    newer = forms.IntegerField(label=_("到"), min_value=1, error_messages=VERSION_ERRORS)

    def versions(self, current: int) -> tuple[int, int]:
        """(older, newer): what was asked when valid, else the last change."""
        if self.is_bound and self.is_valid():
            a, b = self.cleaned_data["older"], self.cleaned_data["newer"]
            return min(a, b), max(a, b)
        return max(current - 1, 1), current


class AlertForm(forms.Form):
    level = forms.ChoiceField(label=_("预警级别"), choices=AlertLevel.choices)
    cities = forms.ModelMultipleChoiceField(
        queryset=None, label=_("省辖市"), widget=forms.CheckboxSelectMultiple
    )
    start_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    year = forms.IntegerField(label=_("清单年度"), min_value=2019, max_value=2100)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args, cities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cities"].queryset = cities


class ExcelExportForm(forms.Form):
    """Export the list of a county, a city or the province."""

    region = RegionCodeField(label=_("范围"))
    year = forms.IntegerField(
        label=_("年度"), required=False, error_messages=YEAR_ERRORS, **YEAR_BOUNDS
    )

    def clean_year(self) -> int:
        return _year(self.cleaned_data.get("year"))


class ExcelImportForm(ExcelExportForm):
    """Upload a county's list workbook for validation."""

    file = forms.FileField(
        label=_("Excel文件"), error_messages={"required": _("请选择要导入的Excel文件")}
    )
