"""Forms of the review pages: the input of each service, validated before it is called."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from grading.models import Grade, Industry, Region, User
from review.models import (
    ExpertBlacklisting,
    ExpertConflict,
    GuaranteeCoReview,
    IndicatorOpinion,
    ServiceEngagement,
)
from review.services.annual import DIRECT_GRADES
from review.services.decisions import decisions_for

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _SignersMixin:
    def set_signers(self, queryset, actor):
        field = self.fields["signers"]
        field.queryset = queryset
        field.label_from_instance = lambda u: (
            f"{u.display_name}（{u.get_role_display()}"
            + (f"，{u.expert_profile.employer}" if hasattr(u, "expert_profile") else "")
            + "）"
        )
        field.initial = [actor.pk]


class DecisionForm(_SignersMixin, forms.Form):
    decision = forms.ChoiceField(label=_("审核结论"))
    grade = forms.ModelChoiceField(
        queryset=Grade.objects.none(),
        label=_("建议（认定）等级"),
        required=False,
        empty_label=_("（退回或不予通过时不填）"),
    )
    summary = forms.CharField(label=_("审核意见汇总"), widget=forms.Textarea(attrs={"rows": 4}))
    conclusion = forms.CharField(label=_("分级意见结论"), widget=forms.Textarea(attrs={"rows": 3}))
    signers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        label=_("签署人（审核小组成员）"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, case, actor, signer_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            (dt.decision, dt.label) for dt in decisions_for(case.stage)
        ]
        self.fields["grade"].queryset = case.declaration.indicator_set.scheme.grades.order_by(
            "severity"
        )
        self.set_signers(signer_queryset, actor)


def verdict_fields(form: forms.Form, rows, prefix: str) -> list[tuple]:
    """Add a verdict and a comment field per indicator row; returns (row, verdict, text) names."""
    out = []
    for row in rows:
        v, t = f"{prefix}{row.pk}_verdict", f"{prefix}{row.pk}_text"
        form.fields[v] = forms.ChoiceField(
            label=row.category.name,
            choices=[("", _("请选择"))] + list(IndicatorOpinion.Verdict.choices),
            required=False,
            initial=IndicatorOpinion.Verdict.NOT_APPLICABLE if not row.applicable else "",
        )
        form.fields[t] = forms.CharField(label=_("意见"), required=False, max_length=1000)
        out.append((row, v, t))
    return out


def collect_verdicts(form: forms.Form, names) -> dict[int, tuple[str, str]]:
    return {
        row.pk: (form.cleaned_data[v], form.cleaned_data[t])
        for row, v, t in names
        if form.cleaned_data.get(v)
    }


class PanelForm(forms.Form):
    experts = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), label=_("专家"), widget=forms.CheckboxSelectMultiple
    )
    leader = forms.ModelChoiceField(queryset=User.objects.none(), label=_("组长"), required=False)

    def __init__(self, *args, experts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = experts
        self.fields["leader"].queryset = experts
        label = lambda u: (  # noqa: E731
            f"{u.display_name}（{u.expert_profile.employer}"
            + ("，本行业" if getattr(u, "knows_industry", False) else "")
            + "）"
        )
        self.fields["experts"].label_from_instance = label
        self.fields["leader"].label_from_instance = label


class OnSiteForm(_SignersMixin, forms.Form):
    visited_on = forms.DateField(label=_("核查日期"), widget=DATE)
    recommended_grade = forms.ModelChoiceField(
        queryset=Grade.objects.none(), label=_("核查建议等级")
    )
    summary = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs={"rows": 4}))
    conclusion = forms.CharField(label=_("核查结论"), widget=forms.Textarea(attrs={"rows": 3}))
    rectifications = forms.CharField(
        label=_("整改要求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项，格式：整改要求|整改期限（YYYY-MM-DD）"),
    )
    signers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        label=_("签署人（专家组成员）"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, case, actor, signer_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "recommended_grade"
        ].queryset = case.declaration.indicator_set.scheme.grades.order_by("severity")
        self.set_signers(signer_queryset, actor)

    def clean_rectifications(self):
        items = []
        for n, line in enumerate(self.cleaned_data["rectifications"].splitlines(), start=1):
            if not line.strip():
                continue
            text, _sep, due = line.rpartition("|")
            try:
                items.append((text.strip(), date.fromisoformat(due.strip())))
            except ValueError:
                raise forms.ValidationError(
                    _("第%(n)d行格式应为：整改要求|YYYY-MM-DD") % {"n": n}
                ) from None
        return items


class NoteForm(forms.Form):
    """A rectification's report or verification (the service asks for the text itself)."""

    note = forms.CharField(label=_("说明"), required=False)


