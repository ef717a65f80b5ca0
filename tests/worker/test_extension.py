"""A deadline extension (延期) moves the deadline, the open task and the timers derived
from it; it is limited, reasoned, audited and reserved to chiefs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import AuditEvent
from db.models import Notification
from db.models import ProcessInstance
from supervision import deadlines_service
from supervision.errors import CaseNotFoundError
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from tests.factories import user
from tests.worker.conftest import local
from tests.worker.conftest import open_tasks
from tests.worker.conftest import start
from tests.worker.conftest import tick_at
from tests.worker.conftest import timer_records

SECOND = timedelta(seconds=1)


def _case(rt, worker):
    tick_at(worker, local(2026, 4, 21, 10, 0))  # due Thursday 04-30 (see the calendar test)
    return start(rt, "deadline_timers", reply_days=7, case_title="延期测试")


def _extend(rt, case_id, username="chief", **kwargs):
    kwargs.setdefault("reason", "执法机关申请：需调取外地证据")
    with rt.sessions.begin() as s:
        instance = s.get(ProcessInstance, case_id)
        return deadlines_service.extend_deadline(
            s, rt.engine, user(s, username), instance, **kwargs
        )


def _fired(rt, case_id):
    return [a for a, _ in timer_records(rt, case_id)]


def test_an_extension_moves_the_deadline_the_task_and_its_timers(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    tick_at(worker, local(2026, 4, 28, 15, 0))
    granted = _extend(rt, case_id, workdays=3)
    # 3 working days after Thursday 04-30: 05-06, 05-07, 05-08 (Labour Day skipped).
    assert granted.new_due == local(2026, 5, 8, 23, 59, 59)
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.variables["bureau_due_date"] == "2026-05-08T23:59:59+08:00"
        assert instance.variables["deadline_extensions"][0]["workdays"] == 3
        # The yellow card now comes the working day before the new date.
        assert instance.next_timer_at == local(2026, 5, 7, 0, 0)
    reply = open_tasks(rt, case_id)["bureau_reply"]
    assert reply.due_at == local(2026, 5, 8, 23, 59, 59)
    assert granted.moved_task_ids == [reply.id]

    # The old moments pass quietly.
    tick_at(worker, local(2026, 4, 29, 0, 0))
    tick_at(worker, local(2026, 5, 6, 0, 0))
    assert _fired(rt, case_id) == []
    assert open_tasks(rt, case_id)["bureau_reply"].alert_level is None
    # The new ones fire: yellow on 05-07; red on the first working day after 05-08, which
    # is Saturday 05-09, a make-up working day.
    tick_at(worker, local(2026, 5, 7, 0, 0))
    assert _fired(rt, case_id) == ["bt_yellow"]
    tick_at(worker, local(2026, 5, 9, 0, 0) - SECOND)
    assert _fired(rt, case_id) == ["bt_yellow"]
    assert open_tasks(rt, case_id)["bureau_reply"].alert_level == "red"
    tick_at(worker, local(2026, 5, 9, 0, 0))
    assert sorted(_fired(rt, case_id)) == ["bt_red", "bt_remind", "bt_yellow"]

    with rt.sessions() as s:
        record = s.scalars(
            select(AuditEvent).where(
                AuditEvent.instance_id == case_id, AuditEvent.action == "deadline_extended"
            )
        ).one()
    assert record.actor == "chief"
    assert record.details["reason"] == "执法机关申请：需调取外地证据"
    assert record.details["old"] == "2026-04-30T23:59:59+08:00"


def test_an_extension_after_the_yellow_card_takes_it_back_and_warns_again(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    tick_at(worker, local(2026, 4, 29, 9, 0))
    assert open_tasks(rt, case_id)["bureau_reply"].alert_level == "yellow"
    with rt.sessions() as s:
        first = s.scalars(select(Notification).where(Notification.kind == "due_soon")).all()
    assert {n.username for n in first} == {"market1", "market_head"}
    _extend(rt, case_id, new_due="2026-05-08")
    reply = open_tasks(rt, case_id)["bureau_reply"]
    assert reply.alert_level is None
    assert reply.due_at == local(2026, 5, 8, 23, 59, 59)  # a date means its whole day
    tick_at(worker, local(2026, 5, 7, 8, 0))
    assert open_tasks(rt, case_id)["bureau_reply"].alert_level == "yellow"
    with rt.sessions() as s:
        again = s.scalars(select(Notification).where(Notification.kind == "due_soon")).all()
    # Told again about the new date: two notices each, one per due date.
    assert sorted(n.username for n in again) == [
        "market1",
        "market1",
        "market_head",
        "market_head",
    ]


def test_extensions_are_limited_reasoned_and_for_chiefs_only(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    with pytest.raises(NotAllowedError):
        _extend(rt, case_id, username="sup1", workdays=2)
    with pytest.raises(NotAllowedError):
        _extend(rt, case_id, username="market1", workdays=2)
    with pytest.raises(CaseNotFoundError):  # a chief of another region does not see it
        with rt.sessions.begin() as s:
            from supervision import identity

            identity.create_user(
                s,
                "zhaohua_chief",
                password="x" * 12,
                roles=("section_chief",),
                groups=("zhaohua_supervisors",),
            )
        _extend(rt, case_id, username="zhaohua_chief", workdays=2)
    with pytest.raises(InvalidInputError, match="理由"):
        _extend(rt, case_id, workdays=2, reason="  ")
    with pytest.raises(InvalidInputError):
        _extend(rt, case_id, workdays=0)
    with pytest.raises(InvalidInputError, match="晚于"):
        _extend(rt, case_id, new_due="2026-04-29")
    with pytest.raises(InvalidInputError, match="日期"):
        _extend(rt, case_id, new_due="2026-13-45")
    with pytest.raises(InvalidInputError):
        _extend(rt, case_id, variable="no_such_deadline", workdays=1)
    with pytest.raises(InvalidInputError):
        _extend(rt, case_id, workdays=1, new_due="2026-05-08")
    _extend(rt, case_id, workdays=3)
    # At most 5 working days in all (setting extension_max_workdays).
    with pytest.raises(InvalidInputError, match="5"):
        _extend(rt, case_id, workdays=3)
    _extend(rt, case_id, workdays=2)
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert [e["workdays"] for e in instance.variables["deadline_extensions"]] == [3, 2]
        # 05-08 + 2 working days: Saturday 05-09 (worked) and Monday 05-11.
        assert instance.variables["bureau_due_date"] == "2026-05-11T23:59:59+08:00"


def test_a_refused_extension_changes_nothing(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    with rt.sessions() as s:
        before = s.get(ProcessInstance, case_id).version
    with pytest.raises(InvalidInputError):
        _extend(rt, case_id, workdays=6)
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.version == before
        assert instance.variables["bureau_due_date"] == "2026-04-30T23:59:59+08:00"
        assert "deadline_extensions" not in instance.variables
