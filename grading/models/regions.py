from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """An administrative division (GB/T 2260) or a unit that reviews as a county.

    Enterprises belong to a county-level unit. A city-level unit without counties (济源示范区)
    has ``reviews_as_county`` set: its enterprises belong to it directly and its bureau does the
    county step and the city step. Development zones can be added as county-level units.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField(
        _("类型"), max_length=20, blank=True, help_text=_("如 地级市、县、开发区")
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    reviews_as_county = models.BooleanField(
        _("兼任县级审核"),
        default=False,
        help_text=_("不设县级单位的省辖市级单位（如济源示范区）由本级同时承担县级初审和市级审核"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def holds_enterprises(self) -> bool:
        """Whether enterprises can be registered directly in this unit."""
        return self.level == self.Level.COUNTY or (
            self.level == self.Level.CITY and self.reviews_as_county
        )

    @property
    def city(self) -> "Region | None":
        if self.level == self.Level.CITY:
            return self
        if self.level == self.Level.COUNTY:
            return self.parent
        return None
