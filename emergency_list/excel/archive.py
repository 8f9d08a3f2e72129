"""The uploaded workbook as an archive, before any XML parser sees it: the archive's entry
count and uncompressed size are checked (``core.uploads``), it must be a workbook, and no XML
part may declare a DTD (entity bombs); openpyxl then parses with defusedxml, which refuses
entity declarations a second time."""

import re
import zipfile
from pathlib import Path

import openpyxl
from defusedxml import DefusedXmlException
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from core.uploads import UploadRejected, validate_upload
from emergency_list.excel.layout import SHEET_LIST

MAX_PROLOG = 64 * 1024
#: Larger than any upload (20 MB); the archive's expanded size is what ``core.uploads`` limits.
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
ROOT_START = re.compile(rb"<[A-Za-z_]")
#: Refusals of ``core.uploads`` reported as they are; any other means "not a workbook".
PASSED_ON = ("zip_bomb", "zip_traversal", "too_large")

NOT_XLSX = "文件不是有效的Excel工作簿（xlsx），请用Excel另存后上传"
XML_BOMB = "文件含有XML实体声明（可能为XML炸弹），已拒绝解析"
MALFORMED = "文件无法解析，请确认是用Excel保存的清单文件"


class ImportRefused(Exception):
    """The file as a whole cannot be read: not a workbook, a bomb, the wrong layout."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def declares_dtd(fh) -> bool:
    """Whether an XML part declares a DTD before its root element (OOXML never does; entity
    expansion bombs need one). Reads at most MAX_PROLOG bytes."""
    head = b""
    while len(head) < MAX_PROLOG:
        chunk = fh.read(4096)
        if not chunk:
            break
        head += chunk
        text = head
        if text.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = text.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
        root = ROOT_START.search(text)
        prolog = text[: root.start()] if root else text
        if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
            return True
        if root:
            return False
    return len(head) >= MAX_PROLOG  # a prolog this long is not a spreadsheet part


def archive_check(path: Path | str) -> None:
    """Refuse, without parsing, what is not a plain workbook: not a zip, too many entries or
    too large once expanded (zip bomb), not an xlsx (all three by ``core.uploads``, as at the
    upload), or an XML part with a DTD (XML bomb)."""
    try:
        with open(path, "rb") as fh:
            kind = validate_upload(fh, original_name=Path(path).name, max_bytes=MAX_ARCHIVE_BYTES)
    except UploadRejected as exc:
        if exc.code in PASSED_ON:
            raise ImportRefused(exc.messages[0], exc.code) from exc
        raise ImportRefused(_(NOT_XLSX), "not_xlsx") from exc
    except OSError as exc:
        raise ImportRefused(_(NOT_XLSX), "not_xlsx") from exc
    if kind.kind != "xlsx":
        raise ImportRefused(_(NOT_XLSX), "not_xlsx")
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with zf.open(info) as fh:
                    if declares_dtd(fh):
                        raise ImportRefused(_(XML_BOMB), "xml_bomb")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportRefused(_(NOT_XLSX), "not_xlsx") from exc


def refused_by_defusedxml(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the XML (openpyxl wraps it in a ValueError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DefusedXmlException):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def out_of_memory(exc: BaseException | None) -> bool:
    """The parser ran out of memory (libxml2 reports it as a syntax error), here or in the
    exception it came from."""
    while exc is not None:
        text = str(exc).lower()
        if isinstance(exc, MemoryError) or "memory allocation failed" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def open_list_sheet(path: Path | str):
    if not openpyxl.DEFUSEDXML:
        raise ImproperlyConfigured("defusedxml is required to parse uploaded workbooks")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except MemoryError:
        raise  # the worker's memory cap: the job says so, the file is not blamed
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        if out_of_memory(exc):
            raise MemoryError(str(exc)) from exc
        if refused_by_defusedxml(exc):
            raise ImportRefused(_(XML_BOMB), "xml_bomb") from exc
        raise ImportRefused(_(MALFORMED), "malformed") from exc
    if SHEET_LIST not in wb.sheetnames:
        wb.close()
        raise ImportRefused(
            _("文件缺少“%s”工作表，请使用平台导出的清单格式") % SHEET_LIST, "wrong_layout"
        )
    ws = wb[SHEET_LIST]
    ws.reset_dimensions()  # a file's stated dimension is not trusted
    return wb, ws
