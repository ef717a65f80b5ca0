"""A hotline operator registers a complaint on the deployed Flow 1: a forgotten field is
pointed out with the typed values kept, the duplicate check finds the caller's earlier
ticket, and the new ticket appears with its case status and the phone number masked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from supervision import clock
from supervision import intake
from tests.factories import user
from tests.web.intake_data import TICKET
from tests.web.intake_data import deploy_complaint_flow
from tests.web.test_intake import NOW


@pytest.fixture
def flow(live_server):
    clock.freeze(NOW)
    with live_server.db() as session:
        deploy_complaint_flow(session, live_server.engine)
        # The same caller rang last week about another bureau.
        earlier = {**TICKET, "hotline_ticket_no": "GY-2026-0990", "respondent_agency_id": ""}
        intake.register_ticket(session, live_server.engine, user(session, "operator"), earlier)


def test_an_operator_registers_a_complaint(ui, flow):
    page = ui.page
    ui.login("operator")
    page.get_by_role("link", name="来电登记", exact=True).first.click()
    expect(page.get_by_role("heading", name="来电登记", exact=True)).to_be_visible()
    page.get_by_role("link", name="登记新工单").click()

    page.get_by_label("工单编号").fill("GY-2026-1001")
    page.get_by_label("诉求类型").select_option(label="投诉")
    page.get_by_label("紧急程度").select_option(label="紧急")
    page.get_by_label("诉求人姓名").fill("张三丰")
    page.get_by_label("联系电话").fill("13812345678")
    page.get_by_label("是否同意回访").check()
    page.get_by_label("被投诉执法机关").select_option(label="广元市市场监督管理局")
    page.get_by_label("执法行为类别").select_option(label="行政处罚")
    page.get_by_label("问题类型").select_option(label="程序违法")
    page.get_by_role("button", name="登记", exact=True).click()

    # The complaint itself was forgotten: said at the top and next to the field.
    expect(page.locator(".error-summary")).to_contain_text("诉求内容：此项为必填项")
    expect(page.get_by_label("工单编号")).to_have_value("GY-2026-1001")
    expect(page.get_by_label("联系电话")).to_have_value("13812345678")
    ui.shot("intake-error")

    page.get_by_label("诉求内容").fill("执法人员检查时未出示执法证件，当场罚款未开具票据。")
    page.get_by_role("button", name="查重").click()
    duplicates = page.get_by_role("region", name="可能重复的工单")
    expect(duplicates).to_contain_text("GY-2026-0990")
    expect(duplicates).to_contain_text("同一来电号码")
    ui.shot("intake-duplicates")

    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已登记工单 GY-2026-1001")
    expect(page.get_by_role("heading", name="工单 GY-2026-1001")).to_be_visible()
    expect(page.locator("main")).to_contain_text("办理中")
    expect(page.locator("main")).to_contain_text("138****5678")
    expect(page.locator("main")).not_to_contain_text("13812345678")
    ui.shot("intake-ticket")

    page.get_by_role("link", name="来电登记").first.click()
    row = page.locator("tbody tr", has_text="GY-2026-1001")
    expect(row).to_contain_text("广元市市场监督管理局")
    expect(row).to_contain_text("张*")
    expect(row).to_contain_text("未回访")
    ui.shot("intake-list")


def test_the_intake_form_on_a_phone(phone_ui, flow):
    ui = phone_ui
    ui.login("operator")
    ui.goto("/intake/new")
    expect(ui.page.get_by_label("工单编号")).to_be_visible()
    ui.shot("intake-phone")
