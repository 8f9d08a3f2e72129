"""Forms of the declarations pages: each input is validated here, then saved by a service."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from declarations.models import Batch, ChangeReport, Declaration, Evidence, IndicatorRow
from declarations.services.drafting import APPLICATION_FIELDS, BASIC_FIELDS
from declarations.services.tables import (
    ROW_ID,
    ROW_REMOVE,
    TABLE_FIELDS,
    TABLES,
    row_key,
    table_rows,
)
from grading.models import Equipment, Grade, Industry, Process, ProductionLine
from grading.selectors import scheme_grades

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
    copy_from = forms.ModelChoiceField(
        queryset=Declaration.objects.none(),
        label=_("以往年申报为基础"),
        required=False,
        empty_label=_("不复制，从空白开始"),
        help_text=_("复制申请表、企业基本情况、各类表格和指标对标情况；承诺书须重新确认"),
    )
    with_evidence = forms.BooleanField(label=_("同时复制证明材料文件"), required=False)

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].queryset = (
            Declaration.objects.filter(enterprise=enterprise, current_version__gt=0)
            .select_related("industry")
            .order_by("-year", "industry__seq")
        )
        self.fields["copy_from"].label_from_instance = lambda d: (
            f"{d.year} {d.industry.name} {d.number}（{d.get_status_display()}）"
        )
        industries = list(Industry.objects.filter(pk__in=enterprise.industries.values("industry")))
        self.fields["industry"].queryset = Industry.objects.filter(
            pk__in=[i.pk for i in industries]
        )
        self.fields["industry"].empty_label = None
        year = timezone.localdate().year
        self.fields["year"].choices = [(year, year), (year + 1, year + 1)]
        # R-GRADE-1, R-GRADE-7: only grades of the enterprise's industries' schemes in force,
        # each industry's own scheme named beside the field and checked on submit.
        self.schemes = {i.pk: scheme_grades(industry=i) for i in industries}
        offered = {g.pk: g for grades in self.schemes.values() for g in grades}
        self.fields["requested_grade"].queryset = Grade.objects.filter(
            pk__in=list(offered)
        ).order_by("severity", "code")
        self.fields["requested_grade"].help_text = "；".join(
            f"{i.name}：{'、'.join(g.name for g in self.schemes[i.pk])}" for i in industries
        )

    def clean(self):
        data = super().clean()
        industry, grade = data.get("industry"), data.get("requested_grade")
        source = data.get("copy_from")
        if source is not None and industry is not None and source.industry_id != industry.pk:
            self.add_error(
                "copy_from", _("复制来源的行业为%s，请选择同一行业") % source.industry.name
            )
        if industry is not None and grade is not None:
            grades = self.schemes.get(industry.pk, [])
            if grade not in grades:
                self.add_error(
                    "requested_grade",
                    _("%(industry)s的分级体系为%(grades)s，不含%(grade)s")
                    % {
                        "industry": industry.name,
                        "grades": "、".join(g.name for g in grades),
                        "grade": grade.name,
                    },
                )
        return data


class DeclarationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *Declaration.Status.choices]
    )


class SectionFormMixin:
    def data_for_service(self) -> dict:
        return {k: self.cleaned_data[k] for k in self.Meta.fields}


class ApplicationForm(SectionFormMixin, forms.ModelForm):
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


class BasicForm(SectionFormMixin, forms.ModelForm):
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


class TableRowForm(forms.ModelForm):
    """One row of a declaration table. Lines and processes are the enterprise's own; whether
    the table as a whole is right is the service's to say."""

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False
        for field in self.fields.values():
            if isinstance(field, forms.TypedChoiceField) and field.choices[:1] == [
                ("", "---------")
            ]:
                field.choices = [("", _("请选择")), *field.choices[1:]]
        if "line" in self.fields:
            self.fields["line"].queryset = ProductionLine.objects.filter(enterprise=enterprise)
            self.fields["line"].empty_label = _("请选择")
        if "process" in self.fields:
            self.fields["process"].queryset = Process.objects.filter(
                line__enterprise=enterprise
            ).select_related("line")
            self.fields["process"].label_from_instance = lambda p: f"{p.line.name} / {p.name}"
            self.fields["process"].empty_label = _("请选择")


