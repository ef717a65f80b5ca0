"""Deadline extensions (延期): a chief grants more time and the case's timers follow.

Diagrams keep a deadline in a case variable (bureau_due_date, investigation_due, ...) and
derive the task's due date and its boundary timers from it (dueDate="${bureau_due_date}",
yellow card at ${before_workdays(bureau_due_date, 1)}, red at ${after_workdays(...)}).
`extend_deadline` moves the variable, lets the engine recompute every waiting timer that
reads it, moves the open tasks that were due at the old moment, resets their alert colours
and records who granted how much and why. The extensions of one deadline may add up to
the setting extension_max_workdays ([ASSUME] domain.md ICE1_2: at most WD(5)).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OpenTask
from db.models import ProcessInstance
from db.models import User
from supervision import alerts
from supervision import audit
from supervision import authz
from supervision import clock
from supervision import deadlines
from supervision import task_candidates
from supervision.calendar import CalendarYearMissing
from supervision.calendar import calendar_cache
from supervision.engine import WorkflowEngine
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from supervision.permissions import Permission
from supervision.settings import get_settings

HISTORY_VARIABLE = "deadline_extensions"
MAX_REASON = 1000


@dataclass
class Extension:
    variable: str
    old_due: datetime
    new_due: datetime
    workdays: int
    moved_task_ids: list[str] = field(default_factory=list)


def _end_of_day(settings) -> time:
    try:
        return time.fromisoformat(str(settings.get("deadline_end_of_day", "23:59:59")))
    except ValueError:
        return deadlines.END_OF_DAY


def _parse(value: Any, what: str) -> datetime:
    try:
        return deadlines.parse_instant(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what} 不是有效的日期 (not a valid date): {value!r}") from exc


def _is_date(value: Any) -> bool:
    if isinstance(value, date) and not isinstance(value, datetime):
        return True
    return isinstance(value, str) and len(value.strip()) == 10


def _explicit_due(value: Any, end_of_day: time) -> str:
    """A new due date as given: a date means the end of that (local) day."""
    if _is_date(value):
        try:
            day = value if isinstance(value, date) else date.fromisoformat(value.strip())
        except ValueError as exc:
            raise InvalidInputError(f"新期限不是有效的日期 (not a valid date): {value!r}") from exc
        moment = datetime.combine(day, end_of_day, tzinfo=clock.LOCAL_TZ)
        return moment.isoformat(timespec="seconds")
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return _parse(text, "new_due").isoformat(timespec="seconds")


def _granted_so_far(history: list[dict], variable: str) -> int:
    return sum(int(h.get("workdays") or 0) for h in history if h.get("variable") == variable)


def extend_deadline(
    session: Session,
    engine: WorkflowEngine,
    actor: User,
    instance: ProcessInstance,
    *,
    reason: str,
    variable: str = "bureau_due_date",
    workdays: int | None = None,
    new_due: Any = None,
) -> Extension:
    """Grant an extension of the deadline in case variable `variable`.

    Give either `workdays` (counted from the old deadline) or `new_due` (a date or date-time,
    later than the old deadline). The caller owns the transaction.

    Raises:
        NotAllowedError: `actor` may not assign tasks (section chief, bureau leader).
        CaseNotFoundError: `actor` may not see the case.
        InvalidInputError: no such deadline, bad or shorter date, over the limit, no reason,
            or the calendar lacks the year the new date falls in.
    """
    if not authz.has(actor, Permission.TASK_ASSIGN):
        raise NotAllowedError("只有科长或局领导可以批准延期 (only chiefs may grant extensions)")
    authz.ensure_case(session, actor, instance)
    if instance.status != "active":
        raise InvalidInputError("只能为办理中的案件延期 (the case is not active)")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError("请填写延期理由 (give a reason)")
    if len(reason) > MAX_REASON:
        raise InvalidInputError("延期理由过长 (reason too long)")
    if (workdays is None) == (new_due is None):
        raise InvalidInputError("请给出延期工作日数或新的期限之一 (give days or a new date)")
    variables = instance.variables or {}
    old_value = variables.get(variable)
    if old_value in (None, ""):
        raise InvalidInputError(f"案件没有期限 {variable} (the case has no deadline {variable})")
    old_due = _parse(old_value, variable)
    settings = get_settings(session)
    calendar = calendar_cache.get(session)
    now = clock.now()
    try:
        if workdays is not None:
            if isinstance(workdays, bool) or not isinstance(workdays, int) or workdays < 1:
                raise InvalidInputError("延期工作日数须为正整数 (days must be a positive number)")
            new_value = deadlines.workdays(
                calendar, now, workdays, old_due, end_of_day=_end_of_day(settings)
            )
            days = workdays
        else:
            new_value = _explicit_due(new_due, _end_of_day(settings))
            if _parse(new_value, "new_due") <= old_due:
                raise InvalidInputError("新期限须晚于原期限 (the new deadline must be later)")
            days = calendar.workdays_between(
                old_due.date(), _parse(new_value, "new_due").astimezone(clock.LOCAL_TZ).date()
            )
    except CalendarYearMissing as exc:
        raise InvalidInputError(str(exc)) from exc
    if _is_date(old_value):
        new_value = _parse(new_value, "new_due").date().isoformat()  # keep a date a date
    new_instant = _parse(new_value, "new_due")
    history = list(variables.get(HISTORY_VARIABLE) or [])
    limit = int(settings.get("extension_max_workdays", 5))
    if _granted_so_far(history, variable) + days > limit:
        raise InvalidInputError(
            f"延期合计不得超过{limit}个工作日 (extensions may add up to {limit} working days)"
        )
    entry = {
        "variable": variable,
        "old": str(old_value),
        "new": new_value,
        "workdays": days,
        "reason": reason,
        "granted_by": actor.username,
        "granted_at": now.isoformat(),
    }
    history.append(entry)
    result = engine.set_variables(
        session,
        instance,
        {variable: new_value, HISTORY_VARIABLE: history},
        actor=actor.username,
        recompute_timers=True,
    )
    from supervision.cases import route_events

    route_events(session, engine, result, actor)
    moved = _move_open_tasks(session, calendar, instance, old_due, new_instant)
    audit.append(
        session,
        "deadline_extended",
        actor=actor.username,
        instance_id=instance.id,
        details={**entry, "tasks": moved},
        at=now,
    )
    return Extension(variable, old_due, new_instant, days, moved)


def _move_open_tasks(
    session: Session,
    calendar,
    instance: ProcessInstance,
    old_due: datetime,
    new_due: datetime,
) -> list[str]:
    """Open tasks due at the old moment were due because of this deadline: move them."""
    tasks = session.scalars(
        select(OpenTask).where(OpenTask.instance_id == instance.id, OpenTask.due_at == old_due)
    ).all()
    for task in tasks:
        task.due_at = new_due
        task_candidates.copy_task(session, task)
        alerts.recompute(session, calendar, task)
    return [t.id for t in tasks]
