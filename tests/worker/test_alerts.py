"""Alert levels and who is told: the sweep on tasks with due dates, whoever set the card."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy import update

from db.models import Notification
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import alerts
from supervision import cases
from supervision import clock
from supervision.calendar import calendar_cache
from tests.factories import user
from tests.worker.conftest import local
from tests.worker.conftest import open_tasks
from tests.worker.conftest import start
from tests.worker.conftest import tick_at

DUE = "2026-03-13T23:59:59+08:00"  # Friday


def _task(rt, case_id):
    return open_tasks(rt, case_id)["handle"]


def _told(rt, kind):
    with rt.sessions() as s:
        return sorted(s.scalars(select(Notification.username).where(Notification.kind == kind)))


def _case(rt, worker, owner=None):
    tick_at(worker, local(2026, 3, 4, 10, 0))
    variables = {"due": DUE, "case_title": "限期"}
    if owner:
        variables["owner_unit_id"] = owner
    return start(rt, "due_task", **variables)


def test_yellow_then_red_each_told_once(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker, owner="city_supervisors")
    tick_at(worker, local(2026, 3, 11, 23, 0))
    assert _task(rt, case_id).alert_level is None
    tick_at(worker, local(2026, 3, 12, 0, 0))  # the working day before the due date
    assert _task(rt, case_id).alert_level == "yellow"
    assert _told(rt, "due_soon") == ["market1", "market_head"]
    tick_at(worker, local(2026, 3, 12, 9, 0))
    assert _told(rt, "due_soon") == ["market1", "market_head"]  # not again
    tick_at(worker, local(2026, 3, 14, 0, 0))
    assert _task(rt, case_id).alert_level == "red"
    # Red: the bureau's people, its head (a chief of the task's group) and the owning
    # section's chief.
    assert _told(rt, "overdue") == ["chief", "market1", "market_head"]
    tick_at(worker, local(2026, 3, 16, 9, 0))
    assert len(_told(rt, "overdue")) == 3


def test_a_claimed_task_warns_its_assignee_only(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    with rt.sessions.begin() as s:
        cases.claim_task(s, user(s, "market1"), _task(rt, case_id).id)
    tick_at(worker, local(2026, 3, 12, 8, 0))
    assert _told(rt, "due_soon") == ["market1"]
    tick_at(worker, local(2026, 3, 14, 8, 0))
    assert _told(rt, "overdue") == ["market1", "market_head"]


def test_a_case_escalated_by_its_diagram_turns_overdue_tasks_escalated(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker, owner="city_supervisors")
    tick_at(worker, local(2026, 3, 14, 8, 0))
    assert _task(rt, case_id).alert_level == "red"
    with rt.sessions.begin() as s:
        rt.engine.set_variables(
            s, s.get(ProcessInstance, case_id), {"alert_level": "escalated"}, actor="timer"
        )
    tick_at(worker, local(2026, 3, 14, 8, 1))
    assert _task(rt, case_id).alert_level == "escalated"
    assert _told(rt, "escalated") == ["chief", "market1", "market_head"]


def test_a_card_raised_by_a_diagram_is_announced_and_not_taken_back(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    # Three working days early a diagram (raiseAlert) shows a yellow card.
    tick_at(worker, local(2026, 3, 10, 9, 0))
    with rt.sessions.begin() as s:
        s.execute(
            update(OpenTask).where(OpenTask.instance_id == case_id).values(alert_level="yellow")
        )
    tick_at(worker, local(2026, 3, 10, 9, 1))
    assert _task(rt, case_id).alert_level == "yellow"
    assert _told(rt, "due_soon") == ["market1", "market_head"]


def test_a_red_card_goes_when_a_chief_moves_the_due_date(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    tick_at(worker, local(2026, 3, 14, 8, 0))
    task = _task(rt, case_id)
    assert task.alert_level == "red"
    with rt.sessions.begin() as s:
        cases.set_task_dates(
            s, user(s, "market_head"), task.id, due_at=local(2026, 3, 20, 23, 59, 59)
        )
    tick_at(worker, local(2026, 3, 14, 8, 1))
    assert _task(rt, case_id).alert_level is None
    tick_at(worker, local(2026, 3, 19, 8, 0))
    assert _task(rt, case_id).alert_level == "yellow"
    assert _told(rt, "due_soon") == ["market1", "market_head"]


def test_yellow_uses_the_calendar_and_a_missing_year_falls_back_to_a_day():
    clock.freeze(local(2026, 11, 26, 9, 0))
    # Monday 2026-10-12 is due: the working day before it is Saturday 10-10 (worked).
    from supervision.calendar import calendar_from_chinese_calendar

    calendar = calendar_from_chinese_calendar([2026])
    assert alerts.yellow_from(calendar, local(2026, 10, 12, 23, 59, 59)) == local(
        2026, 10, 10, 0, 0
    )
    # 2027 is unknown: one calendar day early instead of an error in the sweep.
    assert alerts.yellow_from(calendar, local(2027, 1, 5, 23, 59, 59)) == local(2027, 1, 4, 0, 0)


def test_sweeping_twice_tells_people_once(deployed, worker):
    rt = deployed
    case_id = _case(rt, worker)
    clock.freeze(local(2026, 3, 12, 8, 0))
    with rt.sessions() as s:
        calendar = calendar_cache.get(s)
    for _ in range(2):
        with rt.sessions.begin() as s:
            alerts.sweep(s, calendar)
    assert _told(rt, "due_soon") == ["market1", "market_head"]
    assert _task(rt, case_id).alert_notified == "yellow"
