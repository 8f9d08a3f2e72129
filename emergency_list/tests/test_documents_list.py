"""Generated 一厂一策 plans and signboards appear where they are generated (issue: the entry page
kept saying 尚未生成 after generation): every document recorded with the version of the entry it
shows and a download link; a county downloads all of its list's documents as one archive built
by the worker, followed as a job with progress."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from emergency_list.models import EntryDocument, ExcelJob
from emergency_list.services.bundles import bundle_request
from emergency_list.services.entries import entry_build, entry_update
from emergency_list.tasks import bundles as bundle_tasks
from emergency_list.tasks import documents as document_tasks
from grading.models import Region
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
EMISSIONS = [{"so2_tpa": 3, "nox_tpa": 6, "pm_tpa": 1.5, "vocs_tpa": 9}]


@pytest.fixture(autouse=True)
def _worker_inline(monkeypatch, settings, tmp_path):
    """The worker's tasks run when the request's transaction commits, in this process."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    for task in (document_tasks.render_entry_documents, bundle_tasks.build_bundle):
        monkeypatch.setattr(task, "delay", task)


def _entry(name="文档印务有限公司", county="410184"):
    ent = factories.enterprise(county=county, industry="N31", name=name, emissions=EMISSIONS)
    ensure_lines(ent)
    return entry_build(year=YEAR, enterprise=ent)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_generated_documents_are_listed_with_their_version_and_a_download_link(
    county_user, django_capture_on_commit_callbacks
):
    entry = _entry()
    client = _client(county_user)
    url = f"/list/entries/{entry.pk}/"
    assert "尚未生成" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}documents/")
    assert response.status_code == 302
    assert set(EntryDocument.objects.filter(entry=entry).values_list("kind", "revision")) == {
        ("plan", 1),
        ("signboard", 1),
    }
    page = client.get(url).content.decode()
    assert "尚未生成" not in page and "正在按" not in page
    assert "一厂一策实施方案" in page and "公示牌（A3）" in page and "第1版" in page
    for kind in ("plan", "signboard"):
        link = f"/list/entries/{entry.pk}/documents/{kind}/0/"
        assert link in page
        download = client.get(link)
        assert download.status_code == 200 and b"".join(download.streaming_content)[:4] == b"%PDF"
    api = APIClient()
    api.force_authenticate(county_user)
    listed = api.get(f"/api/v1/list/entries/{entry.pk}/documents/").json()
    assert {(d["kind"], d["revision"]) for d in listed} == {("plan", 1), ("signboard", 1)}
    assert all(d["download_url"] in page for d in listed)
    # a later version of the entry: the page says the files are of the earlier one
    entry_update(actor=county_user, entry=entry, data={"note": "改动"})
    page = client.get(url).content.decode()
    assert "清单已更新至第2版" in page


def test_page_says_generating_until_the_worker_has_stored_them(county_user, monkeypatch):
    entry = _entry()
    monkeypatch.setattr(document_tasks.render_entry_documents, "delay", lambda pk: None)
    client = _client(county_user)
    client.post(f"/list/entries/{entry.pk}/documents/")
    page = client.get(f"/list/entries/{entry.pk}/").content.decode()
    assert "正在按第1版清单生成" in page and "尚未生成" not in page


def test_county_downloads_all_plans_and_signboards_as_one_archive(
    county_user, other_county_user, django_capture_on_commit_callbacks
):
    entries = [_entry("甲印务有限公司"), _entry("乙印务有限公司")]
    _entry("中牟印务有限公司", county="410122")  # another county: not in the archive
    client = _client(county_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/list/bundle/", {"county": "410184", "year": YEAR})
    job = ExcelJob.objects.get(kind=ExcelJob.Kind.BUNDLE)
    assert response.url == f"/list/excel/jobs/{job.pk}/"
    assert job.status == ExcelJob.Status.READY and job.progress == 100 and job.sha256
    assert job.report == {"entries": 2, "files": 4}
    assert "下载压缩包" in client.get(response.url).content.decode()
    download = client.get(f"/list/excel/jobs/{job.pk}/download/")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert len(names) == 4 and all(n.endswith("-第1版.pdf") for n in names)
    for entry in entries:
        assert sum(n.startswith(entry.enterprise.name) for n in names) == 2
    assert not any("中牟" in n for n in names)
    assert all(archive.read(n)[:4] == b"%PDF" for n in names)
    # the documents it rendered are now on each entry page too
    assert EntryDocument.objects.filter(entry__in=entries).count() == 4
    with pytest.raises(PermissionDenied):
        bundle_request(actor=other_county_user, county=Region.objects.get(code="410184"), year=YEAR)


def test_bundle_api_queues_a_job_and_refuses_a_county_out_of_reach(other_county_user):
    _entry()
    client = APIClient()
    client.force_authenticate(other_county_user)
    url = "/api/v1/list/excel-jobs/bundle/"
    assert client.post(url, {"region": "410184", "year": YEAR}).status_code == 403
    assert client.post(url, {"region": "410100", "year": YEAR}).status_code == 400
