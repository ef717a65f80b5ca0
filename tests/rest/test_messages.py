"""POST /message: by business key, case id or correlation keys; early and repeated messages."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from db.models import AuditEvent
from db.models import OpenTask
from db.models import PendingMessage
from db.models import ProcessInstance
from tests.rest.conftest import open_task_id
from tests.rest.conftest import start

TICKET = {
    "hotline_ticket_no": {"value": "GY-MSG-0001"},
    "source_channel": {"value": "hotline_phone"},
    "request_type": {"value": "complaint"},
    "complaint_text": {"value": "乱检查"},
}


def waiting_case(rt, business_key: str = "BK-W", ref_no: str = "R-7") -> str:
    """A county_review case that has reached its message catch (Msg_BureauReply)."""
    case_id = start(
        rt,
        "sup1",
        "county_review",
        business_key,
        owner_unit_id="city_supervisors",
        target_agency_id="city_market",
        ref_no=ref_no,
    )
    from supervision import cases
    from tests.factories import user

    with rt.sessions.begin() as s:
        cases.complete_task(
            s, rt.engine, user(s, "sup1"), open_task_id(rt, case_id), {"finding": "founded"}
        )
    with rt.sessions.begin() as s:
        cases.complete_task(s, rt.engine, user(s, "market1"), open_task_id(rt, case_id), {})
    return case_id


def test_a_message_by_business_key_reaches_the_waiting_case(client, api, deployed):
    case_id = waiting_case(deployed)
    response = client.post(
        "/engine-rest/message",
        json={
            "messageName": "Msg_BureauReply",
            "businessKey": "BK-W",
            "processVariables": {"reply_text": {"value": "已整改", "type": "String"}},
        },
        headers=api.bearer("sup1"),
    )
    assert response.status_code == 204, response.json
    with deployed.sessions() as s:
        case = s.get(ProcessInstance, case_id)
        assert case.status == "completed" and case.variables["reply_text"] == "已整改"


def test_results_by_case_id_and_by_correlation_keys(client, api, deployed):
    first = waiting_case(deployed, "BK-1")
    second = waiting_case(deployed, "BK-2", ref_no="R-8")
    by_id = client.post(
        "/engine-rest/message",
        json={"messageName": "Msg_BureauReply", "processInstanceId": first, "resultEnabled": True},
        headers=api.bearer("sup1"),
    )
    assert by_id.status_code == 200
    assert by_id.json == [
        {
            "resultType": "Execution",
            "execution": {"id": first, "processInstanceId": first, "ended": True, "tenantId": None},
            "processInstance": None,
        }
    ]
    by_keys = client.post(
        "/engine-rest/message",
        json={
            "messageName": "Msg_BureauReply",
            "correlationKeys": {"ref_no": {"value": "R-8", "type": "String"}},
            "resultEnabled": True,
            "variablesInResultEnabled": True,
        },
        headers=api.bearer("sup1"),
    )
    assert by_keys.status_code == 200
    (result,) = by_keys.json
    assert result["execution"]["id"] == second
    assert result["variables"]["ref_no"] == {"type": "String", "value": "R-8", "valueInfo": {}}


def test_a_message_start_opens_a_case(client, api, deployed):
    response = client.post(
        "/engine-rest/message",
        json={
            "messageName": "Msg_HotlineTicket",
            "businessKey": "GY-MSG-0001",
            "processVariables": TICKET,
            "resultEnabled": True,
        },
        headers=api.bearer("operator"),
    )
    assert response.status_code == 200, response.json
    (result,) = response.json
    assert result["resultType"] == "ProcessDefinition"
    assert result["processInstance"]["definitionKey"] == "complaint_intake"
    assert result["processInstance"]["businessKey"] == "GY-MSG-0001"
    with deployed.sessions() as s:
        tasks = s.scalars(
            select(OpenTask.task_spec_id).where(
                OpenTask.instance_id == result["processInstance"]["id"]
            )
        )
        assert list(tasks) == ["sign"]


def test_nothing_matching_is_a_400_saying_so(client, api, deployed):
    waiting_case(deployed, "BK-W")
    for body in (
        {"messageName": "Msg_Nobody"},
        {"messageName": "Msg_BureauReply", "businessKey": "BK-unknown"},
        {"messageName": "Msg_BureauReply", "correlationKeys": {"ref_no": {"value": "R-0"}}},
    ):
        response = client.post("/engine-rest/message", json=body, headers=api.bearer("sup1"))
        assert response.status_code == 400, body
        assert response.json["type"] == "RestException"
        assert response.json["message"].startswith("Cannot correlate message")
    for body in (
        {},
        {"messageName": " "},
        {"messageName": "x", "tenantId": "t"},
        {"messageName": "x", "processVariables": {"a": {"value": "x", "type": "Integer"}}},
    ):
        assert (
            client.post("/engine-rest/message", json=body, headers=api.bearer("sup1")).status_code
            == 400
        ), body


def test_an_early_message_is_kept_and_delivered_when_the_case_gets_there(client, api, deployed):
    case_id = start(
        deployed,
        "sup1",
        "county_review",
        "BK-E",
        owner_unit_id="city_supervisors",
        target_agency_id="city_market",
    )
    early = client.post(
        "/engine-rest/message",
        json={
            "messageName": "Msg_BureauReply",
            "businessKey": "BK-E",
            "processVariables": {"reply_text": {"value": "先到"}},
        },
        headers=api.bearer("sup1"),
    )
    assert early.status_code == 200
    (result,) = early.json
    assert result["resultType"] == "Pending" and result["processInstance"]["id"] == case_id
    from supervision import cases
    from tests.factories import user

    with deployed.sessions.begin() as s:
        cases.complete_task(
            s,
            deployed.engine,
            user(s, "sup1"),
            open_task_id(deployed, case_id),
            {"finding": "founded"},
        )
    with deployed.sessions.begin() as s:
        cases.complete_task(
            s, deployed.engine, user(s, "market1"), open_task_id(deployed, case_id), {}
        )
    with deployed.sessions() as s:
        case = s.get(ProcessInstance, case_id)
        assert case.status == "completed" and case.variables["reply_text"] == "先到"


def test_an_idempotency_key_delivers_once(client, api, deployed):
    case_id = waiting_case(deployed, "BK-I")
    body = {"messageName": "Msg_BureauReply", "businessKey": "BK-I", "resultEnabled": True}
    headers = {**api.bearer("sup1"), "Idempotency-Key": "reply-42"}
    first = client.post("/engine-rest/message", json=body, headers=headers)
    again = client.post("/engine-rest/message", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json[0]["resultType"] == "Execution"
    assert again.json[0]["execution"]["id"] == case_id
    with deployed.sessions() as s:
        delivered = s.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "message", AuditEvent.instance_id == case_id
            )
        )
        assert delivered == 1
        assert (
            s.scalar(select(func.count(PendingMessage.id)).where(PendingMessage.active.is_(True)))
            == 0
        )
