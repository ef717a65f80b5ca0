"""The functions designers may call in expressions: deadlines, settings, small helpers.

They read "now", the working-day calendar and the settings from the EvaluationContext the
runtime installs for each operation, so one operation sees one consistent "now".
Documented for designers in docs/expressions.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from datetime import time
from typing import Any

from supervision import clock
from supervision import deadlines
from supervision.engine.scripting import current_context


def _now() -> datetime:
    return current_context().now()


def _end_of_day() -> time:
    text = str(current_context().settings.get("deadline_end_of_day", "23:59:59"))
    try:
        return time.fromisoformat(text)
    except ValueError:
        return time(23, 59, 59)


def _count(n: Any) -> Any:
    # Text from a form field or an input parameter ("3") counts like the number, as JUEL
    # would coerce it; anything else is left for deadlines to refuse with a clear error.
    if isinstance(n, str) and n.strip().isdigit():
        return int(n.strip())
    return n


def _amount(n: Any) -> Any:
    if isinstance(n, str):
        try:
            return float(n.strip())
        except ValueError:
            return n
    return n


def workdays(n: int, start: Any = None) -> str:
    """End of the n-th working day after `start` (default: now)."""
    ctx = current_context()
    return deadlines.workdays(ctx.calendar, _now(), _count(n), start, end_of_day=_end_of_day())


def caldays(n: int, start: Any = None, roll: bool = False) -> str:
    ctx = current_context()
    return deadlines.caldays(ctx.calendar, _now(), _count(n), start, roll, end_of_day=_end_of_day())


def hours(n: float, start: Any = None) -> str:
    ctx = current_context()
    return deadlines.hours(ctx.calendar, _now(), _amount(n), start)


def before_workdays(due: Any, n: int = 1) -> str:
    ctx = current_context()
    return deadlines.before_workdays(ctx.calendar, _now(), due, _count(n))


def after_workdays(due: Any, n: int = 1) -> str:
    ctx = current_context()
    return deadlines.after_workdays(ctx.calendar, _now(), due, _count(n))


def statutory_days(n: int, start: Any = None, mode: str | None = None) -> str:
    ctx = current_context()
    mode = mode or str(ctx.settings.get("criminal_referral_days_mode", "calendar"))
    return deadlines.statutory_days(
        ctx.calendar, _now(), _count(n), start, mode, end_of_day=_end_of_day()
    )


def now() -> str:
    return _now().astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds")


def today() -> str:
    return _now().astimezone(clock.LOCAL_TZ).date().isoformat()


def setting(name: str, default: Any = None) -> Any:
    settings = current_context().settings
    if name not in settings and default is None:
        raise KeyError(f"unknown setting '{name}'")
    return settings.get(name, default)


def contains(collection: Any, item: Any) -> bool:
    if collection is None:
        return False
    return item in collection


def date_of(value: Any) -> str | None:
    """The local calendar date (YYYY-MM-DD) of an instant or date text."""
    if value in (None, ""):
        return None
    return deadlines.parse_instant(value).astimezone(clock.LOCAL_TZ).date().isoformat()


LIBRARY: dict[str, Callable[..., Any]] = {
    "workdays": workdays,
    "caldays": caldays,
    "hours": hours,
    "before_workdays": before_workdays,
    "after_workdays": after_workdays,
    "statutory_days": statutory_days,
    "now": now,
    "today": today,
    "setting": setting,
    "contains": contains,
    "date_of": date_of,
}
