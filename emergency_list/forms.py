from django import forms
from django.utils.translation import gettext_lazy as _

from emergency_list.models import Action, ListEntry


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
    action = forms.ChoiceField(label=_("措施"), choices=Action.choices)
    ratio_pct = forms.DecimalField(label=_("比例（%）"), min_value=0, max_value=100, required=False)
    text = forms.CharField(label=_("措施内容"), required=False, max_length=500)
    reason = forms.CharField(label=_("加严理由"), max_length=300)


class AlertForm(forms.Form):
    level = forms.ChoiceField(label=_("预警级别"), choices=[])
    cities = forms.ModelMultipleChoiceField(
        queryset=None, label=_("省辖市"), widget=forms.CheckboxSelectMultiple
    )
    start_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    year = forms.IntegerField(label=_("清单年度"), min_value=2019, max_value=2100)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args, cities, **kwargs):
        from emergency_list.models import AlertLevel

        super().__init__(*args, **kwargs)
        self.fields["level"].choices = AlertLevel.choices
        self.fields["cities"].queryset = cities
