"""The city of 郑州 calls a red alert in a real browser: the page shows, per county, the cut of
each pollutant against the required share (R-LIST-7) with the shortfall of a county whose
enterprises act on their own, a chart of it, and an Excel export; a county user does not call
alerts but may read the alerts of its city."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from emergency_list.models import Alert, AlertLevel
from emergency_list.services.entries import entry_build
from grading.models import Grade, GradeRecord, Industry, Region, User
from grading.services.accounts import user_create
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import ensure_lines
from tests.e2e.test_review_flow import click_and_wait, errors_on, signed_in

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EMISSIONS = {"so2_tpa": 30, "nox_tpa": 50, "pm_tpa": 20, "vocs_tpa": 10}
XINZHENG = {
    "新郑甲D级印务有限公司": "D",
    "新郑乙D级包装有限公司": "D",
    "新郑丙C级彩印有限公司": "C",
    "新郑丁C级纸品有限公司": "C",
}
ZHONGMOU = {"中牟甲A级印务有限公司": "A", "中牟乙A级包装有限公司": "A"}


def listed(county: str, name: str, grade: str, year: int):
    ent = factories.enterprise(county=county, industry="N31", name=name, emissions=[EMISSIONS])
    ensure_lines(ent)
    grade_record_add(
        actor=None,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code=grade),
        effective_from=timezone.localdate(),
        source=GradeRecord.Source.IMPORT,
    )
    return entry_build(year=year, enterprise=ent)


@pytest.fixture
def alert_setup(reference_data, settings):
    """新郑市: D- and C-grade printers, which stop at red (a large cut); 中牟县: A-grade ones
    only, which act on their own (no cut: a shortfall). This year's list of both; a city and a
    county user. The alert's job runs in-process for the live server (the worker)."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    year = timezone.localdate().year
    entries = {name: listed("410184", name, g, year) for name, g in XINZHENG.items()}
    entries |= {name: listed("410122", name, g, year) for name, g in ZHONGMOU.items()}

    def staff(username, role, region, full_name):
        return user_create(
            actor=None,
            username=username,
            password=factories.PASSWORD,
            role=role,
            full_name=full_name,
            region=Region.objects.get(code=region),
        )

    yield {
        "year": year,
        "entries": entries,
        "city": staff("city-zz", User.Role.CITY, "410100", "王志强"),
        "county": staff("county-xz", User.Role.COUNTY, "410184", "张卫东"),
        "far_county": staff("county-ll", User.Role.COUNTY, "410311", "李洛龙"),
    }
    app.conf.task_always_eager = previous


