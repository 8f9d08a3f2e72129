"""Forms of the publication pages: they validate input; the services decide."""

from django import forms
from django.db.models import Q as models_q
from django.utils.translation import gettext_lazy as _

from grading.models import Grade, User
from publication.models import Objection
from publication.services.notices import MAX_WORKDAYS, default_workdays


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200, required=False)
    workdays = forms.IntegerField(
        label=_("公示期（工作日）"),
        min_value=1,
        max_value=MAX_WORKDAYS,
        help_text=_("按法定工作日计算，节假日顺延"),
    )
    statement = forms.CharField(
        label=_("公示说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("公示期内，任何单位和个人对公示结果有异议的，可在本页提出"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workdays"].initial = default_workdays()


class ObjectionForm(forms.Form):
    content = forms.CharField(
        label=_("异议内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("请说明该企业的认定等级与实际不符之处及依据"),
    )
    name = forms.CharField(label=_("姓名（选填）"), max_length=50, required=False)
    contact = forms.CharField(
        label=_("联系方式（选填）"),
        max_length=100,
        required=False,
        help_text=_("仅发布单位指定的承办人可见，用于核实情况；我们为您保密"),
    )


class ObjectionHandleForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=Objection.Outcome.choices)
    new_grade = forms.ModelChoiceField(
        label=_("变更后等级"),
        queryset=Grade.objects.none(),
        required=False,
        empty_label=_("（变更等级时选择）"),
    )
    note = forms.CharField(label=_("核实情况和处理说明"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, grades, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_grade"].queryset = grades


class PublishForm(forms.Form):
    note = forms.CharField(label=_("发布说明"), max_length=300, required=False)


class HandlerForm(forms.Form):
    user = forms.ModelChoiceField(label=_("工作人员"), queryset=User.objects.none())

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.display_name}（{u.username}）"


class PublicListFilterForm(forms.Form):
    """Filters of a published list: city (the province's list), county, industry, grade, name."""

    city = forms.ChoiceField(label=_("省辖市"), required=False)
    county = forms.ChoiceField(label=_("县（市、区）"), required=False)
    industry = forms.ChoiceField(label=_("行业"), required=False)
    grade = forms.ChoiceField(label=_("绩效等级"), required=False)
    q = forms.CharField(label=_("企业名称"), required=False, max_length=50)

    def __init__(self, *args, issuer, tier, **kwargs):
        from grading.models import Grade, Industry, Region
        from publication.models import TIER_GRADES

        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        if issuer.level == Region.Level.PROVINCE:
            cities = Region.objects.filter(parent=issuer, level=Region.Level.CITY)
            self.fields["city"].choices = everything + [(r.code, r.name) for r in cities]
            counties = Region.objects.filter(parent__parent=issuer)
        else:
            del self.fields["city"]
            counties = Region.objects.filter(parent=issuer)
        self.fields["county"].choices = everything + [
            (r.code, r.name) for r in counties.order_by("code")
        ]
        self.fields["industry"].choices = everything + [
            (i.code, i.name) for i in Industry.objects.filter(is_active=True)
        ]
        grades = Grade.objects.filter(code__in=TIER_GRADES[tier]).order_by("severity", "code")
        self.fields["grade"].choices = everything + [(g.code, g.name) for g in grades]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ImprovementForm(forms.Form):
    """One entry of the improvement list (001 附件3); the enterprise by its USCC."""

    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    industry = forms.ModelChoiceField(label=_("重点行业类型"), queryset=None)
    target_grade = forms.ModelChoiceField(label=_("绩效提升目标"), queryset=None)
    indicator = forms.ModelChoiceField(label=_("差异化指标"), queryset=None)
    problem = forms.CharField(label=_("存在问题"), widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(label=_("改造措施"), widget=forms.Textarea(attrs={"rows": 3}))
    due_on = forms.DateField(label=_("拟完成时间"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        from grading.models import Grade, IndicatorCategory, Industry

        super().__init__(*args, **kwargs)
        self.fields["industry"].queryset = Industry.objects.filter(is_active=True)
        self.fields["target_grade"].queryset = Grade.objects.exclude(code="D").order_by(
            "severity", "code"
        )
        self.fields["indicator"].queryset = IndicatorCategory.objects.all()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    """A public report (R-PUB-2). The enterprise by name (and USCC, when known) and county."""

    enterprise_name = forms.CharField(label=_("被举报企业名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码（选填）"), max_length=18, required=False)
    county = forms.ChoiceField(label=_("企业所在县（市、区）"), required=False)
    kind = forms.ChoiceField(label=_("举报类型"))
    content = forms.CharField(
        label=_("举报内容"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请说明企业等级或行为与实际不符的具体情况、时间和地点"),
    )
    files = MultipleFileField(
        label=_("证据材料（选填）"),
        required=False,
        help_text=_("图片或PDF，最多5个文件，每个不超过10 MB"),
    )
    name = forms.CharField(label=_("姓名（选填）"), max_length=50, required=False)
    contact = forms.CharField(
        label=_("联系方式（选填）"),
        max_length=100,
        required=False,
        help_text=_("仅承办举报的生态环境部门指定承办人可见，依法为举报人保密"),
    )

    def __init__(self, *args, **kwargs):
        from grading.models import Region
        from publication.models import PublicReport

        super().__init__(*args, **kwargs)
        holds = Region.objects.filter(
            models_q(level=Region.Level.COUNTY)
            | models_q(level=Region.Level.CITY, reviews_as_county=True)
        ).select_related("parent")
        self.fields["county"].choices = [("", _("请选择"))] + [
            (r.code, f"{r.parent.name} {r.name}" if r.level == "county" else r.name)
            for r in holds.order_by("code")
        ]
        self.fields["kind"].choices = PublicReport.Kind.choices


class ReportHandleForm(forms.Form):
    outcome = forms.ChoiceField(label=_("核实结果"))
    note = forms.CharField(label=_("核实情况"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        from publication.models import PublicReport

        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = PublicReport.Outcome.choices
