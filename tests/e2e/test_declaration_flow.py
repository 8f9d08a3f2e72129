"""An enterprise fills in a declaration, is refused, completes it, submits it and downloads
the rendered package PDF, all in a real browser."""

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from django.utils import timezone

from tests import declaration_builders, factories

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ENTERPRISE = "新郑市华豫彩印包装有限公司"
LEGAL = "王建国"
PACKAGE_TIMEOUT_MS = 120_000


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    """A small valid RGB PNG (a colour gradient), built with zlib and struct only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def enterprise_account(reference_data, settings, tmp_path):
    """The enterprise, its user and master data; Celery runs in-process for the live server."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    ent = factories.enterprise(
        county="410184", industry="N31", name=ENTERPRISE, legal_representative=LEGAL
    )
    user = factories.enterprise_user(ent, username="ent-e2e")
    process = declaration_builders.ensure_lines(ent)
    yield {"enterprise": ent, "user": user, "process": process}
    app.conf.task_always_eager = previous


@pytest.fixture
def upload_files(tmp_path):
    files = {
        "pdf": tmp_path / "VOCs治理设施检测报告.pdf",
        "png": tmp_path / "治理设施现场照片.png",
        "exe": tmp_path / "伪装的检测报告.pdf",
    }
    files["pdf"].write_bytes(declaration_builders.pdf_bytes("VOCs治理设施检测报告"))
    files["png"].write_bytes(png_bytes())
    files["exe"].write_bytes(b"MZ" + b"\0" * 200)
    return files


