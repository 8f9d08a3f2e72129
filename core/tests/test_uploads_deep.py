"""Uploads are checked by parsing their content, not by their first bytes: a PDF must be a
PDF that runs nothing, a picture must decode, a workbook carries no macros and no part that
expands past a sane ratio (security audit, 等保三级)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from core import uploads
from core.uploads import UploadRejected, validate_upload

LIMIT = 20 * 1024 * 1024


def check(data: bytes, name: str):
    return validate_upload(SimpleUploadedFile(name, data), original_name=name, max_bytes=LIMIT)


def refused_code(data: bytes, name: str) -> str:
    with pytest.raises(UploadRejected) as err:
        check(data, name)
    return err.value.code


def blank_pdf(**extra) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    for key, value in extra.items():
        writer._root_object[NameObject(key)] = value
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_a_real_pdf_and_real_pictures_are_accepted():
    assert check(blank_pdf(), "a.pdf").kind == "pdf"
    for fmt, name in (("PNG", "a.png"), ("JPEG", "a.jpg")):
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), (10, 120, 60)).save(buf, format=fmt)
        assert check(buf.getvalue(), name).kind in ("png", "jpeg")


def test_pdf_header_followed_by_a_web_page_is_refused():
    data = b"%PDF-1.7\n<html><body><script>alert(1)</script></body></html>\n"
    assert refused_code(data, "报告.pdf") == "invalid_pdf"


def test_jpeg_header_followed_by_a_web_page_is_refused():
    data = b"\xff\xd8\xff\xe0" + b"<html><script>alert(document.cookie)</script></html>" * 20
    assert refused_code(data, "照片.jpg") == "invalid_image"


def test_pdf_with_a_javascript_open_action_is_refused():
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('x');"),
        }
    )
    assert refused_code(blank_pdf(**{"/OpenAction": action}), "报告.pdf") == "pdf_active_content"


def test_pdf_with_a_launch_action_is_refused():
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/F"): TextStringObject("cmd.exe"),
        }
    )
    assert refused_code(blank_pdf(**{"/OpenAction": action}), "报告.pdf") == "pdf_active_content"


def _xlsx_with(extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    wb = Workbook()
    wb.active["A1"] = "企业名称"
    wb.save(buf)
    if not extra:
        return buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def test_workbook_with_macro_code_is_refused_whatever_its_name():
    data = _xlsx_with({"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 512})
    assert refused_code(data, "清单.xlsx") == "macro"


def test_a_member_expanding_past_the_ratio_limit_is_refused():
    # ~16 MB of one repeated string compresses about 1000:1, like the shared-strings bomb.
    bomb = b"<si><t>" + b"A" * (16 * 1024 * 1024) + b"</t></si>"
    data = _xlsx_with({"xl/sharedStrings2.xml": bomb})
    assert len(data) < 200 * 1024
    assert refused_code(data, "清单.xlsx") == "zip_bomb"


def test_shared_strings_past_their_cap_are_refused(monkeypatch):
    monkeypatch.setitem(uploads.MAX_PART_BYTES, "xl/sharedStrings.xml", 1024)
    strings = b"".join(b"<si><t>%d</t></si>" % i for i in range(2000))
    data = _xlsx_with({"xl/sharedStrings.xml": strings})
    assert refused_code(data, "清单.xlsx") == "zip_bomb"
