"""Issue 11 items 4 and 7: every download of a stored file is an audit event, and a download
follows the requester's current reach, never who asked for the file."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from core.models import AuditEvent
from emergency_list.models import ExcelJob
from grading.models import Region, User
from publication.models import ExportFile
from tests import factories

pytestmark = pytest.mark.django_db


def _ready_list_export(user: User, region_code: str) -> ExcelJob:
    job = ExcelJob.objects.create(
        kind=ExcelJob.Kind.EXPORT,
        region=Region.objects.get(code=region_code),
        year=2026,
        requested_by=user,
        status=ExcelJob.Status.READY,
    )
    job.file.save("list.xlsx", ContentFile(b"PK\x03\x04 not really"), save=True)
    return job


def _get(user: User, url: str):
    client = Client()
    client.force_login(user)
    return client.get(url)


def test_a_list_export_download_is_recorded_with_who_and_from_where():
    county = factories.staff_user(User.Role.COUNTY, "410184")
    job = _ready_list_export(county, "410184")
    response = _get(county, f"/list/excel/jobs/{job.pk}/download/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(code="download.list_export")
    assert (event.actor, event.object_id, event.address) == (county, str(job.pk), "127.0.0.1")


def test_a_county_user_moved_to_another_county_cannot_download_its_old_export():
    county = factories.staff_user(User.Role.COUNTY, "410184")
    job = _ready_list_export(county, "410184")
    county.region = Region.objects.get(code="410122")
    county.save(update_fields=["region"])
    assert _get(county, f"/list/excel/jobs/{job.pk}/download/").status_code == 404
    assert not AuditEvent.objects.filter(code="download.list_export").exists()


def test_a_moved_county_user_cannot_download_its_old_publication_export():
    county = factories.staff_user(User.Role.COUNTY, "410184")
    export = ExportFile.objects.create(
        kind=ExportFile.Kind.values[0],
        region=Region.objects.get(code="410184"),
        year=2026,
        requested_by=county,
        status=ExportFile.Status.READY,
    )
    export.file.save("x.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    assert _get(county, f"/publication/exports/{export.pk}/download/").status_code == 200
    assert AuditEvent.objects.filter(code="download.export", actor=county).count() == 1
    county.region = Region.objects.get(code="410122")
    county.save(update_fields=["region"])
    assert _get(county, f"/publication/exports/{export.pk}/download/").status_code == 404
