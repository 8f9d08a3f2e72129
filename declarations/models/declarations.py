"""Declarations, their sections, indicator rows, evidence
and frozen versions. A declaration's life is a django-fsm-2 state field changed only by
services (``declarations.services``)."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from grading.models.enterprises import mobile_validator

positive = [MinValueValidator(0)]


class Batch(models.Model):
    """A review batch of one year for a group of industries, with its deadline (R-TGT-4)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("批次名称"), max_length=100)
    categories = models.ManyToManyField(
        "grading.IndustryCategory", verbose_name=_("行业类别"), blank=True
    )
    includes_guarantee = models.BooleanField(_("含保障类企业"), default=False)
    deadline = models.DateField(_("审核认定截止日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("申报批次")
        verbose_name_plural = _("申报批次")
        ordering = ["year", "deadline", "id"]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class Declaration(ConcurrentTransitionMixin, models.Model):
    """One enterprise's declaration for one industry and one year (R-GRADE-4)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        UNDER_REVIEW = "under_review", _("审核中")
        RETURNED = "returned", _("退回修改")
        DECIDED = "decided", _("已认定")
        REJECTED = "rejected", _("不予受理")

    class ControlType(models.TextChoices):
        GRADING = "grading", _("绩效分级")
        LEADING = "leading", _("绩效引领性")
        GUARANTEE = "guarantee", _("保障类")

    class GuaranteeCategory(models.TextChoices):
        """R-GUAR-1."""

        EMERGING = "emerging", _("新兴产业及战略性新兴产业")
        MAJOR_PROJECT = "major_project", _("重大工程项目")
        FOREIGN_TRADE = "foreign_trade", _("外贸订单")
        LIVELIHOOD = "livelihood", _("民生保障")
        CITY_OPERATION = "city_operation", _("城市运行保障")
        NATIONAL_STRATEGIC = "national_strategic", _("国家战略性产业")

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    number = models.CharField(_("申报编号"), max_length=30, unique=True)
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="declarations",
    )
    year = models.PositiveSmallIntegerField(_("申报年度"))
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("申报行业"), on_delete=models.PROTECT, related_name="+"
    )
    control_type = models.CharField(
        _("申请管控类型"), max_length=12, choices=ControlType.choices, default=ControlType.GRADING
    )
    guarantee_category = models.CharField(
        _("保障类类别"), max_length=20, choices=GuaranteeCategory.choices, blank=True
    )
    requested_grade = models.ForeignKey(
        "grading.Grade", verbose_name=_("自评估等级"), on_delete=models.PROTECT, related_name="+"
    )
    indicator_set = models.ForeignKey(
        "grading.IndicatorSet",
        verbose_name=_("适用指标体系"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("按提交时施行的技术指南版本确定"),
    )
    batch = models.ForeignKey(
        Batch, verbose_name=_("批次"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = FSMField(
        _("状态"), max_length=15, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    # 申请表 (002 附件4 一)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    responsible_person = models.CharField(_("企业应急措施落实责任人"), max_length=50, blank=True)
    responsible_mobile = models.CharField(
        _("联系方式（手机号）"), max_length=11, blank=True, validators=[mobile_validator]
    )
    output_value = models.DecimalField(
        _("工业总产值（万元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=positive,
    )
    # Commitments (002 附件4 二、三): the text is shown, the legal representative confirms.
    truth_commitment_by = models.CharField(_("真实性承诺：法定代表人"), max_length=50, blank=True)
    truth_commitment_on = models.DateField(_("真实性承诺日期"), null=True, blank=True)
    reduction_commitment_by = models.CharField(_("减排承诺：法定代表人"), max_length=50, blank=True)
    reduction_commitment_on = models.DateField(_("减排承诺日期"), null=True, blank=True)
    # 企业基本情况 (002 附件4 四)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    industry_code = models.CharField(_("行业代码"), max_length=60, blank=True)
    park = models.CharField(_("所属工业园区"), max_length=200, blank=True)
    emission_standards = models.TextField(_("执行的排放标准"), blank=True)
    permit_number = models.CharField(_("排污许可证编号"), max_length=60, blank=True)
    legal_compliance = models.TextField(_("环保守法说明"), blank=True)
    process_description = models.TextField(_("生产工艺说明"), blank=True)
    confidential_note = models.CharField(
        _("涉密说明"),
        max_length=200,
        blank=True,
        help_text=_("涉及生产、外贸订单、军工等需保密的内容，不在平台公开输出中展示"),
    )
    rectification = models.TextField(
        _("整改情况"), blank=True, help_text=_("退回修改后重新提交时说明")
    )
    current_version = models.PositiveIntegerField(_("当前版本"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("绩效分级申报")
        verbose_name_plural = _("绩效分级申报")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "industry"],
                condition=~models.Q(status="rejected"),
                name="one_open_declaration_per_industry_year",
            )
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.number} {self.enterprise} {self.industry}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    # Transitions: only services call these, inside their transaction, and record the event.
    @transition(field=status, source=[Status.DRAFT, Status.RETURNED], target=Status.SUBMITTED)
    def submit(self) -> None:
        """The package is frozen as a new version."""

    @transition(field=status, source=Status.SUBMITTED, target=Status.DRAFT)
    def withdraw(self) -> None:
        """Allowed until the county starts its first review."""

    @transition(field=status, source=Status.SUBMITTED, target=Status.UNDER_REVIEW)
    def start_review(self) -> None:
        """The county has started its first review."""

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.RETURNED)
    def return_for_revision(self) -> None:
        """Back to the enterprise; the resubmission goes through the county again (R-DECL-6)."""

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.DECIDED)
    def decide(self) -> None:
        """The grade is decided; the declaration is closed."""

    @transition(
        field=status, source=[Status.SUBMITTED, Status.UNDER_REVIEW], target=Status.REJECTED
    )
    def reject(self) -> None:
        """Not accepted, with a reason."""


class IndicatorRow(models.Model):
    """A row of the comparison table (002 附件4 五.1): requirement, the enterprise's statement
    and its evidence. Generated from the indicator set for the requested grade (R-DECL-3)."""

    declaration = models.ForeignKey(
        Declaration, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="indicator_rows"
    )
    category = models.ForeignKey(
        "grading.IndicatorCategory", verbose_name=_("差异化指标"), on_delete=models.PROTECT
    )
    seq = models.PositiveSmallIntegerField(_("序号"))
    requirement = models.TextField(
        _("该级别指标要求"), blank=True, help_text=_("空：技术指南原文尚未录入平台")
    )
    applicable = models.BooleanField(_("涉及"), default=True)
    not_applicable_reason = models.CharField(_("不涉及的理由"), max_length=300, blank=True)
    statement = models.TextField(_("企业对标情况"), blank=True)
    meets = models.BooleanField(
        _("自评达到要求"),
        null=True,
        blank=True,
        help_text=_("严格分级：任一指标未达到即为下一等级"),
    )
    remark = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("指标对标")
        verbose_name_plural = _("指标对标")
        ordering = ["declaration", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "seq"], name="uniq_indicator_row_seq")
        ]

    def __str__(self) -> str:
        return f"{self.declaration.number} {self.category}"


class ProductCapacity(models.Model):
    """3.1 产品及产量: per production line (the enterprise's own line, referenced)."""

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="products", verbose_name=_("申报")
    )
    line = models.ForeignKey(
        "grading.ProductionLine",
        verbose_name=_("生产线"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    product = models.CharField(_("产品"), max_length=100)
    capacity = models.DecimalField(_("产能"), max_digits=14, decimal_places=2, validators=positive)
    last_year_output = models.DecimalField(
        _("上年产量"), max_digits=14, decimal_places=2, validators=positive
    )
    unit = models.CharField(_("单位"), max_length=20)

    class Meta:
        verbose_name = _("产品及产能")
        verbose_name_plural = _("产品及产能")
        ordering = ["declaration", "id"]

    def __str__(self) -> str:
        return f"{self.line} {self.product}"


class MaterialUse(models.Model):
    """3.3 原辅材料、能源消耗情况."""

    class Kind(models.TextChoices):
        FUEL = "fuel", _("燃料")
        RAW = "raw", _("原料")
        AUXILIARY = "auxiliary", _("辅料")
        ENERGY = "energy", _("能源")

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="materials", verbose_name=_("申报")
    )
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    annual_amount = models.DecimalField(
        _("上年使用量"), max_digits=14, decimal_places=3, validators=positive
    )
    unit = models.CharField(_("单位"), max_length=20)
    storage_transport = models.CharField(_("储运装卸方式"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("原辅材料及能源")
        verbose_name_plural = _("原辅材料及能源")
        ordering = ["declaration", "id"]

    def __str__(self) -> str:
        return self.name


class TransportVolume(models.Model):
    """3.4 运输情况: volumes by mode."""

    class Mode(models.TextChoices):
        RAIL = "rail", _("铁路")
        WATER = "water", _("水路")
        PIPE_BELT = "pipe_belt", _("管道及管状带式输送机（廊道）")
        NEW_ENERGY_ROAD = "ne_road", _("公路（新能源车辆）")
        CN6_ROAD = "cn6_road", _("公路（国六及以上车辆）")
        OTHER_ROAD = "other_road", _("公路（其他车辆）")
        IN_PLANT = "in_plant", _("场内装卸机械")

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="transport", verbose_name=_("申报")
    )
    mode = models.CharField(_("运输方式"), max_length=12, choices=Mode.choices)
    goods = models.CharField(_("运输物料"), max_length=100)
    annual_tonnes = models.DecimalField(
        _("年运输量（吨）"), max_digits=14, decimal_places=2, validators=positive
    )

    class Meta:
        verbose_name = _("运输量")
        verbose_name_plural = _("运输量")
        ordering = ["declaration", "id"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.goods}"


class Vehicle(models.Model):
    """Vehicle ledger (R-DECL-4; 002 附件4 2.18)."""

    class EmissionStage(models.TextChoices):
        CN0 = "0", _("国0")
        CN1 = "1", _("国一")
        CN2 = "2", _("国二")
        CN3 = "3", _("国三")
        CN4 = "4", _("国四")
        CN5 = "5", _("国五")
        CN6 = "6", _("国六")
        ELECTRIC = "d", _("电动")

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="vehicles", verbose_name=_("申报")
    )
    plate = models.CharField(_("车牌号"), max_length=10)
    vin = models.CharField(
        _("车辆识别代号（VIN）"),
        max_length=17,
        validators=[
            RegexValidator(r"^[A-HJ-NPR-Z0-9]{17}$", _("VIN应为17位字母或数字（不含I、O、Q）"))
        ],
    )
    engine_number = models.CharField(_("发动机号码"), max_length=30)
    emission_stage = models.CharField(_("排放阶段"), max_length=2, choices=EmissionStage.choices)

    class Meta:
        verbose_name = _("运输车辆")
        verbose_name_plural = _("运输车辆")
        ordering = ["declaration", "id"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "vin"], name="uniq_vehicle_vin")
        ]

    def __str__(self) -> str:
        return self.plate


class TreatmentFacility(models.Model):
    """Treatment facilities per source (R-DECL-4; 002 附件4 2.13)."""

    class Kind(models.TextChoices):
        DUST = "dust", _("除尘设施")
        DESULPHURISATION = "desulf", _("脱硫设施")
        DENITRATION = "denox", _("脱硝设施")
        VOCS = "vocs", _("VOCs治理设施")

    declaration = models.ForeignKey(
        Declaration, on_delete=models.CASCADE, related_name="facilities", verbose_name=_("申报")
    )
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    seq = models.PositiveSmallIntegerField(_("序号"))
    process = models.ForeignKey(
        "grading.Process",
        verbose_name=_("产污环节"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    technique = models.CharField(_("治理工艺"), max_length=100)
    commissioned_on = models.DateField(_("投用时间"))
    running_status = models.CharField(_("运行状况"), max_length=50)
    removal_efficiency = models.DecimalField(
        _("去除效率（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    concentration = models.DecimalField(
        _("排放浓度（mg/m³）"), max_digits=10, decimal_places=3, validators=positive
    )
    airflow = models.DecimalField(
        _("排放风量（m³/h）"), max_digits=12, decimal_places=1, validators=positive
    )

    class Meta:
        verbose_name = _("污染治理设施")
        verbose_name_plural = _("污染治理设施")
        ordering = ["declaration", "kind", "seq"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.seq}"


def evidence_path(instance: "Evidence", filename: str) -> str:
    """Server-generated storage name; the original name is kept only as data."""
    return f"evidence/{instance.declaration_id}/{uuid.uuid4().hex}{instance.extension}"


class Evidence(models.Model):
    """An uploaded proof attached to an indicator row or a section. Replacing a file keeps the
    old one (``replaced_by``); nothing a reviewer relied on is deleted."""

    class Section(models.TextChoices):
        BASIC = "basic", _("企业基本情况")
        COMPLIANCE = "compliance", _("环保守法说明")
        PRODUCTION = "production", _("生产工艺及产品")
        MATERIALS = "materials", _("原辅材料及能源")
        TRANSPORT = "transport", _("运输情况")
        FACILITIES = "facilities", _("污染治理设施")
        INDICATOR = "indicator", _("指标证明材料")
        RECTIFICATION = "rectification", _("整改材料")

    declaration = models.ForeignKey(
        Declaration, verbose_name=_("申报"), on_delete=models.PROTECT, related_name="evidence"
    )
    indicator_row = models.ForeignKey(
        IndicatorRow,
        verbose_name=_("指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    section = models.CharField(_("所属部分"), max_length=15, choices=Section.choices)
    title = models.CharField(_("材料名称"), max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=200)
    kind = models.CharField(_("文件类型"), max_length=10)
    content_type = models.CharField(_("内容类型"), max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField(_("页数"), default=1)
    is_confidential = models.BooleanField(_("涉密材料"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    replaced_by = models.ForeignKey(
        "self",
        verbose_name=_("被替换为"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
    )

    class Meta:
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")
        ordering = ["declaration", "section", "id"]
        indexes = [models.Index(fields=["declaration", "replaced_by"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_current(self) -> bool:
        return self.replaced_by_id is None


class DeclarationVersion(models.Model):
    """A submitted, frozen version: a snapshot of the whole package and its evidence list."""

    class RenderStatus(models.TextChoices):
        NONE = "none", _("未生成")
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    declaration = models.ForeignKey(
        Declaration, verbose_name=_("申报"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"))
    snapshot = models.JSONField(_("申报内容快照"))
    rectification = models.TextField(_("整改情况"), blank=True)
    package_status = models.CharField(
        _("申报材料PDF"), max_length=10, choices=RenderStatus.choices, default=RenderStatus.NONE
    )
    package_progress = models.PositiveSmallIntegerField(_("生成进度"), default=0)
    package_file = models.FileField(_("申报材料PDF"), upload_to="packages/", blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("申报版本")
        verbose_name_plural = _("申报版本")
        ordering = ["declaration", "number"]
        constraints = [
            models.UniqueConstraint(fields=["declaration", "number"], name="uniq_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.declaration.number} v{self.number}"
