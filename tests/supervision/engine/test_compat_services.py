"""Service, send and receive tasks and message events, end to end.

Diagrams: service_handlers.bpmn (delegateExpression with fields and input/output
parameters, expression with arguments and resultVariable, class, external topic),
service_incident.bpmn (a failing handler becomes an incident and is retried),
send_receive.bpmn (send task with a handler, receive task, message catch, send task and
throw event that leave the case).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import HistoricTask
from db.models import OutboxMessage
from supervision import cases
from supervision.errors import NotAllowedError
from tests.factories import user


def test_each_way_of_naming_a_handler_runs_with_its_parameters_and_results(compat):
    seen = {}

    def record_check(ctx):
        seen["data"] = dict(ctx.data)
        seen["actor"] = ctx.actor
        return {"check_number": "JC-2026-001"}

    compat.handler("recordCheck", record_check)
    compat.handler(
        "scoreCase", lambda ctx, amount, mode, urgent: amount * 4 + (2.5 if urgent else 0)
    )
    compat.handler("cn.gov.guangyuan.supervision.ArchiveDelegate", {"archived": True})
    compat.handler("sendLetter", None)
    compat.deploy("service_handlers.bpmn")
    case_id = compat.start(
        "service_handlers",
        {
            "amount": 10,
            "initiator": "sup1",
            "extra_agency": "city_chiefs",
            "complainant": "张三",
            "urgent": True,
        },
    )
    calls = {name: (params, args) for name, params, args in compat.calls}
    # camunda:field (stringValue, nested expression, nested string) and the input
    # parameters (an expression, a list) reach the handler as its params.
    assert calls["recordCheck"] == (
        {
            "mode": "strict",
            "limit": 20,
            "note": "现场检查",
            "inspector": "sup1",
            "agencies": ["city_market", "city_chiefs"],
        },
        (),
    )
    assert seen["data"]["inspector"] == "sup1" and seen["actor"] == "sup1"
    # ${scoreCase(amount, 'strict', urgent)}: the arguments are evaluated in the case.
    assert calls["scoreCase"] == ({}, (10, "strict", True))
    assert calls["cn.gov.guangyuan.supervision.ArchiveDelegate"] == ({}, ())
    assert calls["sendLetter"] == ({"recipient": {"name": "张三", "channel": "post"}}, ())

    variables = compat.variables(case_id)
    assert variables["check_number"] == "JC-2026-001"  # returned dict: case variables
    assert variables["check_no"] == "JC-2026-001"  # outputParameter ${check_number}
    assert variables["checked_by"] == "sup1"  # outputParameter reading an input parameter
    assert variables["case_score"] == 42.5  # camunda:resultVariable
    assert variables["archived"] is True
    # Input parameters are local to their task.
    assert not {"inspector", "agencies", "recipient", "mode", "limit"} & set(variables)
    assert set(compat.tasks(case_id)) == {"review"}


def test_a_failing_handler_is_an_incident_that_keeps_the_case_and_undoes_its_writes(compat):
    attempts = []

    def push(ctx):
        attempts.append(ctx.task_id)
        ctx.session.add(
            OutboxMessage(
                channel="hotline",
                recipient="12345",
                subject="推送",
                payload={"case": ctx.instance.id},
                dedupe_key=f"push:{ctx.instance.id}:{len(attempts)}",
            )
        )
        ctx.session.flush()
        if len(attempts) == 1:
            raise ConnectionError("12345平台无响应 (connection refused)")
        return {"pushed": True}

    compat.handler("pushToHotline", push)
    compat.deploy("service_incident.bpmn")
    case_id = compat.start("service_incident")
    compat.complete("sup1", compat.tasks(case_id)["register"], {})

    [incident] = compat.incidents(case_id)
    assert incident.activity_id == "push_to_hotline"
    assert incident.activity_name == "推送12345平台"
    assert "ConnectionError" in incident.message and "12345平台无响应" in incident.message
    case = compat.case(case_id)
    assert case.status == "active" and case.incident_count == 1
    # The user's work is kept; the handler's own database writes were rolled back with it.
    assert compat.tasks(case_id) == {}
    assert compat.outbox() == []
    with compat.rt.sessions() as s:
        completed = s.scalars(select(HistoricTask.task_spec_id)).all()
        assert completed == ["register"]

    with pytest.raises(NotAllowedError), compat.rt.sessions.begin() as s:
        cases.retry_incident(s, compat.rt.engine, user(s, "sup1"), incident.id)
    assert len(attempts) == 1

    with compat.rt.sessions.begin() as s:
        cases.retry_incident(s, compat.rt.engine, user(s, "admin"), incident.id)
    compat.check_round_trip(case_id)
    assert len(attempts) == 2
    assert compat.incidents(case_id) == []
    [resolved] = compat.incidents(case_id, open_only=False)
    assert resolved.resolved_by == "admin" and resolved.retries == 1
    assert compat.outbox() == [{"case": case_id}]
    assert compat.variables(case_id)["pushed"] is True
    assert set(compat.tasks(case_id)) == {"follow_up"}


def test_send_and_receive_tasks_and_message_events(compat):
    compat.handler("notifyBureau", None)
    compat.deploy("send_receive.bpmn")
    case_id = compat.start("send_receive", {"bureau": "city_market"})
    assert compat.calls == [("notifyBureau", {"recipient": "city_market"}, ())]

    # The callback arrives before the case waits for it: it is kept and delivered later.
    assert compat.correlate("callback_result", callback="satisfied") == ["Pending"]
    assert compat.correlate("bureau_reply", bureau_finding="属实，已整改") == ["Execution"]
    case = compat.case(case_id)
    assert case.status == "completed"
    assert case.variables["callback"] == "satisfied"
    assert case.variables["bureau_finding"] == "属实，已整改"

    sent = {p["message"]: p for p in compat.outbox()}
    # A send task without a handler throws its message with its input parameters.
    assert sent["result_reported"]["variables"] == {"outcome": "属实，已整改", "satisfied": True}
    # A throw event's camunda:expression is the payload.
    assert sent["case_closed"]["variables"] == {"payload": "satisfied"}
    assert {p["business_key"] for p in sent.values()} == {"BK-1"}


def test_a_message_nobody_waits_for_is_refused_and_changes_nothing(compat):
    compat.handler("notifyBureau", None)
    compat.deploy("send_receive.bpmn")
    case_id = compat.start("send_receive", {"bureau": "city_market"})
    version = compat.case(case_id).version
    # The case waits for bureau_reply; an unknown message name has no receiver at all.
    from supervision.errors import MessageNotCorrelatedError

    with pytest.raises(MessageNotCorrelatedError):
        compat.correlate("no_such_message", bk="BK-unknown")
    assert compat.case(case_id).version == version
