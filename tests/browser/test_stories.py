"""The main stories of the web app, as the people who use it see them.

- a supervisor claims a task, submits the form with an invalid value, sees the error next
  to the field with what they typed kept, corrects it and completes the task;
- a bureau handler sees only its own bureau's task, and another bureau's task by URL is
  "not found";
- a section chief reassigns a task someone else holds;
- the case page shows the diagram with finished and current steps highlighted, and the
  timeline of who did what.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from supervision import cases
from supervision import clock
from tests.factories import user
from tests.web.scenario import NOW
from tests.web.scenario import deploy_review
from tests.web.scenario import open_task
from tests.web.scenario import register_as_major
from tests.web.scenario import start_review


@pytest.fixture
def review(live_server):
    clock.freeze(NOW)
    with live_server.db() as session:
        deploy_review(session, live_server.engine)
        case_id = start_review(session, live_server.engine)
    return case_id


def _row(ui, text):
    return ui.page.locator("tbody tr", has_text=text)


def test_supervisor_claims_corrects_an_invalid_value_and_completes(ui, review):
    ui.login("sup1")
    expect(ui.page.get_by_role("heading", name="任务", exact=True)).to_be_visible()
    # Nothing of its own yet: the inbox opens on the group's unclaimed tasks.
    expect(ui.page.locator(".tabs [aria-current=page]")).to_contain_text("待签收")
    row = _row(ui, "登记")
    expect(row).to_contain_text("GYJD-2026-0001")
    expect(row).to_contain_text("市场监管局执法程序投诉")
    ui.shot("inbox-group")

    row.get_by_role("button", name="签收").click()
    expect(ui.page.get_by_role("status")).to_contain_text("已签收任务「登记」")
    ui.goto("/tasks?tab=mine")
    row = _row(ui, "登记")
    expect(row).to_contain_text("张明")
    ui.shot("inbox-mine")
    row.get_by_role("link", name="登记").click()

    expect(ui.page.get_by_role("heading", name="登记", exact=True)).to_be_visible()
    expect(ui.page.get_by_label("标题")).to_have_value("市场监管局执法程序投诉")
    expect(ui.page.get_by_label("涉及人数")).to_have_value("1")  # the form's default
    ui.page.get_by_label("类别").select_option(label="重大")
    ui.page.get_by_label("涉及人数").fill("-5")
    ui.page.get_by_label("紧急").check()
    ui.page.once("dialog", lambda dialog: dialog.accept())
    ui.page.get_by_role("button", name="完成任务", exact=True).click()

    field = ui.page.locator(".field", has=ui.page.get_by_label("涉及人数"))
    expect(field.locator(".field__error")).to_have_text(re.compile("不能小于 0"))
    expect(ui.page.get_by_label("涉及人数")).to_have_attribute("aria-invalid", "true")
    expect(ui.page.get_by_label("涉及人数")).to_have_value("-5")
    expect(ui.page.get_by_label("类别")).to_have_value("major")
    expect(ui.page.get_by_label("紧急")).to_be_checked()
    expect(ui.page.locator(".error-summary")).to_contain_text("涉及人数")
    ui.shot("form-error")

    ui.page.get_by_label("涉及人数").fill("12")
    ui.page.once("dialog", lambda dialog: dialog.accept())
    ui.page.get_by_role("button", name="完成任务", exact=True).click()
    expect(ui.page.get_by_role("status").first).to_contain_text("任务「登记」已完成")
    ui.shot("after-complete")

    with ui.server.db() as session:
        instance = cases.get_case(session, user(session, "sup1"), review)
        assert instance.variables["affected"] == 12
        assert instance.variables["urgent"] is True
        assert {t.task_spec_id for t in cases.case_open_tasks(session, instance)} == {
            "legal_review",
            "finance_review",
        }


def test_bureau_handler_sees_only_its_own_bureaus_task(ui, live_server, review):
    with live_server.db() as session:
        other = start_review(
            session,
            live_server.engine,
            starter="lizhou1",
            bureau="lizhou_market",
            case_no="LZJD-2026-0007",
            title="利州区市场监管局投诉",
        )
        register_as_major(session, live_server.engine, review)
        register_as_major(session, live_server.engine, other)
        other_task = open_task(session, other, "legal_review").id

    ui.login("market1")
    expect(ui.page.locator(".mainnav")).to_contain_text("任务")
    expect(ui.page.locator(".mainnav")).not_to_contain_text("流程")
    rows = ui.page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("执法机关核查")
    expect(rows.first).to_contain_text("GYJD-2026-0001")
    expect(ui.page.locator("main")).not_to_contain_text("LZJD-2026-0007")
    ui.shot("bureau-inbox")

    rows.first.get_by_role("link", name="执法机关核查").click()
    expect(ui.page.get_by_role("heading", name="执法机关核查")).to_be_visible()
    expect(ui.page.get_by_label("属实?")).to_be_visible()
    ui.shot("bureau-task")

    response = ui.goto(f"/tasks/{other_task}")
    assert response.status == 404
    expect(ui.page.get_by_role("heading", name="未找到")).to_be_visible()
    expect(ui.page.locator("main")).not_to_contain_text("利州")
    response = ui.goto(f"/cases/{other}")
    assert response.status == 404


def test_chief_reassigns_a_task_someone_else_holds(ui, live_server, review):
    with live_server.db() as session:
        register_as_major(session, live_server.engine, review)
        finance = open_task(session, review, "finance_review")
        cases.claim_task(session, user(session, "sup1"), finance.id)

    ui.login("chief")
    ui.goto("/tasks?tab=team")
    row = _row(ui, "经费审查")
    expect(row).to_contain_text("张明")
    ui.shot("team-tab")
    row.get_by_label("分派给").select_option(label="李华")
    row.get_by_role("button", name="分派").click()
    expect(ui.page.get_by_role("status")).to_contain_text("已分派给 李华")
    expect(_row(ui, "经费审查")).to_contain_text("李华")
    ui.shot("after-reassign")

    ui.login("sup2")
    ui.goto("/tasks?tab=mine")
    expect(_row(ui, "经费审查")).to_be_visible()
    ui.login("sup1")
    ui.goto("/tasks?tab=mine")
    expect(_row(ui, "经费审查")).to_have_count(0)


def test_case_page_shows_the_highlighted_diagram_and_the_timeline(ui, live_server, review):
    with live_server.db() as session:
        register_as_major(session, live_server.engine, review)
        cases.add_comment(
            session,
            user(session, "sup2"),
            cases.get_case(session, user(session, "sup2"), review),
            "已电话联系执法机关。",
        )

    ui.login("sup1")
    ui.goto(f"/cases/{review}")
    expect(ui.page.get_by_role("heading", name="市场监管局执法程序投诉")).to_be_visible()
    expect(ui.page.locator(".page-header")).to_contain_text("GYJD-2026-0001")
    expect(ui.page.locator(".page-header")).to_contain_text("办理中")

    diagram = ui.page.locator(".diagram svg")
    expect(diagram).to_be_visible()
    ids = "els => els.map(e => e.dataset.elementId).sort()"
    assert diagram.locator(".el.state-active").evaluate_all(ids) == [
        "finance_review",
        "legal_review",
    ]
    assert diagram.locator(".el.state-completed").evaluate_all(ids) == [
        "gw_route",
        "register",
        "split",
        "start",
    ]
    expect(diagram.locator(".el.state-active", has_text="执法机关核查")).to_be_visible()
    expect(diagram.locator(".legend-item")).to_contain_text(["已完成", "进行中"])

    timeline = ui.page.locator("#timeline")
    expect(timeline).to_contain_text("发起案件")
    expect(timeline).to_contain_text("签收任务")
    entry = timeline.locator("li", has_text="完成任务：登记")
    expect(entry).to_contain_text("张明")
    expect(entry).to_contain_text("类别")
    expect(entry).to_contain_text("重大")
    expect(ui.page.locator("#comments")).to_contain_text("已电话联系执法机关。")
    open_tasks = ui.page.locator("section", has=ui.page.get_by_role("heading", name="当前任务"))
    expect(open_tasks).to_contain_text("经费审查")
    expect(open_tasks).to_contain_text("市市场监管局")
    ui.shot("case-page")


def test_inbox_and_task_page_on_a_phone(phone_ui, review):
    phone_ui.login("sup1")
    row = phone_ui.page.locator("tbody tr", has_text="登记")
    expect(row).to_be_visible()
    phone_ui.shot("inbox")
    row.get_by_role("button", name="签收").click()
    phone_ui.goto("/tasks?tab=mine")
    phone_ui.page.locator("tbody tr", has_text="登记").get_by_role("link", name="登记").click()
    expect(phone_ui.page.get_by_label("标题")).to_be_visible()
    width = phone_ui.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the task page scrolls sideways on a phone ({width}px)"
    phone_ui.shot("task")
