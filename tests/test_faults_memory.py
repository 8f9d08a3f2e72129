"""The worker's memory cap reached during an import (issue 15, faults): the job ends failed
with a message saying so, nothing is imported, and the worker goes on with the next job.

A real worker runs with WORKER_MEMORY_LIMIT_MB (each pool child may grow that much beyond what
it holds once started). The upload is a county's own export whose shared-strings part carries
about 60 MB of text: within every upload limit (under 20 MB compressed, under the 64 MB part
cap, under 100:1), yet reading it takes more memory than the cap allows."""

import os
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core import jobs
from emergency_list.models import ExcelJob, ListEntry
from emergency_list.services.jobs import export_request, import_upload
from emergency_list.tests.excel_data import YEAR, export, seed_county
from grading.models import Region, User
from tests import factories
from tests.workers import start_worker, wait_for

REQUIRED = os.environ.get("GRADING_REQUIRE_SERVICES") == "1"
pytestmark = [
    pytest.mark.skipif(not REQUIRED, reason="needs PostgreSQL, Redis and a Celery worker"),
    pytest.mark.django_db(transaction=True),
]

CAP_MB = 40
PADDING_MB = 60

SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def padding(total: int, size: int = 2000) -> bytes:
    """``<si>`` entries of low-entropy text (compresses about 7:1, not 1000:1)."""
    table = bytes.maketrans(bytes(range(256)), b"ab" * 128)
    text = os.urandom(total).translate(table)
    return b"".join(b"<si><t>" + text[i : i + size] + b"</t></si>" for i in range(0, total, size))


def heavy_workbook(src, out) -> None:
    """``src`` with about PADDING_MB of shared strings added (a part of its own if the
    workbook writes its strings inline)."""
    with zipfile.ZipFile(src) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    extra = padding(PADDING_MB * 1024 * 1024)
    sst = "xl/sharedStrings.xml"
    if sst in parts:
        data = re.sub(rb' (count|uniqueCount)="\d+"', b"", parts[sst])
        parts[sst] = data.replace(b"</sst>", extra + b"</sst>")
    else:
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>",
            f'<Override PartName="/{sst}" ContentType="{SST_TYPE}"/></Types>'.encode(),
        )
        rels = "xl/_rels/workbook.xml.rels"
        parts[rels] = parts[rels].replace(
            b"</Relationships>",
            f'<Relationship Id="rIdPad" Type="{SST_REL}" Target="sharedStrings.xml"/>'
            "</Relationships>".encode(),
        )
        parts[sst] = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + extra
            + b"</sst>"
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)


def test_memory_cap_reached_during_an_import_fails_the_job_with_a_message(
    reference_data, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    seed_county("410184")
    src, _result = export(tmp_path, "410184")
    heavy = tmp_path / "heavy.xlsx"
    heavy_workbook(src, heavy)
    assert heavy.stat().st_size < 20 * 1024 * 1024
    county = Region.objects.get(code="410184")
    user = factories.staff_user(User.Role.COUNTY, "410184")
    entries = ListEntry.objects.filter(county=county, year=YEAR).count()

    worker = start_worker(
        tmp_path / "var",
        tmp_path / "worker.log",
        env={"WORKER_MEMORY_LIMIT_MB": str(CAP_MB), "JOB_HEARTBEAT_SECONDS": "1"},
    )
    try:
        job = import_upload(
            actor=user,
            county=county,
            year=YEAR,
            upload=SimpleUploadedFile("新郑市清单.xlsx", heavy.read_bytes()),
        )
        started = time.monotonic()
        ended = wait_for(
            lambda: (
                (j := ExcelJob.objects.get(pk=job.pk)).status
                in (ExcelJob.Status.FAILED, ExcelJob.Status.VALIDATED)
                and j
            ),
            timeout=120,
            what="the import to end",
        )
        log = worker.text()[-3000:]
        assert ended.status == ExcelJob.Status.FAILED, f"{ended.report}\n{log}"
        assert ended.error in (jobs.OUT_OF_MEMORY, jobs.TOO_MANY_ATTEMPTS), f"{ended.error}\n{log}"
        assert time.monotonic() - started < 120
        assert ListEntry.objects.filter(county=county, year=YEAR).count() == entries

        # The worker goes on: the next job (an export of the same county) finishes.
        nxt = export_request(actor=user, region=county, year=YEAR)
        done = wait_for(
            lambda: (
                (j := ExcelJob.objects.get(pk=nxt.pk)).status
                in (ExcelJob.Status.READY, ExcelJob.Status.FAILED)
                and j
            ),
            timeout=120,
            what="the next job",
        )
        assert done.status == ExcelJob.Status.READY, done.error
    finally:
        worker.stop()
