"""The inbox and the task page: what each user sees, and what each action changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import Attachment
from db.models import AuditEvent
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import cases
from supervision import clock
from tests.factories import user
from tests.web.scenario import NOW
from tests.web.scenario import deploy_review
from tests.web.scenario import open_task
from tests.web.scenario import register_as_major
from tests.web.scenario import start_review

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def review(app, runtime):
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        deploy_review(session, runtime.engine)
        return start_review(session, runtime.engine)


def _task(runtime, case_id, spec="register"):
    with runtime.sessions() as session:
        return open_task(session, case_id, spec)


def _row_ids(html: str) -> list[str]:
    return re.findall(r'data-task="([0-9a-f-]{36})"', html)


# ---------------------------------------------------------------- inbox


def test_group_tab_lists_the_unclaimed_task_for_candidates_only(login, runtime, review):
    task = _task(runtime, review)
    page = login("sup1").get("/tasks?tab=group")
    assert page.status_code == 200
    assert _row_ids(page.text) == [task.id]
    assert "GYJD-2026-0001" in page.text
    for outsider in ("market1", "lizhou1", "evaluator1"):
        page = login(outsider).get("/tasks?tab=group")
        assert page.status_code == 200
        assert _row_ids(page.text) == [], outsider


def test_inbox_opens_on_my_tasks_when_i_have_some(login, runtime, review):
    sup = login("sup1")
    assert 'data-tab="group" aria-current' not in sup.get("/tasks").text.replace(
        'aria-current="page" data-tab', "x"
    )
    sup.post(f"/tasks/{_task(runtime, review).id}/claim")
    page = sup.get("/tasks")
    assert re.search(r'aria-current="page" data-tab="mine"', page.text)
    assert _row_ids(page.text) == [_task(runtime, review).id]


def test_roles_without_tasks_may_not_open_the_inbox(login, review):
    for username in ("operator", "designer", "admin"):
        assert login(username).get("/tasks").status_code == 403, username


def test_team_tab_is_for_chiefs(login, runtime, review):
    with runtime.sessions.begin() as session:
        register_as_major(session, runtime.engine, review)
        finance = open_task(session, review, "finance_review")
        cases.claim_task(session, user(session, "sup1"), finance.id)
    assert login("sup1").get("/tasks?tab=team").status_code == 404
    page = login("chief").get("/tasks?tab=team")
    assert page.status_code == 200
    assert finance.id in _row_ids(page.text)
    assert "张明" in page.text  # held by sup1, shown by name
    assert 'name="assignee"' in page.text


def test_filters_sort_and_paging(login, runtime, review):
    with runtime.sessions.begin() as session:
        for n in range(2, 13):
            start_review(session, runtime.engine, case_no=f"GYJD-2026-{n:04d}", title=f"案件{n}")
    sup = login("sup1")
    first = sup.get("/tasks?tab=group&per_page=10")
    assert len(_row_ids(first.text)) == 10
    assert "共 12 条，第 1 / 2 页" in first.text
    second = sup.get("/tasks?tab=group&per_page=10&page=2")
    assert len(_row_ids(second.text)) == 2
    assert not set(_row_ids(first.text)) & set(_row_ids(second.text))

    only = sup.get("/tasks?tab=group&case_no=2026-0007")
    assert len(_row_ids(only.text)) == 1
    assert "GYJD-2026-0007" in only.text

    by_process = sup.get("/tasks?tab=group&process=no_such_process")
    assert _row_ids(by_process.text) == []
    assert len(_row_ids(sup.get("/tasks?tab=group&process=review_parallel").text)) == 12

    # Due dates: workdays(3) from Thursday 26 Nov is Tuesday 1 Dec.
    assert len(_row_ids(sup.get("/tasks?tab=group&due_before=2026-12-01").text)) == 12
    assert _row_ids(sup.get("/tasks?tab=group&due_before=2026-11-30").text) == []
    bad = sup.get("/tasks?tab=group&due_before=tomorrow")
    assert bad.status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in bad.text

    newest = sup.get("/tasks?tab=group&sort=-created&per_page=200")
    by_case = sup.get("/tasks?tab=group&sort=case&per_page=200")
    assert len(_row_ids(newest.text)) == len(_row_ids(by_case.text)) == 12
    numbers = re.findall(r"GYJD-2026-(\d{4})", by_case.text)
    assert numbers == sorted(numbers)


def test_due_soon_and_overdue_are_marked(login, runtime, review):
    sup = login("sup1")
    assert "row--yellow" not in sup.get("/tasks?tab=group").text
    clock.freeze(NOW + timedelta(days=4, hours=20))  # Tue 1 Dec, 14:00: due tonight
    page = sup.get("/tasks?tab=group")
    assert "row--yellow" in page.text and "即将到期" in page.text
    assert _row_ids(sup.get("/tasks?tab=group&overdue=1").text) == []
    clock.freeze(NOW + timedelta(days=6))  # Wed 2 Dec: overdue
    page = sup.get("/tasks?tab=group")
    assert "row--red" in page.text and "已逾期" in page.text
    assert len(_row_ids(sup.get("/tasks?tab=group&overdue=1").text)) == 1
    assert "逾期 1 项" in page.text


# ---------------------------------------------------------------- claim, unclaim, assign


def test_claim_then_someone_else_is_told_clearly(login, runtime, review):
    task = _task(runtime, review)
    response = login("sup1").post(f"/tasks/{task.id}/claim", data={"next": "/tasks?tab=group"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks?tab=group"
    assert _task(runtime, review).assignee == "sup1"

    late = login("sup2").post(f"/tasks/{task.id}/claim")
    assert late.status_code == 409
    assert "此任务已由 张明 签收" in late.text
    assert "Traceback" not in late.text
    assert _task(runtime, review).assignee == "sup1"


def test_non_candidates_cannot_claim_or_even_see(login, runtime, review):
    task = _task(runtime, review)
    for outsider in ("market1", "lizhou1"):
        client = login(outsider)
        assert client.post(f"/tasks/{task.id}/claim").status_code == 404
        assert client.get(f"/tasks/{task.id}").status_code == 404
    assert _task(runtime, review).assignee is None


def test_unclaim_by_the_holder_or_a_chief_only(login, runtime, review):
    task = _task(runtime, review)
    login("sup1").post(f"/tasks/{task.id}/claim")
    assert login("sup2").post(f"/tasks/{task.id}/unclaim").status_code == 403
    assert _task(runtime, review).assignee == "sup1"
    assert login("chief").post(f"/tasks/{task.id}/unclaim").status_code == 302
    assert _task(runtime, review).assignee is None


def test_chief_reassigns_to_a_candidate_only(login, runtime, review):
    task = _task(runtime, review)
    login("sup1").post(f"/tasks/{task.id}/claim")
    chief = login("chief")
    refused = chief.post(f"/tasks/{task.id}/assign", data={"assignee": "market1"})
    assert refused.status_code == 400
    assert "不是此任务的候选人" in refused.text
    assert _task(runtime, review).assignee == "sup1"

    done = chief.post(f"/tasks/{task.id}/assign", data={"assignee": "sup2"})
    assert done.status_code == 302
    assert _task(runtime, review).assignee == "sup2"
    with runtime.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "assign").order_by(AuditEvent.id.desc())
        ).first()
        assert event.actor == "chief"
        assert event.details == {"assignee": "sup2", "previous_assignee": "sup1"}

    assert (
        login("sup1").post(f"/tasks/{task.id}/assign", data={"assignee": "sup1"}).status_code == 403
    )
    nobody = chief.post(f"/tasks/{task.id}/assign", data={"assignee": ""})
    assert nobody.status_code == 400
    assert "请选择要分派给谁" in nobody.text
    assert _task(runtime, review).assignee == "sup2"


# ---------------------------------------------------------------- the form


def test_task_page_shows_the_generated_form_with_defaults(login, runtime, review):
    task = _task(runtime, review)
    page = login("sup1").get(f"/tasks/{task.id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="f-case_title"' in html and 'value="市场监管局执法程序投诉"' in html
    assert re.search(r'<select id="f-category" name="category"[^>]*aria-required="true"', html)
    assert '<option value="major"' in html and "重大" in html
    assert re.search(r'type="number"[^>]*id="f-affected"[^>]*value="1"', html)
    assert re.search(r'type="checkbox" id="f-urgent" name="urgent" value="true"', html)
    assert "novalidate" in html


def test_invalid_values_come_back_next_to_their_fields_and_change_nothing(login, runtime, review):
    task = _task(runtime, review)
    sup = login("sup1")
    sup.post(f"/tasks/{task.id}/claim")
    response = sup.post(
        f"/tasks/{task.id}/complete",
        data={"case_title": "", "category": "huge", "affected": "-5", "urgent": "true"},
    )
    assert response.status_code == 422
    html = response.text
    assert re.search(r'id="f-case_title-error">此项为必填项<', html)
    assert re.search(r'id="f-category-error">请从列表中选择<', html)
    assert re.search(r'id="f-affected-error">不能小于 0<', html)
    assert re.search(r'id="f-affected"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="f-affected"[^>]*value="-5"', html)  # kept as typed
    assert re.search(r'id="f-urgent"[^>]*checked', html)
    assert "表单有 3 处需要修改" in html
    with runtime.sessions() as session:
        assert session.get(OpenTask, task.id) is not None
        assert session.get(HistoricTask, task.id) is None
        assert "category" not in session.get(ProcessInstance, review).variables


def test_english_users_get_english_field_errors(login, runtime, review):
    task = _task(runtime, review)
    sup = login("sup1")
    sup.post("/lang", data={"lang": "en"})
    response = sup.post(f"/tasks/{task.id}/complete", data={"category": "minor", "affected": "x"})
    assert response.status_code == 422
    assert "Enter a whole number" in response.text
    assert "This field is required" in response.text


def test_complete_stores_typed_values_and_unticked_boxes_as_false(login, runtime, review):
    task = _task(runtime, review)
    sup = login("sup1")
    sup.post(f"/tasks/{task.id}/claim")
    response = sup.post(
        f"/tasks/{task.id}/complete",
        data={"case_title": " 新标题 ", "category": "minor", "affected": "7"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks"
    with runtime.sessions() as session:
        variables = session.get(ProcessInstance, review).variables
        assert variables["case_title"] == "新标题"
        assert variables["affected"] == 7
        assert variables["urgent"] is False
        done = session.get(HistoricTask, task.id)
        assert done.completed_by == "sup1"
        assert open_task(session, review, "simple_review") is not None


def test_fields_the_form_does_not_define_are_ignored(login, runtime, review):
    task = _task(runtime, review)
    response = login("sup1").post(
        f"/tasks/{task.id}/complete",
        data={"case_title": "t", "category": "minor", "affected": "1", "bureau": "evil"},
    )
    assert response.status_code == 302
    with runtime.sessions() as session:
        assert session.get(ProcessInstance, review).variables["bureau"] == "city_market"


def test_completing_a_task_someone_else_completed_says_so(login, runtime, review):
    task = _task(runtime, review)
    first, second = login("sup1"), login("sup2")
    values = {"case_title": "t", "category": "minor", "affected": "1"}
    assert first.post(f"/tasks/{task.id}/complete", data=values).status_code == 302
    late = second.post(f"/tasks/{task.id}/complete", data=values)
    assert late.status_code == 409
    assert "已被他人办理完毕" in late.text
    assert "返回任务列表" in late.text
    # Opening the finished task leads to its case, for whoever may read it ...
    page = second.get(f"/tasks/{task.id}")
    assert page.status_code == 302
    assert page.headers["Location"] == f"/cases/{review}"
    # ... and tells a stranger nothing.
    assert login("lizhou1").get(f"/tasks/{task.id}").status_code == 404
    assert login("lizhou1").post(f"/tasks/{task.id}/complete", data=values).status_code == 404


def test_a_claimed_task_cannot_be_completed_by_another_candidate(login, runtime, review):
    task = _task(runtime, review)
    login("sup1").post(f"/tasks/{task.id}/claim")
    values = {"case_title": "t", "category": "minor", "affected": "1"}
    response = login("sup2").post(f"/tasks/{task.id}/complete", data=values)
    assert response.status_code == 409
    assert "此任务已由 张明 签收" in response.text
    with runtime.sessions() as session:
        assert session.get(OpenTask, task.id) is not None


def test_bureau_sees_its_own_task_but_not_the_supervisors_internal_one(login, runtime, review):
    with runtime.sessions.begin() as session:
        register_as_major(session, runtime.engine, review)
    legal = _task(runtime, review, "legal_review")
    finance = _task(runtime, review, "finance_review")
    market = login("market1")
    assert _row_ids(market.get("/tasks?tab=group").text) == [legal.id]
    assert market.get(f"/tasks/{legal.id}").status_code == 200
    assert market.get(f"/tasks/{finance.id}").status_code == 404
    assert market.get(f"/cases/{review}").status_code == 200


# ---------------------------------------------------------------- comments and attachments


def test_comment_on_a_task(login, runtime, review):
    task = _task(runtime, review)
    sup = login("sup1")
    assert sup.post(f"/tasks/{task.id}/comments", data={"message": "  "}).status_code == 400
    response = sup.post(f"/tasks/{task.id}/comments", data={"message": "请补充材料"})
    assert response.status_code == 302
    assert "请补充材料" in sup.get(f"/tasks/{task.id}").text


def test_upload_checks_type_and_content_and_stores_nothing_on_refusal(login, runtime, review):
    from io import BytesIO

    task = _task(runtime, review)
    sup = login("sup1")

    def post(*files):
        return sup.post(
            f"/tasks/{task.id}/attachments",
            data={"file": [(BytesIO(content), name) for name, content in files]},
            content_type="multipart/form-data",
        )

    refused = post(("photo.png", PNG), ("tool.exe", b"MZ..."))
    assert refused.status_code == 400
    assert "不允许上传 .exe 文件" in refused.text
    fake = post(("scan.pdf", b"<html>not a pdf</html>"))
    assert fake.status_code == 400
    assert "文件内容与扩展名不符" in fake.text
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(Attachment.id))) == 0

    stored = post(("现场照片.png", PNG))
    assert stored.status_code == 302
    with runtime.sessions() as session:
        row = session.scalars(select(Attachment)).one()
        assert (row.filename, row.task_id, row.uploaded_by) == ("现场照片.png", task.id, "sup1")

    download = sup.get(f"/attachments/{row.id}")
    assert download.status_code == 200
    assert download.data == PNG
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E7%8E%B0" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert login("lizhou1").get(f"/attachments/{row.id}").status_code == 404
    assert login("market1").get(f"/attachments/{row.id}").status_code == 404


def test_only_who_may_complete_may_upload(login, runtime, review):
    from io import BytesIO

    task = _task(runtime, review)
    login("sup1").post(f"/tasks/{task.id}/claim")
    response = login("sup2").post(
        f"/tasks/{task.id}/attachments",
        data={"file": (BytesIO(PNG), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


# ---------------------------------------------------------------- the step after


def test_completing_leads_to_the_next_step_when_it_is_mine(login, runtime, app):
    from pathlib import Path

    from tests.factories import deploy

    bpmn = (Path(__file__).parent / "data" / "handover.bpmn").read_bytes()
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        deploy(session, runtime.engine, ("handover.bpmn", bpmn))
        case_id = cases.start_case(session, runtime.engine, user(session, "sup2"), key="handover")
        case_id = case_id.instance.id
        draft = open_task(session, case_id, "draft").id
    sup = login("sup1")
    response = sup.post(f"/tasks/{draft}/complete", data={"opinion": "同意"})
    assert response.status_code == 302
    check = _task(runtime, case_id, "check")
    assert check.assignee == "sup1"
    assert response.headers["Location"] == f"/tasks/{check.id}"
    page = sup.get(response.headers["Location"])
    assert "下一步「核对意见」也由您办理" in page.text
    # Someone else's next step leads back to the inbox.
    with runtime.sessions.begin() as session:
        other = cases.start_case(session, runtime.engine, user(session, "sup2"), key="handover")
        other_draft = open_task(session, other.instance.id, "draft").id
    response = login("sup2").post(f"/tasks/{other_draft}/complete", data={"opinion": "x"})
    assert response.headers["Location"] == "/tasks"
