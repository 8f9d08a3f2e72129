"""Validation of uploaded evidence files (证明材料), by content rather than by name.

Enterprises upload PDFs, photos and Office files that reviewers open on their own machines,
so a file's name and the browser's content type are treated as untrusted hints: the kind is
sniffed from the bytes, executables and active markup are refused outright, and OOXML zips
are inspected for bombs and path traversal before anything downstream (openpyxl, a preview
renderer, an unzip on a reviewer's PC) gets to expand them. Standard library only, so the
check behaves the same on every host without libmagic.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

ALLOWED_KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", ".pdf"),
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
}
# Other extensions users legitimately type; anything else is replaced by the canonical one.
_EXTENSION_ALIASES: dict[str, tuple[str, ...]] = {"jpeg": (".jpeg", ".jpe")}
# Main part that makes a zip with [Content_Types].xml a workbook or a document.
_OOXML_MAIN_PART: dict[str, str] = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml"}

MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
# A member may expand at most this many times its compressed size (a 605 KB workbook whose
# shared strings expand to 199 MB is about 330:1; real workbooks stay well under 30:1). Small
# members are exempt: a few KB of repeated XML tags legitimately compress very well.
MAX_ZIP_RATIO = 100
ZIP_RATIO_EXEMPT_BYTES = 1024 * 1024
# Parts a reader expands into memory whole: caps well above any real list or evidence file.
MAX_PART_BYTES = {
    "xl/sharedStrings.xml": 64 * 1024 * 1024,
    "xl/worksheets/": 160 * 1024 * 1024,
    "word/document.xml": 64 * 1024 * 1024,
}
# Macro code, whatever the file is called (an .xlsm renamed .xlsx keeps its vbaProject part).
_MACRO_PART = re.compile(r"(^|/)vbaProject\.bin$|(^|/)vbaData\.xml$", re.IGNORECASE)
# Images larger than this many pixels are refused before decoding (a decompression bomb).
MAX_IMAGE_PIXELS = 120_000_000
# Objects walked in a PDF looking for scripts and launch actions before giving up as suspicious.
MAX_PDF_OBJECTS = 200_000
HEAD_BYTES = 8192
_CHUNK = 1 << 16

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream name inside an OLE container that holds a password-protected OOXML package.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

UNNAMED = "未命名文件"
_FORBIDDEN_CHARS = re.compile(r'[<>:"|?*]')
_WHITESPACE = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")


class UploadRejected(ValidationError):
    """A refused upload. A ValidationError so forms and the API show it like any field error;
    ``code`` lets callers (and tests) tell the reasons apart without parsing Chinese text."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class ValidatedUpload:
    """What the storage layer needs: the trusted kind and content type (never the browser's),
    the canonical extension to store under, the real size, a digest for dedup/integrity and a
    name that is safe to show back to users."""

    kind: str
    content_type: str
    extension: str
    size: int
    sha256: str
    safe_name: str


def _human_size(n: int) -> str:
    """Sizes as users think of them ("20 MB", "35.2 MB"), without a trailing ".0"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} 字节"


def _dangerous(head: bytes) -> tuple[str, str] | None:
    """Programs, scripts and browser-active markup, whatever the file is called: these are the
    payloads a renamed upload is usually trying to smuggle onto a reviewer's machine."""
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF"):
        return "executable", "文件内容与扩展名不符：该文件实为可执行程序，已拒绝"
    if head.startswith(b"#!"):
        return "executable", "文件内容与扩展名不符：该文件实为脚本程序，已拒绝"
    text = head
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = text.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    text = text.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c\x00")
    if text.startswith(b"<"):
        return "markup", "文件内容与扩展名不符：该文件实为网页/SVG/XML 文本（可能含脚本），已拒绝"
    return None


def _head_kind(head: bytes) -> str | None:
    """Kind from the magic bytes alone; "zip" and "ole" still need a closer look."""
    if head.startswith(_PNG_MAGIC):
        return "png"
    if head.startswith(_JPEG_MAGIC):
        return "jpeg"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    # Some generators put a few bytes before the header; readers accept it within 1 KiB.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    return None


def _ooxml_kind(zf: zipfile.ZipFile) -> str | None:
    """xlsx or docx when the zip has the parts Office itself requires; a plain zip renamed
    .xlsx is not a workbook and must not reach openpyxl as one."""
    names = set(zf.namelist())
    if "[Content_Types].xml" not in names:
        return None
    kinds = [kind for kind, part in _OOXML_MAIN_PART.items() if part in names]
    return kinds[0] if len(kinds) == 1 else None


