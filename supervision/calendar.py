"""The Chinese working-day calendar behind every deadline (domain.md section 5).

A day is a working day when it is Monday–Friday and not a statutory holiday, or when it is a
weekend day worked in exchange for a longer holiday (调休). The database stores only the days
that differ from the plain week (`db.models.calendar`); `WorkCalendar` is an immutable
in-memory copy of it so that engine steps never touch the database per day.

Counting follows 民法典 art. 201/203: the start day is not counted; calendar-day periods may
roll forward to the next working day. A year without a `CalendarYear` row is unknown: any
computation that needs one of its days raises `CalendarYearMissing` instead of quietly
treating it as "weekdays only", because a wrong legal deadline is worse than a visible error.
"""

from __future__ import annotations

import importlib.metadata
import re
import threading
import time
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models.calendar import CalendarDay
from db.models.calendar import CalendarYear

__all__ = [
    "ADJUSTED_WORKDAY",
    "HOLIDAY",
    "MANUAL_SOURCE",
    "PACKAGE_SOURCE_PREFIX",
    "WEEKEND",
    "WORKDAY",
    "CalendarCache",
    "CalendarYearMissing",
    "DayInfo",
    "WorkCalendar",
    "YearSummary",
    "calendar_cache",
    "calendar_from_chinese_calendar",
    "calendar_version",
    "holiday_name_en",
    "load_calendar",
    "missing_year_warning",
    "package_years",
    "seed_from_chinese_calendar",
    "set_year",
    "year_summary",
]

# Day kinds, as in domain.md 5.4 (WORKDAY and WEEKEND are never stored: they are the default).
WORKDAY = "WORKDAY"
WEEKEND = "WEEKEND"
HOLIDAY = "HOLIDAY"
ADJUSTED_WORKDAY = "ADJUSTED_WORKDAY"

PACKAGE_SOURCE_PREFIX = "chinese-calendar"
MANUAL_SOURCE = "manual"

_ONE_DAY = timedelta(days=1)
_NAME_MAX = 100  # CalendarDay.name is String(100); SQLite would not enforce it for us.
_NAME_SEPARATOR = "、"

# chinese_calendar names holidays in English (and its Chinese names are abbreviated, e.g. 清明);
# the UI and the stored rows use the names printed in the 国务院办公厅 notices.
# (package name, Chinese name, English display name)
_HOLIDAY_NAMES: tuple[tuple[str, str, str], ...] = (
    ("New Year's Day", "元旦", "New Year's Day"),
    ("Spring Festival", "春节", "Spring Festival"),
    ("Tomb-sweeping Day", "清明节", "Qingming Festival"),
    ("Labour Day", "劳动节", "Labour Day"),
    ("Dragon Boat Festival", "端午节", "Dragon Boat Festival"),
    ("Mid-autumn Festival", "中秋节", "Mid-Autumn Festival"),
    ("National Day", "国庆节", "National Day"),
    (
        "Anti-Fascist 70th Day",
        "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
        "Victory Day (70th anniversary)",
    ),
)
_PACKAGE_TO_ZH = {package: zh for package, zh, _ in _HOLIDAY_NAMES}
_ZH_TO_EN = {zh: en for _, zh, en in _HOLIDAY_NAMES}
_MAKEUP_SUFFIX = "调休上班"


def holiday_name_en(name: str) -> str:
    """English display name for a stored (Chinese) holiday name; unknown names pass through.

    Handles the names `WorkCalendar.explain` joins with "、" and the make-up-day suffix.
    """
    parts = []
    for part in name.split(_NAME_SEPARATOR):
        if part.endswith(_MAKEUP_SUFFIX) and part[: -len(_MAKEUP_SUFFIX)] in _ZH_TO_EN:
            parts.append(f"{_ZH_TO_EN[part[: -len(_MAKEUP_SUFFIX)]]} make-up working day")
        else:
            parts.append(_ZH_TO_EN.get(part, part))
    return " and ".join(parts)


class CalendarYearMissing(LookupError):
    """A computation needed a day of a year whose holidays nobody has entered yet."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the working-day calendar has no data for {year}; an administrator must add that "
            f"year's holidays (国务院办公厅 notice) before deadlines in it can be computed"
        )
        self.year = year

    @property
    def user_message(self) -> str:
        """The same fact in Chinese, for case pages and incident lists."""
        return (
            f"{self.year}年节假日安排尚未录入，无法计算该年度的工作日期限，"
            f"请管理员录入国务院办公厅通知"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce would call cls(message); keep pickling (multiprocessing,
        # logging handlers) working.
        return (type(self), (self.year,))


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What one day is: a working day or not, why (`kind`) and the holiday's name if any."""

    is_workday: bool
    kind: str
    name: str | None = None