class _ExpertChoiceForm(forms.Form):
    """The expert field offers the experts of the viewer's pool."""

    def __init__(self, *args, experts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts


class ConflictForm(_ExpertChoiceForm):
    expert = forms.ModelChoiceField(queryset=User.objects.none(), label=_("专家"))
    enterprise_uscc = forms.CharField(label=_("企业统一社会信用代码"), max_length=18)
    enterprise_name = forms.CharField(
        label=_("企业名称"),
        max_length=200,
        required=False,
        help_text=_("专家本人申报时须填写企业全称，与统一社会信用代码相符"),
    )
    kind = forms.ChoiceField(label=_("回避类型"), choices=ExpertConflict.Kind.choices)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class BlacklistForm(_ExpertChoiceForm):
    expert = forms.ModelChoiceField(queryset=User.objects.none(), label=_("专家"))
    reason = forms.ChoiceField(label=_("原因"), choices=ExpertBlacklisting.Reason.choices)
    detail = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 2}))
    document_no = forms.CharField(label=_("文件编号"), required=False, max_length=100)


class PoolAddForm(forms.Form):
    pool = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("列入专家库"))

    def __init__(self, *args, pools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = pools


class PoolRemoveForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("出库原因"), required=False)


class TrainingForm(forms.Form):
    held_on = forms.DateField(label=_("培训日期"), widget=DATE)
    title = forms.CharField(label=_("培训内容"), max_length=200)
    organiser = forms.CharField(label=_("组织单位"), max_length=200)
    hours = forms.DecimalField(label=_("学时"), max_digits=5, decimal_places=1, min_value=0.5)
    certificate_no = forms.CharField(label=_("证书编号"), max_length=100, required=False)


class UnitForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class UnitMemberForm(forms.Form):
    expert = forms.ModelChoiceField(queryset=User.objects.none(), label=_("专家"))
    since = forms.DateField(label=_("起始日期"), widget=DATE)

    def __init__(self, *args, experts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts


class UnitMemberEndForm(forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    until = forms.DateField(label=_("截止日期"), widget=DATE)
    reason = forms.CharField(label=_("情况说明"), required=False)


class EngagementForm(forms.Form):
    enterprise_uscc = forms.CharField(label=_("服务企业统一社会信用代码"), max_length=18)
    service = forms.ChoiceField(label=_("服务内容"), choices=ServiceEngagement.Service.choices)
    served_on = forms.DateField(label=_("服务日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class UnitBlacklistForm(forms.Form):
    reason = forms.ChoiceField(label=_("原因"), choices=ExpertBlacklisting.Reason.choices)
    detail = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 2}))
    document_no = forms.CharField(label=_("文件编号"), required=False, max_length=100)


class LiftForm(forms.Form):
    """Lifting a blacklisting: its id and the grounds (the service asks for them)."""

    id = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("解除依据"), required=False)


class SampleForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2019, max_value=2100)
    percentage = forms.DecimalField(
        label=_("抽查比例（%）"), min_value=0.01, max_value=100, decimal_places=2
    )
    seed = forms.IntegerField(label=_("随机种子（留空自动生成）"), required=False, min_value=1)


class SpotCheckPolicyForm(forms.Form):
    min_per_industry = forms.IntegerField(
        label=_("每个行业最少抽查数"), min_value=1, max_value=1000
    )
    min_decided = forms.IntegerField(label=_("判定合格率的最少核查数"), min_value=1, max_value=1000)


class SpotCheckResultForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("核查结果"),
        choices=[("1", _("符合")), ("0", _("不符合，降级"))],
        coerce=lambda v: v == "1",
    )
    findings = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs={"rows": 2}))
    downgrade_to = forms.ModelChoiceField(
        queryset=Grade.objects.none(),
        label=_("降为（不符合时必选）"),
        required=False,
        empty_label=_("降为……（不符合时必选）"),
    )

    def __init__(self, *args, grades=(), **kwargs):
        """``grades``: those the item may be downgraded to (below its grade, of its scheme)."""
        super().__init__(*args, **kwargs)
        self.fields["downgrade_to"].queryset = Grade.objects.filter(
            pk__in=[g.pk for g in grades]
        ).order_by("severity")


