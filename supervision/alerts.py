"""Alert levels of open tasks (黄牌 / 红牌 / 升级督办) and the notifications they raise.

The level of a task with a due date (domain.md §2.1.1, [CUST:S14]):
- yellow from the start of the working day before the due date;
- red once the due moment has passed;
- escalated when the diagram escalated the case (a raiseAlert or notify task with level
  escalated, which also sets the case variable alert_level) while the task is overdue.

The worker's sweep keeps OpenTask.alert_level current (the inbox colours read it); a
diagram may also set it (raiseAlert). Whoever raised a card, the sweep then notifies on
every step up: for yellow the people who may do the task (the assignee once claimed), for
red and escalated also the chiefs of the task's groups and of the owning unit. Each card
is announced once per task, level and due date (`alert_notified`, plus dedupe keys): an
extension that moves the due date can announce it again, two workers cannot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OpenTask
from db.models import ProcessInstance
from db.models import User
from supervision import clock
from supervision import notifications
from supervision.calendar import CalendarYearMissing
from supervision.calendar import WorkCalendar
from supervision.outbox import is_postgres

log = logging.getLogger(__name__)

LEVELS = ("yellow", "red", "escalated")
RANK = {None: 0, "yellow": 1, "red": 2, "escalated": 3}
# Far enough ahead to see every due date whose previous working day may already have come:
# the longest run of days off (Spring Festival plus weekends) is under three weeks.
YELLOW_HORIZON = timedelta(days=21)


def yellow_from(calendar: WorkCalendar, due_at: datetime) -> datetime:
    """00:00 (local) of the working day before the due date's local date."""
    due_day = due_at.astimezone(clock.LOCAL_TZ).date()
    try:
        day = calendar.subtract_workdays(due_day, 1)
    except CalendarYearMissing:
        # A warning, not a legal deadline: one calendar day early is a safe stand-in while
        # the administrator enters the missing year (the operations page says so).
        day = due_day - timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=clock.LOCAL_TZ)


def time_level(calendar: WorkCalendar, due_at: datetime | None, now: datetime) -> str | None:
    if due_at is None:
        return None
    if due_at <= now:
        return "red"
    if yellow_from(calendar, due_at) <= now:
        return "yellow"
    return None


def wanted_level(
    calendar: WorkCalendar, task: OpenTask, now: datetime, *, case_escalated: bool
) -> str | None:
    level = time_level(calendar, task.due_at, now)
    if task.alert_level == "escalated" and level == "red":
        return "escalated"  # escalation sticks until the due date moves
    if case_escalated and level == "red":
        return "escalated"
    return level


# ---------------------------------------------------------------- recipients and notices


def recipients(session: Session, task: OpenTask, level: str, owner_group: str | None) -> list[User]:
    if task.assignee:
        people = notifications.users_named(session, [task.assignee])
    else:
        people = notifications.group_members(session, task.candidate_groups or [])
        people += notifications.users_named(session, task.candidate_users or [])
    if level in ("red", "escalated"):
        groups = list(task.candidate_groups or []) + ([owner_group] if owner_group else [])
        people += notifications.chiefs_of(session, groups)
    return people


def alert_data(task: OpenTask, level: str) -> dict:
    return {
        "level": level,
        "task_name": task.name,
        "task_spec_id": task.task_spec_id,
        "case_no": task.case_no,
        "case_title": task.case_title,
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }


def raise_alert(session: Session, task: OpenTask, level: str, *, owner_group: str | None) -> int:
    """Notify about `task` reaching `level`; returns the number of notifications made."""
    kind = notifications.LEVEL_KINDS[level]
    data = alert_data(task, level)
    title, body = notifications.alert_text(kind, data, "zh")
    due_key = int(task.due_at.timestamp()) if task.due_at else 0
    made = notifications.notify(
        session,
        recipients(session, task, level, owner_group),
        kind=kind,
        title=title,
        body=body,
        instance_id=task.instance_id,
        task_id=task.id,
        data=data,
        dedupe=f"alert:{task.id}:{level}:{due_key}",
    )
    return len(made)


def set_level(task: OpenTask, level: str | None) -> bool:
    """Store `level`; a step down (the due date moved) also lowers what was notified."""
    if task.alert_level == level:
        return False
    task.alert_level = level
    if RANK.get(level, 0) < RANK.get(task.alert_notified, 0):
        task.alert_notified = level
    return True


# ---------------------------------------------------------------- the sweep


@dataclass
class SweepStats:
    checked: int = 0
    changed: int = 0
    notified: int = 0


