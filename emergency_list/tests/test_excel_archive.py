"""Hostile uploads: zip bombs and XML entity bombs are refused before openpyxl parses them, and
defusedxml refuses entities a second time inside openpyxl."""

import io
import zipfile

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import UploadRejected
from emergency_list.excel import archive
from emergency_list.excel.importing import import_validate
from emergency_list.excel.layout import (
    SHEET_LIST,
)
from emergency_list.models import (
    ExcelJob,
)
from emergency_list.services.jobs import import_upload
from emergency_list.tests.excel_data import (
    YEAR,
)
from grading.models import Region, User
from tests import factories

pytestmark = pytest.mark.django_db


def _workbook_bytes(tmp_path) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = SHEET_LIST
    wb.active.append(["x"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_entries(data: bytes, extra) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        replaced = {name for name, _ in extra}
        for info in src.infolist():
            if info.filename not in replaced:
                dst.writestr(info, src.read(info.filename))
        for name, payload in extra:
            if callable(payload):
                payload(dst, name)
            else:
                dst.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _never_parse(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not see this file")

    monkeypatch.setattr(archive.openpyxl, "load_workbook", refuse)


def test_zip_bombs_are_refused_before_parsing(tmp_path, monkeypatch):
    county = Region.objects.get(code="410184")
    base = _workbook_bytes(tmp_path)
    many = _with_entries(base, [(f"xl/media/pad{i}.bin", b"") for i in range(2001)])
    (tmp_path / "many.xlsx").write_bytes(many)

    def huge(dst, name):
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(201):
                fh.write(block)

    big = _with_entries(base, [("xl/media/big.bin", huge)])
    (tmp_path / "big.xlsx").write_bytes(big)
    assert len(big) < 2 * 1024 * 1024  # tiny upload, 201 MB expanded
    _never_parse(monkeypatch)
    for name, words in (("many.xlsx", "条目超过"), ("big.xlsx", "解压后总大小")):
        report = import_validate(county=county, year=YEAR, path=tmp_path / name)
        assert report["file_error_code"] == "zip_bomb" and words in report["file_error"]
        assert not report["ok"] and report["errors"] == []
    with pytest.raises(UploadRejected):  # and the upload itself is refused at the door
        import_upload(
            actor=factories.staff_user(User.Role.COUNTY, "410184"),
            county=county,
            year=YEAR,
            upload=SimpleUploadedFile("清单.xlsx", big),
        )
    assert not ExcelJob.objects.exists()


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    "</sheetData></worksheet>"
)


def test_an_xml_bomb_is_refused_not_parsed(tmp_path, monkeypatch):
    county = Region.objects.get(code="410184")
    bomb = _with_entries(_workbook_bytes(tmp_path), [("xl/worksheets/sheet1.xml", BILLION_LAUGHS)])
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    # the first line: the DTD is seen in the archive, openpyxl never runs
    with monkeypatch.context() as m:
        _never_parse(m)
        report = import_validate(county=county, year=YEAR, path=path)
    assert report["file_error_code"] == "xml_bomb" and "XML" in report["file_error"]
    # the second line: defusedxml refuses the entities inside openpyxl itself
    assert openpyxl.DEFUSEDXML
    with pytest.raises((DefusedXmlException, ValueError)) as raised:
        wb = openpyxl.load_workbook(path, read_only=True)
        list(wb[SHEET_LIST].iter_rows(values_only=True))
    assert archive.refused_by_defusedxml(raised.value)
    assert isinstance(
        raised.value.__cause__ or raised.value.__context__ or raised.value, DefusedXmlException
    )
    # and with the first line switched off, the import still reports it cleanly
    monkeypatch.setattr(archive, "declares_dtd", lambda fh: False)
    report = import_validate(county=county, year=YEAR, path=path)
    assert report["file_error_code"] == "xml_bomb" and not report["ok"]
