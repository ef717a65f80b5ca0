"""Deadline functions for BPMN expressions: 2026 scenario dates, input forms, UI text.

The calendar covers only 2025 and 2026 (chinese_calendar 1.11.0 has nothing later), so any
deadline that needs 2027 must fail loudly until a test enters that year with set_year().
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import chinese_calendar as cc
import pytest
from sqlalchemy.orm import Session

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base
from db.session import make_engine
from supervision.calendar import CalendarYearMissing
from supervision.calendar import WorkCalendar
from supervision.calendar import calendar_from_chinese_calendar
from supervision.calendar import load_calendar
from supervision.calendar import seed_from_chinese_calendar
from supervision.calendar import set_year
from supervision.deadlines import after_workdays
from supervision.deadlines import before_workdays
from supervision.deadlines import caldays
from supervision.deadlines import describe
from supervision.deadlines import hours
from supervision.deadlines import parse_instant
from supervision.deadlines import statutory_days
from supervision.deadlines import workdays

D = date.fromisoformat
SH = ZoneInfo("Asia/Shanghai")
# TS-01: the ticket reached the bureau on Monday 2026-03-02 at 09:20.
NOW = datetime(2026, 3, 2, 9, 20, tzinfo=SH)


def eod(day: str) -> str:
    return f"{day}T23:59:59+08:00"


def sod(day: str) -> str:
    return f"{day}T00:00:00+08:00"


def ref_add_workdays(start: date, n: int) -> date:
    """domain.md 5.3 reference implementation, straight on chinese_calendar."""
    d, k = start, 0
    while k < n:
        d += timedelta(days=1)
        if cc.is_workday(d):
            k += 1
    return d


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return calendar_from_chinese_calendar([2025, 2026])


# --- working days ---


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-03-02", 3, "2026-03-05"),  # TS-01 acceptance
        ("2026-03-02", 15, "2026-03-23"),  # TS-01 hotline due
        ("2026-03-04", 7, "2026-03-13"),  # TS-01 bureau reply
        ("2026-04-01", 7, "2026-04-13"),  # Qingming
        ("2026-06-15", 5, "2026-06-23"),  # TS-06
        ("2026-07-28", 10, "2026-08-11"),  # TS-10 重办
        ("2026-09-22", 30, "2026-11-10"),  # Mid-Autumn/National Day, 09-20 and 10-10 worked
        ("2026-03-07", 3, "2026-03-11"),  # Saturday start (chinese_calendar says 03-12)
        ("2026-02-12", 2, "2026-02-14"),  # a make-up Saturday is a due date
    ],
)
def test_workdays_scenarios(cal, start, n, expected):
    assert workdays(cal, NOW, n, start) == eod(expected)
    assert D(expected) == ref_add_workdays(D(start), n)


def test_workdays_from_now(cal):
    assert workdays(cal, NOW, 3) == eod("2026-03-05")
    assert workdays(cal, NOW, 15) == eod("2026-03-23")
    assert workdays(cal, NOW, 0) == eod("2026-03-02")


@pytest.mark.parametrize(
    "start",
    [
        D("2026-03-02"),
        "2026-03-02",
        " 2026-03-02 ",
        "2026-03-02T23:30:00",  # naive: Shanghai time
        "2026-03-02T23:30:00+08:00",
        "2026-03-01T16:30:00Z",  # 00:30 on 03-02 in Shanghai
        "2026-03-02 09:20",
        datetime(2026, 3, 2, 9, 20),  # naive datetime: Shanghai time
        datetime(2026, 3, 2, 15, 59, tzinfo=UTC),  # 23:59 on 03-02 in Shanghai
    ],
)
def test_start_is_the_local_date(cal, start):
    assert workdays(cal, NOW, 3, start) == eod("2026-03-05")


def test_start_near_midnight_utc_moves_the_local_day(cal):
    # 16:00 UTC on Friday 03-06 is already Saturday 00:00 in Shanghai.
    assert workdays(cal, NOW, 1, "2026-03-06T15:59:59Z") == eod("2026-03-09")
    assert workdays(cal, NOW, 1, "2026-03-06T16:00:00Z") == eod("2026-03-09")
    assert workdays(cal, NOW, 1, "2026-03-05T16:00:00Z") == eod("2026-03-09")
    assert workdays(cal, NOW, 1, "2026-03-05T15:59:59Z") == eod("2026-03-06")


def test_office_close_end_of_day(cal):
    assert workdays(cal, NOW, 3, end_of_day=time(17, 30)) == "2026-03-05T17:30:00+08:00"
    assert (
        caldays(cal, NOW, 3, "2026-04-29", roll=True, end_of_day=time(17, 30))
        == "2026-05-06T17:30:00+08:00"
    )


def test_other_time_zone(cal):
    utc = ZoneInfo("UTC")
    assert workdays(cal, NOW, 3, "2026-03-02", tz=utc) == "2026-03-05T23:59:59+00:00"


def test_workdays_match_reference(cal):
    for offset in range(0, 640, 3):
        start = D("2025-01-01") + timedelta(days=offset)
        for n in (1, 3, 7, 15):
            expected = ref_add_workdays(start, n).isoformat()
            assert workdays(cal, NOW, n, start.isoformat()) == eod(expected), (start, n)


# --- yellow and red cards ---


def test_yellow_and_red_cards_around_qingming(cal):
    due = workdays(cal, NOW, 7, "2026-04-01")
    assert due == eod("2026-04-13")
    assert before_workdays(cal, NOW, due, 1) == sod("2026-04-10")
    assert after_workdays(cal, NOW, due, 1) == sod("2026-04-14")
    # 督办函: the bureau replies within 5 working days of the red card.
    assert workdays(cal, NOW, 5, after_workdays(cal, NOW, due, 1)) == eod("2026-04-21")


def test_cards_across_labour_day(cal):
    assert before_workdays(cal, NOW, "2026-05-06", 1) == sod("2026-04-30")
    assert before_workdays(cal, NOW, eod("2026-05-11"), 1) == sod("2026-05-09")
    assert after_workdays(cal, NOW, "2026-04-30", 1) == sod("2026-05-06")
    # From now (Monday 03-02): the Saturday before is a make-up workday.
    assert before_workdays(cal, NOW, None, 1) == sod("2026-02-28")


# --- calendar days, hours, 310号 ---


@pytest.mark.parametrize(
    ("start", "mode", "expected"),
    [
        ("2026-04-29", "calendar", "2026-05-02"),  # TS-05 head decision
        ("2026-04-29", "calendar_roll", "2026-05-06"),
        ("2026-04-29", "working", "2026-05-07"),
        ("2026-05-01", "calendar", "2026-05-04"),  # PSB decision (05-04 is a holiday)
        ("2026-05-01", "calendar_roll", "2026-05-06"),
        ("2026-05-06", "calendar", "2026-05-09"),  # exhibits: Saturday make-up workday
        ("2026-05-06", "calendar_roll", "2026-05-09"),
        ("2026-05-08", "calendar", "2026-05-11"),  # 5b: PSB 复议决定
        ("2026-05-11", "calendar", "2026-05-14"),  # 5b: 立案监督 request
    ],
)
def test_statutory_days_modes(cal, start, mode, expected):
    assert statutory_days(cal, NOW, 3, start, mode) == eod(expected)


def test_statutory_days_default_and_unknown_mode(cal):
    assert statutory_days(cal, NOW, 3, "2026-04-29") == eod("2026-05-02")
    with pytest.raises(ValueError, match="unknown statutory days mode 'workdays'"):
        statutory_days(cal, NOW, 3, "2026-04-29", "workdays")


def test_caldays(cal):
    assert caldays(cal, NOW, 3, "2026-04-29") == eod("2026-05-02")
    assert caldays(cal, NOW, 3, "2026-04-29", roll=True) == eod("2026-05-06")
    assert caldays(cal, NOW, 30, "2026-03-17") == eod("2026-04-16")  # TS-01 意见书
    assert caldays(cal, NOW, 90, "2026-06-16") == eod("2026-09-14")  # TS-06 feedback
    assert caldays(cal, NOW, 3, "2026-05-06", True) == eod("2026-05-09")


def test_hours_run_on_the_clock(cal):
    assert hours(cal, NOW, 24, "2026-04-30T10:00+08:00") == "2026-05-01T10:00:00+08:00"
    assert hours(cal, NOW, 24, "2026-04-30T02:00:00Z") == "2026-05-01T10:00:00+08:00"
    assert hours(cal, NOW, 24) == "2026-03-03T09:20:00+08:00"
    assert hours(cal, NOW, 1.5, "2026-04-30T10:00") == "2026-04-30T11:30:00+08:00"
    # No holiday data is needed, so 2027 is fine.
    assert hours(cal, NOW, 24, "2026-12-31T10:00+08:00") == "2027-01-01T10:00:00+08:00"


def test_hours_are_absolute_across_dst():
    berlin = ZoneInfo("Europe/Berlin")  # 2026-03-29 02:00 -> 03:00
    start = datetime(2026, 3, 28, 12, 0, tzinfo=berlin)
    cal = WorkCalendar(set(), {})
    assert hours(cal, NOW, 24, start, tz=berlin) == "2026-03-29T13:00:00+02:00"


# --- missing years ---


def test_deadlines_into_2027_fail_loudly(cal):
    with pytest.raises(CalendarYearMissing) as caught:
        workdays(cal, NOW, 15, "2026-12-15")
    assert caught.value.year == 2027
    with pytest.raises(CalendarYearMissing):
        caldays(cal, NOW, 30, "2026-12-15", roll=True)
    with pytest.raises(CalendarYearMissing):
        statutory_days(cal, NOW, 3, "2026-12-30", "calendar_roll")
    with pytest.raises(CalendarYearMissing):
        after_workdays(cal, NOW, "2026-12-31", 1)
    with pytest.raises(CalendarYearMissing):
        before_workdays(cal, NOW, "2025-01-02", 2)


def test_plain_calendar_days_into_2027_are_shown_unverified(cal):
    # TS-08: rectification CD30 from 12-15; the date is plain arithmetic, flagged in the UI.
    due = caldays(cal, NOW, 30, "2026-12-15")
    assert due == eod("2027-01-14")
    assert (
        describe(cal, "2026-12-15", due, "caldays", 30)
        == "到期 2027-01-14（30日，2027年日历未核实）"
    )
    assert (
        describe(cal, "2026-12-15", due, "caldays", 30, "en")
        == "due 2027-01-14 (30 calendar days; calendar for 2027 unverified)"
    )


def test_deadlines_into_2027_after_the_year_is_entered():
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed_from_chinese_calendar(session, [2025, 2026])
        # Hypothetical 2027 entry (not the real notice): 元旦 01-01..03, Saturday 01-09 worked.
        set_year(
            session,
            2027,
            [(D("2027-01-01"), "元旦"), (D("2027-01-02"), "元旦"), (D("2027-01-03"), "元旦")],
            [(D("2027-01-09"), "元旦调休上班")],
            None,
            "admin",
        )
        cal = load_calendar(session)
    engine.dispose()
    assert workdays(cal, NOW, 15, "2026-12-15") == eod("2027-01-06")
    assert caldays(cal, NOW, 2, "2026-12-30", roll=True) == eod("2027-01-04")
    assert workdays(cal, NOW, 6, "2027-01-04") == eod("2027-01-11")  # counts Saturday 01-09
    assert (
        describe(cal, "2026-12-30", eod("2027-01-04"), "workdays", 2)
        == "到期 2027-01-04（2个工作日，已跳过元旦 01-01至01-03）"
    )


# --- inputs and outputs ---


def test_results_are_json_and_parse_back(cal):
    results = [
        workdays(cal, NOW, 7, "2026-04-01"),
        caldays(cal, NOW, 3, "2026-04-29", roll=True),
        hours(cal, NOW, 24, "2026-04-30T10:00+08:00"),
        before_workdays(cal, NOW, "2026-04-13", 1),
        after_workdays(cal, NOW, "2026-04-13", 1),
        statutory_days(cal, NOW, 3, "2026-05-01", "calendar"),
    ]
    assert json.loads(json.dumps(results)) == results
    for value in results:
        assert parse_instant(value, SH).isoformat() == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-04-13", datetime(2026, 4, 13, tzinfo=SH)),
        (D("2026-04-13"), datetime(2026, 4, 13, tzinfo=SH)),
        ("2026-04-13T23:59:59+08:00", datetime(2026, 4, 13, 23, 59, 59, tzinfo=SH)),
        ("2026-04-13T15:59:59Z", datetime(2026, 4, 13, 23, 59, 59, tzinfo=SH)),
        ("2026-04-13T23:59:59", datetime(2026, 4, 13, 23, 59, 59, tzinfo=SH)),
        (datetime(2026, 4, 13, 23, 59, 59), datetime(2026, 4, 13, 23, 59, 59, tzinfo=SH)),
        (
            datetime(2026, 4, 13, 15, 59, 59, tzinfo=UTC),
            datetime(2026, 4, 13, 23, 59, 59, tzinfo=SH),
        ),
    ],
)
def test_parse_instant(value, expected):
    parsed = parse_instant(value, SH)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(hours=8)


def test_parse_instant_rejects_garbage():
    with pytest.raises(ValueError, match="not an ISO-8601"):
        parse_instant("13.04.2026", SH)
    with pytest.raises(ValueError, match="not an ISO-8601"):
        parse_instant("2026-02-30", SH)
    with pytest.raises(TypeError):
        parse_instant(20260413, SH)
    with pytest.raises(TypeError):
        parse_instant(None, SH)


def test_bad_arguments(cal):
    with pytest.raises(ValueError, match="aware"):
        workdays(cal, datetime(2026, 3, 2, 9, 20), 3)
    with pytest.raises(ValueError, match="negative"):
        workdays(cal, NOW, -1)
    with pytest.raises(TypeError):
        workdays(cal, NOW, "3")
    with pytest.raises(TypeError):
        caldays(cal, NOW, True)
    with pytest.raises(ValueError, match="hours"):
        hours(cal, NOW, -1)
    assert workdays(cal, NOW, 3.0) == eod("2026-03-05")  # JSON may deliver 3.0


# --- UI text ---


def test_describe_working_days(cal):
    due = workdays(cal, NOW, 7, "2026-04-01")
    assert describe(cal, "2026-04-01", due, "workdays", 7) == (
        "到期 2026-04-13（7个工作日，已跳过清明节 04-04至04-06）"
    )
    assert describe(cal, "2026-04-01", due, "workdays", 7, "en") == (
        "due 2026-04-13 (7 working days; skipped Qingming Festival 04-04 to 04-06)"
    )
    assert describe(cal, "2026-03-04", eod("2026-03-13"), "workdays", 7) == (
        "到期 2026-03-13（7个工作日）"
    )
    due = workdays(cal, NOW, 30, "2026-09-22")
    assert describe(cal, "2026-09-22", due, "workdays", 30) == (
        "到期 2026-11-10（30个工作日，已跳过中秋节 09-25至09-27、国庆节 10-01至10-07）"
    )
    assert describe(cal, "2025-09-29", eod("2025-10-20"), "working", 10, "en") == (
        "due 2025-10-20 (10 working days; skipped National Day and Mid-Autumn Festival "
        "10-01 to 10-08)"
    )


def test_describe_calendar_days_and_roll(cal):
    assert describe(cal, "2026-04-29", eod("2026-05-02"), "calendar", 3) == "到期 2026-05-02（3日）"
    assert describe(cal, "2026-04-29", eod("2026-05-06"), "calendar_roll", 3) == (
        "到期 2026-05-06（3日，末日遇休息日顺延，已跳过劳动节 05-02至05-05）"
    )
    assert describe(cal, "2026-04-29", eod("2026-05-06"), "caldays_roll", 3, "en") == (
        "due 2026-05-06 (3 calendar days; last day not a working day, moved forward; "
        "skipped Labour Day 05-02 to 05-05)"
    )
    # A make-up Saturday needs no roll.
    assert describe(cal, "2026-05-06", eod("2026-05-09"), "caldays_roll", 3) == (
        "到期 2026-05-09（3日）"
    )


def test_describe_hours_and_office_close(cal):
    due = hours(cal, NOW, 24, "2026-04-30T10:00+08:00")
    assert describe(cal, "2026-04-30T10:00+08:00", due, "hours", 24) == (
        "到期 2026-05-01 10:00（24小时）"
    )
    assert describe(cal, "2026-04-30T10:00+08:00", due, "hours", 24, "en") == (
        "due 2026-05-01 10:00 (24 hours)"
    )
    due = workdays(cal, NOW, 3, end_of_day=time(17, 30))
    assert describe(cal, NOW, due, "workdays", 3) == "到期 2026-03-05 17:30（3个工作日）"


def test_describe_rejects_unknown_unit_and_language(cal):
    with pytest.raises(ValueError, match="unknown unit"):
        describe(cal, "2026-04-01", "2026-04-13", "weeks", 1)
    with pytest.raises(ValueError, match="language"):
        describe(cal, "2026-04-01", "2026-04-13", "workdays", 7, "fr")
