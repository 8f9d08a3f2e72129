"""Reading the reference tables administrators fill in from a downloaded Excel template (the
indicator tables and the measure tables): the file's size, that it opens, the sheet of the
template; each table then checks its own rows."""

from io import BytesIO

from django.urls import path
from django.utils.translation import gettext as _
from openpyxl import load_workbook


def template_rows(
    content: bytes, *, sheet: str, max_bytes: int, too_big: str, invalid: type
) -> list[tuple]:
    """The rows (values) of ``sheet``; ``invalid([(row, message)])`` is raised for a file
    larger than ``max_bytes`` (``too_big``), one that does not open as .xlsx, or one without
    the sheet."""
    if len(content) > max_bytes:
        raise invalid([(0, too_big)])
    try:
        wb = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same answer
        raise invalid([(0, _("无法读取文件，请使用下载的Excel模板（.xlsx）"))]) from None
    if sheet not in wb.sheetnames:
        raise invalid([(0, _("文件中没有“%s”工作表，请使用下载的模板") % sheet)])
    rows = list(wb[sheet].iter_rows(values_only=True))
    wb.close()
    return rows


class TableAdmin:
    """For a ModelAdmin of a reference table: its upload page (template download and upload)
    and its completeness page at ``upload/`` and ``completeness/`` (``upload_view`` and
    ``completeness_view``, named ``<app>_<model>_upload`` and ``<app>_<model>_completeness``)."""

    def get_urls(self):
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        extra = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name=f"{name}_upload"),
            path(
                "completeness/",
                self.admin_site.admin_view(self.completeness_view),
                name=f"{name}_completeness",
            ),
        ]
        return extra + super().get_urls()
