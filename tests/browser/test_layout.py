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


def test_keyboard_users_can_skip_to_the_content_and_see_focus(ui):
    ui.login("sup1")
    ui.page.keyboard.press("Tab")
    skip = ui.page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    ui.page.keyboard.press("Enter")
    expect(ui.page.locator("main")).to_be_focused()
    ui.page.keyboard.press("Tab")
    outline = ui.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused control has no visible focus ring"


def test_the_menu_shows_each_role_only_its_sections(ui):
    expected = {
        "sup1": (["任务", "案件"], ["管理", "流程"]),
        "market1": (["任务", "案件"], ["统计", "管理", "流程"]),
        "designer": ([], ["任务", "案件", "管理"]),
        "admin": (["管理"], ["任务"]),
    }
    for username, (shown, hidden) in expected.items():
        ui.login(username)
        menu = ui.page.locator(".mainnav")
        for label in shown:
            expect(menu.get_by_role("link", name=label, exact=True)).to_be_visible()
        for label in hidden:
            expect(menu.get_by_role("link", name=label, exact=True)).to_have_count(0)


def test_the_inbox_in_english(ui):
    ui.login("chief")
    ui.page.get_by_role("button", name="English").click()
    expect(ui.page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(ui.page.locator(".tabs")).to_contain_text("Team tasks")
    expect(ui.page.get_by_label("Sort by")).to_be_visible()
    ui.shot("inbox-english")
