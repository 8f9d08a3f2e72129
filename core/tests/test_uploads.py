"""Upload validation against real files built in memory: the kind comes from the bytes, and
every refusal carries a Chinese message a user can act on plus a stable code."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image

from core.uploads import (
    ALLOWED_KINDS,
    UploadRejected,
    ValidatedUpload,
    sanitize_filename,
    sniff_kind,
    validate_upload,
)

MB = 1024 * 1024
LIMIT = 20 * MB
OLE_HEADER = bytes.fromhex("D0CF11E0A1B11AE1")


# --- real files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>测试</p>").write_pdf()


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def make_png() -> bytes:
    """A 2x2 RGB PNG written by hand: signature, IHDR, one zlib IDAT, IEND."""
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def make_xlsx() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "排放量"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCX_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>证明材料</w:t></w:r></w:p></w:body></w:document>"
)


def make_zip(entries: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def make_docx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": DOCX_CONTENT_TYPES,
            "_rels/.rels": DOCX_RELS,
            "word/document.xml": DOCX_DOCUMENT,
        }
    )


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook-shaped zip whose one sheet expands to 300 MiB of zeros (~300 KB on disk),
    streamed so the test never holds the expanded data in memory."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            chunk = bytes(MB)
            for _ in range(300):
                entry.write(chunk)
    return path


def upload(data: bytes, name: str = "file.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def rejected(data: bytes, name: str, max_bytes: int = LIMIT) -> UploadRejected:
    fh = upload(data, name)
    with pytest.raises(UploadRejected) as info:
        validate_upload(fh, original_name=name, max_bytes=max_bytes)
    assert fh.tell() == 0
    return info.value


# --- accepted -----------------------------------------------------------------------------


def test_real_files_are_accepted_by_content(pdf_bytes: bytes) -> None:
    cases = [
        (pdf_bytes, "监测报告.pdf", "pdf"),
        (make_png(), "现场照片.png", "png"),
        (make_jpeg(), "现场照片.JPEG", "jpeg"),
        (make_xlsx(), "排放清单.xlsx", "xlsx"),
        (make_docx(), "承诺书.docx", "docx"),
    ]
    for data, name, kind in cases:
        fh = upload(data, name)
        result = validate_upload(fh, original_name=name, max_bytes=LIMIT)
        assert isinstance(result, ValidatedUpload)
        assert result.kind == kind
        assert (result.content_type, result.extension) == ALLOWED_KINDS[kind]
        assert result.size == len(data)
        assert result.sha256 == hashlib.sha256(data).hexdigest()
        assert result.safe_name == name
        assert fh.tell() == 0


def test_hand_built_images_really_decode() -> None:
    """Guards the fixtures themselves: the PNG written by hand is a valid image."""
    for data in (make_png(), make_jpeg()):
        Image.open(io.BytesIO(data)).verify()


def test_result_is_frozen(pdf_bytes: bytes) -> None:
    result = validate_upload(upload(pdf_bytes), original_name="a.pdf", max_bytes=LIMIT)
    with pytest.raises(AttributeError):
        result.kind = "png"  # type: ignore[misc]


def test_content_wins_over_name_and_display_name_gets_real_extension(pdf_bytes: bytes) -> None:
    result = validate_upload(upload(pdf_bytes), original_name="报告.exe", max_bytes=LIMIT)
    assert (result.kind, result.safe_name) == ("pdf", "报告.pdf")
    result = validate_upload(upload(make_png()), original_name="照片.jpg", max_bytes=LIMIT)
    assert (result.kind, result.safe_name) == ("png", "照片.png")
    result = validate_upload(upload(make_xlsx()), original_name="无扩展名", max_bytes=LIMIT)
    assert result.safe_name == "无扩展名.xlsx"


def test_pdf_header_within_first_kib_is_accepted(pdf_bytes: bytes) -> None:
    assert sniff_kind(io.BytesIO(b"\r\n" * 100 + pdf_bytes)) == "pdf"
    assert sniff_kind(io.BytesIO(b"x" * 2000 + pdf_bytes)) is None


def test_plain_file_object_without_size_is_measured_by_seeking(pdf_bytes: bytes) -> None:
    fh = io.BytesIO(pdf_bytes)
    fh.seek(17)
    result = validate_upload(fh, original_name="a.pdf", max_bytes=LIMIT)
    assert result.size == len(pdf_bytes)
    assert fh.tell() == 0


def test_sniff_kind_reads_content_and_rewinds(pdf_bytes: bytes) -> None:
    cases = [
        (pdf_bytes, "pdf"),
        (make_png(), "png"),
        (make_jpeg(), "jpeg"),
        (make_xlsx(), "xlsx"),
        (make_docx(), "docx"),
        (b"MZ" + bytes(200), None),
        (b"<html></html>", None),
        (make_zip({"a.txt": "hello"}), None),
        (b"just text", None),
        (b"", None),
    ]
    for data, kind in cases:
        fh = io.BytesIO(data)
        fh.seek(len(data))
        assert sniff_kind(fh) == kind
        assert fh.tell() == 0


# --- refused ------------------------------------------------------------------------------


def test_empty_file() -> None:
    err = rejected(b"", "空.pdf")
    assert err.code == "empty"
    assert "文件为空" in err.message


def test_oversized_file_reports_limit_and_size(pdf_bytes: bytes) -> None:
    err = rejected(b"%PDF-1.7\n" + bytes(int(35.2 * MB)), "大文件.pdf")
    assert err.code == "too_large"
    assert err.message == "文件过大：最大允许 20 MB，当前 35.2 MB"
    err = rejected(pdf_bytes, "a.pdf", max_bytes=100)
    assert err.code == "too_large"
    assert "最大允许 100 字节" in err.message


def test_size_attribute_that_lies_is_not_trusted(pdf_bytes: bytes) -> None:
    fh = upload(pdf_bytes, "a.pdf")
    fh.size = 10
    with pytest.raises(UploadRejected) as info:
        validate_upload(fh, original_name="a.pdf", max_bytes=100)
    assert info.value.code == "too_large"
    assert fh.tell() == 0


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"MZ\x90\x00" + bytes(512), "申报材料.pdf", "可执行程序"),
        (b"\x7fELF\x02\x01\x01" + bytes(512), "照片.jpg", "可执行程序"),
        (b"#!/bin/sh\nrm -rf /\n", "清单.xlsx", "脚本"),
    ],
)
def test_executables_and_scripts_are_refused_whatever_the_name(
    data: bytes, name: str, expected: str
) -> None:
    err = rejected(data, name)
    assert err.code == "executable"
    assert err.message.startswith("文件内容与扩展名不符")
    assert expected in err.message


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"\xef\xbb\xbf  \n<html><body>%PDF-1.4</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "<html></html>".encode("utf-16"),
    ],
)
def test_html_svg_xml_text_is_refused(data: bytes) -> None:
    err = rejected(data, "照片.png")
    assert err.code == "markup"
    assert "网页/SVG/XML" in err.message


def test_unknown_content_is_unsupported() -> None:
    err = rejected("这是一个文本文件".encode(), "说明.pdf")
    assert err.code == "unsupported_type"
    assert err.message == "不支持的文件类型：仅支持 PDF、JPG、PNG、XLSX、DOCX（按文件内容识别）"


def test_plain_zip_named_xlsx_is_not_a_workbook() -> None:
    err = rejected(make_zip({"data.csv": "a,b\n1,2\n"}), "清单.xlsx")
    assert err.code == "unsupported_type"
    assert "不是有效的 XLSX/DOCX" in err.message
    only_types = make_zip({"[Content_Types].xml": "<Types/>"})
    assert rejected(only_types, "清单.xlsx").code == "unsupported_type"


def test_truncated_zip_is_unsupported() -> None:
    assert rejected(make_xlsx()[:200], "清单.xlsx").code == "unsupported_type"


def test_zip_bomb_is_refused_by_declared_size(zip_bomb: Path) -> None:
    assert zip_bomb.stat().st_size < 2 * MB
    with zip_bomb.open("rb") as fh:
        with pytest.raises(UploadRejected) as info:
            validate_upload(fh, original_name="bomb.xlsx", max_bytes=LIMIT)
        assert fh.tell() == 0
    assert info.value.code == "zip_bomb"
    assert "压缩包结构异常，已拒绝（可能为压缩炸弹）" in info.value.message
    assert "200 MB" in info.value.message


def test_zip_with_too_many_entries_is_refused() -> None:
    entries: dict[str, str | bytes] = {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": ""}
    entries.update({f"xl/media/{i}.bin": b"" for i in range(2500)})
    err = rejected(make_zip(entries), "清单.xlsx")
    assert err.code == "zip_bomb"
    assert "2000" in err.message


@pytest.mark.parametrize("evil", ["../evil", "xl/../../evil", "/etc/cron.d/evil", "C:/evil"])
def test_zip_with_traversal_entry_is_refused(evil: str) -> None:
    data = make_zip(
        {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>", evil: "x"}
    )
    err = rejected(data, "清单.xlsx")
    assert err.code == "zip_traversal"
    assert "非法路径" in err.message


def test_encrypted_office_file_is_refused() -> None:
    err = rejected(OLE_HEADER + bytes(4096), "加密报表.xlsx")
    assert err.code == "encrypted"
    assert err.message == "加密的 Office 文件无法审阅，请去除密码后上传"
    marker = "EncryptedPackage".encode("utf-16-le")
    # The marker straddling a read-chunk boundary is still found.
    data = OLE_HEADER + bytes(65536 - 8 - 5) + marker + bytes(100)
    assert rejected(data, "报表").code == "encrypted"


def test_legacy_office_file_is_unsupported_with_hint() -> None:
    err = rejected(OLE_HEADER + bytes(4096), "旧报表.xls")
    assert err.code == "unsupported_type"
    assert "另存为 DOCX 或 XLSX" in err.message


def test_rejection_is_a_django_validation_error() -> None:
    from django.core.exceptions import ValidationError

    err = rejected(b"", "a.pdf")
    assert isinstance(err, ValidationError)
    assert err.messages == [err.message]


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\证明材料 .pdf", "证明材料.pdf"),
        ("\x00\x1fbad<>name?.pdf", "badname.pdf"),
        ("", "未命名文件"),
        (".hidden", "hidden"),
        ("...", "未命名文件"),
        ("现场\u3000\t照片  1.jpg", "现场 照片 1.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ('a:b"c|d*e.docx', "abcde.docx"),
    ],
)
def test_sanitize_filename(raw: str, expected: str) -> None:
    assert sanitize_filename(raw) == expected


def test_sanitize_filename_truncates_keeping_extension() -> None:
    name = sanitize_filename("排" * 300 + ".pdf")
    assert len(name) == 120
    assert name == "排" * 116 + ".pdf"
    assert sanitize_filename("a" * 50 + ".xlsx", max_length=20) == "a" * 15 + ".xlsx"
