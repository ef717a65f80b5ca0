"""The frame every page shares: login, language switch, menu per role, phone layout."""

from __future__ import annotations

from playwright.sync_api import expect


def test_login_errors_then_success_and_logout(ui):
    ui.goto("/login")
    expect(ui.page.get_by_role("heading", name="登录")).to_be_visible()
    ui.shot("login")
    ui.page.get_by_label("用户名").fill("sup1")
    ui.page.get_by_label("密码").fill("wrong-password")
    ui.page.get_by_role("button", name="登录").click()
    expect(ui.page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    expect(ui.page.get_by_label("用户名")).to_have_value("sup1")
    ui.shot("login-failed")

    ui.login("sup1")
    expect(ui.page.locator(".usermenu")).to_contain_text("张明")
    expect(ui.page.locator(".usermenu")).to_contain_text("行政执法监督人员")
    ui.shot("after-login")
    ui.page.get_by_role("button", name="退出").click()
    expect(ui.page.get_by_role("heading", name="登录")).to_be_visible()
    expect(ui.page.get_by_role("status")).to_contain_text("您已退出登录")


def test_language_switch_is_remembered(ui):
    ui.goto("/login")
    ui.page.get_by_role("button", name="English").click()
    expect(ui.page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(ui.page.locator("html")).to_have_attribute("lang", "en")
    ui.shot("login-english")
    ui.page.get_by_label("User name").fill("chief")
    ui.page.get_by_label("Password").fill("correct-horse-42")
    ui.page.get_by_role("button", name="Log in").click()
    expect(ui.page.locator(".usermenu")).to_contain_text("Section chief")
    ui.page.get_by_role("button", name="中文").click()
    expect(ui.page.locator(".usermenu")).to_contain_text("科长")


def test_unknown_page_shows_a_friendly_error(ui):
    ui.login("sup1")
    response = ui.goto("/no-such-page")
    assert response.status == 404
    expect(ui.page.get_by_role("heading", name="未找到")).to_be_visible()
    expect(ui.page.get_by_role("link", name="返回首页")).to_be_visible()
    ui.shot("not-found")


def test_phone_menu_opens_with_the_toggle(phone_ui):
    phone_ui.login("chief")
    toggle = phone_ui.page.get_by_role("button", name="菜单")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(phone_ui.page.locator(".usermenu")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(phone_ui.page.locator(".usermenu")).to_be_visible()
    phone_ui.shot("menu-open")
