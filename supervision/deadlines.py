"""Deadline arithmetic for BPMN expressions and task due dates (domain.md 5.2, 5.4).

Designers write e.g. `${workdays(cal, now, 7, transfer_served_at)}` in a process model; the
engine binds `cal` (a `WorkCalendar`) and `now` (an aware datetime). Every function is pure
and returns an ISO-8601 string with offset (e.g. '2026-03-13T23:59:59+08:00') because case
data must stay JSON.

Conventions, as the statutes count (民法典 art. 201–203):
- the trigger day is not counted, whatever the time of day it happened (receipt on a Saturday
  evening still counts from the next day), so day periods work on the LOCAL date of `start`;
- a day period ends at the end of its last day (23:59:59 local; `end_of_day` allows an office
  close such as 17:30);
- hour periods (国务院令第310号 "24小时") run on the clock, holidays irrelevant.

`start` (and `due`) may be None (= now), 'YYYY-MM-DD', an ISO datetime string (naive means
`tz`), a date or a datetime.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from zoneinfo import ZoneInfo

from supervision.calendar import WorkCalendar
from supervision.calendar import holiday_name_en

__all__ = [
    "END_OF_DAY",
    "SHANGHAI",
    "STATUTORY_MODES",
    "after_workdays",
    "before_workdays",
    "caldays",
    "describe",
    "hours",
    "parse_instant",
    "statutory_days",
    "workdays",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
START_OF_DAY = time(0, 0)

# Per-deployment setting `criminal_referral_days_mode` for 310号 periods (domain.md 5.4.4).
STATUTORY_MODES = ("calendar", "calendar_roll", "working")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_instant(value: object, tz: tzinfo = SHANGHAI) -> datetime:
    """An aware datetime (in `tz`) from case data or a Python value.

    A date or 'YYYY-MM-DD' means the start of that local day; a naive datetime or ISO string
    without offset is local time in `tz`.
    """
    if isinstance(value, datetime):
        instant = value
    elif isinstance(value, date):
        instant = datetime.combine(value, START_OF_DAY)
    elif isinstance(value, str):
        text = value.strip()
        try:
            if _ISO_DATE.fullmatch(text):
                instant = datetime.combine(date.fromisoformat(text), START_OF_DAY)
            else:
                instant = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO-8601 date or date-time: {value!r}") from None
    else:
        raise TypeError(f"expected a date, datetime or ISO-8601 string, got {value!r}")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=tz)
    return instant.astimezone(tz)


def _check_now(now: object) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValueError(f"`now` must be an aware datetime, got {now!r}")
    return now


def _local_date(value: object, now: datetime, tz: tzinfo) -> date:
    """The local calendar day a trigger happened on (the day that is not counted)."""
    _check_now(now)
    if value is None:
        return now.astimezone(tz).date()
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return date.fromisoformat(value.strip())
    return parse_instant(value, tz).date()


def _count(n: object) -> int:
    # Case data is JSON: a count may arrive as 3.0.
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected a whole number of days, got {n!r}")
    if n < 0:
        raise ValueError(f"the number of days must not be negative, got {n}")
    return n


def _at(day: date, at: time, tz: tzinfo) -> str:
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz).isoformat(timespec="seconds")


def workdays(
    cal: WorkCalendar,
    now: datetime,
    n: int,
    start: object = None,
    *,
    tz: tzinfo = SHANGHAI,
    end_of_day: time = END_OF_DAY,
) -> str:
    """End of the n-th working day after start's local date (12345: 3/7/15 个工作日)."""
    day = cal.add_workdays(_local_date(start, now, tz), _count(n))
    return _at(day, end_of_day, tz)


def caldays(
    cal: WorkCalendar,
    now: datetime,
    n: int,
    start: object = None,
    roll: bool = False,
    *,
    tz: tzinfo = SHANGHAI,
    end_of_day: time = END_OF_DAY,
) -> str:
    """End of day of start + n calendar days; `roll` moves a non-working last day forward."""
    day = cal.add_caldays(_local_date(start, now, tz), _count(n), roll=roll)
    return _at(day, end_of_day, tz)


def hours(
    cal: WorkCalendar,
    now: datetime,
    n: float,
    start: object = None,
    *,
    tz: tzinfo = SHANGHAI,
) -> str:
    """start + n hours on the clock (310号 "24小时": no holiday skipping, no roll)."""
    if isinstance(n, bool) or not isinstance(n, int | float) or n < 0:
        raise ValueError(f"the number of hours must be a non-negative number, got {n!r}")
    _check_now(now)
    begin = now if start is None else parse_instant(start, tz)
    # Add in UTC: aware-datetime arithmetic in a zone is wall-clock arithmetic, which would
    # be wrong across a DST change in zones that have one.
    end = begin.astimezone(UTC) + timedelta(hours=n)
    return end.astimezone(tz).isoformat(timespec="seconds")


def before_workdays(
    cal: WorkCalendar, now: datetime, due: object, n: int, *, tz: tzinfo = SHANGHAI
) -> str:
    """Start (00:00 local) of the n-th working day before due's local date (yellow card)."""
    day = cal.subtract_workdays(_local_date(due, now, tz), _count(n))
    return _at(day, START_OF_DAY, tz)


