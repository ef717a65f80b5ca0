"""Timer event definitions that read supervision.clock and accept what designers write.

SpiffWorkflow's timers read the wall clock and accept only ISO strings. These read
supervision.clock (tests and a support engineer replaying a case can move time), take
naive dates as Chinese local time, and accept the values designers' expressions give: an
ISO duration, date or cycle, a datetime, or a deadline from the working-day functions
(`${workdays(5)}` in a timeDuration means "at the end of the fifth working day").

`literal_problem` validates an ISO value at deploy time with the same parsing.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from supervision import clock
from supervision.engine.failures import report_failure


def to_instant(value: Any) -> datetime:
    """Read a timer value (ISO string, date or datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
    elif isinstance(value, str):
        text = value.strip()
        if text.upper().startswith("P"):
            raise ValueError(f"expected a date/time, got the duration {text!r}")
        if "W" in text.upper() and "T" not in text.upper()[:11]:
            return TimerEventDefinition.parse_iso_week(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    else:
        raise ValueError(f"a timer needs a date/time, got {type(value).__name__}")
    if moment.tzinfo is None:
        # A date written without offset means Chinese local time, not the server's zone.
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    return moment.astimezone(clock.now().tzinfo)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _due_value(definition, my_task, compute):
    """The timer's stored due value, computing it once with `compute(expression_value)`.

    When the expression cannot be evaluated (a variable is missing, the calendar lacks a
    year) the failure becomes an incident and the timer stays waiting without a due time:
    retrying the incident, or the next refresh, evaluates it again.
    """
    event_value = my_task._get_internal_data("event_value")
    if event_value is not None:
        return event_value
    try:
        value = my_task.workflow.script_engine.evaluate(my_task, definition.expression)
        event_value = compute(value)
    except Exception as exc:
        report_failure(my_task, exc)
        return None
    my_task._set_internal_data(event_value=event_value)
    return event_value


def _fire_if_due(my_task, event_value) -> bool:
    if event_value is not None and to_instant(event_value) <= clock.now():
        my_task._set_internal_data(event_fired=True)
    return my_task._get_internal_data("event_fired", False)


class TimeDateTimer(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = _due_value(self, my_task, lambda value: _iso(to_instant(value)))
        return _fire_if_due(my_task, event_value)


def _due_after(value: Any) -> str:
    now = clock.now()
    if isinstance(value, timedelta):
        due = now + value
    elif isinstance(value, str) and value.strip().upper().startswith("P"):
        parsed = _duration(value.strip())
        due = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    else:
        # ${workdays(5)} yields a deadline, not a duration: accept it as the due time.
        due = to_instant(value)
    return _iso(due)


class DurationTimer(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        return _fire_if_due(my_task, _due_value(self, my_task, _due_after))


def _cycle_value(value: Any) -> dict[str, Any]:
    cycles, start, duration = parse_cycle(str(value), clock.now())
    return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}


class CycleTimer(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):
        event_value = _due_value(self, my_task, _cycle_value)
        if event_value is None:
            return False
        now = clock.now()
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (
                    next_event + timedelta(seconds=event_value["duration"])
                ).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=event_value)
        return ready


def parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """Parse R[n]/<start>/<duration> etc. like Spiff does, but against our clock."""
    components = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(components[0]) if components[0] else -1

    def part(text: str):
        if text.startswith("P"):
            return _duration(text)
        return to_instant(text)

    first = part(components[1])
    second = part(components[2]) if len(components) == 3 else None
    if isinstance(first, datetime):
        duration = TimerEventDefinition.get_timedelta_from_start(second, first)
        start = first
    elif isinstance(second, datetime):
        duration = TimerEventDefinition.get_timedelta_from_end(first, second)
        start = second - duration
    elif second is None:
        duration = TimerEventDefinition.get_timedelta_from_start(first, now)
        start = now + duration
    else:
        raise ValueError("Invalid recurring interval")
    return cycles, start, duration


TIMER_CLASSES = {
    TimeDateEventDefinition: TimeDateTimer,
    DurationTimerEventDefinition: DurationTimer,
    CycleTimerEventDefinition: CycleTimer,
}


def reset_timer(my_task) -> None:
    """Forget a waiting timer's computed due time so the next refresh recomputes it."""
    if my_task.state == TaskState.WAITING:
        my_task.internal_data.pop("event_value", None)
        my_task.internal_data.pop("event_fired", None)


# What looks like an ISO value must be one (P5X or 2026-13-45 is a typo, not a variable).
_LOOKS_ISO = re.compile(r"^(R\d*/|P\d|PT\d|P\d*W|\d{4}-\d{2}|\d{4}W)", re.IGNORECASE)
_CRON = re.compile(r"^\S+(\s+\S+){4,6}$")


def looks_like_iso(text: str) -> bool:
    return bool(_LOOKS_ISO.match(text.strip()))


def literal_problem(kind: str, text: str) -> str | None:
    """Why an ISO timer value cannot work for `kind` (timeDate, timeDuration, timeCycle)."""
    value = text.strip()
    try:
        if kind == "timeDuration":
            if not value.upper().startswith("P"):
                return f"{value!r} is not a duration such as PT72H or P5D"
            _duration(value)
        elif kind == "timeDate":
            if value.upper().startswith(("P", "R")):
                return f"{value!r} is not a date and time such as 2026-12-01T09:00:00+08:00"
            to_instant(value)
        elif kind == "timeCycle":
            if _CRON.match(value):
                return (
                    f"cron expressions are not supported; write a cycle such as R3/PT1H: {value!r}"
                )
            if not value.upper().startswith("R"):
                return f"{value!r} is not a cycle such as R3/PT1H or R/P1D"
            parse_cycle(value, clock.now())
    except Exception as exc:
        return f"{value!r} is not a valid ISO-8601 value ({exc})"
    return None


def _duration(text: str) -> dict:
    parsed = TimerEventDefinition.parse_iso_duration(text)
    if not parsed:
        raise ValueError("the duration is empty")
    return parsed
