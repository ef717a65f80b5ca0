"""统计 in the browser: a section chief reads the figures and charts, narrows them to a
county, and downloads the Excel file; a county supervisor sees only the county."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from supervision import clock
from tests.web.stats_data import NOW
from tests.web.stats_data import seed_cases


@pytest.fixture
def seeded(live_server):
    clock.freeze(NOW)
    with live_server.db() as session:
        seed_cases(session)


def test_a_chief_reads_the_statistics_and_downloads_them(ui, seeded):
    ui.login("chief")
    ui.page.get_by_role("link", name="统计", exact=True).first.click()
    page = ui.page
    expect(page.get_by_role("heading", name="统计", exact=True)).to_be_visible()
    kpis = page.get_by_role("list", name="主要指标")
    expect(kpis).to_contain_text("案件总数")
    expect(kpis).to_contain_text("7")
    expect(kpis).to_contain_text("40.0%")
    expect(page.get_by_role("img", name="每月受理与办结")).to_be_visible()
    expect(page.get_by_role("img", name="各执法机关案件数与逾期数")).to_be_visible()
    expect(page.get_by_role("img", name="回访满意度")).to_be_visible()
    ui.shot("statistics")

    page.get_by_label("地区").select_option(label="昭化区")
    page.get_by_role("button", name="统计", exact=True).click()
    expect(kpis.locator(".kpi").first).to_contain_text("1")
    expect(page.get_by_role("table", name="按流程")).to_contain_text("重大行政执法案件监督")
    ui.shot("statistics-one-county")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    numbers = [row[0].value for row in book["案件清单"].iter_rows(min_row=2)]
    assert numbers == ["JD-510811-2026-z1"]


def test_a_county_supervisor_on_a_phone_sees_only_the_county(phone_ui, seeded):
    ui = phone_ui
    ui.login("lizhou1")
    ui.goto("/stats/")
    kpis = ui.page.get_by_role("list", name="主要指标")
    expect(kpis.locator(".kpi").first).to_contain_text("1")
    expect(ui.page.locator("main")).not_to_contain_text("昭化区")
    ui.shot("statistics-phone")