def _check_zip_safety(zf: zipfile.ZipFile) -> None:
    """Refuse archives that are cheap to upload but expensive or dangerous to expand. The
    declared sizes are trustworthy enough: zipfile stops at the declared size and fails the CRC
    check, so a lying header cannot make a downstream reader produce more."""
    infos = zf.infolist()
    bomb = "压缩包结构异常，已拒绝（可能为压缩炸弹）"
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UploadRejected(f"{bomb}：文件条目超过 {MAX_ZIP_ENTRIES} 个", "zip_bomb")
    if sum(info.file_size for info in infos) > MAX_ZIP_UNCOMPRESSED:
        limit = _human_size(MAX_ZIP_UNCOMPRESSED)
        raise UploadRejected(f"{bomb}：解压后总大小超过 {limit}", "zip_bomb")
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in name.split("/"):
            raise UploadRejected("压缩包内含非法路径（绝对路径或 ..），已拒绝", "zip_traversal")
        if _MACRO_PART.search(name):
            raise UploadRejected(
                "文件含有宏代码（VBA），已拒绝；请另存为不含宏的文档后上传", "macro"
            )
        if info.file_size > ZIP_RATIO_EXEMPT_BYTES and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise UploadRejected(
                f"{bomb}：{name} 的压缩比为 {ratio}:1，超过 {MAX_ZIP_RATIO}:1", "zip_bomb"
            )
        for prefix, cap in MAX_PART_BYTES.items():
            if (name == prefix or (prefix.endswith("/") and name.startswith(prefix))) and (
                info.file_size > cap
            ):
                raise UploadRejected(f"{bomb}：{name} 解压后超过 {_human_size(cap)}", "zip_bomb")
    content_types = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
    if (
        content_types is not None
        and content_types.file_size < 1024 * 1024
        and b"macroEnabled" in zf.read(content_types)
    ):
        raise UploadRejected("文件含有宏代码（VBA），已拒绝；请另存为不含宏的文档后上传", "macro")


def sniff_kind(fh: IO[bytes]) -> str | None:
    """Identify the file by its content, never its name: reads the head (and, for OOXML, the
    zip directory) and returns one of ALLOWED_KINDS' keys or None. Leaves fh at position 0."""
    try:
        fh.seek(0)
        head = fh.read(HEAD_BYTES)
        if _dangerous(head):
            return None
        kind = _head_kind(head)
        if kind == "zip":
            fh.seek(0)
            try:
                with zipfile.ZipFile(fh) as zf:
                    return _ooxml_kind(zf)
            except (zipfile.BadZipFile, OSError, ValueError):
                return None
        return kind if kind in ALLOWED_KINDS else None
    finally:
        fh.seek(0)


