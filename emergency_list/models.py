"""The emergency emission-reduction list (应急减排清单): one entry per air-polluting enterprise
and year, its controlled processes (the enterprise's own, referenced), baseline emissions and
its measures per alert level; the measure templates they come from; reduction targets;
called alerts; Excel jobs."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

tonnes = {"max_digits": 14, "decimal_places": 4, "default": 0, "validators": [MinValueValidator(0)]}
percent = [MinValueValidator(0), MaxValueValidator(100)]


class AlertLevel(models.TextChoices):
    YELLOW = "yellow", _("黄色")
    ORANGE = "orange", _("橙色")
    RED = "red", _("红色")


LEVEL_RANK = {AlertLevel.YELLOW: 1, AlertLevel.ORANGE: 2, AlertLevel.RED: 3}
# City lists print the measures in this order.
PRINT_ORDER = (AlertLevel.RED, AlertLevel.ORANGE, AlertLevel.YELLOW)


class Action(models.TextChoices):
    """Weakest to strongest (R-LIST-8: local measures may be stricter, never weaker)."""

    AUTONOMOUS = "autonomous", _("自主减排")
    TRANSPORT_ONLY = "transport_only", _("仅运输管控")
    LIMIT = "limit", _("限产")
    STOP_PROCESS = "stop_process", _("停工序")
    STOP = "stop", _("停产")


ACTION_RANK = {a: i for i, a in enumerate(Action.values)}


class CountingUnit(models.TextChoices):
    LINE = "line", _("以生产线计")
    EQUIPMENT = "equipment", _("以设备计")
    PROCESS = "process", _("以工序计")
    CAPACITY = "capacity", _("以产能计")


class TransportRule(models.TextChoices):
    NONE = "none", _("无")
    BAN_HEAVY_LE_CN4 = "ban_heavy_le_cn4", _("停止使用国四及以下重型载货车辆（含燃气）进行运输")
    STOP_ROAD = "stop_road", _("停止公路运输")


class MeasureTemplate(models.Model):
    """A measure of the guide for (industry, grade) from an alert level on (R-LIST-8).
    ``industry`` empty: the general pattern for industries without their own measures."""

    industry = models.ForeignKey(
        "grading.Industry",
        verbose_name=_("行业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grade = models.ForeignKey(
        "grading.Grade", verbose_name=_("绩效等级"), on_delete=models.PROTECT, related_name="+"
    )
    level_from = models.CharField(_("起始预警级别"), max_length=6, choices=AlertLevel.choices)
    level_to = models.CharField(
        _("截止预警级别"),
        max_length=6,
        choices=AlertLevel.choices,
        blank=True,
        help_text=_("为空表示该级别及以上均适用"),
    )
    action = models.CharField(_("措施"), max_length=15, choices=Action.choices)
    ratio_pct = models.DecimalField(
        _("比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True, validators=percent
    )
    unit = models.CharField(_("计量单元"), max_length=10, choices=CountingUnit.choices, blank=True)
    basis = models.CharField(
        _("减排基准"),
        max_length=200,
        blank=True,
        default="“环评批复产能、排污许可载明产能、前一年正常生产实际产量”三者日均值的最小值",
    )
    transport_rule = models.CharField(
        _("运输管控"), max_length=20, choices=TransportRule.choices, default=TransportRule.NONE
    )
    text = models.TextField(_("措施原文"))
    source = models.CharField(_("来源"), max_length=300, blank=True)
    guideline_version = models.ForeignKey(
        "grading.GuidelineVersion",
        verbose_name=_("指南版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("行业措施表所依据的技术指南版本；为空表示平台随附的措施"),
    )

    class Meta:
        verbose_name = _("减排措施模板")
        verbose_name_plural = _("减排措施模板")
        ordering = ["industry__seq", "grade__severity", "level_from"]

    def __str__(self) -> str:
        return f"{self.industry or '通用'} {self.grade} {self.get_level_from_display()}"


class ReductionTarget(models.Model):
    """R-LIST-7: the required cut of each pollutant as a share of the list's baseline for one
    alert level; per city and year where set, else the province default (10/20/30%)."""

    region = models.ForeignKey(
        "grading.Region",
        verbose_name=_("地区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("为空表示全省默认值"),
    )
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    level = models.CharField(_("预警级别"), max_length=6, choices=AlertLevel.choices)
    so2_pct = models.DecimalField("SO2（%）", max_digits=5, decimal_places=2, validators=percent)
    nox_pct = models.DecimalField("NOx（%）", max_digits=5, decimal_places=2, validators=percent)
    pm_pct = models.DecimalField(
        _("颗粒物（%）"), max_digits=5, decimal_places=2, validators=percent
    )
    vocs_pct = models.DecimalField("VOCs（%）", max_digits=5, decimal_places=2, validators=percent)

    class Meta:
        verbose_name = _("减排比例要求")
        verbose_name_plural = _("减排比例要求")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "level"], name="uniq_reduction_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region or '全省'} {self.year or ''} {self.get_level_display()}"


class ListEntry(models.Model):
    """One enterprise on the county's list for one year (R-LIST-1), graded or not."""

    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="list_entries",
    )
    county = models.ForeignKey(
        "grading.Region", verbose_name=_("县（市、区）"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("管控等级"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("企业绩效等级；未参与分级的按最低等级（R-ELIG-4）"),
    )
    graded = models.BooleanField(_("已分级"), default=False)
    is_power_plant = models.BooleanField(_("电厂"), default=False)
    is_heating_boiler = models.BooleanField(_("供暖锅炉"), default=False)
    is_guarantee = models.BooleanField(_("保障类"), default=False)
    guarantee_scope = models.CharField(_("保障任务范围"), max_length=300, blank=True)
    bulk_transport = models.BooleanField(_("大宗物料运输"), default=False)
    transport_plan = models.TextField(_("应急运输响应方案"), blank=True)
    gate_system = models.BooleanField(_("门禁系统"), default=False)
    responsible_person = models.CharField(_("措施落实责任人"), max_length=50, blank=True)
    contact_mobile = models.CharField(_("联系方式"), max_length=20, blank=True)
    so2_tpa = models.DecimalField(_("SO2（吨/年）"), **tonnes)
    nox_tpa = models.DecimalField(_("NOx（吨/年）"), **tonnes)
    pm_tpa = models.DecimalField(_("颗粒物（吨/年）"), **tonnes)
    vocs_tpa = models.DecimalField(_("VOCs（吨/年）"), **tonnes)
    operating_days = models.PositiveSmallIntegerField(
        _("年生产天数"), default=300, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    revision = models.PositiveIntegerField(_("修订次数"), default=1)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("清单企业")
        verbose_name_plural = _("清单企业")
        ordering = ["county__code", "enterprise__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "enterprise"], name="uniq_list_entry")
        ]
        indexes = [models.Index(fields=["year", "county"])]

    def __str__(self) -> str:
        return f"{self.year} {self.enterprise}"


class EntryProcess(models.Model):
    """A controlled air-emitting process of the entry: the enterprise's own process, referenced
    (R-LIST-2), with its share of the entry's baseline emissions. It belongs to one industry
    of the enterprise and takes the measures of that industry's grade (R-GRADE-4)."""

    class EmissionBasis(models.TextChoices):
        """Where the process's share of the baseline comes from (R-LIST-7)."""

        DECLARED = "declared", _("按企业申报的工序治理设施核算")
        EVEN = "even", _("平均分摊（企业未按工序申报）")
        IMPORTED = "imported", _("县级导入")

    entry = models.ForeignKey(ListEntry, on_delete=models.CASCADE, related_name="processes")
    process = models.ForeignKey(
        "grading.Process",
        verbose_name=_("涉气工序"),
        on_delete=models.PROTECT,
        related_name="list_uses",
    )
    industry = models.ForeignKey(
        "grading.Industry",
        verbose_name=_("所属行业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("管控等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("该工序所属行业的现行等级；该行业未分级的按其最低等级（R-GRADE-4、R-ELIG-4）"),
    )
    emission_basis = models.CharField(
        _("排放量来源"),
        max_length=10,
        choices=EmissionBasis.choices,
        default=EmissionBasis.EVEN,
    )
    so2_tpa = models.DecimalField(_("SO2（吨/年）"), **tonnes)
    nox_tpa = models.DecimalField(_("NOx（吨/年）"), **tonnes)
    pm_tpa = models.DecimalField(_("颗粒物（吨/年）"), **tonnes)
    vocs_tpa = models.DecimalField(_("VOCs（吨/年）"), **tonnes)

    class Meta:
        verbose_name = _("管控工序")
        verbose_name_plural = _("管控工序")
        ordering = ["entry", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "process"], name="uniq_entry_process")
        ]

    def __str__(self) -> str:
        return str(self.process)


class EntryMeasure(models.Model):
    """The measure one controlled process takes at one alert level, and what it cuts per day."""

    entry_process = models.ForeignKey(
        EntryProcess, on_delete=models.CASCADE, related_name="measures"
    )
    level = models.CharField(_("预警级别"), max_length=6, choices=AlertLevel.choices)
    action = models.CharField(_("措施"), max_length=15, choices=Action.choices)
    ratio_pct = models.DecimalField(
        _("比例（%）"), max_digits=5, decimal_places=2, default=0, validators=percent
    )
    transport_rule = models.CharField(
        _("运输管控"), max_length=20, choices=TransportRule.choices, default=TransportRule.NONE
    )
    text = models.TextField(_("措施"))
    template = models.ForeignKey(
        MeasureTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_override = models.BooleanField(_("县级加严"), default=False)
    override_reason = models.CharField(_("加严理由"), max_length=300, blank=True)
    so2_td = models.DecimalField(_("SO2减排量（吨/日）"), **tonnes)
    nox_td = models.DecimalField(_("NOx减排量（吨/日）"), **tonnes)
    pm_td = models.DecimalField(_("颗粒物减排量（吨/日）"), **tonnes)
    vocs_td = models.DecimalField(_("VOCs减排量（吨/日）"), **tonnes)

    class Meta:
        verbose_name = _("预警减排措施")
        verbose_name_plural = _("预警减排措施")
        ordering = ["entry_process", "level"]
        constraints = [
            models.UniqueConstraint(fields=["entry_process", "level"], name="uniq_measure_level")
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.get_action_display()}"


class EntryRevision(models.Model):
    """History of an entry (R-LIST-6): what it was before each change, who changed it, why."""

    entry = models.ForeignKey(ListEntry, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField(_("修订次数"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("原因"), max_length=300)
    snapshot = models.JSONField(_("修订前内容"))

    class Meta:
        verbose_name = _("清单修订记录")
        verbose_name_plural = _("清单修订记录")
        ordering = ["entry", "-revision"]

    def __str__(self) -> str:
        return f"{self.entry} r{self.revision}"


class Alert(models.Model):
    """A called (or simulated) alert: level, cities, dates; the results are kept with the list
    revisions they were computed from."""

    level = models.CharField(_("预警级别"), max_length=6, choices=AlertLevel.choices)
    year = models.PositiveSmallIntegerField(_("清单年度"))
    cities = models.ManyToManyField("grading.Region", verbose_name=_("省辖市"), related_name="+")
    start_on = models.DateField(_("开始日期"))
    end_on = models.DateField(_("结束日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    called_at = models.DateTimeField(auto_now_add=True)
    results = models.JSONField(_("测算结果"), default=dict)

    class Meta:
        verbose_name = _("预警模拟")
        verbose_name_plural = _("预警模拟")
        ordering = ["-called_at"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.start_on}~{self.end_on}"


class ExcelJob(models.Model):
    """An Excel export or import run by a worker; a file is offered only when complete."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("处理中")
        VALIDATED = "validated", _("校验完成")
        READY = "ready", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=6, choices=Kind.choices)
    region = models.ForeignKey(
        "grading.Region", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    upload = models.FileField(_("上传文件"), upload_to="list_imports/", blank=True)
    file = models.FileField(_("结果文件"), upload_to="list_exports/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    report = models.JSONField(_("校验报告"), default=dict, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("清单Excel任务")
        verbose_name_plural = _("清单Excel任务")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region} {self.year}"
