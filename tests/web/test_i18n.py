"""Chinese by default, English selectable: every UI string has its English."""

from __future__ import annotations

from web import i18n_catalog


def test_every_ui_string_has_an_english_translation():
    assert i18n_catalog.missing() == [], (
        "run `.venv/bin/python -m web.i18n_catalog update` and translate the new strings in "
        "web/translations/en/LC_MESSAGES/messages.po"
    )


def test_the_checker_notices_an_untranslated_string(tmp_path):
    po = tmp_path / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: en\\n"\n', encoding="utf-8")
    assert "登录" in i18n_catalog.missing(po)


def test_chinese_by_default_and_english_on_request(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "用户名" in page.text

    switched = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/login"
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "User name" in page.text
    assert "用户名" not in page.text


def test_browser_language_is_the_first_guess(client):
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "User name" in page.text
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "用户名" in page.text


def test_the_choice_is_kept_on_the_user(app, login, runtime):
    from tests.factories import user

    sup = login("sup1")
    sup.post("/lang", data={"lang": "en"})
    with runtime.sessions() as session:
        assert user(session, "sup1").locale == "en"
    # A new browser: the user's saved choice wins over the browser's language.
    again = login("sup1")
    page = again.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    assert "Not found" in page.text


def test_an_unknown_language_is_refused(client):
    assert client.post("/lang", data={"lang": "fr"}).status_code == 400


def test_next_never_leaves_the_site(client):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/lang", data={"lang": "en", "next": target})
        assert response.headers["Location"] == "/", target


def test_domain_messages_show_the_users_language(app):
    from web.i18n import localized

    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert localized("任务不存在 (no such task)") == "no such task"
        assert localized("plain text") == "plain text"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert localized("任务不存在 (no such task)") == "任务不存在"
        assert localized("统计（按月）") == "统计（按月）"
