"""Each kind of timer fires at the right moment in working days across the 2026 holidays.

The clock is frozen and moved by the test; the worker's tick is the only thing that fires
timers. Every expected date below was counted by hand on the 2026 calendar (国务院办公厅:
Qingming 04-04..06; Labour Day 05-01..05 with Saturday 05-09 worked; Mid-Autumn 09-25..27
and National Day 10-01..07 with Saturday 10-10 worked) and checked against domain.md's
working_days_reference.py.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models import HistoricActivity
from db.models import Notification
from db.models import ProcessInstance
from supervision import cases
from supervision import settings
from tests.factories import user
from tests.worker.conftest import count
from tests.worker.conftest import local
from tests.worker.conftest import open_tasks
from tests.worker.conftest import start
from tests.worker.conftest import tick_at
from tests.worker.conftest import timer_records

SECOND = timedelta(seconds=1)


def _fired(rt, case_id):
    return [activity for activity, _at in timer_records(rt, case_id)]


def _notified(rt, case_id, kind):
    with rt.sessions() as s:
        return sorted(
            s.scalars(
                select(Notification.username).where(
                    Notification.instance_id == case_id, Notification.kind == kind
                )
            )
        )


def test_bureau_deadline_cards_across_labour_day(deployed, worker):
    rt = deployed
    # Transfer to the bureau on Tuesday 2026-04-21: 7 working days -> Thursday 04-30.
    tick_at(worker, local(2026, 4, 21, 10, 0))
    case_id = start(rt, "deadline_timers", reply_days=7, case_title="乱检查投诉")
    reply = open_tasks(rt, case_id)["bureau_reply"]
    assert reply.due_at == local(2026, 4, 30, 23, 59, 59)
    with rt.sessions() as s:
        assert s.get(ProcessInstance, case_id).next_timer_at == local(2026, 4, 29, 0, 0)

    # Yellow card: from the start of the working day before the due date (Wed 04-29).
    tick_at(worker, local(2026, 4, 29, 0, 0) - SECOND)
    assert _fired(rt, case_id) == []
    assert open_tasks(rt, case_id)["bureau_reply"].alert_level is None
    tick_at(worker, local(2026, 4, 29, 0, 0))
    assert _fired(rt, case_id) == ["bt_yellow"]
    assert open_tasks(rt, case_id)["bureau_reply"].alert_level == "yellow"
    # The diagram raised the card (raiseAlert); the worker told the bureau's people.
    assert _notified(rt, case_id, "due_soon") == ["market1", "market_head"]

    # Overdue the moment the due date passes; the red-card timer waits for the first
    # working day after it, which is Wednesday 05-06 (05-01..05 are Labour Day).
    tick_at(worker, local(2026, 4, 30, 23, 59, 59))
    assert open_tasks(rt, case_id)["bureau_reply"].alert_level == "red"
    assert _notified(rt, case_id, "overdue") == ["market1", "market_head"]
    for day in range(1, 6):
        tick_at(worker, local(2026, 5, day, 12, 0))
    tick_at(worker, local(2026, 5, 6, 0, 0) - SECOND)
    assert _fired(rt, case_id) == ["bt_yellow"]
    tick_at(worker, local(2026, 5, 6, 0, 0))
    # The red card and the first of the two daily reminders (R2 from that moment, P1D).
    assert sorted(_fired(rt, case_id)) == ["bt_red", "bt_remind", "bt_yellow"]
    with rt.sessions() as s:
        titles = set(
            s.scalars(
                select(Notification.title).where(
                    Notification.instance_id == case_id, Notification.kind == "overdue"
                )
            )
        )
    assert "红牌：乱检查投诉逾期未回复" in titles
    tick_at(worker, local(2026, 5, 7, 0, 0) - SECOND)
    assert _fired(rt, case_id).count("bt_remind") == 1
    tick_at(worker, local(2026, 5, 7, 0, 0))
    assert _fired(rt, case_id).count("bt_remind") == 2
    tick_at(worker, local(2026, 5, 8, 0, 0))
    assert _fired(rt, case_id).count("bt_remind") == 2  # R2: two reminders, no more
    assert count(rt, HistoricActivity, HistoricActivity.activity_id == "remind") == 2

    # Escalation 5 working days after the due date: 05-06, 07, 08, Saturday 05-09 (a
    # make-up working day), 05-11 -> Monday 05-11 00:00.
    tick_at(worker, local(2026, 5, 11, 0, 0) - SECOND)
    assert "bt_escalate" not in _fired(rt, case_id)
    tick_at(worker, local(2026, 5, 11, 0, 0))
    assert _fired(rt, case_id)[-1] == "bt_escalate"
    tasks = open_tasks(rt, case_id)
    assert tasks["bureau_reply"].alert_level == "escalated"
    assert "urge_letter" in tasks
    assert _notified(rt, case_id, "escalated") == ["chief"]

    # Each timer fired exactly once however often the worker looked.
    assert sorted(_fired(rt, case_id)) == [
        "bt_escalate",
        "bt_red",
        "bt_remind",
        "bt_remind",
        "bt_yellow",
    ]


def test_intermediate_duration_in_working_days_skips_qingming(deployed, worker):
    rt = deployed
    tick_at(worker, local(2026, 3, 30, 9, 0))
    case_id = start(rt, "deadline_timers", reply_days=7, case_title="清明节前回复")
    # The bureau replies on Thursday 04-02; the review waits 2 working days: Friday 04-03
    # and, after Qingming (04-04..06), Tuesday 04-07 -> end of 04-07.
    tick_at(worker, local(2026, 4, 2, 10, 0))
    with rt.sessions.begin() as s:
        cases.complete_task(
            s, rt.engine, user(s, "market1"), open_tasks(rt, case_id)["bureau_reply"].id, {}
        )
    assert set(open_tasks(rt, case_id)) == set()
    with rt.sessions() as s:
        assert s.get(ProcessInstance, case_id).next_timer_at == local(2026, 4, 7, 23, 59, 59)
    tick_at(worker, local(2026, 4, 7, 23, 59, 58))
    assert _fired(rt, case_id) == []
    tick_at(worker, local(2026, 4, 7, 23, 59, 59))
    assert _fired(rt, case_id) == ["cool_off"]
    assert set(open_tasks(rt, case_id)) == {"review"}


def test_yellow_card_comes_eight_days_early_before_national_day(deployed, worker):
    rt = deployed
    # Monday 09-21: 7 working days skip Mid-Autumn (09-25..27) and National Day (10-01..07)
    # -> Thursday 10-08. The working day before it is Wednesday 09-30.
    tick_at(worker, local(2026, 9, 21, 10, 0))
    case_id = start(rt, "deadline_timers", reply_days=7, case_title="国庆前后")
    assert open_tasks(rt, case_id)["bureau_reply"].due_at == local(2026, 10, 8, 23, 59, 59)
    tick_at(worker, local(2026, 9, 29, 23, 59, 59))
    assert _fired(rt, case_id) == []
    tick_at(worker, local(2026, 9, 30, 0, 0))
    assert _fired(rt, case_id) == ["bt_yellow"]
    # Red card on the first working day after 10-08: Friday 10-09.
    tick_at(worker, local(2026, 10, 9, 0, 0) - SECOND)
    assert "bt_red" not in _fired(rt, case_id)
    tick_at(worker, local(2026, 10, 9, 0, 0))
    assert "bt_red" in _fired(rt, case_id)
    # Escalation: 10-09, Saturday 10-10 (worked), 10-12, 10-13, 10-14.
    tick_at(worker, local(2026, 10, 14, 0, 0) - SECOND)
    assert "bt_escalate" not in _fired(rt, case_id)
    tick_at(worker, local(2026, 10, 14, 0, 0))
    assert "bt_escalate" in _fired(rt, case_id)


def _referral(rt, worker):
    tick_at(worker, local(2026, 4, 29, 16, 0))
    return start(
        rt,
        "referral_timers",
        report_submitted_at="2026-04-29T16:00:00+08:00",
        case_title="苏丹红案",
    )


def test_statutory_three_days_in_calendar_mode_and_24_hours_on_the_clock(deployed, worker):
    rt = deployed
    case_id = _referral(rt, worker)
    # 国务院令第310号 art. 5: 3 days; default reading 'calendar' -> Saturday 05-02, inside
    # the Labour Day holiday, no roll-forward (TS-05).
    head = open_tasks(rt, case_id)["head_decision"]
    assert head.due_at == local(2026, 5, 2, 23, 59, 59)
    tick_at(worker, local(2026, 4, 30, 10, 0))
    with rt.sessions.begin() as s:
        cases.complete_task(s, rt.engine, user(s, "market1"), head.id, {})
    # 24 hours on the clock, holiday or not: 05-01 10:00; the timer interrupts the task.
    tick_at(worker, local(2026, 5, 1, 9, 59, 59))
    assert set(open_tasks(rt, case_id)) == {"transfer"}
    tick_at(worker, local(2026, 5, 1, 10, 0))
    assert set(open_tasks(rt, case_id)) == {"transfer_overdue"}
    assert _fired(rt, case_id) == ["bt_transfer"]
    # The head's boundary timer went with its task: it never fires.
    tick_at(worker, local(2026, 5, 3, 0, 0))
    assert _fired(rt, case_id) == ["bt_transfer"]


def test_statutory_days_roll_forward_when_the_deployment_says_so(deployed, worker):
    rt = deployed
    with rt.sessions.begin() as s:
        settings.set_setting(s, "criminal_referral_days_mode", "calendar_roll", actor="admin")
    case_id = _referral(rt, worker)
    # 'calendar_roll': the last day 05-02 is not a working day -> Wednesday 05-06.
    assert open_tasks(rt, case_id)["head_decision"].due_at == local(2026, 5, 6, 23, 59, 59)
    tick_at(worker, local(2026, 5, 6, 23, 59, 58))
    assert _fired(rt, case_id) == []
    tick_at(worker, local(2026, 5, 6, 23, 59, 59))
    assert _fired(rt, case_id) == ["bt_head"]
    with rt.sessions() as s:
        told = sorted(
            s.scalars(
                select(Notification.username).where(
                    Notification.instance_id == case_id,
                    Notification.title == "负责人逾期未作移送决定",
                )
            )
        )
    assert told == ["chief", "sup1", "sup2"]
