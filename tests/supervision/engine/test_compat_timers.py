"""Timers as Camunda Modeler writes them, driven with the frozen clock.

Diagrams: timer_boundary.bpmn (interrupting PT72H, non-interrupting R3/PT1H cycle on a
user task), timer_intermediate.bpmn (ISO timeDate, ${workdays(5)}, a variable holding a
duration, a Python expression naming a date), timer_event_gateway.bpmn (message against
${workdays(n)}). Working days are checked on real 2026 dates (domain.md §5): the Spring
Festival with its make-up Saturdays, early December, and the missing year 2027.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import AuditEvent
from db.models import HistoricTask
from supervision import audit
from supervision import cases
from supervision import clock
from supervision.calendar import set_year
from supervision.errors import MessageNotCorrelatedError
from tests.factories import user

MONDAY_9AM = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Mon 2026-03-02 09:00 Beijing


def _end_of_day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 15, 59, 59, tzinfo=UTC)


@pytest.fixture
def reminders(compat):
    compat.handler("remind", lambda ctx: {"reminded_at": clock.now().isoformat()})
    return compat


def _reminder_count(compat) -> int:
    return len([c for c in compat.calls if c[0] == "remind"])


def test_a_cycle_reminds_three_times_then_the_interrupting_timer_escalates(reminders):
    compat = reminders
    clock.freeze(MONDAY_9AM)
    compat.deploy("timer_boundary.bpmn")
    case_id = compat.start("timer_boundary")
    assert compat.case(case_id).next_timer_at == MONDAY_9AM + timedelta(hours=1)

    for hour in (1, 2, 3, 4):
        compat.fire(case_id, MONDAY_9AM + timedelta(hours=hour))
        assert set(compat.tasks(case_id)) == {"reply"}
        assert _reminder_count(compat) == min(hour, 3)
    # R3: three reminders, then only the 72-hour deadline is left.
    assert compat.case(case_id).next_timer_at == MONDAY_9AM + timedelta(hours=72)

    compat.fire(case_id, MONDAY_9AM + timedelta(hours=72) - timedelta(seconds=1))
    assert set(compat.tasks(case_id)) == {"reply"}
    compat.fire(case_id, MONDAY_9AM + timedelta(hours=72))
    assert set(compat.tasks(case_id)) == {"escalate"}
    with compat.rt.sessions() as s:
        [reply] = s.scalars(select(HistoricTask).where(HistoricTask.task_spec_id == "reply")).all()
        assert reply.outcome == "cancelled"
        fired = s.scalars(
            select(AuditEvent.activity_id).where(
                AuditEvent.instance_id == case_id, AuditEvent.action == "timer"
            )
        ).all()
        assert "overdue" in fired and fired.count("nag") == 3
        assert audit.verify(s).ok
    compat.complete("chief", compat.tasks(case_id)["escalate"])
    assert compat.case(case_id).status == "completed"


def test_answering_in_time_removes_both_boundary_timers(reminders):
    compat = reminders
    clock.freeze(MONDAY_9AM)
    compat.deploy("timer_boundary.bpmn")
    case_id = compat.start("timer_boundary")
    clock.shift(timedelta(minutes=30))
    compat.complete("market1", compat.tasks(case_id)["reply"])
    case = compat.case(case_id)
    assert case.status == "completed" and case.next_timer_at is None
    compat.fire(case_id, MONDAY_9AM + timedelta(hours=80))
    assert _reminder_count(compat) == 0


def test_intermediate_timers_iso_date_workdays_variable_duration_and_python_date(compat):
    clock.freeze(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))  # Mon 10:00 Beijing
    compat.deploy("timer_intermediate.bpmn")
    case_id = compat.start(
        "timer_intermediate", {"pause": "PT2H", "hearing_at": "2026-12-10T09:30:00+08:00"}
    )
    # timeDate 2026-12-01T09:00:00+08:00, written as Camunda Modeler writes it.
    assert compat.case(case_id).next_timer_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    compat.fire(case_id, datetime(2026, 12, 1, 0, 59, 59, tzinfo=UTC))
    assert compat.case(case_id).next_timer_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    compat.fire(case_id, datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    # ${workdays(5)} from Tue 12-01: 12-02, 12-03, 12-04, 12-07, 12-08 (end of day).
    due = _end_of_day(2026, 12, 8)
    assert compat.case(case_id).next_timer_at == due
    compat.fire(case_id, due)
    # ${pause} is a variable holding PT2H.
    assert compat.case(case_id).next_timer_at == due + timedelta(hours=2)
    compat.fire(case_id, due + timedelta(hours=2))
    # A plain Python expression naming a variable with a date.
    assert compat.case(case_id).next_timer_at == datetime(2026, 12, 10, 1, 30, tzinfo=UTC)
    compat.fire(case_id, datetime(2026, 12, 10, 1, 30, tzinfo=UTC))
    assert compat.case(case_id).status == "completed"


def test_the_event_gateway_takes_the_message_and_drops_the_timer(compat):
    clock.freeze(datetime(2026, 2, 13, 2, 0, tzinfo=UTC))  # Fri before the Spring Festival
    compat.deploy("timer_event_gateway.bpmn")
    case_id = compat.start("timer_event_gateway", {"correction_days": 3})
    assert compat.correlate("material_supplied", material="补正材料.pdf") == ["Execution"]
    assert set(compat.tasks(case_id)) == {"check_material"}
    assert compat.case(case_id).next_timer_at is None
    assert compat.variables(case_id)["material"] == "补正材料.pdf"


def test_the_event_gateway_timer_counts_spring_festival_working_days(compat):
    clock.freeze(datetime(2026, 2, 13, 2, 0, tzinfo=UTC))  # Fri 2026-02-13 10:00
    compat.deploy("timer_event_gateway.bpmn")
    case_id = compat.start("timer_event_gateway", {"correction_days": 3})
    # Sat 02-14 is a make-up working day (1), 02-15..23 are the holiday, then 02-24 (2),
    # 02-25 (3): the period ends at the end of Wednesday 02-25.
    due = _end_of_day(2026, 2, 25)
    assert compat.case(case_id).next_timer_at == due
    compat.fire(case_id, due - timedelta(seconds=1))
    assert compat.case(case_id).status == "active"
    compat.fire(case_id, due)
    case = compat.case(case_id)
    assert case.status == "completed" and compat.tasks(case_id) == {}
    with pytest.raises(MessageNotCorrelatedError):
        compat.correlate("material_supplied", material="late")


def test_six_working_days_reach_the_second_make_up_saturday(compat):
    clock.freeze(datetime(2026, 2, 13, 2, 0, tzinfo=UTC))
    compat.deploy("timer_event_gateway.bpmn")
    case_id = compat.start("timer_event_gateway", {"correction_days": 6})
    # ... 02-24 (2), 02-25 (3), 02-26 (4), 02-27 (5), Sat 02-28 is worked (6).
    assert compat.case(case_id).next_timer_at == _end_of_day(2026, 2, 28)


def test_a_deadline_in_a_year_without_calendar_is_an_incident_until_it_is_entered(compat):
    clock.freeze(datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    compat.deploy("timer_intermediate.bpmn")
    # The timeDate (2026-12-01) has passed: the workdays(5) timer starts at once.
    case_id = compat.start(
        "timer_intermediate", {"pause": "PT1H", "hearing_at": "2027-01-20T09:00:00+08:00"}
    )
    [incident] = compat.incidents(case_id)
    assert incident.activity_id == "wait_workdays"
    assert "2027" in incident.message and "calendar" in incident.message
    assert compat.case(case_id).status == "active"

    with compat.rt.sessions.begin() as s:
        set_year(
            s,
            2027,
            holidays=[(date(2027, 1, 1), "元旦")],
            workdays=[],
            notice_no="国办发明电〔2026〕1号",
            actor="admin",
        )
    with compat.rt.sessions.begin() as s:
        cases.retry_incident(s, compat.rt.engine, user(s, "admin"), incident.id)
    assert compat.incidents(case_id) == []
    # 12-29, 12-30, 12-31, (01-01 holiday), 01-04, 01-05.
    assert compat.case(case_id).next_timer_at == _end_of_day(2027, 1, 5)
