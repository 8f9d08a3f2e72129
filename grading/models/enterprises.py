from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from grading.validators import validate_uscc

mobile_validator = RegexValidator(r"^1[3-9]\d{9}$", _("请输入11位手机号码"))
emission_field_kwargs = {
    "max_digits": 12,
    "decimal_places": 3,
    "default": 0,
    "validators": [MinValueValidator(0)],
}


class Enterprise(models.Model):
    class ProductionStatus(models.TextChoices):
        RUNNING = "running", _("正常生产")
        STOPPED = "stopped", _("停产（具备复产条件）")
        NEW = "new", _("新建")

    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    county = models.ForeignKey(
        "grading.Region",
        verbose_name=_("所属县（市、区）"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    address = models.CharField(_("详细地址"), max_length=300, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    park = models.CharField(_("所在园区"), max_length=200, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_mobile = models.CharField(
        _("联系人手机"), max_length=11, blank=True, validators=[mobile_validator]
    )
    production_status = models.CharField(
        _("生产状态"),
        max_length=10,
        choices=ProductionStatus.choices,
        default=ProductionStatus.RUNNING,
        db_index=True,
    )
    is_small_micro = models.BooleanField(_("小微涉气企业"), default=False)
    is_confidential = models.BooleanField(
        _("涉密"), default=False, help_text=_("涉及生产、外贸订单或军工的企业不对外公开")
    )
    overall_grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("企业绩效等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("由各行业等级按“短板原则”计算，不直接编辑"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["county__code", "name", "id"]
        # the order of every enterprise list; with id in it a deep page is read from the index
        indexes = [
            models.Index(fields=["county", "name", "id"], name="enterprise_list_order"),
            # the last change of any enterprise, read by pages that keep figures in the cache
            models.Index(fields=["updated_at"], name="enterprise_last_change"),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseIndustry(models.Model):
    """An industry the enterprise works in, with its emissions and current grade (R-GRADE-4)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="industries"
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.CharField(_("行业分支"), max_length=100, blank=True)
    is_main = models.BooleanField(_("主行业"), default=False)
    so2_tpa = models.DecimalField(_("SO2（吨/年）"), **emission_field_kwargs)
    nox_tpa = models.DecimalField(_("NOx（吨/年）"), **emission_field_kwargs)
    pm_tpa = models.DecimalField(_("颗粒物（吨/年）"), **emission_field_kwargs)
    vocs_tpa = models.DecimalField(_("VOCs（吨/年）"), **emission_field_kwargs)
    current_grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("现行等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("企业所属行业")
        verbose_name_plural = _("企业所属行业")
        ordering = ["-is_main", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "industry"], name="uniq_ent_industry"),
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(is_main=True),
                name="one_main_industry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} / {self.industry}"

    @property
    def total_emissions(self):
        return self.so2_tpa + self.nox_tpa + self.pm_tpa + self.vocs_tpa


class ProductionLine(models.Model):
    """Master data: declarations describe it and the emergency list controls it, by reference."""

    class Status(models.TextChoices):
        RUNNING = "running", _("运行")
        STOPPED = "stopped", _("停用（可复产）")
        NEW = "new", _("新建")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="lines"
    )
    industry = models.ForeignKey(
        EnterpriseIndustry,
        verbose_name=_("所属行业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lines",
    )
    name = models.CharField(_("生产线名称"), max_length=100)
    products = models.CharField(_("主要产品"), max_length=200, blank=True)
    design_capacity = models.DecimalField(
        _("设计产能"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    capacity_unit = models.CharField(_("产能单位"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )

    class Meta:
        verbose_name = _("生产线")
        verbose_name_plural = _("生产线")
        ordering = ["enterprise", "id"]

    def __str__(self) -> str:
        return self.name


class Process(models.Model):
    """A process (工序) of a production line; air-emitting ones are controlled in alerts."""

    line = models.ForeignKey(
        ProductionLine, verbose_name=_("生产线"), on_delete=models.CASCADE, related_name="processes"
    )
    name = models.CharField(_("工序名称"), max_length=100)
    is_air_emitting = models.BooleanField(_("涉气工序"), default=True)

    class Meta:
        verbose_name = _("工序")
        verbose_name_plural = _("工序")
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return self.name


class Equipment(models.Model):
    process = models.ForeignKey(
        Process, verbose_name=_("工序"), on_delete=models.CASCADE, related_name="equipment"
    )
    name = models.CharField(_("设备名称"), max_length=100)
    model = models.CharField(_("规格型号"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    capacity = models.DecimalField(
        _("产能"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    capacity_unit = models.CharField(_("产能单位"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("主要设备")
        verbose_name_plural = _("主要设备")
        ordering = ["process", "id"]

    def __str__(self) -> str:
        return self.name


class GradeRecord(models.Model):
    """One entry of an enterprise's grade history for one industry. Never edited; superseded."""

    class Source(models.TextChoices):
        REVIEW = "review", _("审核认定")
        DOWNGRADE = "downgrade", _("动态降级")
        SPOT_CHECK = "spot_check", _("抽查复核")
        APPEAL = "appeal", _("申诉复核")
        FRAUD = "fraud", _("弄虚作假认定")
        INSPECTION = "inspection", _("执法检查")
        IMPORT = "import", _("历史导入")
        INITIAL = "initial", _("初始登记")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="grade_records"
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.ForeignKey(
        "grading.Grade", verbose_name=_("等级"), on_delete=models.PROTECT, related_name="+"
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    source_ref = models.CharField(_("来源编号"), max_length=100, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    lowers = models.BooleanField(
        _("降级"),
        default=False,
        help_text=_("低于此前等级（或弄虚作假直接评为最低等级）：一年内不得评为A、B级"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("绩效等级记录")
        verbose_name_plural = _("绩效等级记录")
        ordering = ["enterprise", "industry", "-effective_from", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "industry", "effective_from"]),
            models.Index(
                fields=["enterprise", "effective_from"],
                condition=models.Q(lowers=True),
                name="grade_record_downgrades",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.industry} {self.grade} {self.effective_from}"


class ViolationRecord(models.Model):
    """A penalty, downgrade or violation the bureaus record against an enterprise. Declaration
    eligibility (R-ELIG-1, R-ELIG-2) and dynamic management (R-DYN-1) read these."""

    class Kind(models.TextChoices):
        ADMINISTRATIVE_PENALTY = "penalty", _("行政处罚")
        DOWNGRADE = "downgrade", _("绩效降级")
        UNAPPROVED_CONSTRUCTION = "unapproved", _("未批先建")
        EXCEEDING_PERMIT = "exceeding", _("超过许可排放浓度或排放量")
        SECRET_DISCHARGE = "secret_discharge", _("偷排漏排、逃避监管排放")
        TREATMENT_NOT_RUNNING = "treatment_off", _("污染治理设施不正常运行")
        MONITORING = "monitoring", _("未安装、使用自动监测设备")
        CRIME = "crime", _("构成犯罪")
        FALSE_MATERIAL = "false_material", _("隐瞒或提供虚假材料")
        BRIBERY = "bribery", _("贿赂专家或工作人员")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="violations"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    occurred_on = models.DateField(_("违法行为发生日期"))
    decided_on = models.DateField(_("处罚（认定）日期"))
    document_no = models.CharField(_("文书编号"), max_length=100, blank=True)
    description = models.TextField(_("情况说明"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    revoked = models.BooleanField(
        _("已撤销"), default=False, help_text=_("行政复议或诉讼撤销的处罚不再计入")
    )

    class Meta:
        verbose_name = _("违法违规记录")
        verbose_name_plural = _("违法违规记录")
        ordering = ["enterprise", "-decided_on", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_kind_display()} {self.decided_on}"
