from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent
from grading.models import Enterprise, Industry, Region, ViolationRecord
from grading.selectors import scheme_grades
from grading.services.enterprises import ENTERPRISE_FIELDS, IndustryEntry
from grading.validators import normalize_uscc, validate_uscc


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。连续5次错误将锁定账户30分钟。"),
        "inactive": _("账户尚未启用：注册申请正在等待所属县级生态环境部门审核。"),
    }


class USCCField(forms.CharField):
    default_validators = [validate_uscc]

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("label", _("统一社会信用代码"))
        super().__init__(**kwargs)

    def to_python(self, value):
        return normalize_uscc(super().to_python(value))


class EnterpriseForm(forms.ModelForm):
    uscc = USCCField()

    class Meta:
        model = Enterprise
        fields = ENTERPRISE_FIELDS
        widgets = {"address": forms.TextInput(attrs={"size": 60})}

    def __init__(self, *args, counties=None, **kwargs):
        super().__init__(*args, **kwargs)
        if counties is not None:
            self.fields["county"].queryset = counties
        self.fields["county"].empty_label = _("请选择")
        self.fields["county"].label_from_instance = lambda r: (
            f"{r.parent.name} {r.name}" if r.parent and r.level == Region.Level.COUNTY else r.name
        )

    def validate_unique(self):
        """Uniqueness is the service's to decide (with a message that does not leak where)."""


class IndustryRowForm(forms.Form):
    industry = forms.ModelChoiceField(
        queryset=Industry.objects.filter(is_active=True).select_related("category"),
        label=_("行业"),
        empty_label=_("请选择"),
        error_messages={"invalid_choice": _("行业不存在，请从列表中选择")},
    )
    branch = forms.CharField(label=_("行业分支"), max_length=100, required=False)
    so2_tpa = forms.DecimalField(
        label="SO2", min_value=0, max_digits=12, decimal_places=3, initial=0
    )
    nox_tpa = forms.DecimalField(
        label="NOx", min_value=0, max_digits=12, decimal_places=3, initial=0
    )
    pm_tpa = forms.DecimalField(
        label=_("颗粒物"), min_value=0, max_digits=12, decimal_places=3, initial=0
    )
    vocs_tpa = forms.DecimalField(
        label="VOCs", min_value=0, max_digits=12, decimal_places=3, initial=0
    )

    def entry(self) -> IndustryEntry:
        data = {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}
        return IndustryEntry(**data)


class BaseIndustryFormSet(forms.BaseFormSet):
    def entries(self) -> list[IndustryEntry]:
        return [
            f.entry()
            for f in self.forms
            if f.cleaned_data.get("industry") and not f.cleaned_data.get("DELETE")
        ]


IndustryFormSet = forms.formset_factory(
    IndustryRowForm, formset=BaseIndustryFormSet, extra=2, max_num=10, can_delete=True
)


class RegistrationForm(forms.Form):
    username = forms.RegexField(
        regex=r"^[\w.@+-]{4,150}$",
        label=_("用户名"),
        error_messages={"invalid": _("用户名为4-150位字母、数字或 @.+-_")},
    )
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput)
    uscc = USCCField()
    enterprise_name = forms.CharField(label=_("企业名称"), max_length=200)
    county = forms.ModelChoiceField(
        queryset=Region.objects.filter(level=Region.Level.COUNTY)
        | Region.objects.filter(level=Region.Level.CITY, reviews_as_county=True),
        label=_("所属县（市、区）"),
    )
    industry = forms.ModelChoiceField(
        queryset=Industry.objects.filter(is_active=True), label=_("主行业")
    )
    address = forms.CharField(label=_("详细地址"), max_length=300, required=False)
    contact_person = forms.CharField(label=_("联系人"), max_length=50)
    contact_mobile = forms.RegexField(
        regex=r"^1[3-9]\d{9}$",
        label=_("联系人手机"),
        error_messages={"invalid": _("请输入11位手机号码")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = (
            self.fields["county"].queryset.select_related("parent").order_by("code")
        )
        self.fields["county"].label_from_instance = lambda r: (
            f"{r.parent.name} {r.name}" if r.parent and r.level == Region.Level.COUNTY else r.name
        )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class RegistrationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("通过")), ("reject", _("不予通过"))], label=_("审核结论")
    )
    reason = forms.CharField(
        label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    county = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        label=_("县（市、区）"),
        required=False,
        empty_label=_("全部"),
    )
    industry = forms.ModelChoiceField(
        queryset=Industry.objects.filter(is_active=True),
        label=_("行业"),
        required=False,
        empty_label=_("全部"),
    )
    grade = forms.ChoiceField(label=_("绩效等级"), required=False)
    status = forms.ChoiceField(
        label=_("生产状态"),
        required=False,
        choices=[("", _("全部"))] + list(Enterprise.ProductionStatus.choices),
    )

    def __init__(self, *args, counties=None, **kwargs):
        super().__init__(*args, **kwargs)
        if counties is not None:
            self.fields["county"].queryset = counties
        # R-GRADE-7: with an industry chosen, only the grades of its scheme in force.
        industry = None
        chosen = str(self.data.get("industry") or "") if self.is_bound else ""
        if chosen.isdigit():
            industry = Industry.objects.filter(pk=int(chosen[:12])).first()
        self.fields["grade"].choices = [("", _("全部")), ("none", _("未评级"))] + [
            (g.code, g.name) for g in scheme_grades(industry=industry)
        ]


class ViolationForm(forms.ModelForm):
    class Meta:
        model = ViolationRecord
        fields = ["kind", "occurred_on", "decided_on", "document_no", "description"]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "decided_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }


class ViolationRevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销依据"), max_length=500, required=False)


class AuditFilterForm(forms.Form):
    """Filters of the audit trail page (and, with the same names, of its API)."""

    code = forms.CharField(label=_("事件代码"), required=False, max_length=100)
    actor = forms.CharField(label=_("操作人账户"), required=False, max_length=150)
    outcome = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部"))] + AuditEvent.Outcome.choices
    )
    address = forms.GenericIPAddressField(label=_("来源地址"), required=False)
    since = forms.DateField(label=_("起始日期"), required=False)
    until = forms.DateField(label=_("截止日期"), required=False)


class SecondFactorForm(forms.Form):
    code = forms.RegexField(
        label=_("动态口令"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("请输入手机验证器显示的6位数字")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
