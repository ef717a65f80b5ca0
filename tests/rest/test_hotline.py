"""The 12345 hotline API: tickets in (idempotent), status and replies out, results back in.

Runs against tests/rest/data/hotline_stub.bpmn, a small complaint_intake with the names of
the naming contract: message start Msg_HotlineTicket, Msg_HotlineFeedback thrown with the
reply, Msg_HotlineCallback and Msg_ReturnResult caught.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from db.models import AuditEvent
from db.models import HotlineTicket
from db.models import ProcessInstance
from tests.rest.conftest import open_task_id

TICKET = {
    "hotline_ticket_no": "GY20261126001",
    "source_channel": "hotline_phone",
    "request_type": "complaint",
    "dispatched_at": "2026-11-26T09:40:00+08:00",
    "hotline_due_date": "2026-12-17",
    "complaint_text": "执法人员拖车时未出示执法证件。",
    "complainant_name": "周涛",
    "complainant_phone": "13800001111",
    "callback_consent": True,
    "respondent_agency_id": "city_market",
    "act_type": "coercion",
    "issue_type": "credentials",
}
URL = "/api/v1/hotline/tickets"


def create(client, api, ticket=None, user="operator"):
    return client.post(URL, json=ticket or TICKET, headers=api.bearer(user))


def sign(client, api, case_id, rt, **values):
    variables = {"request_return": {"value": False}, **{k: {"value": v} for k, v in values.items()}}
    response = client.post(
        f"/engine-rest/task/{open_task_id(rt, case_id)}/complete",
        json={"variables": variables},
        headers=api.bearer("sup1"),
    )
    assert response.status_code == 204, response.json


def test_a_ticket_becomes_a_case_once(client, api, deployed):
    created = create(client, api)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["ticket_no"] == "GY20261126001"
    assert body["status"] == "active" and body["case_status"] is None
    assert body["has_reply"] is False and body["reply"] is None and body["replies"] == []
    assert body["deadlines"]["hotline_due_date"] == "2026-12-17"
    assert body["dispatched_at"] == "2026-11-26T09:40:00+08:00"
    assert body["received_at"] == "2026-11-26T10:00:00+08:00"
    assert body["current_steps"] == [
        {
            "name": "签收工单",
            "task_definition_key": "sign",
            "started_at": "2026-11-26T10:00:00+08:00",
            "due_at": "2026-11-27T23:59:59+08:00",
        }
    ]
    assert created.headers["Location"] == f"http://localhost{URL}/GY20261126001"
    assert body["links"]["callback"] == f"http://localhost{URL}/GY20261126001/callback"
    # No personal data in what the hotline reads back.
    assert "周涛" not in created.text and "13800001111" not in created.text

    repeated = create(client, api, {**TICKET, "complaint_text": "重复推送，内容不同"})
    assert repeated.status_code == 200
    assert repeated.json["case_id"] == body["case_id"]
    with deployed.sessions() as s:
        assert s.scalar(select(func.count(HotlineTicket.ticket_no))) == 1
        case = s.get(ProcessInstance, body["case_id"])
        assert case.business_key == "GY20261126001" and case.definition_key == "complaint_intake"
        assert case.variables["complainant_phone"] == "13800001111"
        assert case.variables["complaint_text"] == TICKET["complaint_text"]
        ticket = s.get(HotlineTicket, "GY20261126001")
        assert ticket.created_by == "operator" and "complainant_phone" not in ticket.payload


def test_field_errors_are_422_with_each_fields_message(client, api, deployed):
    missing = create(client, api, {"hotline_ticket_no": "GY-2", "complainant_name": "周涛"})
    assert missing.status_code == 422
    assert missing.json["type"] == "FormFieldValidationException"
    assert set(missing.json["errors"]) >= {"source_channel", "request_type", "complaint_text"}
    wrong = create(
        client,
        api,
        {
            **TICKET,
            "hotline_ticket_no": "GY-3",
            "request_type": "gossip",
            "complainant_phone": "12345",
            "hotline_due_date": "next week",
            "respondent_agency_id": "no_such_bureau",
            "favourite_colour": "red",
        },
        user="operator",
    )
    assert wrong.status_code == 422
    assert set(wrong.json["errors"]) == {
        "request_type",
        "complainant_phone",
        "hotline_due_date",
        "respondent_agency_id",
        "favourite_colour",
    }
    check_digit = create(
        client,
        api,
        {**TICKET, "hotline_ticket_no": "GY-5", "complainant_id_no": "510802199001011234"},
    )
    assert check_digit.status_code == 422
    assert set(check_digit.json["errors"]) == {"complainant_id_no"}
    english = client.post(
        URL,
        json={**TICKET, "hotline_ticket_no": "GY-4", "complainant_phone": None},
        headers={**api.bearer("operator"), "Accept-Language": "en"},
    )
    assert english.json["errors"] == {
        "complainant_phone": "Required unless the complainant is anonymous"
    }
    for raw in (b"not json", b"[]", b""):
        response = client.post(
            URL, data=raw, headers={**api.bearer("operator"), "Content-Type": "application/json"}
        )
        assert response.status_code == 400, raw
    with deployed.sessions() as s:
        assert s.scalar(select(func.count(HotlineTicket.ticket_no))) == 0
        assert s.scalar(select(func.count(ProcessInstance.id))) == 0


def test_an_anonymous_ticket_keeps_no_personal_data(client, api, deployed):
    created = create(
        client,
        api,
        {**TICKET, "hotline_ticket_no": "GY-ANON", "is_anonymous": True, "complainant_id_no": None},
    )
    assert created.status_code == 201, created.json
    with deployed.sessions() as s:
        variables = s.get(ProcessInstance, created.json["case_id"]).variables
        assert variables["complainant_name"] is None and variables["complainant_phone"] is None
        assert variables["callback_consent"] is False


def test_the_reply_to_relay_and_the_callback(client, api, deployed):
    case_id = create(client, api).json["case_id"]
    sign(client, api, case_id, deployed, reply_text="经核实，已责令整改。", reply_method="hotline")
    status = client.get(f"{URL}/GY20261126001", headers=api.bearer("operator")).json
    assert status["has_reply"] is True and status["current_steps"] == []
    reply = status["reply"]
    assert reply["reply_text"] == "经核实，已责令整改。" and reply["reply_method"] == "hotline"
    assert reply["case_no"] == "GY20261126001" and reply["is_interim"] is False
    assert status["replies"] == [reply]
    listed = client.get(URL, headers=api.bearer("operator")).json
    assert listed["items"][0]["ticket_no"] == "GY20261126001"
    assert listed["items"][0]["has_reply"] is True

    callback = {"satisfaction": "basically_satisfied", "callback_at": "2026-11-27T10:00:00+08:00"}
    delivered = client.post(
        f"{URL}/GY20261126001/callback", json=callback, headers=api.bearer("operator")
    )
    assert delivered.status_code == 200, delivered.json
    assert delivered.json["delivery"] == "delivered"
    assert delivered.json["ticket"]["status"] == "completed"
    assert delivered.json["ticket"]["callback"] == {**callback, "dissatisfaction_reason": None}
    # The hotline retries after a timeout: answered from the first delivery, not delivered again.
    again = client.post(
        f"{URL}/GY20261126001/callback", json=callback, headers=api.bearer("operator")
    )
    assert again.status_code == 200 and again.json["delivery"] == "delivered"
    with deployed.sessions() as s:
        case = s.get(ProcessInstance, case_id)
        assert case.variables["satisfaction"] == "basically_satisfied"
        messages = s.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.instance_id == case_id, AuditEvent.action == "message"
            )
        )
        assert messages == 1
    # A different callback for the ended case cannot be taken: said plainly.
    late = client.post(
        f"{URL}/GY20261126001/callback",
        json={"satisfaction": "dissatisfied", "callback_at": "2026-11-28T10:00:00+08:00"},
        headers=api.bearer("operator"),
    )
    assert late.status_code == 409 and "ended" in late.json["message"]


def test_a_callback_before_the_case_waits_for_it_is_kept(client, api, deployed):
    case_id = create(client, api).json["case_id"]
    early = client.post(
        f"{URL}/GY20261126001/callback",
        json={"satisfaction": "dissatisfied", "dissatisfaction_reason": "未见整改"},
        headers=api.bearer("operator"),
    )
    assert early.status_code == 200 and early.json["delivery"] == "pending"
    sign(client, api, case_id, deployed, reply_text="已答复", reply_method="phone")
    with deployed.sessions() as s:
        case = s.get(ProcessInstance, case_id)
        assert case.status == "completed"
        assert case.variables["dissatisfaction_reason"] == "未见整改"


def test_bad_callbacks_are_422_and_unknown_tickets_404(client, api, deployed):
    create(client, api)
    for body, fields in (
        ({"satisfaction": "so-so"}, {"satisfaction"}),
        ({}, {"satisfaction"}),
        ({"satisfaction": "satisfied", "callback_at": "yesterday"}, {"callback_at"}),
        ({"satisfaction": "satisfied", "dissatisfaction_reason": 5}, {"dissatisfaction_reason"}),
        ({"satisfaction": "satisfied", "mood": "good"}, {"mood"}),
    ):
        response = client.post(
            f"{URL}/GY20261126001/callback", json=body, headers=api.bearer("operator")
        )
        assert response.status_code == 422, body
        assert set(response.json["errors"]) == fields
    unknown = client.post(
        f"{URL}/GY-NONE/callback",
        json={"satisfaction": "satisfied"},
        headers=api.bearer("operator"),
    )
    assert unknown.status_code == 404
    assert client.get(f"{URL}/GY-NONE", headers=api.bearer("operator")).status_code == 404


def test_a_return_request_and_its_result(client, api, deployed):
    case_id = create(client, api).json["case_id"]
    response = client.post(
        f"/engine-rest/task/{open_task_id(deployed, case_id)}/complete",
        json={
            "variables": {
                "request_return": {"value": True},
                "return_reason": {"value": "不属于执法监督职责"},
            }
        },
        headers=api.bearer("sup1"),
    )
    assert response.status_code == 204
    status = client.get(f"{URL}/GY20261126001", headers=api.bearer("operator")).json
    assert status["return_request"]["return_reason"] == "不属于执法监督职责"
    assert status["return_result"] is None
    bad = client.post(
        f"{URL}/GY20261126001/return-result",
        json={"return_result": "maybe"},
        headers=api.bearer("operator"),
    )
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"return_result"}
    answered = client.post(
        f"{URL}/GY20261126001/return-result",
        json={"return_result": "accepted", "return_comment": "同意退单"},
        headers={**api.bearer("operator"), "Idempotency-Key": "ret-1"},
    )
    assert answered.status_code == 200 and answered.json["delivery"] == "delivered"
    assert answered.json["ticket"]["return_result"] == {
        "return_result": "accepted",
        "return_comment": "同意退单",
    }
    with deployed.sessions() as s:
        assert s.get(ProcessInstance, case_id).status == "completed"


def test_tickets_wait_for_the_complaint_process(client, api, org):
    response = create(client, api)
    assert response.status_code == 503
    assert "complaint_intake" in response.json["message"]
    with org.sessions() as s:
        assert s.scalar(select(func.count(HotlineTicket.ticket_no))) == 0


def test_extension_requests_and_every_message_to_the_hotline_are_shown(client, api, deployed):
    from db.models import OutboxMessage

    case_id = create(client, api).json["case_id"]
    with deployed.sessions.begin() as s:
        s.add(
            OutboxMessage(
                channel="message",
                recipient="Msg_HotlineExtensionRequest",
                subject="Msg_HotlineExtensionRequest",
                payload={
                    "message": "Msg_HotlineExtensionRequest",
                    "instance_id": case_id,
                    "business_key": "GY20261126001",
                    "variables": {"bureau_due_date": "2026-12-08", "extension_reason": "取证"},
                },
                dedupe_key="test-extension-1",
            )
        )
    status = client.get(f"{URL}/GY20261126001", headers=api.bearer("operator")).json
    (extension,) = status["extension_requests"]
    assert extension["bureau_due_date"] == "2026-12-08"
    assert extension["extension_reason"] == "取证"
    assert [m["message"] for m in status["messages"]] == ["Msg_HotlineExtensionRequest"]
    assert status["has_reply"] is False
