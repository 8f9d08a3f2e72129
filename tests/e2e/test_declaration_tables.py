"""Declaration tables and the indicators page keep what the enterprise entered, in a real
browser: the clicks that used to lose rows and typing (save a row, reopen, fill a blank row,
save; save with no change; type a statement, then upload)."""

import os
import tempfile
from pathlib import Path

import pytest

from declarations.services.tables import table_rows
from tests import declaration_builders, factories

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or tempfile.mkdtemp(prefix="declaration-tables-"))


@pytest.fixture
def declaration(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ent = factories.enterprise(
        county="410184",
        industry="N31",
        name="新郑市华豫彩印包装有限公司",
        legal_representative="王建国",
    )
    user = factories.enterprise_user(ent, username="ent-tables")
    declaration_builders.ensure_lines(ent)
    return declaration_builders.draft(user, grade="B")


def log_in(page, live_server):
    page.goto(live_server.url + "/accounts/login/")
    page.fill('input[name="username"]', "ent-tables")
    page.fill('input[name="password"]', factories.PASSWORD)
    with page.expect_navigation():
        page.click('form button[type="submit"]:has-text("登录")')


def save(page):
    with page.expect_navigation():
        page.get_by_role("button", name="保存", exact=True).click()
    return page.locator(".messages").inner_text()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


#: Per table: the step, the form prefix, and how to fill row ``i`` (a distinct value each).
def fill_product(page, i: int, name: str) -> None:
    page.select_option(f"#id_products-{i}-line", label="1号印刷线")
    page.fill(f"#id_products-{i}-product", name)
    page.fill(f"#id_products-{i}-capacity", "3000")
    page.fill(f"#id_products-{i}-last_year_output", "2600")
    page.fill(f"#id_products-{i}-unit", "吨")


def fill_material(page, i: int, name: str) -> None:
    page.select_option(f"#id_materials-{i}-kind", label="原料")
    page.fill(f"#id_materials-{i}-name", name)
    page.fill(f"#id_materials-{i}-annual_amount", "120")
    page.fill(f"#id_materials-{i}-unit", "吨")


def fill_facility(page, i: int, name: str) -> None:
    page.select_option(f"#id_facilities-{i}-kind", label="VOCs治理设施")
    page.fill(f"#id_facilities-{i}-seq", str(i + 1))
    page.select_option(f"#id_facilities-{i}-process", label="1号印刷线 / 凹版印刷")
    page.fill(f"#id_facilities-{i}-technique", name)
    page.fill(f"#id_facilities-{i}-commissioned_on", "2023-05-01")
    page.fill(f"#id_facilities-{i}-running_status", "正常")
    page.fill(f"#id_facilities-{i}-removal_efficiency", "95")
    page.fill(f"#id_facilities-{i}-concentration", "18.5")
    page.fill(f"#id_facilities-{i}-airflow", "40000")


TABLES = [
    ("production", "products", fill_product, ("软包装", "纸箱"), "product"),
    ("materials", "materials", fill_material, ("水性油墨", "无溶剂胶粘剂"), "name"),
    ("facilities", "facilities", fill_facility, ("沸石转轮+RTO", "活性炭吸附"), "technique"),
]


@pytest.mark.parametrize("step,table,fill,names,field", TABLES, ids=[t[0] for t in TABLES])
def test_a_table_keeps_its_rows(page, live_server, declaration, step, table, fill, names, field):
    log_in(page, live_server)
    url = f"{live_server.url}/declarations/{declaration.pk}/tables/{step}/"

    # Save one row.
    page.goto(url)
    fill(page, 0, names[0])
    assert "已保存" in save(page)

    # Reopen the page: the row is there; fill a blank row and save.
    page.goto(url)
    assert page.input_value(f"#id_{table}-0-{field}") == names[0]
    fill(page, 1, names[1])
    shot(page, f"{step}-two-rows-before-save")
    message = save(page)
    assert "新增1行，修改0行，删除0行（现共2行）" in message, message
    assert [getattr(r, field) for r in table_rows(declaration, table)] == list(names)

    # Save with no change: nothing is lost, nothing recorded.
    page.goto(url)
    assert "没有修改" in save(page)
    assert [getattr(r, field) for r in table_rows(declaration, table)] == list(names)

    # Removing is explicit: tick one row's box.
    page.goto(url)
    page.locator(f'input[name="{table}-1-DELETE"]').check()
    assert "删除1行" in save(page)
    assert [getattr(r, field) for r in table_rows(declaration, table)] == [names[0]]

    # Emptying the table asks first.
    page.goto(url)
    page.locator(f'input[name="{table}-0-DELETE"]').check()
    page.get_by_role("button", name="保存", exact=True).click()
    page.locator(".confirm-empty").wait_for()
    assert "将没有任何行" in page.locator(".errorlist.nonfield").inner_text()
    assert table_rows(declaration, table).count() == 1
    shot(page, f"{step}-confirm-empty")
    page.locator(".confirm-empty input[type=checkbox]").check()
    assert "删除1行" in save(page)
    assert not table_rows(declaration, table).exists()


def test_add_a_row_button_adds_a_blank_row(page, live_server, declaration):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/declarations/{declaration.pk}/tables/materials/")
    assert page.locator("#table-materials tbody tr").count() == 2
    page.get_by_role("button", name="添加一行").click()
    page.get_by_role("button", name="添加一行").click()
    for i in range(4):
        fill_material(page, i, f"材料{i + 1}")
    assert "新增4行" in save(page)
    assert table_rows(declaration, "materials").count() == 4


def test_the_indicators_page_keeps_typed_text_with_the_upload(
    page, live_server, declaration, tmp_path
):
    pdf = tmp_path / "油墨检测报告.pdf"
    pdf.write_bytes(declaration_builders.pdf_bytes("油墨检测报告"))
    log_in(page, live_server)
    url = f"{live_server.url}/declarations/{declaration.pk}/indicators/"
    page.goto(url)
    rows = page.locator("section.card.indicator")

    # Type a statement, choose a file, click 上传: both are kept.
    first = rows.nth(0)
    first.locator('textarea[name$="-statement"]').fill("全部使用水性油墨，检测报告见附件")
    first.locator('select[name$="-meets"]').select_option(label="达到要求")
    first.locator(".upload-row input[type=text]").fill("油墨检测报告")
    first.locator(".upload-row input[type=file]").set_input_files(str(pdf))
    shot(page, "indicators-typed-before-upload")
    with page.expect_navigation():
        first.get_by_role("button", name="上传").click()
    assert "已保存1项指标，上传1个文件" in page.locator(".messages").inner_text()
    first = rows.nth(0)
    assert first.locator("textarea").input_value() == "全部使用水性油墨，检测报告见附件"
    assert first.locator('select[name$="-meets"]').input_value() == "true"
    assert first.get_by_role("link", name="油墨检测报告").count() == 1

    # Type in several rows, click 全部保存: all are kept.
    texts = {i: f"第{i + 1}项：已按要求完成" for i in (1, 2, 3)}
    for i, text in texts.items():
        rows.nth(i).locator('textarea[name$="-statement"]').fill(text)
    with page.expect_navigation():
        page.locator(".save-bar").get_by_role("button", name="全部保存").click()
    assert "已保存3项指标" in page.locator(".messages").inner_text()
    for i, text in texts.items():
        assert rows.nth(i).locator("textarea").input_value() == text
    assert rows.nth(0).locator("textarea").input_value() == "全部使用水性油墨，检测报告见附件"
    shot(page, "indicators-after-save-all")
    saved = {r.seq: r.statement for r in declaration.indicator_rows.all()}
    assert [saved[i + 1] for i in texts] == list(texts.values())


def test_a_production_line_is_edited_on_the_lines_page(page, live_server, declaration):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/declarations/{declaration.pk}/lines/")
    line = page.locator("section.line-card").first
    line.locator('input[name$="-name"]').first.fill("1号凹印线")
    line.locator('input[name$="-design_capacity"]').fill("3200")
    with page.expect_navigation():
        line.get_by_role("button", name="保存生产线").click()
    assert "已保存" in page.locator(".messages").inner_text()
    assert "1号凹印线" in page.locator("section.line-card h2").first.inner_text()
    shot(page, "lines")
