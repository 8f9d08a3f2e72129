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
        help_text=_("企业绩效等级；未参与分级的按最低等级"),
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
    #: The random key of the entry's public check page (the QR code of its signboard and plan);
    #: given when its first document is rendered, never an internal id.
    public_key = models.CharField(_("公开核验码"), max_length=24, blank=True, db_index=True)
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
        help_text=_("该工序所属行业的现行等级；该行业未分级的按其最低等级"),
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


class ListWindow(models.Model):
    """A window of the year in which counties revise or adjust their list (R-LIST-6): revised
    by 30 September, adjusted by 15 November and at year end (000 七; 002 第十条(5)(6))."""

    class Kind(models.TextChoices):
        REVISION = "revision", _("清单修订")
        ADJUSTMENT = "adjustment", _("清单调整")
        YEAR_END = "year_end", _("年底调整")

    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    due_on = models.DateField(_("截止日期"))

    class Meta:
        verbose_name = _("清单修订调整时间")
        verbose_name_plural = _("清单修订调整时间")
        ordering = ["year", "due_on"]
        constraints = [models.UniqueConstraint(fields=["year", "kind"], name="uniq_list_window")]

    def __str__(self) -> str:
        return f"{self.year} {self.get_kind_display()}（{self.due_on}）"


class CountyListVersion(models.Model):
    """A county's list as published in a round (R-LIST-6): numbered per county and year, frozen
    as what each entry said (``entries``: enterprise id → its content), so that any two
    versions can be compared and what changed goes up to the city and province."""

    county = models.ForeignKey(
        "grading.Region", verbose_name=_("县（市、区）"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("版本号"))
    window = models.ForeignKey(
        ListWindow,
        verbose_name=_("修订调整轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="versions",
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    entries = models.JSONField(_("清单内容"), default=dict)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("清单版本")
        verbose_name_plural = _("清单版本")
        ordering = ["county", "year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "number"], name="uniq_county_list_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.year} v{self.number}"


class EntryDocument(models.Model):
    """A rendered 一厂一策 plan or gate signboard of an entry (R-LIST-4, R-LIST-5): which
    version of the entry it shows, where the file is and its checksum. Written by the worker
    once the file is stored whole, so every row is a file that can be downloaded."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("一厂一策实施方案")
        SIGNBOARD = "signboard", _("公示牌")

    entry = models.ForeignKey(ListEntry, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    revision = models.PositiveIntegerField(_("清单版本"))
    path = models.CharField(_("文件"), max_length=300, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("大小"), default=0)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("清单文件")
        verbose_name_plural = _("清单文件")
        ordering = ["entry", "kind", "-revision", "-id"]

    def __str__(self) -> str:
        return f"{self.entry} {self.get_kind_display()} r{self.revision}"


class Alert(models.Model):
    """A called (or simulated) alert: level, cities, dates; computed by a worker job. Its
    summary is kept in columns, the totals per county and city (bounded by the number of
    counties) in ``results`` with the list revisions they were computed from, and each
    enterprise's duty as rows of ``AlertDuty`` and ``AlertDutyProcess``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("测算中")
        READY = "ready", _("已完成")
        FAILED = "failed", _("失败")

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
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    entries = models.PositiveIntegerField(_("企业数"), default=0)
    counties = models.PositiveIntegerField(_("县（市、区）数"), default=0)
    counties_short = models.PositiveIntegerField(_("未达要求的县（市、区）数"), default=0)
    exempt_guarantee = models.PositiveIntegerField(_("保障类"), default=0)
    exempt_power_plant = models.PositiveIntegerField(_("电厂"), default=0)
    exempt_heating_boiler = models.PositiveIntegerField(_("供暖锅炉"), default=0)
    exempt_small_micro = models.PositiveIntegerField(_("小微涉气企业"), default=0)
    results = models.JSONField(_("测算结果"), default=dict)

    class Meta:
        verbose_name = _("预警模拟")
        verbose_name_plural = _("预警模拟")
        ordering = ["-called_at", "-id"]
        indexes = [models.Index(fields=["-called_at", "-id"], name="alert_newest")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.start_on}~{self.end_on}"

    @property
    def days(self) -> int:
        return (self.end_on - self.start_on).days + 1

    @property
    def exempt(self) -> dict[str, int]:
        return {
            "guarantee": self.exempt_guarantee,
            "power_plant": self.exempt_power_plant,
            "heating_boiler": self.exempt_heating_boiler,
            "small_micro": self.exempt_small_micro,
        }


class AlertDuty(models.Model):
    """One enterprise's duty in an alert (R-LIST-3, R-LIST-8, R-GUAR-4), as the list stood when
    the alert was computed; ``position`` orders an alert's duties (county code, name)."""

    # No key checks in the database: they doubled the time of writing a province's duties; the
    # job writes the rows from existing ones, Django's cascade deletes them with their alert.
    pk = models.CompositePrimaryKey("alert", "position")  # one index: the alert's order
    alert = models.ForeignKey(
        Alert, models.CASCADE, related_name="duties", db_index=False, db_constraint=False
    )
    position = models.PositiveIntegerField()
    county = models.ForeignKey(
        "grading.Region",
        verbose_name=_("县（市、区）"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a county reads its range of positions
        db_constraint=False,
    )
    entry_id = models.PositiveIntegerField(_("清单企业"))
    revision = models.PositiveIntegerField(_("修订次数"))
    enterprise_id = models.PositiveIntegerField(_("企业"))
    name = models.CharField(_("企业名称"), max_length=200)
    city_name = models.CharField(_("省辖市"), max_length=50)
    county_name = models.CharField(_("县（市、区）"), max_length=50)
    county_code = models.CharField(_("区划代码"), max_length=12)
    grade_code = models.CharField(_("绩效等级"), max_length=20)
    grade_name = models.CharField(_("绩效等级名称"), max_length=50)
    is_power_plant = models.BooleanField(_("电厂"))
    is_heating_boiler = models.BooleanField(_("供暖锅炉"))
    is_small_micro = models.BooleanField(_("小微涉气企业"))
    is_guarantee = models.BooleanField(_("保障类"))
    guarantee_scope = models.CharField(_("保障任务范围"), max_length=300, blank=True)
    bulk_transport = models.BooleanField(_("大宗物料运输"))
    exempt = models.CharField(_("豁免类别"), max_length=15, blank=True)

    class Meta:
        verbose_name = _("预警企业责任")
        verbose_name_plural = _("预警企业责任")
        ordering = ["alert", "position"]
        db_table = "emergency_list_alert_duty"  # rebuilt with its key: a name of its own

    def __str__(self) -> str:
        return f"{self.alert_id} {self.name}"


class AlertDutyProcess(models.Model):
    """The measure one controlled process of a duty takes at the alert's level; ``action`` is
    empty when no measure was generated at that level. Keyed by the alert and the list entry
    (as its ``AlertDuty`` is), so both are copied from the list without joining each other."""

    alert = models.ForeignKey(  # no key checks, as AlertDuty.alert
        Alert, models.CASCADE, related_name="duty_processes", db_index=False, db_constraint=False
    )
    entry_id = models.PositiveIntegerField(_("清单企业"))
    entry_process_id = models.PositiveIntegerField()
    process_id = models.PositiveIntegerField(_("涉气工序"))
    name = models.CharField(_("工序"), max_length=200)
    line_name = models.CharField(_("生产线"), max_length=200)
    action = models.CharField(_("措施"), max_length=15, blank=True)
    ratio_pct = models.DecimalField(_("比例（%）"), max_digits=5, decimal_places=2, default=0)
    text = models.TextField(_("措施"), blank=True)
    transport_rule = models.CharField(_("运输管控"), max_length=20, blank=True)
    is_override = models.BooleanField(_("县级加严"), default=False)
    so2_td = models.DecimalField(_("SO2减排量（吨/日）"), max_digits=14, decimal_places=4)
    nox_td = models.DecimalField(_("NOx减排量（吨/日）"), max_digits=14, decimal_places=4)
    pm_td = models.DecimalField(_("颗粒物减排量（吨/日）"), max_digits=14, decimal_places=4)
    vocs_td = models.DecimalField(_("VOCs减排量（吨/日）"), max_digits=14, decimal_places=4)

    class Meta:
        verbose_name = _("预警工序措施")
        verbose_name_plural = _("预警工序措施")
        ordering = ["alert", "entry_id", "entry_process_id"]
        indexes = [
            models.Index(
                fields=["alert", "entry_id", "entry_process_id"], name="alert_duty_entry_process"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.entry_id} {self.name}"


class ExcelJob(models.Model):
    """An Excel export or import run by a worker; a file is offered only when complete."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")
        BUNDLE = "bundle", _("一厂一策及公示牌打包")
        DIFF = "diff", _("清单版本对比")

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