def test_city_calls_a_red_alert_and_sees_county_totals_and_shortfalls(
    browser, live_server, alert_setup
):
    ARTIFACTS.mkdir(exist_ok=True)
    year = alert_setup["year"]
    today = timezone.localdate()
    end = today + datetime.timedelta(days=2)

    # 1. The city calls a red alert for 郑州 from the menu.
    with signed_in(browser, live_server, "city-zz") as page:
        nav = page.get_by_role("navigation", name="主导航")
        click_and_wait(
            page,
            nav.get_by_role("link", name="预警模拟", exact=True),
            f"{live_server.url}/list/alerts/",
        )
        form = page.locator("form", has=page.get_by_role("button", name="测算"))
        form.locator("select[name='level']").select_option(label="红色")
        form.get_by_label("郑州市").check()
        form.locator("input[name='start_on']").fill(today.isoformat())
        form.locator("input[name='end_on']").fill(end.isoformat())
        form.locator("input[name='year']").fill(str(year))
        with page.expect_navigation():
            form.get_by_role("button", name="测算").click()
        assert re.search(r"/list/alerts/\d+/$", page.url), f"{page.url}: {errors_on(page)}"
        alert = Alert.objects.get()
        alert_url = f"{live_server.url}/list/alerts/{alert.pk}/"
        assert page.url == alert_url
        # the alert is computed by a job: its page shows the progress until the results are in
        page.locator("#county-table").wait_for(timeout=30_000)
        assert alert.level == AlertLevel.RED and alert.year == year
        assert (alert.start_on, alert.end_on) == (today, end)
        assert [c.code for c in alert.cities.all()] == ["410100"]

        heading = page.get_by_role("heading", level=1).inner_text()
        assert "红色预警" in heading and "郑州市" in heading, heading
        assert "（3天）" in page.locator("h1 + p").inner_text()

        # 2. Per county: 中牟县 short of the red share, with the tonnes per day; 新郑市 meets it.
        table = page.locator("#county-table")
        zhongmou = table.locator("tbody tr", has_text="中牟县")
        xinzheng = table.locator("tbody tr", has_text="新郑市")
        assert zhongmou.count() == 1 and xinzheng.count() == 1
        zm_text = zhongmou.inner_text()
        assert "未达标" in zm_text, zm_text
        assert re.search(r"差\s*\d+(\.\d+)?\s*吨/日", zm_text), zm_text
        assert zhongmou.locator("td.short").count() == 4  # SO2, NOx, 颗粒物, VOCs
        xz_text = xinzheng.inner_text()
        assert "达标" in xz_text and "未达标" not in xz_text, xz_text
        assert "差" not in xz_text and xinzheng.locator("td.short").count() == 0
        assert xinzheng.locator("td").nth(2).inner_text().strip() == str(len(XINZHENG))

        # 3. The chart is drawn inline and names the counties.
        svg = page.locator("section#counties div.chart svg")
        assert svg.count() == 1
        chart_text = svg.text_content()
        assert "中牟县" in chart_text and "新郑市" in chart_text

        # every enterprise's duty is listed
        duties = page.locator("section#duties").inner_text()
        assert all(name in duties for name in (*XINZHENG, *ZHONGMOU))

        page.evaluate("document.fonts.ready")
        shot = ARTIFACTS / "alert_red.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10 * 1024

        # 4. The Excel export: a 汇总 sheet with 中牟县 marked short.
        with page.expect_download() as download_info:
            page.get_by_role("link", name="导出Excel").click()
        workbook_path = ARTIFACTS / "alert_red.xlsx"
        download_info.value.save_as(str(workbook_path))
        assert download_info.value.suggested_filename.endswith(".xlsx")
        wb = load_workbook(workbook_path)
        assert "汇总" in wb.sheetnames, wb.sheetnames
        rows = list(wb["汇总"].iter_rows(min_row=3, values_only=True))
        zm_row = next((r for r in rows if "中牟县" in r), None)
        assert zm_row is not None, rows
        assert str(zm_row[-1]).startswith("未达到")
        xz_row = next(r for r in rows if "新郑市" in r)
        assert xz_row[-1] == "达到"

    # 5. A county user of 郑州: no 预警模拟 in its menu; it reads its own county's part of its
    #    city's alert (jurisdiction: nothing of the other counties), and does not export the city's.
    with signed_in(browser, live_server, "county-xz") as page:
        nav = page.get_by_role("navigation", name="主导航")
        assert nav.get_by_role("link", name="减排清单", exact=True).count() == 1
        assert nav.get_by_role("link", name="预警模拟").count() == 0
        response = page.goto(alert_url)
        assert response.status == 200
        assert "红色预警" in page.get_by_role("heading", level=1).inner_text()
        assert page.locator("#county-table tbody tr", has_text="中牟县").count() == 0
        assert page.locator("#county-table tbody tr", has_text="新郑市").count() == 1
        assert "中牟甲A级印务有限公司" not in page.locator("section#duties").inner_text()
        assert page.request.get(f"{alert_url}export/").status == 403
        # its alerts page offers no form to call one, but lists its city's alerts
        page.goto(f"{live_server.url}/list/alerts/")
        assert page.get_by_role("button", name="测算").count() == 0
        assert page.locator("table.data tbody a").count() >= 1

    # A county of another city (洛阳's 洛龙区) does not reach the alert.
    with signed_in(browser, live_server, "county-ll") as page:
        assert page.goto(alert_url).status == 404
        assert page.request.get(f"{alert_url}export/").status in (403, 404)