def after_workdays(
    cal: WorkCalendar, now: datetime, due: object, n: int, *, tz: tzinfo = SHANGHAI
) -> str:
    """Start (00:00 local) of the n-th working day after due's local date (red card)."""
    day = cal.add_workdays(_local_date(due, now, tz), _count(n))
    return _at(day, START_OF_DAY, tz)


def statutory_days(
    cal: WorkCalendar,
    now: datetime,
    n: int,
    start: object = None,
    mode: str = "calendar",
    *,
    tz: tzinfo = SHANGHAI,
    end_of_day: time = END_OF_DAY,
) -> str:
    """A 310号 "n日" period under the deployment's reading of it (domain.md 5.4.4).

    'calendar': start + n, no roll (strictest, default); 'calendar_roll': 民法典 art. 203
    roll-forward; 'working': n working days by analogy with 行政处罚法 art. 85.
    """
    if mode == "calendar":
        return caldays(cal, now, n, start, roll=False, tz=tz, end_of_day=end_of_day)
    if mode == "calendar_roll":
        return caldays(cal, now, n, start, roll=True, tz=tz, end_of_day=end_of_day)
    if mode == "working":
        return workdays(cal, now, n, start, tz=tz, end_of_day=end_of_day)
    raise ValueError(f"unknown statutory days mode {mode!r}; expected one of {STATUTORY_MODES}")


# --- UI text ---

_UNITS = {
    "workdays": "workdays",
    "working": "workdays",
    "caldays": "caldays",
    "calendar": "caldays",
    "caldays_roll": "caldays_roll",
    "calendar_roll": "caldays_roll",
    "hours": "hours",
}


def _short(day: date, year: int) -> str:
    return day.strftime("%m-%d") if day.year == year else day.isoformat()


def _stretches(cal: WorkCalendar, a: date, b: date, lang: str, year: int) -> str:
    parts = []
    for first, last, name in cal.explain(a, b):
        label = name if lang == "zh" else holiday_name_en(name)
        if first == last:
            parts.append(f"{label} {_short(first, year)}")
        elif lang == "zh":
            parts.append(f"{label} {_short(first, year)}至{_short(last, year)}")
        else:
            parts.append(f"{label} {_short(first, year)} to {_short(last, year)}")
    return ("、" if lang == "zh" else ", ").join(parts)


def describe(
    cal: WorkCalendar,
    start: object,
    due: object,
    unit: str,
    n: int,
    lang: str = "zh",
    *,
    tz: tzinfo = SHANGHAI,
) -> str:
    """The basis of a due date for the UI (domain.md 5.4.5).

    e.g. "到期 2026-04-13（7个工作日，已跳过清明节 04-04至04-06）" or
    "due 2026-04-13 (7 working days; skipped Qingming Festival 04-04 to 04-06)".
    `unit` is 'workdays', 'caldays', 'caldays_roll' or 'hours' (or a statutory mode name).
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"unsupported language {lang!r}; expected 'zh' or 'en'")
    kind = _UNITS.get(unit)
    if kind is None:
        raise ValueError(f"unknown unit {unit!r}; expected one of {sorted(_UNITS)}")
    zh = lang == "zh"
    due_at = parse_instant(due, tz)
    due_day = due_at.date()
    start_at = parse_instant(start, tz)
    start_day = start_at.date()

    if kind == "hours":
        when = due_at.strftime("%Y-%m-%d %H:%M")
        return f"到期 {when}（{n}小时）" if zh else f"due {when} ({n} hours)"

    when = due_day.isoformat()
    # A date-only due carries no time; an end of day other than 23:59:59 (office close) is
    # worth showing.
    has_time = isinstance(due, datetime) or (
        isinstance(due, str) and not _ISO_DATE.fullmatch(due.strip())
    )
    if has_time and due_at.time() not in (END_OF_DAY, START_OF_DAY):
        when = due_at.strftime("%Y-%m-%d %H:%M")

    notes: list[str] = []
    if kind == "workdays":
        notes.append(f"{n}个工作日" if zh else f"{n} working days")
        skipped = _stretches(cal, start_day, due_day, lang, due_day.year)
        if skipped:
            notes.append(f"已跳过{skipped}" if zh else f"skipped {skipped}")
    else:
        notes.append(f"{n}日" if zh else f"{n} calendar days")
        last_day = start_day + timedelta(days=n)
        if kind == "caldays_roll" and due_day > last_day:
            notes.append("末日遇休息日顺延" if zh else "last day not a working day, moved forward")
            skipped = _stretches(cal, last_day - timedelta(days=1), due_day, lang, due_day.year)
            if skipped:
                notes.append(f"已跳过{skipped}" if zh else f"skipped {skipped}")
        if kind == "caldays" and not cal.covers(due_day):
            # Plain calendar days need no holiday data, but nobody has checked that year yet
            # (domain.md TS-08: show the date, flagged).
            notes.append(
                f"{due_day.year}年日历未核实" if zh else f"calendar for {due_day.year} unverified"
            )
    if zh:
        return f"到期 {when}（{'，'.join(notes)}）"
    return f"due {when} ({'; '.join(notes)})"