def sanitize_filename(name: str, max_length: int = 120) -> str:
    """A display-safe original name: the user's own name matters to reviewers (Chinese kept),
    but directories, control/bidi characters (e.g. U+202E spoofing "gpj.exe"), Windows-reserved
    characters and leading dots must not survive into HTML, headers or a reviewer's disk."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch.isspace() or unicodedata.category(ch) not in {"Cc", "Cf", "Cs"}
    )
    name = _FORBIDDEN_CHARS.sub("", name)
    name = _WHITESPACE.sub(" ", name).strip(" .")
    match = _EXTENSION.search(name)
    ext = match.group(0) if match else ""
    stem = name[: len(name) - len(ext)].strip(" .")
    if not stem:
        return UNNAMED + ext
    stem = stem[: max(1, max_length - len(ext))].rstrip(" .")
    return stem + ext


def _scan_content(fh: IO[bytes], max_bytes: int, look_for: bytes | None) -> tuple[int, str, bool]:
    """One pass over the whole content: the real byte count (a lying ``size`` cannot sneak past
    the limit), the sha256, and whether ``look_for`` occurs (with chunk overlap)."""
    digest, total, found, tail = hashlib.sha256(), 0, False, b""
    fh.seek(0)
    while chunk := fh.read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise UploadRejected(
                f"文件过大：最大允许 {_human_size(max_bytes)}，当前超过该限制", "too_large"
            )
        digest.update(chunk)
        if look_for and not found:
            found = look_for in tail + chunk
            tail = chunk[-len(look_for) :]
    return total, digest.hexdigest(), found


def validate_upload(fh: IO[bytes], *, original_name: str, max_bytes: int) -> ValidatedUpload:
    """Accept by content, refuse everything else with an UploadRejected (Chinese message, code).

    A PDF named "报告.exe" is accepted as a PDF (content wins, and it is stored and shown as
    .pdf); an executable named "报告.pdf" is refused. Leaves fh at position 0 either way, so the
    caller can save or re-read it."""
    try:
        return _validate(fh, original_name, max_bytes)
    finally:
        fh.seek(0)


def _validate(fh: IO[bytes], original_name: str, max_bytes: int) -> ValidatedUpload:
    # Django's UploadedFile knows its size; a plain file object is measured by seeking.
    declared = getattr(fh, "size", None)
    if not isinstance(declared, int):
        declared = fh.seek(0, 2)
    if declared == 0:
        raise UploadRejected("文件为空，请选择有内容的文件重新上传", "empty")
    if declared > max_bytes:
        raise UploadRejected(
            f"文件过大：最大允许 {_human_size(max_bytes)}，当前 {_human_size(declared)}",
            "too_large",
        )
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    if danger := _dangerous(head):
        raise UploadRejected(danger[1], danger[0])
    head_kind = _head_kind(head)
    size, sha256, encrypted_marker = _scan_content(
        fh, max_bytes, _ENCRYPTED_PACKAGE if head_kind == "ole" else None
    )
    if size == 0:
        raise UploadRejected("文件为空，请选择有内容的文件重新上传", "empty")
    safe_name = sanitize_filename(original_name)
    ext_match = _EXTENSION.search(safe_name)
    original_ext = ext_match.group(0).lower() if ext_match else ""
    if head_kind == "ole":
        if encrypted_marker or original_ext in {".xlsx", ".docx"}:
            raise UploadRejected("加密的 Office 文件无法审阅，请去除密码后上传", "encrypted")
        raise UploadRejected(
            "不支持旧版 Office 格式（DOC/XLS），请另存为 DOCX 或 XLSX 后上传", "unsupported_type"
        )
    kind: str | None = head_kind
    if head_kind == "zip":
        try:
            with zipfile.ZipFile(fh) as zf:
                _check_zip_safety(zf)
                kind = _ooxml_kind(zf)
        except (zipfile.BadZipFile, ValueError, OSError):
            kind = None
        if kind is None:
            raise UploadRejected(
                "不支持的文件类型：压缩包不是有效的 XLSX/DOCX 文档，请用 Excel/Word 另存后上传",
                "unsupported_type",
            )
    if kind is None or kind not in ALLOWED_KINDS:
        raise UploadRejected(
            "不支持的文件类型：仅支持 PDF、JPG、PNG、XLSX、DOCX（按文件内容识别）",
            "unsupported_type",
        )
    if kind == "pdf":
        _check_pdf(fh)
    elif kind in ("jpeg", "png"):
        _check_image(fh)
    content_type, extension = ALLOWED_KINDS[kind]
    if original_ext not in (extension, *_EXTENSION_ALIASES.get(kind, ())):
        # Content wins: show and store it under the extension that matches what it really is.
        stem = safe_name[: ext_match.start()] if ext_match else safe_name
        safe_name = sanitize_filename(stem + extension)
    return ValidatedUpload(kind, content_type, extension, size, sha256, safe_name)


# PDF name objects that make a reader run something: scripts, launching programs, submitting
# or importing data, and embedded programs' rich media.
_PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute"}
_PDF_ACTIVE_KEYS = {"/JS", "/JavaScript"}


def _check_pdf(fh: IO[bytes]) -> None:
    """The whole file must parse as a PDF (not "%PDF-" followed by a web page), and nothing in
    it may run a script or launch a program when a reviewer opens it."""
    fh.seek(0)
    try:
        reader = PdfReader(fh, strict=False)
        if reader.is_encrypted:
            raise UploadRejected("加密的 PDF 无法审阅，请去除密码后上传", "encrypted")
        pages = len(reader.pages)
        if pages == 0:
            raise UploadRejected("PDF 文件没有页面，无法审阅", "invalid_pdf")
        stack = [reader.trailer]
        seen: set[tuple[int, int]] = set()
        walked = 0
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                key = (obj.idnum, obj.generation)
                if key in seen:
                    continue
                seen.add(key)
                obj = obj.get_object()
            walked += 1
            if walked > MAX_PDF_OBJECTS:
                raise UploadRejected("PDF 文件结构过于复杂，无法检查，已拒绝", "invalid_pdf")
            if isinstance(obj, DictionaryObject):
                if _PDF_ACTIVE_KEYS & set(obj.keys()) or obj.get("/S") in _PDF_ACTIVE_ACTIONS:
                    raise UploadRejected(
                        "PDF 文件含有脚本或启动程序的动作，已拒绝；请打印为普通 PDF 后上传",
                        "pdf_active_content",
                    )
                stack.extend(v for k, v in obj.items() if k != "/Parent")
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)
    except UploadRejected:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        OSError,
        AssertionError,
    ) as exc:
        raise UploadRejected(
            "PDF 文件已损坏或不是有效的 PDF，无法打开，请重新导出后上传", "invalid_pdf"
        ) from exc
    finally:
        fh.seek(0)


def _check_image(fh: IO[bytes]) -> None:
    """The whole picture must decode (not a JPEG header followed by a web page), and not be a
    decompression bomb."""
    fh.seek(0)
    try:
        with Image.open(fh) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadRejected("图片像素过多，已拒绝（请缩小后上传）", "image_too_large")
            img.verify()
        fh.seek(0)
        with Image.open(fh) as img:
            img.load()
    except UploadRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadRejected(
            "图片已损坏或不是有效的 JPG/PNG 图片，请重新导出后上传", "invalid_image"
        ) from exc
    finally:
        fh.seek(0)
