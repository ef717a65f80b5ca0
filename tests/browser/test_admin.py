"""An administrator enters the 2027 holidays from the State Council notice (warned that the
year is missing, corrected on a wrong make-up day), and creates an evaluator's account that
ends with the contract."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime

import pytest
from playwright.sync_api import expect

from supervision import clock

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
HOLIDAYS_2027 = "\n".join(
    [
        "2027-01-01~2027-01-03 元旦",
        "2027-02-05~2027-02-13 春节",
        "2027-04-03~2027-04-05 清明节",
        "2027-05-01~2027-05-05 劳动节",
        "2027-06-09~2027-06-11 端午节",
        "2027-09-15~2027-09-17 中秋节",
        "2027-10-01~2027-10-07 国庆节",
    ]
)


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(NOW)


def test_an_administrator_adds_the_2027_calendar(ui):
    page = ui.page
    ui.login("admin")
    page.get_by_role("link", name="管理", exact=True).first.click()
    expect(page.get_by_role("alert")).to_contain_text("2027年节假日安排尚未录入")
    page.get_by_role("link", name="工作日历").first.click()
    row = page.locator("tbody tr", has_text="2027")
    expect(row).to_contain_text("未录入")
    ui.shot("calendar-missing")
    row.get_by_role("link", name="录入").click()

    page.get_by_label("通知文号").fill("国办发明电〔2026〕14号")
    page.get_by_label("放假日期").fill(HOLIDAYS_2027)
    # A Monday is not a make-up working day: the form says so and keeps the text.
    page.get_by_label("调休上班日").fill("2027-02-14 春节调休上班\n2027-02-15 春节调休上班")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".error-summary")).to_contain_text("调休上班日应为周六或周日：2027-02-15")
    expect(page.get_by_label("放假日期")).to_have_value(HOLIDAYS_2027)
    ui.shot("calendar-error")

    page.get_by_label("调休上班日").fill(
        "2027-02-14 春节调休上班\n2027-02-20 春节调休上班\n2027-10-09 国庆节调休上班"
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存 2027 年节假日安排")
    expect(page.get_by_role("heading", name="2027 年节假日安排")).to_be_visible()
    expect(page.get_by_role("region", name="放假")).to_contain_text("春节")
    expect(page.locator(".page-header__meta")).to_contain_text("国办发明电〔2026〕14号")
    ui.shot("calendar-2027")

    page.get_by_role("link", name="工作日历").first.click()
    expect(page.locator("tbody tr", has_text="2027")).to_contain_text("已录入")
    expect(page.locator("main")).not_to_contain_text("2027年节假日安排尚未录入")
    ui.shot("calendar-years")


def test_an_administrator_creates_an_evaluator_account(ui):
    page = ui.page
    ui.login("admin")
    ui.goto("/admin/users")
    page.get_by_role("link", name="新建用户").click()
    page.get_by_label("用户名").fill("eval2")
    page.get_by_label("姓名").fill("周评估")
    page.get_by_label("账号有效期至").fill("2027-03-31")
    page.get_by_label(re.compile(r"^密码")).fill("a-long-password")
    page.get_by_label("再次输入密码").fill("a-long-password")
    page.get_by_role("group", name="角色").get_by_label("第三方评估员").check()
    page.get_by_role("group", name="所属单位").get_by_label("第三方评估机构").check()
    ui.shot("user-new")
    page.get_by_role("button", name="创建用户").click()
    expect(page.get_by_role("status")).to_contain_text("已创建用户 eval2")
    expect(page.get_by_label("账号有效期至")).to_have_value("2027-03-31")
    ui.shot("user-created")


def test_the_administration_pages_at_a_glance(ui):
    page = ui.page
    ui.login("admin")
    for path, heading, name in [
        ("/admin/", "管理", "admin-home"),
        ("/admin/users", "用户", "users"),
        ("/admin/groups", "单位", "groups"),
        ("/admin/settings", "参数设置", "settings"),
        ("/admin/tokens", "API 令牌", "tokens"),
        ("/admin/audit", "审计", "audit"),
    ]:
        ui.goto(path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        ui.shot(name)
    page.get_by_role("button", name="开始检查").click()
    expect(page.get_by_role("status")).to_contain_text("审计链完整")
    ui.shot("audit-verified")


def test_the_user_list_on_a_phone(phone_ui):
    phone_ui.login("admin")
    phone_ui.goto("/admin/users")
    expect(phone_ui.page.locator("tbody tr").first).to_be_visible()
    phone_ui.shot("users-phone")
