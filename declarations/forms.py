from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from declarations.models import (
    Batch,
    Declaration,
    Evidence,
    IndicatorRow,
    MaterialUse,
    ProductCapacity,
    TransportVolume,
    TreatmentFacility,
    Vehicle,
)
from declarations.services.drafting import APPLICATION_FIELDS, BASIC_FIELDS
from grading.models import Grade, Industry, Process, ProductionLine

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DeclarationCreateForm(forms.Form):
    industry = forms.ModelChoiceField(queryset=Industry.objects.none(), label=_("申报行业"))
    year = forms.TypedChoiceField(label=_("申报年度"), coerce=int)
    control_type = forms.ChoiceField(
        label=_("申请管控类型"), choices=Declaration.ControlType.choices
    )
    requested_grade = forms.ModelChoiceField(
        queryset=Grade.objects.all(), label=_("自评估等级"), empty_label=_("请选择")
    )
    guarantee_category = forms.ChoiceField(
        label=_("保障类类别"),
        required=False,
        choices=[("", _("（非保障类不填）"))] + list(Declaration.GuaranteeCategory.choices),
    )

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].queryset = Industry.objects.filter(
            pk__in=enterprise.industries.values("industry")
        )
        self.fields["industry"].empty_label = None
        year = timezone.localdate().year
        self.fields["year"].choices = [(year, year), (year + 1, year + 1)]


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Declaration
        fields = APPLICATION_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scheme = self.instance.indicator_set.scheme
        self.fields["requested_grade"].queryset = scheme.grades.order_by("severity")
        self.fields["requested_grade"].empty_label = None
        for name in ("address", "responsible_person", "responsible_mobile", "output_value"):
            self.fields[name].required = True


class CommitmentsForm(forms.Form):
    truth_confirm = forms.BooleanField(
        label=_("我已阅读资料真实性承诺书，并以法定代表人身份确认"), required=True
    )
    truth_commitment_by = forms.CharField(label=_("法定代表人"), max_length=50)
    truth_commitment_on = forms.DateField(label=_("日期"), widget=DATE)
    reduction_confirm = forms.BooleanField(
        label=_("我已阅读重污染天气应急减排承诺书，并以法定代表人身份确认"), required=True
    )
    reduction_commitment_by = forms.CharField(label=_("法定代表人"), max_length=50)
    reduction_commitment_on = forms.DateField(label=_("日期"), widget=DATE)

    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if not k.endswith("_confirm")}


class BasicForm(forms.ModelForm):
    class Meta:
        model = Declaration
        fields = BASIC_FIELDS
        widgets = {
            "emission_standards": forms.Textarea(attrs={"rows": 2}),
            "legal_compliance": forms.Textarea(attrs={"rows": 5}),
            "process_description": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in (
            "longitude",
            "latitude",
            "industry_code",
            "emission_standards",
            "legal_compliance",
            "process_description",
        ):
            self.fields[name].required = True


def _row_form(model, fields, widgets=None):
    return forms.modelform_factory(model, fields=fields, widgets=widgets or {})


TABLE_FORMS = {
    "products": _row_form(
        ProductCapacity, ["line", "product", "capacity", "last_year_output", "unit"]
    ),
    "materials": _row_form(
        MaterialUse, ["kind", "name", "annual_amount", "unit", "storage_transport"]
    ),
    "transport": _row_form(TransportVolume, ["mode", "goods", "annual_tonnes"]),
    "vehicles": _row_form(Vehicle, ["plate", "vin", "engine_number", "emission_stage"]),
    "facilities": _row_form(
        TreatmentFacility,
        [
            "kind",
            "seq",
            "process",
            "technique",
            "commissioned_on",
            "running_status",
            "removal_efficiency",
            "concentration",
            "airflow",
        ],
        {"commissioned_on": DATE},
    ),
}


def table_formset(table: str, *, declaration: Declaration, data=None, initial=None):
    """A formset over one tabular part; validation of the whole table is the service's."""
    form = TABLE_FORMS[table]
    formset_class = forms.formset_factory(form, extra=2, can_delete=True, max_num=500)
    formset = formset_class(data=data, initial=initial, prefix=table)
    for f in formset.forms:
        f.empty_permitted = True
        f.use_required_attribute = False
        if "line" in f.fields:
            f.fields["line"].queryset = ProductionLine.objects.filter(
                enterprise=declaration.enterprise
            )
        if "process" in f.fields:
            f.fields["process"].queryset = Process.objects.filter(
                line__enterprise=declaration.enterprise
            ).select_related("line")
            f.fields["process"].label_from_instance = lambda p: f"{p.line.name} / {p.name}"
    return formset


def formset_rows(formset) -> list[dict]:
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class IndicatorRowForm(forms.ModelForm):
    meets = forms.TypedChoiceField(
        label=_("自评"),
        required=False,
        choices=[("", _("请选择")), ("true", _("达到要求")), ("false", _("未达到"))],
        coerce=lambda v: v == "true",
        empty_value=None,
    )

    class Meta:
        model = IndicatorRow
        fields = ["applicable", "statement", "meets", "not_applicable_reason", "remark"]
        widgets = {"statement": forms.Textarea(attrs={"rows": 3})}


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=_("文件"), help_text=_("PDF、JPG、PNG、XLSX、DOCX，单个不超过 20 MB")
    )
    title = forms.CharField(label=_("材料名称"), max_length=200, required=False)
    section = forms.ChoiceField(label=_("所属部分"), choices=Evidence.Section.choices)
    is_confidential = forms.BooleanField(label=_("涉密材料（不公开）"), required=False)
    indicator_row = forms.IntegerField(required=False, widget=forms.HiddenInput)
    replaces = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SubmitForm(forms.Form):
    rectification = forms.CharField(
        label=_("整改情况"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("退回修改后重新提交时必填：逐条说明按审核意见完成的整改"),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class BatchForm(forms.ModelForm):
    class Meta:
        model = Batch
        fields = ["year", "name", "categories", "includes_guarantee", "deadline", "note"]
        widgets = {"deadline": DATE, "categories": forms.CheckboxSelectMultiple}
