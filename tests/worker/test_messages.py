"""Messages from outside organs that arrive before the case waits for them are kept and
delivered when it gets there; past their expiry they are dropped, with a record."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models import AuditEvent
from db.models import PendingMessage
from db.models import ProcessInstance
from supervision import cases
from supervision import clock
from supervision import messages
from tests.factories import user
from tests.worker.conftest import local
from tests.worker.conftest import open_tasks
from tests.worker.conftest import tick_at

DECISION = {"psb_decision": "立案", "psb_decided_at": "2026-05-06T10:00:00+08:00"}


def _start(rt, key="XS-2026-001"):
    with rt.sessions.begin() as s:
        return cases.start_case(
            s, rt.engine, user(s, "sup1"), key="early_message", business_key=key
        ).instance.id


def _send(rt, key="XS-2026-001"):
    with rt.sessions.begin() as s:
        result = messages.correlate(
            s, rt.engine, user(s, "sup1"), "Msg_PSBDecision", business_key=key, variables=DECISION
        )
        return [r.result_type for r in result]


def _register(rt, case_id):
    with rt.sessions.begin() as s:
        task = open_tasks(rt, case_id)["register"]
        cases.complete_task(s, rt.engine, user(s, "sup1"), task.id, {})


def _actions(rt, case_id):
    with rt.sessions() as s:
        return [
            (e.action, e.details)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.instance_id == case_id).order_by(AuditEvent.seq)
            )
        ]


def test_an_early_message_is_delivered_when_the_case_reaches_the_catch_event(deployed):
    rt = deployed
    clock.freeze(local(2026, 5, 1, 9, 0))
    case_id = _start(rt)
    # Public security decides before the supervisor has even registered the transfer.
    clock.freeze(local(2026, 5, 6, 10, 0))
    assert _send(rt) == ["Pending"]
    assert set(open_tasks(rt, case_id)) == {"register"}
    with rt.sessions() as s:
        assert "psb_decision" not in s.get(ProcessInstance, case_id).variables
    clock.freeze(local(2026, 5, 6, 15, 0))
    _register(rt, case_id)
    # Registering brought the case to the catch event: the kept message went straight in.
    assert set(open_tasks(rt, case_id)) == {"review"}
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.variables["psb_decision"] == "立案"
        kept = s.scalars(select(PendingMessage)).one()
        assert (kept.active, kept.delivered_instance_id) == (False, case_id)
        assert kept.delivered_at == local(2026, 5, 6, 15, 0)
    delivered = [d for a, d in _actions(rt, case_id) if a == "message"]
    assert delivered and delivered[0]["early"] is True
    assert delivered[0]["name"] == "Msg_PSBDecision"


def test_an_expired_message_is_dropped_by_the_worker_with_a_record(deployed, worker):
    rt = deployed
    tick_at(worker, local(2026, 5, 1, 9, 0))
    case_id = _start(rt)
    assert _send(rt) == ["Pending"]
    # Kept for the setting pending_message_ttl_days (30 days).
    tick_at(worker, local(2026, 5, 31, 9, 0) - timedelta(seconds=1))
    with rt.sessions() as s:
        assert s.scalars(select(PendingMessage)).one().active is True
    stats = tick_at(worker, local(2026, 5, 31, 9, 0))
    assert stats.messages_expired == 1
    with rt.sessions() as s:
        assert s.scalars(select(PendingMessage)).one().active is False
    expired = [d for a, d in _actions(rt, case_id) if a == "message_expired"]
    assert len(expired) == 1
    assert expired[0]["name"] == "Msg_PSBDecision"
    assert expired[0]["variables"] == DECISION
    # The case reaches the catch event later and keeps waiting: nothing stale slips in.
    _register(rt, case_id)
    assert set(open_tasks(rt, case_id)) == set()
    with rt.sessions() as s:
        assert "psb_decision" not in s.get(ProcessInstance, case_id).variables
    tick_at(worker, local(2026, 6, 1, 9, 0))
    assert len([a for a, _ in _actions(rt, case_id) if a == "message_expired"]) == 1


def test_an_expired_message_found_at_delivery_is_recorded_too(deployed):
    rt = deployed
    clock.freeze(local(2026, 5, 1, 9, 0))
    case_id = _start(rt)
    _send(rt)
    clock.freeze(local(2026, 6, 15, 9, 0))  # no worker ran in between
    _register(rt, case_id)
    assert set(open_tasks(rt, case_id)) == set()
    assert [a for a, _ in _actions(rt, case_id)].count("message_expired") == 1
