"""Timer start events of process definitions: which there are, and when each fires next.

SpiffWorkflow only knows timers inside a running instance; a timer start event (the
annual third-party evaluation that starts each 1 April) needs someone to start a case
when it is due. supervision.timer_starts keeps a schedule per start event from these
answers and starts the case with `WorkflowEngine.start(..., timer_fired=True)`.

Semantics follow Camunda 7: a timeDate fires once at that moment (at once if it is already
past when deployed); a timeDuration fires once, that long after the deployment; a
timeCycle (R[n]/start/period, R[n]/period, R[n]/period/end) fires at each occurrence. An
occurrence missed while no worker ran fires once, late; the ones before it are not
replayed. Periods step on the calendar (P1Y from 1 April is 1 April, leap year or not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy.orm import Session

from supervision import deadlines

MAX_STEPS = 100_000


@dataclass(frozen=True)
class TimerStart:
    activity_id: str
    name: str | None
    kind: str  # date | duration | cycle
    expression: str


def _kind(definition) -> str | None:
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    if isinstance(definition, TimeDateEventDefinition):
        return "date"
    return None


def timer_starts(engine, session: Session, definition_id: str) -> list[TimerStart]:
    """The timer start events of the top-level process of a definition."""
    _key, spec, _embedded = engine.specs.bundle(session, definition_id)
    found = []
    for task_spec in spec.start.outputs:
        definition = getattr(task_spec, "event_definition", None)
        kind = _kind(definition) if isinstance(task_spec, StartEvent) else None
        if kind is not None:
            found.append(
                TimerStart(
                    activity_id=task_spec.bpmn_id,
                    name=task_spec.bpmn_name,
                    kind=kind,
                    expression=definition.expression,
                )
            )
    return found


# ---------------------------------------------------------------- time arithmetic


def _instant(value: Any) -> datetime:
    if isinstance(value, str) and "W" in value.upper() and "T" not in value.upper()[:11]:
        return TimerEventDefinition.parse_iso_week(value.strip())
    if isinstance(value, date | datetime | str):
        return deadlines.parse_instant(value)
    raise ValueError(f"a timer needs a date/time, got {type(value).__name__}")


def _period(text: str) -> dict:
    return TimerEventDefinition.parse_iso_duration(text.strip().upper())


def _add(moment: datetime, period: dict, times: int = 1) -> datetime:
    """`moment` plus `times` periods, months and years on the calendar."""
    months = period.get("years", 0) * 12 + period.get("months", 0)
    fixed = timedelta(
        weeks=period.get("weeks", 0),
        days=period.get("days", 0),
        hours=period.get("hours", 0),
        minutes=period.get("minutes", 0),
        seconds=period.get("seconds", 0),
    )
    result = moment
    if months:
        total = result.month - 1 + int(months) * times
        year, month = result.year + total // 12, total % 12 + 1
        day = min(result.day, _days_in(year, month))
        result = result.replace(year=year, month=month, day=day)
    return result + fixed * times


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _after(anchor: datetime, period: dict, reference: datetime, cycles: int) -> datetime | None:
    """The first occurrence anchor + k*period (k < cycles, unless -1) not before `reference`."""
    k = 0
    has_months = bool(period.get("years") or period.get("months"))
    if not has_months and reference > anchor:
        step = _add(anchor, period) - anchor
        if step <= timedelta(0):
            raise ValueError("a timer cycle needs a positive period")
        k = -(-(reference - anchor) // step)
    for _ in range(MAX_STEPS):
        if cycles >= 0 and k >= cycles:
            return None
        occurrence = _add(anchor, period, k)
        if occurrence >= reference:
            return occurrence
        k += 1
    raise ValueError("the timer cycle is too fine-grained to schedule")


def _cycle(text: str, deployed_at: datetime) -> tuple[datetime, dict, int]:
    parts = text.strip().upper().replace("--", "/").split("/")
    if not parts[0].startswith("R"):
        raise ValueError(f"a timer cycle starts with R: {text!r}")
    cycles = int(parts[0][1:]) if parts[0][1:] else -1
    if len(parts) == 3 and not parts[1].startswith("P"):
        return _instant(parts[1]), _period(parts[2]), cycles
    if len(parts) == 3:  # R[n]/period/end: the last occurrence is the end
        period, end = _period(parts[1]), _instant(parts[2])
        if cycles < 0:
            raise ValueError("R/period/end needs a number of repetitions")
        return _add(end, {k: -v for k, v in period.items()}, cycles - 1), period, cycles
    if len(parts) == 2:
        period = _period(parts[1])
        return _add(deployed_at, period), period, cycles
    raise ValueError(f"not an ISO 8601 repeating interval: {text!r}")


def first_fire(
    engine, session: Session, start: TimerStart, *, deployed_at: datetime
) -> datetime | None:
    """When a newly deployed timer start event first starts a case."""
    value = engine.evaluate(session, start.expression, {})
    if start.kind == "date":
        return _instant(value)
    if start.kind == "duration":
        if isinstance(value, timedelta):
            return deployed_at + value
        if isinstance(value, str) and value.strip().upper().startswith("P"):
            return _add(deployed_at, _period(value))
        return _instant(value)  # ${workdays(5)} gives the moment itself
    anchor, period, cycles = _cycle(str(value), deployed_at)
    return _after(anchor, period, deployed_at, cycles)


def next_fire(
    engine,
    session: Session,
    start: TimerStart,
    *,
    deployed_at: datetime,
    fired: datetime,
    now: datetime,
) -> datetime | None:
    """After the occurrence `fired` started a case: the next one (None: no more)."""
    if start.kind != "cycle":
        return None
    value = engine.evaluate(session, start.expression, {})
    anchor, period, cycles = _cycle(str(value), deployed_at)
    reference = max(fired + timedelta(microseconds=1), now)
    return _after(anchor, period, reference, cycles)
