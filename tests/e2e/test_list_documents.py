"""A county user generates an enterprise's 一厂一策 plan and signboard from its list entry in a
real browser and sees both listed with the list version and a download link (the page used to
keep saying 尚未生成); then packs the county's documents into one archive and downloads it."""

import re
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone

from emergency_list.services.entries import entry_build
from grading.models import Region, User
from grading.services.accounts import user_create
from tests import factories
from tests.declaration_builders import ensure_lines
from tests.e2e.test_review_flow import click_and_wait, errors_on, signed_in

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NAME = "新郑华豫包装印刷有限公司"


@pytest.fixture
def documents_setup(reference_data, settings, tmp_path):
    """One entry of 新郑市's list and the county's user; Celery runs in-process for the live
    server."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    ent = factories.enterprise(
        county="410184",
        industry="N31",
        name=NAME,
        emissions=[{"so2_tpa": 2, "nox_tpa": 4, "pm_tpa": 3, "vocs_tpa": 30}],
    )
    ensure_lines(ent)
    entry = entry_build(year=timezone.localdate().year, enterprise=ent)
    user_create(
        actor=None,
        username="county-docs",
        password=factories.PASSWORD,
        role=User.Role.COUNTY,
        full_name="张卫东",
        region=Region.objects.get(code="410184"),
    )
    yield {"entry": entry}
    app.conf.task_always_eager = previous


def test_county_generates_plan_and_signboard_and_downloads_them(
    browser, live_server, documents_setup, tmp_path
):
    ARTIFACTS.mkdir(exist_ok=True)
    entry = documents_setup["entry"]
    url = f"{live_server.url}/list/entries/{entry.pk}/"
    with signed_in(browser, live_server, "county-docs") as page:
        page.goto(url)
        section = page.locator("#documents")
        assert "尚未生成" in section.inner_text()
        click_and_wait(page, section.get_by_role("button", name="按当前清单生成"), url)
        section = page.locator("#documents")
        assert "尚未生成" not in section.inner_text(), errors_on(page)
        rows = section.locator("#document-list tbody tr")
        assert rows.count() == 2
        text = section.inner_text()
        assert "一厂一策实施方案" in text and "公示牌（A3）" in text and "第1版" in text
        page.screenshot(path=str(ARTIFACTS / "list-entry-documents.png"), full_page=True)
        with page.expect_download() as download:
            rows.first.get_by_role("link", name="下载PDF").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.read_bytes()[:4] == b"%PDF" and NAME in download.value.suggested_filename

        # The county's archive of every plan and signboard, built by the worker.
        page.goto(f"{live_server.url}/list/?scope=410184")
        click_and_wait(page, page.get_by_role("button", name="打包下载一厂一策和公示牌"))
        assert re.search(r"/list/excel/jobs/\d+/$", page.url), errors_on(page)
        with page.expect_download() as download:
            page.locator("#job-download").click()
        archive = tmp_path / "bundle.zip"
        download.value.save_as(archive)
        names = zipfile.ZipFile(archive).namelist()
        assert len(names) == 2 and all(n.startswith(NAME) for n in names)