_PLAIN_WORKDAY = DayInfo(True, WORKDAY)
_PLAIN_WEEKEND = DayInfo(False, WEEKEND)


def _check_date(value: object) -> date:
    # datetime is a date subclass: silently taking its date would hide a time-zone decision
    # that belongs to the caller (deadlines.py converts to local dates explicitly).
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__}: {value!r}")
    return value


def _check_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected a whole number of days, got {n!r}")
    if n < 0:
        raise ValueError(f"the number of days must not be negative, got {n}")
    return n


class WorkCalendar:
    """An immutable working-day calendar for the years in `covered_years`.

    `overrides` holds the days that differ from the plain week (holidays, 调休 working
    weekend days, and optionally named weekend days inside a holiday). Every method raises
    `CalendarYearMissing` as soon as it needs a day of a year that is not covered.
    """

    __slots__ = ("_covered", "_overrides", "_version")

    def __init__(
        self,
        covered_years: Iterable[int],
        overrides: Mapping[date, DayInfo],
        version: tuple[Any, ...] | None = None,
    ) -> None:
        object.__setattr__(self, "_covered", frozenset(covered_years))
        object.__setattr__(self, "_overrides", MappingProxyType(dict(overrides)))
        object.__setattr__(self, "_version", version)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("WorkCalendar is immutable")

    # Immutable, so copies may share it; the engine's script environment may deep-copy its
    # globals, and the default slot-restoring copy would trip over __setattr__.
    def __copy__(self) -> WorkCalendar:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> WorkCalendar:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._covered, dict(self._overrides), self._version))

    def __repr__(self) -> str:
        years = sorted(self._covered)
        span = f"{years[0]}–{years[-1]}" if years else "none"
        return f"<WorkCalendar years={span} ({len(years)}) overrides={len(self._overrides)}>"

    @property
    def covered_years(self) -> frozenset[int]:
        return self._covered

    @property
    def overrides(self) -> Mapping[date, DayInfo]:
        return self._overrides

    @property
    def version(self) -> tuple[Any, ...] | None:
        """`calendar_version()` of the data this calendar was loaded from (None if built)."""
        return self._version

    def covers(self, d: date) -> bool:
        """True when `d`'s year has holiday data (use it to flag "calendar unverified")."""
        return _check_date(d).year in self._covered

    def _require(self, year: int) -> None:
        if year not in self._covered:
            raise CalendarYearMissing(year)

    def day_info(self, d: date) -> DayInfo:
        _check_date(d)
        self._require(d.year)
        info = self._overrides.get(d)
        if info is not None:
            return info
        return _PLAIN_WORKDAY if d.weekday() < 5 else _PLAIN_WEEKEND

    def is_workday(self, d: date) -> bool:
        return self.day_info(d).is_workday

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start` (start not counted); n == 0 -> start."""
        d, left = _check_date(start), _check_count(n)
        while left:
            d += _ONE_DAY
            if self.is_workday(d):
                left -= 1
        return d

    def subtract_workdays(self, d: date, n: int) -> date:
        """The n-th working day strictly before `d`; n == 0 -> d."""
        d, left = _check_date(d), _check_count(n)
        while left:
            d -= _ONE_DAY
            if self.is_workday(d):
                left -= 1
        return d

    def next_workday(self, d: date, include_today: bool = False) -> date:
        """The first working day after `d` (or `d` itself if include_today and it is one)."""
        if include_today and self.is_workday(d):
            return d
        return self.add_workdays(d, 1)

    def add_caldays(self, start: date, n: int, roll: bool = False) -> date:
        """`start` + n calendar days; with `roll`, move a non-working last day forward.

        Without `roll` this is plain arithmetic and needs no holiday data, so it does not
        raise for an uncovered year (domain.md TS-08: the CD30 date into 2027 may be shown,
        flagged as unverified -- see `covers`). Rolling needs the data and does raise.
        """
        d = _check_date(start) + timedelta(days=_check_count(n))
        if roll:
            while not self.is_workday(d):
                d += _ONE_DAY
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
        _check_date(a)
        _check_date(b)
        if b < a:
            return -self.workdays_between(b, a)
        count, d = 0, a
        while d < b:
            d += _ONE_DAY
            if self.is_workday(d):
                count += 1
        return count

    def explain(self, start: date, end: date) -> list[tuple[date, date, str]]:
        """The named non-working stretches in (start, end], for "已跳过清明节 04-04至04-06".

        A stretch is a run of consecutive non-working days; it is reported from its first to
        its last named day, so plain weekends next to a holiday are not passed off as the
        holiday, while an unnamed weekend inside one holiday period does not split it. Names
        of one stretch (2025: 国庆节 with 中秋节 on 10-06) are joined with "、".
        """
        _check_date(start)
        _check_date(end)
        stretches: list[tuple[date, date, str]] = []
        first: date | None = None
        last: date | None = None
        names: list[str] = []
        d = start
        while d < end:
            d += _ONE_DAY
            info = self.day_info(d)
            if info.is_workday:
                if first is not None and last is not None:
                    stretches.append((first, last, _NAME_SEPARATOR.join(names)))
                first, last, names = None, None, []
            elif info.name:
                if first is None:
                    first = d
                last = d
                if info.name not in names:
                    names.append(info.name)
        if first is not None and last is not None:
            stretches.append((first, last, _NAME_SEPARATOR.join(names)))
        return stretches


# --- building from the chinese_calendar package ---


def package_years() -> range:
    """The years the installed chinese_calendar package has data for.

    Discovered with the same rule the package uses to refuse dates (min/max year of its
    holiday table), so a package upgrade adds years without touching this code.
    """
    import chinese_calendar

    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def _package_source() -> str:
    return f"{PACKAGE_SOURCE_PREFIX} {importlib.metadata.version('chinese-calendar')}"


def _package_year(year: int) -> tuple[list[tuple[date, str]], list[tuple[date, str]]]:
    """(holidays, make-up workdays) of one year from chinese_calendar, with Chinese names."""
    import chinese_calendar

    def zh(name: str) -> str:
        return _PACKAGE_TO_ZH.get(name, name)

    holidays = [(d, zh(name)) for d, name in chinese_calendar.holidays.items() if d.year == year]
    workdays = [
        (d, zh(name) + _MAKEUP_SUFFIX)
        for d, name in chinese_calendar.workdays.items()
        if d.year == year
    ]
    return sorted(holidays), sorted(workdays)


def calendar_from_chinese_calendar(years: Iterable[int] | None = None) -> WorkCalendar:
    """A WorkCalendar straight from the package (tests, tools); production reads the DB."""
    chosen = list(package_years() if years is None else years)
    overrides: dict[date, DayInfo] = {}
    for year in chosen:
        _require_package_year(year)
        overrides.update(_validated_days(year, *_package_year(year)))
    return WorkCalendar(chosen, overrides)


def _require_package_year(year: int) -> None:
    available = package_years()
    if year not in available:
        raise ValueError(
            f"chinese_calendar {importlib.metadata.version('chinese-calendar')} has no data for "
            f"{year} (only {available.start}–{available.stop - 1}); upgrade the package or enter "
            f"the year by hand with set_year()"
        )


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _as_day(value: object) -> date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return date.fromisoformat(value.strip())
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"expected a date (or 'YYYY-MM-DD'), got {value!r}")
    return value


def _clean_name(value: object, day: date) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"the name for {day.isoformat()} must be text, got {value!r}")
    name = value.strip()
    if len(name) > _NAME_MAX:
        raise ValueError(f"the name for {day.isoformat()} is longer than {_NAME_MAX} characters")
    return name or None


def _collect(
    year: int, entries: Iterable[tuple[object, object]], what: str
) -> dict[date, str | None]:
    days: dict[date, str | None] = {}
    for entry in entries:
        try:
            raw_day, raw_name = entry
        except (TypeError, ValueError):
            raise ValueError(f"each {what} must be a (date, name) pair, got {entry!r}") from None
        day = _as_day(raw_day)
        if day.year != year:
            raise ValueError(f"{what} {day.isoformat()} is not in {year}")
        name = _clean_name(raw_name, day)
        if day in days and days[day] != name:
            raise ValueError(
                f"{what} {day.isoformat()} is listed twice with different names "
                f"({days[day]!r}, {name!r})"
            )
        days[day] = name
    return days


def _validated_days(
    year: int,
    holidays: Iterable[tuple[object, object]],
    workdays: Iterable[tuple[object, object]],
) -> dict[date, DayInfo]:
    """Check one year's holiday notice and turn it into override rows."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9998:
        raise ValueError(f"not a plausible calendar year: {year!r}")
    off = _collect(year, holidays, "holiday")
    on = _collect(year, workdays, "make-up workday")
    both = sorted(set(off) & set(on))
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise ValueError(f"these days are listed both as holiday and as workday: {listed}")
    weekdays = sorted(d for d in on if d.weekday() < 5)
    if weekdays:
        listed = ", ".join(d.isoformat() for d in weekdays)
        raise ValueError(
            f"make-up workdays must be Saturdays or Sundays (Monday–Friday are working days "
            f"anyway): {listed}"
        )
    days = {d: DayInfo(False, HOLIDAY, name) for d, name in off.items()}
    days.update({d: DayInfo(True, ADJUSTED_WORKDAY, name) for d, name in on.items()})
    return days


# --- database ---


def load_calendar(session: Session, version: tuple[Any, ...] | None = None) -> WorkCalendar:
    """Read every covered year and override day into a WorkCalendar (two queries)."""
    if version is None:
        version = calendar_version(session)
    years = session.scalars(select(CalendarYear.year)).all()
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.kind, CalendarDay.name)
    ).all()
    overrides = {row.day: DayInfo(bool(row.is_workday), row.kind, row.name) for row in rows}
    return WorkCalendar(years, overrides, version=version)


def calendar_version(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of the calendar tables: row counts and latest change of both.

    Every write path here stamps `updated_at`, so any edit changes the tuple. Domain.md 5.4.3
    stores it next to frozen due dates.
    """
    row = session.execute(
        select(
            select(func.count()).select_from(CalendarYear).scalar_subquery(),
            select(func.max(CalendarYear.updated_at)).scalar_subquery(),
            select(func.count()).select_from(CalendarDay).scalar_subquery(),
            select(func.max(CalendarDay.updated_at)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


RECHECK_SECONDS = 5.0
_WRITING = "supervision.calendar.writing"


def _writing(session: Session) -> bool:
    marker = session.info.get(_WRITING)
    return marker is not None and marker is session.get_transaction()


class CalendarCache:
    """Process-wide cache of the loaded calendar; reloads when `calendar_version` changes.

    Keyed by database URL so a process that talks to two databases (tests) does not mix them
    up; the version check costs one small query per `get`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[Any, ...], WorkCalendar]] = {}
        self._checked: dict[str, float] = {}

    @staticmethod
    def _key(session: Session) -> str:
        bind = session.get_bind()
        engine = getattr(bind, "engine", bind)
        return engine.url.render_as_string(hide_password=True)

    def get(self, session: Session) -> WorkCalendar:
        if _writing(session):
            # This transaction changed the calendar: use its own view, and don't share
            # it with other sessions until it is committed (it may still roll back).
            return load_calendar(session, version=calendar_version(session))
        key = self._key(session)
        with self._lock:
            entry = self._entries.get(key)
            checked = self._checked.get(key, 0.0)
        # Re-check the version at most every few seconds: deadline functions run in many
        # steps of every case. A change made in this process clears the cache at once.
        if entry is not None and time.monotonic() - checked < RECHECK_SECONDS:
            return entry[1]
        version = calendar_version(session)
        if entry is not None and entry[0] == version:
            with self._lock:
                self._checked[key] = time.monotonic()
            return entry[1]
        # Loading outside the lock: two threads may both load once, which is harmless.
        calendar = load_calendar(session, version=version)
        with self._lock:
            self._entries[key] = (version, calendar)
            self._checked[key] = time.monotonic()
        return calendar

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._checked.clear()


calendar_cache = CalendarCache()


def _replace_year(
    session: Session,
    year: int,
    days: Mapping[date, DayInfo],
    source: str,
    notice_no: str | None,
    actor: str,
) -> None:
    session.execute(
        delete(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
        )
    )
    stamp = utcnow()
    session.add_all(
        CalendarDay(
            day=day,
            is_workday=info.is_workday,
            kind=info.kind,
            name=info.name,
            source_doc_no=notice_no,
            updated_by=actor,
            updated_at=stamp,
        )
        for day, info in sorted(days.items())
    )
    row = session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year)
        session.add(row)
    row.source = source
    row.notice_no = notice_no
    row.updated_by = actor
    # Set explicitly: re-entering identical data changes no column, so onupdate would not
    # fire and calendar_version would miss the replacement of the day rows.
    row.updated_at = stamp
    session.flush()
    session.info[_WRITING] = session.get_transaction()
    calendar_cache.clear()


def seed_from_chinese_calendar(
    session: Session, years: Iterable[int] | None = None, actor: str = "system"
) -> list[int]:
    """Add the package's years that the database does not have yet; return the years added.

    Idempotent. A year already present is left alone whatever its source: a hand-entered
    year (source not "chinese-calendar …") is the administrator's word, and a package-seeded
    one may already have frozen due dates computed from it. Asking for a year the package
    lacks raises ValueError.
    """
    chosen = sorted(set(package_years() if years is None else years))
    for year in chosen:
        _require_package_year(year)
    existing = set(session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(chosen))))
    source = _package_source()
    added = []
    for year in chosen:
        if year in existing:
            continue
        days = _validated_days(year, *_package_year(year))
        _replace_year(session, year, days, source, None, actor)
        added.append(year)
    return added


def set_year(
    session: Session,
    year: int,
    holidays: Iterable[tuple[date, str]],
    workdays: Iterable[tuple[date, str]],
    notice_no: str | None,
    actor: str,
) -> None:
    """Replace one year with an administrator's entry of the 国务院办公厅 notice.

    `holidays` are the days off (weekend days may be listed to carry the holiday's name);
    `workdays` are the weekend days worked (调休). Raises ValueError on inconsistent input
    before changing anything. The year's source becomes "manual", so seeding never
    overwrites it.
    """
    days = _validated_days(year, holidays, workdays)
    notice = None
    if notice_no is not None:
        notice = notice_no.strip() or None
    _replace_year(session, year, days, MANUAL_SOURCE, notice, actor)


@dataclass(frozen=True, slots=True)
class YearSummary:
    """One year as the admin page shows it."""

    year: int
    covered: bool
    source: str | None
    notice_no: str | None
    updated_by: str | None
    updated_at: datetime | None
    # (first day, last day, names joined by "、") of each run of consecutive days off.
    holidays: tuple[tuple[date, date, str | None], ...]
    workdays: tuple[tuple[date, str | None], ...]
    holiday_weekdays: int  # Monday–Friday days off: what the notice actually takes away
    working_days: int | None  # None while the year is not covered


def year_summary(session: Session, year: int) -> YearSummary:
    row = session.get(CalendarYear, year)
    days = session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    ).all()
    # Consecutive days off form one period whatever their names (2025: 国庆节 10-01..05,
    # 中秋节 10-06, 国庆节 10-07..08 is one break); the names are joined like in explain().
    ranges: list[tuple[date, date, list[str]]] = []
    for day in days:
        if day.is_workday:
            continue
        if ranges and ranges[-1][1] + _ONE_DAY == day.day:
            ranges[-1] = (ranges[-1][0], day.day, ranges[-1][2])
        else:
            ranges.append((day.day, day.day, []))
        if day.name and day.name not in ranges[-1][2]:
            ranges[-1][2].append(day.name)
    holiday_weekdays = sum(1 for d in days if not d.is_workday and d.day.weekday() < 5)
    working_days = None
    if row is not None:
        overrides = {d.day: DayInfo(d.is_workday, d.kind, d.name) for d in days}
        cal = WorkCalendar({year}, overrides)
        working_days = cal.workdays_between(date(year - 1, 12, 31), date(year, 12, 31))
    return YearSummary(
        year=year,
        covered=row is not None,
        source=row.source if row else None,
        notice_no=row.notice_no if row else None,
        updated_by=row.updated_by if row else None,
        updated_at=row.updated_at if row else None,
        holidays=tuple((a, b, _NAME_SEPARATOR.join(names) or None) for a, b, names in ranges),
        workdays=tuple((d.day, d.name) for d in days if d.is_workday),
        holiday_weekdays=holiday_weekdays,
        working_days=working_days,
    )


_WARN_FROM_MONTH = 11  # the 国务院办公厅 notice usually appears in November (domain.md 5.3)


def missing_year_warning(session: Session, today: date) -> str | None:
    """The admin-page banner when holiday data is missing, or None when all is well.

    Warns when the current year is missing (deadlines are failing now) and, from 1 November,
    when next year is missing.
    """
    today = _check_date(today)
    wanted = [today.year, today.year + 1]
    present = set(session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(wanted))))
    messages = []
    if today.year not in present:
        messages.append(
            f"{today.year}年节假日安排尚未录入，涉及工作日的期限现在无法计算，"
            f"请立即录入国务院办公厅通知"
        )
    if today.month >= _WARN_FROM_MONTH and today.year + 1 not in present:
        when = "请于12月1日前" if today.month == _WARN_FROM_MONTH else "请尽快"
        messages.append(f"{today.year + 1}年节假日安排尚未录入，{when}录入国务院办公厅通知")
    return "；".join(messages) or None
