"""A review case: one submitted version of a declaration climbing the chain
county first review → city review (with on-site verification) → province check → decided.

The stage is a django-fsm-2 field changed only by services; every opinion is signed and never
edited (a correction is a new opinion that points at the one it corrects)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class ReviewCase(ConcurrentTransitionMixin, models.Model):
    class Stage(models.TextChoices):
        COUNTY = "county", _("县级初审")
        CITY = "city", _("市级审核")
        PROVINCE = "province", _("省级复核")
        DECIDED = "decided", _("已认定")
        RETURNED = "returned", _("退回企业修改")
        REJECTED = "rejected", _("不予通过")

    OPEN = (Stage.COUNTY, Stage.CITY, Stage.PROVINCE)

    declaration = models.ForeignKey(
        "declarations.Declaration",
        verbose_name=_("申报"),
        on_delete=models.PROTECT,
        related_name="review_cases",
    )
    version = models.OneToOneField(
        "declarations.DeclarationVersion",
        verbose_name=_("申报版本"),
        on_delete=models.PROTECT,
        related_name="review_case",
    )
    stage = FSMField(
        _("审核阶段"), max_length=10, choices=Stage.choices, default=Stage.COUNTY, protected=True
    )
    county_due = models.DateField(_("县级初审期限"))
    city_due = models.DateField(_("市级审核期限"), null=True, blank=True)
    reached_stage_at = models.DateTimeField(_("进入当前阶段时间"))
    proposed_grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("县级建议等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    city_grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("市级审核等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    final_grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("认定等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_on = models.DateField(_("认定日期"), null=True, blank=True)
    opened_at = models.DateTimeField(_("受理时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审核案卷")
        verbose_name_plural = _("审核案卷")
        ordering = ["reached_stage_at", "id"]
        indexes = [models.Index(fields=["stage", "reached_stage_at"])]

    def __str__(self) -> str:
        return f"{self.declaration.number} v{self.version.number}"

    @property
    def is_open(self) -> bool:
        return self.stage in self.OPEN

    @transition(field=stage, source=Stage.COUNTY, target=Stage.CITY)
    def pass_to_city(self) -> None:
        """County recommends; the city reviews."""

    @transition(
        field=stage, source=[Stage.COUNTY, Stage.CITY, Stage.PROVINCE], target=Stage.RETURNED
    )
    def return_to_enterprise(self) -> None:
        """Back to the enterprise for revision (R-DECL-6), or when it no longer meets the
        eligibility rules (R-ELIG-1..3, at any open stage)."""

    @transition(field=stage, source=[Stage.COUNTY, Stage.CITY], target=Stage.REJECTED)
    def reject(self) -> None:
        """Not accepted, with a reason."""

    @transition(field=stage, source=Stage.CITY, target=Stage.PROVINCE)
    def forward_to_province(self) -> None:
        """A, B, B-, 引领性: the province checks (R-REV-3)."""

    @transition(field=stage, source=[Stage.CITY, Stage.PROVINCE], target=Stage.DECIDED)
    def decide(self) -> None:
        """The city decides C; the province decides A, B, B- and 引领性."""

    @transition(field=stage, source=Stage.PROVINCE, target=Stage.CITY)
    def send_back_to_city(self) -> None:
        """The province sends the case back to the city to review again."""


class Opinion(models.Model):
    """A signed review opinion. Immutable once signed; corrections are new entries."""

    class Kind(models.TextChoices):
        FIRST_REVIEW = "first_review", _("县级初审意见")
        CITY_REVIEW = "city_review", _("市级审核意见")
        ON_SITE = "on_site", _("现场核查意见")
        PROVINCE_CHECK = "province_check", _("省级复核意见")
        DIRECT_GRADING = "direct", _("县级直接评定（C、D级小微企业）")

    class Decision(models.TextChoices):
        """Typed decisions: each says what it does to the case (review/services/decisions.py)."""

        RECOMMEND = "recommend", _("通过并上报")
        RETURN = "return", _("退回企业修改")
        REJECT = "reject", _("不予通过")
        DECIDE = "decide", _("认定等级")
        FORWARD = "forward", _("审核通过并报省级")
        CONFIRM = "confirm", _("确认等级")
        DOWNGRADE = "downgrade", _("降级认定")
        SEND_BACK = "send_back", _("退回市级重审")
        FINDINGS = "findings", _("核查结论")

    case = models.ForeignKey(
        ReviewCase, verbose_name=_("审核案卷"), on_delete=models.PROTECT, related_name="opinions"
    )
    kind = models.CharField(_("意见类型"), max_length=15, choices=Kind.choices)
    decision = models.CharField(_("结论"), max_length=10, choices=Decision.choices)
    grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("建议（认定）等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.TextField(_("审核意见汇总"))
    conclusion = models.TextField(_("分级意见结论"))
    signers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("签署人"), related_name="signed_opinions"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("签署时间"))
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正的意见"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )

    class Meta:
        verbose_name = _("审核意见")
        verbose_name_plural = _("审核意见")
        ordering = ["case", "signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_decision_display()}"


class IndicatorOpinion(models.Model):
    """The reviewer's verdict on one indicator row of the declaration."""

    class Verdict(models.TextChoices):
        MEETS = "meets", _("符合")
        NOT_MEETS = "not_meets", _("不符合")
        NEEDS_EVIDENCE = "needs_evidence", _("需补充证明材料")
        NOT_APPLICABLE = "na", _("不涉及")

    opinion = models.ForeignKey(
        Opinion, verbose_name=_("审核意见"), on_delete=models.PROTECT, related_name="indicators"
    )
    indicator_row = models.ForeignKey(
        "declarations.IndicatorRow", verbose_name=_("指标"), on_delete=models.PROTECT
    )
    verdict = models.CharField(_("结论"), max_length=15, choices=Verdict.choices)
    text = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("指标审核意见")
        verbose_name_plural = _("指标审核意见")
        ordering = ["opinion", "indicator_row__seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["opinion", "indicator_row"], name="uniq_indicator_opinion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator_row} {self.get_verdict_display()}"
