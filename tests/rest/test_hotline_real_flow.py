"""The hotline API and /engine-rest against the real Flow 1 (workflows/complaint_intake.bpmn).

The demo organisation, every diagram of workflows/ deployed, a ticket pushed through the
hotline API, the case worked through /engine-rest by the demo users, and what the
hotline reads back at each point: case number, deadlines, current step, the return
request or the reply to relay, and the case closing on the callback it sends.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from supervision import clock
from supervision import demo
from supervision import deployments
from supervision import identity
from tests.conftest import WORKFLOWS
from tests.rest.conftest import Api
from web import create_app

pytestmark = pytest.mark.skipif(
    not (WORKFLOWS / "complaint_intake.bpmn").exists(), reason="Flow 1 is not in workflows/"
)
USERS = ("hotline_operator", "supervisor", "section_chief", "bureau_handler", "bureau_head")
TICKET = {
    "hotline_ticket_no": "GY12345-20260302-0187",
    "source_channel": "hotline_phone",
    "dispatched_at": "2026-03-02T09:20:00+08:00",
    "request_type": "complaint",
    "complainant_name": "王丽",
    "complainant_phone": "13900005521",
    "callback_consent": True,
    "respondent_agency_id": "scjg_510800",
    "act_type": "inspection",
    "issue_type": "arbitrary_inspections",
    "complaint_text": "三周内被不同执法队伍检查四次，均未出示检查通知。",
}
URL = f"/api/v1/hotline/tickets/{TICKET['hotline_ticket_no']}"


@pytest.fixture
def real(runtime, tmp_path, monkeypatch):
    # Dozens of demo users: cheap password hashes keep the set-up short (tests only).
    monkeypatch.setattr("supervision.passwords._N", 2**4)
    monkeypatch.setenv("SUPERVISION_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    clock.freeze(datetime(2026, 3, 2, 9, 20, tzinfo=clock.LOCAL_TZ))
    with runtime.sessions.begin() as s:
        demo.seed_demo(s)
        files = sorted(WORKFLOWS.glob("*.bpmn"))
        deployments.deploy(
            s, runtime.engine, [(f.name, f.read_bytes()) for f in files], actor="designer"
        )
        tokens = {
            name: identity.create_token(s, identity.require_user(s, name), "tests", "admin")[1]
            for name in USERS
        }
    app = create_app({"DATABASE_URL": runtime.url, "TESTING": True, "SECRET_KEY": "test-secret"})
    app.extensions["supervision.engine"] = runtime.engine
    yield app.test_client(), Api(tokens)
    app.extensions["db.engine"].dispose()


def complete(client, api, user: str, case_id: str, key: str, values: dict) -> None:
    tasks = client.get(
        f"/engine-rest/task?processInstanceId={case_id}&taskDefinitionKey={key}",
        headers=api.bearer(user),
    ).json
    assert len(tasks) == 1, (key, tasks)
    response = client.post(
        f"/engine-rest/task/{tasks[0]['id']}/complete",
        json={"variables": {name: {"value": value} for name, value in values.items()}},
        headers=api.bearer(user),
    )
    assert response.status_code == 204, (key, response.json)


def status(client, api) -> dict:
    response = client.get(URL, headers=api.bearer("hotline_operator"))
    assert response.status_code == 200, response.json
    return response.json


def test_a_return_request_reaches_the_hotline_and_its_answer_the_case(real):
    client, api = real
    created = client.post(
        "/api/v1/hotline/tickets", json=TICKET, headers=api.bearer("hotline_operator")
    )
    assert created.status_code == 201, created.json
    ticket = created.json
    assert ticket["case_no"] == "JD-510800-2026-TS-00001"
    assert ticket["deadlines"]["hotline_due_date"] == "2026-03-23"  # WD(15)
    assert [s["task_definition_key"] for s in ticket["current_steps"]] == ["sign_for"]
    case_id = ticket["case_id"]

    complete(client, api, "supervisor", case_id, "sign_for", {"dispatch_check": "wrong_unit"})
    complete(
        client, api, "supervisor", case_id, "request_return", {"return_reason": "属其他单位职责"}
    )
    complete(client, api, "section_chief", case_id, "approve_return", {"return_approved": True})
    waiting = status(client, api)
    assert waiting["return_request"]["return_reason"] == "属其他单位职责"
    assert [m["message"] for m in waiting["messages"]] == ["Msg_ReturnRequest"]
    assert waiting["status"] == "active" and waiting["current_steps"] == []

    answered = client.post(
        f"{URL}/return-result",
        json={"return_result": "accepted"},
        headers=api.bearer("hotline_operator"),
    )
    assert answered.status_code == 200, answered.json
    assert answered.json["delivery"] == "delivered"
    assert answered.json["ticket"]["status"] == "completed"
    assert answered.json["ticket"]["case_status"] == "RETURNED"


def test_the_reply_to_relay_and_the_satisfied_callback_close_the_case(real):
    client, api = real
    case_id = client.post(
        "/api/v1/hotline/tickets", json=TICKET, headers=api.bearer("hotline_operator")
    ).json["case_id"]
    complete(client, api, "supervisor", case_id, "sign_for", {"dispatch_check": "ours"})
    complete(
        client,
        api,
        "supervisor",
        case_id,
        "screening",
        {"respondent_agency_id": "scjg_510800", "screening_note": "属于行政检查，受理"},
    )
    complete(
        client, api, "section_chief", case_id, "approve_screening", {"screening_approved": True}
    )
    complete(
        client,
        api,
        "supervisor",
        case_id,
        "transfer",
        {"target_agency_id": "scjg_510800", "instructions": "请核查并书面回复"},
    )
    complete(client, api, "section_chief", case_id, "approve_transfer", {"transfer_approved": True})
    assert status(client, api)["deadlines"]["bureau_due_date"] == "2026-03-11"  # WD(7)
    complete(
        client,
        api,
        "bureau_handler",
        case_id,
        "verify",
        {"verified_by": "李强、陈晨", "verification_steps": "调阅记录", "finding": "false"},
    )
    complete(client, api, "bureau_head", case_id, "approve_bureau_reply", {"head_approved": True})
    complete(client, api, "supervisor", case_id, "review", {"review_opinion": "经审查，反映不属实"})
    complete(
        client,
        api,
        "supervisor",
        case_id,
        "draft_reply",
        {"reply_text": "经核查，检查均有计划，已向您说明。", "reply_method": "phone"},
    )
    complete(client, api, "section_chief", case_id, "approve_reply", {"reply_approved": True})
    complete(
        client,
        api,
        "supervisor",
        case_id,
        "reply_complainant",
        {"reply_method": "phone", "replied_to_complainant_at": "2026-03-05T10:00:00+08:00"},
    )
    replied = status(client, api)
    assert replied["has_reply"] is True
    assert replied["reply"]["reply_text"] == "经核查，检查均有计划，已向您说明。"
    assert replied["reply"]["case_no"] == "JD-510800-2026-TS-00001"

    callback = client.post(
        f"{URL}/callback",
        json={"satisfaction": "satisfied", "callback_at": "2026-03-06T10:00:00+08:00"},
        headers=api.bearer("hotline_operator"),
    )
    assert callback.status_code == 200, callback.json
    assert callback.json["delivery"] == "delivered"
    complete(client, api, "supervisor", case_id, "close_archive", {"close_type": "replied"})
    closed = status(client, api)
    assert closed["status"] == "completed" and closed["case_status"] == "CLOSED_SATISFIED"
    assert closed["callback"]["satisfaction"] == "satisfied"