class ProposalDecideForm(forms.Form):
    confirm = forms.TypedChoiceField(
        label=_("处理"),
        choices=[("1", _("确认降级")), ("0", _("不予降级"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("理由"), required=False)


class DirectGradeForm(forms.Form):
    enterprise_uscc = forms.CharField(label=_("企业统一社会信用代码"), max_length=18)
    industry = forms.ModelChoiceField(
        queryset=Industry.objects.filter(is_active=True), label=_("行业")
    )
    grade = forms.ModelChoiceField(
        queryset=Grade.objects.filter(code__in=DIRECT_GRADES), label=_("等级")
    )
    reason = forms.CharField(label=_("评定依据"), widget=forms.Textarea(attrs={"rows": 2}))


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2019, max_value=2100, required=False)

    def year_or(self, default: int) -> int:
        """The year asked for, or ``default`` when none (or no valid one) was."""
        return (self.cleaned_data.get("year") if self.is_valid() else None) or default


class GuaranteeCoReviewForm(forms.Form):
    """R-GUAR-3: one department's joint-review statement on a guarantee case."""

    department = forms.ChoiceField(
        label=_("会审部门"), choices=GuaranteeCoReview.Department.choices
    )
    verdict = forms.ChoiceField(label=_("会审意见"), choices=GuaranteeCoReview.Verdict.choices)
    signatory = forms.CharField(label=_("部门签署人"), max_length=50)
    opinion = forms.CharField(
        label=_("意见或异议内容"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class GuaranteeRemoveForm(forms.Form):
    """R-GUAR-3/4: taking an enterprise off the guarantee list."""

    declaration = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("移出理由"), max_length=500)
    on = forms.DateField(label=_("移出日期"), widget=DATE, required=False)


class GuaranteeReportForm(forms.Form):
    note = forms.CharField(label=_("报送说明"), required=False, max_length=500)


class ReapplicationDecideForm(forms.Form):
    """R-REV-11: the county's signed decision on an enterprise that did not re-apply."""

    enterprise = forms.IntegerField(widget=forms.HiddenInput)
    industry = forms.CharField(max_length=20, widget=forms.HiddenInput)
    year = forms.IntegerField(min_value=2019, max_value=2100, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("决定"), choices=[("keep", _("保留原等级")), ("lose", _("取消原等级"))]
    )
    reason = forms.CharField(label=_("理由"), max_length=500)


class DowngradeOpenForm(forms.Form):
    """A county reports an inspection, a public report or an alert measure (R-DYN-1)."""

    enterprise_uscc = forms.CharField(label=_("企业统一社会信用代码"), max_length=18)
    reason = forms.ChoiceField(label=_("降级事由"))
    occurred_on = forms.DateField(label=_("发生日期"), widget=DATE)
    reference = forms.CharField(label=_("文书或编号"), max_length=100, required=False)
    detail = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reasons


class OutcomeForm(_SignersMixin, forms.Form):
    """A signed outcome of a downgrade case: the second review's or the decision."""

    outcome = forms.ChoiceField(label=_("处理结果"))
    grade = forms.ModelChoiceField(
        queryset=Grade.objects.none(),
        label=_("降为等级"),
        required=False,
        empty_label=_("（降为指定等级时选择）"),
    )
    summary = forms.CharField(label=_("核查情况"), widget=forms.Textarea(attrs={"rows": 4}))
    conclusion = forms.CharField(label=_("结论"), widget=forms.Textarea(attrs={"rows": 3}))
    signers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), label=_("签署人"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, outcomes, grades, actor, signer_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = outcomes
        self.fields["grade"].queryset = grades
        self.set_signers(signer_queryset, actor)


class AppealForm(forms.Form):
    """R-REV-10: the enterprise's reasons (files come as ``request.FILES``)."""

    reasons = forms.CharField(label=_("申请复核理由"), widget=forms.Textarea(attrs={"rows": 5}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回理由"), required=False)