def log_in(page, live_server, username="ent-e2e"):
    page.goto(live_server.url + "/accounts/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', factories.PASSWORD)
    with page.expect_navigation():
        page.click('form button[type="submit"]:has-text("登录")')
    assert "/accounts/login" not in page.url, page.url


def errors_on(page) -> str:
    shown = page.locator(".errorlist, .messages")
    return " | ".join(shown.all_inner_texts())


def click_and_wait(page, locator, expected_url: str | None = None):
    """Click a submit button or link and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()
    if expected_url is not None:
        current = page.url.split("#")[0]
        assert current == expected_url, f"{current} != {expected_url}: {errors_on(page)}"


def save_section(page, overview_url: str):
    """Save the section form; a valid save returns to the overview with "已保存"."""
    click_and_wait(page, page.get_by_role("button", name="保存", exact=True), overview_url)
    assert "已保存" in page.locator(".messages").inner_text()


def open_step(page, label: str):
    """Open a part from the overview's progress table or from a part's step navigation."""
    links = page.locator("table.steps-table, nav.steps")
    click_and_wait(page, links.get_by_role("link", name=label, exact=True))


def test_enterprise_declares_submits_and_downloads_package(
    page, live_server, enterprise_account, upload_files
):
    ARTIFACTS.mkdir(exist_ok=True)
    year = timezone.localdate().year
    log_in(page, live_server)

    # 1. A new declaration: 包装印刷, this year, 绩效分级, B级.
    click_and_wait(
        page,
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="申报", exact=True),
    )
    click_and_wait(page, page.get_by_role("link", name="新建申报"))
    page.select_option("#id_industry", label="包装印刷")
    page.select_option("#id_year", value=str(year))
    page.select_option("#id_control_type", label="绩效分级")
    page.select_option("#id_requested_grade", label="B级")
    click_and_wait(page, page.get_by_role("button", name="创建申报"))
    match = re.search(r"/declarations/(\d+)/$", page.url)
    assert match, f"{page.url}: {errors_on(page)}"
    overview_url = page.url
    base = overview_url

    # 2. The overview counts what is missing; submitting now is refused with what to fix.
    steps_table = page.locator("table.steps-table")
    steps_table.wait_for()
    assert "待完善" in steps_table.inner_text()
    click_and_wait(page, page.locator(".actions a.btn", has_text="检查并提交"), base + "submit/")
    click_and_wait(page, page.get_by_role("button", name="提交申报"), base + "submit/")
    assert "暂不能提交" in page.locator(".refused").inner_text()
    issues = page.locator(".check-issues li")
    assert issues.count() > 0
    assert issues.filter(has_text="申请表未填写").count() > 0, issues.all_inner_texts()
    assert not any("R-DECL" in t for t in issues.all_inner_texts())

    # 3. The parts of the package.
    open_step(page, "申请表")
    page.fill("#id_address", "新郑市薛店镇华豫路8号")
    page.fill("#id_responsible_person", "李红梅")
    page.fill("#id_responsible_mobile", "13803710001")
    page.fill("#id_output_value", "5200")
    save_section(page, overview_url)

    open_step(page, "承诺书")
    assert page.input_value("#id_truth_commitment_by") == LEGAL
    assert page.input_value("#id_reduction_commitment_by") == LEGAL
    page.check("#id_truth_confirm")
    page.check("#id_reduction_confirm")
    save_section(page, overview_url)

    open_step(page, "企业基本情况")
    page.fill("#id_longitude", "113.7812")
    page.fill("#id_latitude", "34.4723")
    page.fill("#id_industry_code", "2319")
    page.fill("#id_emission_standards", "《印刷工业大气污染物排放标准》（GB 41616-2022）")
    page.fill("#id_legal_compliance", "环评批复及验收手续齐全，一年内无环境违法行为。")
    page.fill("#id_process_description", "凹版印刷—复合—烘干—分切。")
    save_section(page, overview_url)

    open_step(page, "产品及产能")
    page.select_option("#id_products-0-line", label="1号印刷线")
    page.fill("#id_products-0-product", "软包装")
    page.fill("#id_products-0-capacity", "3000")
    page.fill("#id_products-0-last_year_output", "2600")
    page.fill("#id_products-0-unit", "吨")
    save_section(page, overview_url)

    open_step(page, "原辅材料及能源")
    page.select_option("#id_materials-0-kind", label="原料")
    page.fill("#id_materials-0-name", "水性油墨")
    page.fill("#id_materials-0-annual_amount", "120")
    page.fill("#id_materials-0-unit", "吨")
    page.fill("#id_materials-0-storage_transport", "桶装密闭")
    save_section(page, overview_url)

    open_step(page, "运输及车辆")
    page.select_option("#id_transport-0-mode", label="公路（国六及以上车辆）")
    page.fill("#id_transport-0-goods", "薄膜")
    page.fill("#id_transport-0-annual_tonnes", "3000")
    page.fill("#id_vehicles-0-plate", "豫A12345")
    page.fill("#id_vehicles-0-vin", "LFV2A21K6D3012345")
    page.fill("#id_vehicles-0-engine_number", "E12345")
    page.select_option("#id_vehicles-0-emission_stage", label="国六")
    save_section(page, overview_url)

    open_step(page, "污染治理设施")
    page.select_option("#id_facilities-0-kind", label="VOCs治理设施")
    page.fill("#id_facilities-0-seq", "1")
    page.select_option("#id_facilities-0-process", label="1号印刷线 / 凹版印刷")
    page.fill("#id_facilities-0-technique", "沸石转轮+RTO")
    page.fill("#id_facilities-0-commissioned_on", "2023-05-01")
    page.fill("#id_facilities-0-running_status", "正常")
    page.fill("#id_facilities-0-removal_efficiency", "95")
    page.fill("#id_facilities-0-concentration", "18.5")
    page.fill("#id_facilities-0-airflow", "40000")
    save_section(page, overview_url)

    # 4. The comparison table: the first row is met and proven, the others do not apply.
    open_step(page, "指标对标及证明材料")
    indicators_url = base + "indicators/"
    rows = page.locator("section.card.indicator")
    n_rows = rows.count()
    assert n_rows > 1

    # The statement typed and the file chosen are saved together by 上传.
    first = rows.nth(0)
    assert first.locator('input[name$="-applicable"]').is_checked()
    first.locator('textarea[name$="-statement"]').fill(
        "VOCs废气经沸石转轮+RTO处理，排放浓度18.5 mg/m³"
    )
    first.locator('select[name$="-meets"]').select_option(label="达到要求")
    for kind, title in (("pdf", "VOCs治理设施检测报告"), ("png", "治理设施现场照片")):
        upload = rows.nth(0).locator(".upload-row")
        upload.locator('input[type="text"]').fill(title)
        upload.locator('input[type="file"]').set_input_files(str(upload_files[kind]))
        click_and_wait(page, upload.get_by_role("button", name="上传"), indicators_url)
        assert "上传1个文件" in page.locator(".messages").inner_text(), errors_on(page)
        assert rows.nth(0).locator(".evidence-list").get_by_role("link", name=title).count() == 1
    assert "VOCs废气经沸石转轮" in rows.nth(0).locator('textarea[name$="-statement"]').input_value()
    assert rows.nth(0).locator("h2 .badge", has_text="自评达到").count() == 1

    upload = rows.nth(0).locator(".upload-row")
    upload.locator('input[type="file"]').set_input_files(str(upload_files["exe"]))
    click_and_wait(page, upload.get_by_role("button", name="上传"))
    refusal = page.locator(".messages .msg.error").inner_text()
    assert "未保存" in refusal, refusal
    assert "可执行程序" in rows.nth(0).locator(".upload-row .errorlist").inner_text()
    assert rows.nth(0).locator(".evidence-list a").count() == 2

    # The other rows do not apply: every reason typed, then one 全部保存.
    for i in range(1, n_rows):
        row = rows.nth(i)
        row.locator('input[name$="-applicable"]').uncheck()
        row.locator('input[name$="-not_applicable_reason"]').fill("本企业不涉及")
    click_and_wait(page, page.locator(".save-bar").get_by_role("button", name="全部保存"))
    assert f"已保存{n_rows - 1}项指标" in page.locator(".messages").inner_text(), errors_on(page)
    for i in range(1, n_rows):
        assert rows.nth(i).locator("h2 .badge", has_text="不涉及").count() == 1

    # The overview has nothing left to complete; keep a picture of it before submitting.
    click_and_wait(page, page.locator("nav.steps").get_by_role("link", name="总览"), overview_url)
    steps_table.wait_for()
    assert "待完善" not in steps_table.inner_text(), steps_table.inner_text()
    page.evaluate("document.fonts.ready")
    overview_shot = ARTIFACTS / "declaration_overview.png"
    page.screenshot(path=str(overview_shot), full_page=True)
    assert overview_shot.exists()

    # 5. Checks pass; submit and download the package.
    click_and_wait(page, page.locator(".actions a.btn", has_text="检查并提交"), base + "submit/")
    assert "检查通过" in page.locator(".ok-line").inner_text()
    assert page.locator(".check-issues").count() == 0
    click_and_wait(page, page.get_by_role("button", name="提交申报"), base + "versions/1/")
    assert "申报已提交（第1版）" in page.locator(".messages").inner_text()

    download_link = page.locator("#package-download")
    download_link.wait_for(state="visible", timeout=PACKAGE_TIMEOUT_MS)
    assert download_link.inner_text().strip() == "下载申报材料PDF"
    with page.expect_download() as download_info:
        download_link.click()
    package = ARTIFACTS / "declaration_package.pdf"
    download_info.value.save_as(str(package))
    assert package.read_bytes().startswith(b"%PDF-")

    # 6. The PDF: a picture of its first page and its text.
    prefix = ARTIFACTS / "declaration_package_page"
    for old in ARTIFACTS.glob(prefix.name + "*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-f", "1", "-l", "1", "-png", "-r", "60", str(package), str(prefix)],
        check=True,
        timeout=120,
    )
    pages = sorted(ARTIFACTS.glob(prefix.name + "*.png"))
    assert len(pages) == 1 and pages[0].stat().st_size > 0, pages
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(package), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    flat = re.sub(r"\s+", "", text)
    assert ENTERPRISE in flat
    assert "企业绩效分级申请表" in flat

    # 7. The overview shows the submitted status and the first version.
    click_and_wait(page, page.get_by_role("link", name="返回申报总览"), overview_url)
    assert page.locator(".decl-head .status").inner_text().strip() == "已提交"
    versions = page.locator("section.card", has=page.get_by_role("heading", name="已提交的版本"))
    assert versions.get_by_role("link", name="第1版").count() == 1