def _locked(session: Session, stmt):
    stmt = stmt.join(ProcessInstance, ProcessInstance.id == OpenTask.instance_id)
    if is_postgres(session):
        # Skip rows a case save or another worker holds; they are looked at next time.
        stmt = stmt.with_for_update(of=OpenTask, skip_locked=True)
    return session.execute(stmt).all()


def _columns():
    return select(OpenTask, ProcessInstance.variables)


def _escalated(variables) -> bool:
    return (variables or {}).get("alert_level") == "escalated"


def sweep(session: Session, calendar: WorkCalendar, *, batch: int = 500) -> SweepStats:
    """Bring alert levels up to date, in the caller's transaction.

    Four indexed queries, each bounded by `batch`, so no kind of change waits behind
    another: tasks that became overdue, overdue tasks whose case was escalated, red tasks
    whose due date moved later, and tasks coming within a working day of their due date.
    A card a diagram raised early (raiseAlert) is not taken back. Then everyone concerned
    is told about each card raised since they were last told.
    """
    now = clock.now()
    stats = SweepStats()

    def apply(rows) -> None:
        for task, variables in rows:
            stats.checked += 1
            level = wanted_level(calendar, task, now, case_escalated=_escalated(variables))
            if RANK.get(level, 0) < RANK.get(task.alert_level, 0) and not moved(task, now):
                continue  # a diagram's own card (an early warning) stands
            if set_level(task, level):
                stats.changed += 1

    overdue = OpenTask.due_at <= now
    apply(
        _locked(
            session,
            _columns()
            .where(overdue, OpenTask.alert_level.is_(None) | (OpenTask.alert_level == "yellow"))
            .order_by(OpenTask.due_at)
            .limit(batch),
        )
    )
    apply(
        _locked(
            session,
            _columns()
            .where(
                overdue,
                OpenTask.alert_level == "red",
                ProcessInstance.variables["alert_level"].as_string() == "escalated",
            )
            .limit(batch),
        )
    )
    apply(
        _locked(
            session,
            _columns()
            .where(
                OpenTask.alert_level.in_(("red", "escalated")),
                OpenTask.due_at.is_(None) | (OpenTask.due_at > now),
            )
            .limit(batch),
        )
    )
    # Due dates in order: the first one not yet within a working day ends the search, as
    # every later due date turns yellow no earlier.
    coming = _locked(
        session,
        _columns()
        .where(
            OpenTask.alert_level.is_(None),
            OpenTask.due_at > now,
            OpenTask.due_at <= now + YELLOW_HORIZON,
        )
        .order_by(OpenTask.due_at)
        .limit(batch),
    )
    for index, (task, _variables) in enumerate(coming):
        if yellow_from(calendar, task.due_at) > now:
            coming = coming[:index]
            break
    apply(coming)
    stats.notified = notify_raised(session, batch=batch)
    return stats


def moved(task: OpenTask, now: datetime) -> bool:
    """A red or escalated card on a task that is no longer overdue: its due date moved."""
    return task.alert_level in ("red", "escalated") and (task.due_at is None or task.due_at > now)


def notify_raised(session: Session, *, batch: int = 500) -> int:
    """Tell people about every card raised since they were last told, whoever raised it
    (this sweep, a diagram's raiseAlert task, a notify task): once per level and due date."""
    stmt = (
        select(OpenTask, ProcessInstance.owner_group_code)
        .join(ProcessInstance, ProcessInstance.id == OpenTask.instance_id)
        .where(
            OpenTask.alert_level.in_(LEVELS),
            OpenTask.alert_notified.is_(None) | (OpenTask.alert_notified != OpenTask.alert_level),
        )
        .limit(batch)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(of=OpenTask, skip_locked=True)
    made = 0
    for task, owner_group in session.execute(stmt).all():
        if RANK[task.alert_level] > RANK.get(task.alert_notified, 0):
            made += raise_alert(session, task, task.alert_level, owner_group=owner_group)
        task.alert_notified = task.alert_level
    return made


def recompute(session: Session, calendar: WorkCalendar, task: OpenTask) -> None:
    """After a due date moved: the level the new date gives; people are told again when
    the new date comes near (the caller's transaction; the sweep sends the notices)."""
    instance = session.get(ProcessInstance, task.instance_id)
    level = time_level(calendar, task.due_at, clock.now())
    if level == "red" and instance is not None and _escalated(instance.variables):
        level = "escalated"
    task.alert_level = level
    task.alert_notified = level