class TableFormSet(forms.BaseModelFormSet):
    """A whole table: the rows already saved (each with its id and a 删除 box) and a few blank
    ones. ``rows()`` is what the service saves: every saved row, changed or not, and the blank
    rows the user filled in."""

    def rows(self) -> list[dict]:
        out = []
        self.row_forms = []
        for form in self.forms:
            data = form.cleaned_data
            if form.instance.pk is not None:
                row = {ROW_ID: form.instance.pk, ROW_REMOVE: bool(data.get("DELETE"))}
                if not row[ROW_REMOVE]:
                    row.update({f: data[f] for f in self.form._meta.fields})
            elif form.has_changed() and not data.get("DELETE"):
                row = {f: data[f] for f in self.form._meta.fields}
            else:
                continue
            out.append(row)
            self.row_forms.append(form)
        return out

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service names rows by their place in ``rows()`` ("第2行"); put each message on
        that row, the rest above the table."""
        by_key = {row_key(i): form for i, form in enumerate(self.row_forms, start=1)}
        for key, messages in exc.message_dict.items():
            form = by_key.get(key)
            if form is not None:
                form.add_error(None, messages)
            else:
                self._non_form_errors = self.error_class(
                    [*self.non_form_errors(), *messages], renderer=self.renderer
                )


def table_formset(table: str, *, declaration: Declaration, data=None) -> TableFormSet:
    """The formset of one table: its saved rows, two blank ones, a 删除 box per saved row."""
    formset_class = forms.modelformset_factory(
        TABLES[table],
        form=TableRowForm,
        formset=TableFormSet,
        fields=TABLE_FIELDS[table],
        widgets={"commissioned_on": DATE},
        extra=2,
        can_delete=True,
        max_num=500,
    )
    return formset_class(
        data=data,
        queryset=table_rows(declaration, table),
        prefix=table,
        form_kwargs={"enterprise": declaration.enterprise},
    )


class ConfirmEmptyForm(forms.Form):
    confirm_empty = forms.BooleanField(label=_("确认清空此表"), required=False)


class ProductionLineForm(forms.ModelForm):
    class Meta:
        model = ProductionLine
        fields = ["name", "products", "design_capacity", "capacity_unit", "status", "industry"]

    def __init__(self, *args, enterprise, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False
        self.fields["industry"].queryset = enterprise.industries.select_related("industry")
        self.fields["industry"].label_from_instance = lambda row: row.industry.name
        self.fields["industry"].empty_label = _("（未指定）")


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ["name", "is_air_emitting"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False


class EquipmentForm(forms.ModelForm):
    class Meta:
        model = Equipment
        fields = ["name", "model", "quantity", "capacity", "capacity_unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False


class MasterDataActionForm(forms.Form):
    """Which form of the lines page was sent: save or remove a line, process or equipment;
    ``target`` is the one acted on (none: a new one), ``parent`` the line of a new process or
    the process of new equipment."""

    ACTIONS = [
        ("save_line", _("保存生产线")),
        ("save_process", _("保存工序")),
        ("save_equipment", _("保存设备")),
        ("remove_line", _("删除生产线")),
        ("remove_process", _("删除工序")),
        ("remove_equipment", _("删除设备")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    target = forms.IntegerField(required=False)
    parent = forms.IntegerField(required=False)


class MeetsField(forms.TypedChoiceField):
    """达到 / 未达到 / not yet assessed, shown and compared as the stored True, False, None."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("", _("请选择")), ("true", _("达到要求")), ("false", _("未达到"))],
            coerce=lambda v: v == "true",
            empty_value=None,
            **kwargs,
        )

    def prepare_value(self, value):
        return {True: "true", False: "false"}.get(value, value if value is not None else "")

    def has_changed(self, initial, data) -> bool:
        try:
            return self.clean(data) != initial
        except ValidationError:
            return True


class IndicatorRowForm(forms.ModelForm):
    meets = MeetsField(label=_("自评"), required=False)

    class Meta:
        model = IndicatorRow
        fields = ["applicable", "statement", "meets", "not_applicable_reason", "remark"]
        widgets = {"statement": forms.Textarea(attrs={"rows": 3})}


class EvidenceFileForm(forms.Form):
    """A file chosen on the indicators page: for an indicator row, or to replace a file
    (``file`` only), or one of the other materials (with its section). No file: nothing to
    upload."""

    file = forms.FileField(
        label=_("文件"),
        required=False,
        help_text=_("PDF、JPG、PNG、XLSX、DOCX，单个不超过 20 MB"),
    )
    title = forms.CharField(label=_("材料名称"), max_length=200, required=False)
    is_confidential = forms.BooleanField(label=_("涉密"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("title", "").strip() and not data.get("file"):
            self.add_error("file", _("请选择要上传的文件"))
        return data


class OtherEvidenceForm(EvidenceFileForm):
    section = forms.ChoiceField(
        label=_("所属部分"),
        choices=[c for c in Evidence.Section.choices if c[0] != Evidence.Section.INDICATOR],
    )


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


class ChangeReportForm(forms.Form):
    """R-ELIG-5: what changed and when (files come as ``request.FILES``)."""

    industry = forms.ModelChoiceField(queryset=Industry.objects.none(), label=_("涉及行业"))
    kind = forms.ChoiceField(label=_("变更类型"), choices=ChangeReport.Kind.choices)
    description = forms.CharField(
        label=_("变更内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("变更了哪些生产设备或污染治理设施，变更前后的情况"),
    )
    changed_on = forms.DateField(label=_("变更日期"), widget=DATE)

    def __init__(self, *args, industries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].queryset = industries


class ChangeHandleForm(forms.Form):
    """The county's note on a change report (acknowledge or re-review)."""

    note = forms.CharField(label=_("县级意见"), widget=forms.Textarea(attrs={"rows": 3}))
