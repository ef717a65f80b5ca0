"""The working-day calendar: counting rules, 2026 scenario dates, missing years, DB storage.

Expected dates come from domain.md 5.3/6 (computed there with working_days_reference.py and
chinese_calendar 1.11.0); the reference functions are repeated below so every other date can
be cross-checked against the package itself.
"""

from __future__ import annotations

import copy
import importlib.metadata
import pickle
from datetime import date
from datetime import datetime
from datetime import timedelta

import chinese_calendar as cc
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base
from db.models.calendar import CalendarDay
from db.models.calendar import CalendarYear
from db.session import make_engine
from supervision.calendar import ADJUSTED_WORKDAY
from supervision.calendar import HOLIDAY
from supervision.calendar import WEEKEND
from supervision.calendar import WORKDAY
from supervision.calendar import CalendarCache
from supervision.calendar import CalendarYearMissing
from supervision.calendar import DayInfo
from supervision.calendar import WorkCalendar
from supervision.calendar import calendar_from_chinese_calendar
from supervision.calendar import calendar_version
from supervision.calendar import holiday_name_en
from supervision.calendar import load_calendar
from supervision.calendar import missing_year_warning
from supervision.calendar import package_years
from supervision.calendar import seed_from_chinese_calendar
from supervision.calendar import set_year
from supervision.calendar import year_summary

D = date.fromisoformat
ONE = timedelta(days=1)

# Hypothetical 2027 data for tests only (not the real 国务院办公厅 notice): 元旦 Fri 01-01 to
# Sun 01-03, and Saturday 01-09 worked.
HOLIDAYS_2027 = [(D("2027-01-01"), "元旦"), (D("2027-01-02"), "元旦"), (D("2027-01-03"), "元旦")]
WORKDAYS_2027 = [(D("2027-01-09"), "元旦调休上班")]


# --- reference implementation (domain.md 5.3, working_days_reference.py) ---


def ref_add_workdays(start: date, n: int) -> date:
    d, k = start, 0
    while k < n:
        d += ONE
        if cc.is_workday(d):
            k += 1
    return d


def ref_add_caldays_roll(start: date, n: int) -> date:
    d = start + timedelta(days=n)
    while not cc.is_workday(d):
        d += ONE
    return d


def ref_subtract_workdays(d: date, n: int) -> date:
    for _ in range(n):
        d -= ONE
        while not cc.is_workday(d):
            d -= ONE
    return d


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- fixtures ---


@pytest.fixture(scope="module")
def pkg_cal() -> WorkCalendar:
    return calendar_from_chinese_calendar()


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'calendar.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine) as session:
        yield session


@pytest.fixture
def seeded(session) -> Session:
    seed_from_chinese_calendar(session)
    return session


@pytest.fixture(scope="module")
def cal(tmp_path_factory) -> WorkCalendar:
    """The calendar as production gets it: seeded into the DB and loaded back (once)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('cal') / 'calendar.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed_from_chinese_calendar(session)
        calendar = load_calendar(session)
    engine.dispose()
    return calendar


# --- scenario dates (domain.md section 6) ---


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-03-02", 3, "2026-03-05"),  # TS-01 acceptance
        ("2026-03-02", 15, "2026-03-23"),  # TS-01 hotline due
        ("2026-03-04", 7, "2026-03-13"),  # TS-01 bureau reply
        ("2026-03-12", 2, "2026-03-16"),  # TS-01 review
        ("2026-03-20", 2, "2026-03-24"),  # TS-01 callback
        ("2026-01-06", 3, "2026-01-09"),  # TS-02 county acceptance
        ("2026-01-05", 15, "2026-01-26"),  # TS-02 hotline
        ("2026-06-18", 3, "2026-06-24"),  # TS-03
        ("2026-04-01", 7, "2026-04-13"),  # Qingming 04-04..06 skipped
        ("2026-03-30", 15, "2026-04-21"),
        ("2026-06-15", 3, "2026-06-18"),  # TS-06 receipt reminder
        ("2026-06-15", 5, "2026-06-23"),  # TS-06 监委 forwarding
        ("2026-09-18", 3, "2026-09-22"),  # Sunday 09-20 is a make-up workday
        ("2026-09-22", 30, "2026-11-10"),  # Mid-Autumn + National Day, 09-20 and 10-10 worked
        ("2026-09-18", 15, "2026-10-15"),
        ("2026-09-01", 10, "2026-09-15"),  # TS-08
        ("2026-11-16", 10, "2026-11-30"),
        ("2026-11-30", 5, "2026-12-07"),
        ("2026-07-06", 3, "2026-07-09"),  # TS-10
        ("2026-07-06", 15, "2026-07-27"),
        ("2026-07-24", 2, "2026-07-28"),
        ("2026-07-28", 10, "2026-08-11"),  # TS-10 重办
        ("2026-02-12", 2, "2026-02-14"),  # Saturday 02-14 is a make-up workday
        ("2026-02-12", 15, "2026-03-11"),  # across the 9-day Spring Festival
        ("2026-03-07", 3, "2026-03-11"),  # Saturday start: not chinese_calendar's 03-12
    ],
)
def test_add_workdays_scenarios(cal, start, n, expected):
    assert cal.add_workdays(D(start), n) == D(expected)
    assert cal.add_workdays(D(start), n) == ref_add_workdays(D(start), n)


def test_find_workday_pitfall_is_avoided(cal):
    saturday = D("2026-03-07")
    assert cc.find_workday(3, saturday) == D("2026-03-12")  # the package's off-by-one
    assert cal.add_workdays(saturday, 3) == D("2026-03-11")


def test_start_day_is_never_counted(cal):
    # A working-day start and the non-working days around it all count from the next day.
    assert cal.add_workdays(D("2026-04-03"), 1) == D("2026-04-07")  # Fri before Qingming
    assert cal.add_workdays(D("2026-04-04"), 1) == D("2026-04-07")  # inside Qingming
    assert cal.add_workdays(D("2026-05-08"), 1) == D("2026-05-09")  # make-up Saturday next


@pytest.mark.parametrize(
    ("start", "n", "roll", "expected"),
    [
        ("2026-04-29", 3, False, "2026-05-02"),  # TS-05 head decision, 'calendar' mode
        ("2026-04-29", 3, True, "2026-05-06"),  # 'calendar_roll' mode
        ("2026-05-01", 3, False, "2026-05-04"),  # PSB decision
        ("2026-05-01", 3, True, "2026-05-06"),
        ("2026-05-06", 3, False, "2026-05-09"),  # make-up Saturday: stays
        ("2026-05-06", 3, True, "2026-05-09"),
        ("2026-05-09", 3, True, "2026-05-12"),
        ("2026-03-17", 30, False, "2026-04-16"),  # TS-01 意见书 correction
        ("2026-06-16", 90, False, "2026-09-14"),  # TS-06 feedback reminder
        ("2026-04-27", 3, False, "2026-04-30"),
    ],
)
def test_add_caldays(cal, start, n, roll, expected):
    assert cal.add_caldays(D(start), n, roll=roll) == D(expected)


def test_subtract_and_next_workday(cal):
    assert cal.subtract_workdays(D("2026-04-13"), 1) == D("2026-04-10")  # yellow card day
    assert cal.subtract_workdays(D("2026-05-11"), 1) == D("2026-05-09")  # make-up Saturday
    assert cal.subtract_workdays(D("2026-05-06"), 1) == D("2026-04-30")
    assert cal.subtract_workdays(D("2026-05-06"), 0) == D("2026-05-06")
    assert cal.next_workday(D("2026-04-13")) == D("2026-04-14")  # red card day
    assert cal.next_workday(D("2026-04-13"), include_today=True) == D("2026-04-13")
    assert cal.next_workday(D("2026-04-04"), include_today=True) == D("2026-04-07")
    assert cal.next_workday(D("2026-09-19"), include_today=True) == D("2026-09-20")


def test_workdays_between(cal):
    assert cal.workdays_between(D("2026-04-01"), D("2026-04-13")) == 7
    assert cal.workdays_between(D("2026-04-13"), D("2026-04-01")) == -7
    assert cal.workdays_between(D("2026-04-03"), D("2026-04-06")) == 0
    assert cal.workdays_between(D("2026-04-03"), D("2026-04-03")) == 0
    assert cal.workdays_between(D("2025-12-31"), D("2026-12-31")) == sum(
        cc.is_workday(d) for d in days(D("2026-01-01"), D("2026-12-31"))
    )


def test_zero_and_invalid_counts(cal):
    assert cal.add_workdays(D("2026-04-04"), 0) == D("2026-04-04")
    with pytest.raises(ValueError, match="negative"):
        cal.add_workdays(D("2026-04-01"), -1)
    with pytest.raises(TypeError):
        cal.add_workdays(D("2026-04-01"), 1.5)
    with pytest.raises(TypeError, match="datetime.date"):
        cal.add_workdays(datetime(2026, 4, 1, 9, 0), 1)


def test_day_info_kinds(cal):
    assert cal.day_info(D("2026-04-06")) == DayInfo(False, HOLIDAY, "清明节")
    assert cal.day_info(D("2026-04-04")) == DayInfo(False, HOLIDAY, "清明节")  # Saturday
    assert cal.day_info(D("2026-05-09")) == DayInfo(True, ADJUSTED_WORKDAY, "劳动节调休上班")
    assert cal.day_info(D("2026-03-07")) == DayInfo(False, WEEKEND, None)
    assert cal.day_info(D("2026-03-09")) == DayInfo(True, WORKDAY, None)
    assert cal.is_workday(D("2026-10-10"))
    assert not cal.is_workday(D("2026-10-07"))


def test_explain_names_skipped_holidays(cal):
    assert cal.explain(D("2026-04-01"), D("2026-04-13")) == [
        (D("2026-04-04"), D("2026-04-06"), "清明节")
    ]
    # Clipped to the window: counting from inside a holiday skips only its rest.
    assert cal.explain(D("2026-05-02"), D("2026-05-07")) == [
        (D("2026-05-03"), D("2026-05-05"), "劳动节")
    ]
    assert cal.explain(D("2026-09-22"), D("2026-11-10")) == [
        (D("2026-09-25"), D("2026-09-27"), "中秋节"),
        (D("2026-10-01"), D("2026-10-07"), "国庆节"),
    ]
    # 2025: 中秋节 on 10-06 inside the National Day break is one stretch.
    assert cal.explain(D("2025-09-30"), D("2025-10-09")) == [
        (D("2025-10-01"), D("2025-10-08"), "国庆节、中秋节")
    ]
    assert cal.explain(D("2026-03-02"), D("2026-03-23")) == []  # plain weekends only
    assert cal.explain(D("2026-04-13"), D("2026-04-01")) == []


def test_explain_bridges_unnamed_weekend_inside_a_holiday():
    # An administrator may list only the weekdays of a break; the weekend between them must
    # not split it, and a plain weekend at its edge must not be called a holiday.
    overrides = {
        D("2026-10-01"): DayInfo(False, HOLIDAY, "国庆节"),
        D("2026-10-02"): DayInfo(False, HOLIDAY, "国庆节"),
        D("2026-10-05"): DayInfo(False, HOLIDAY, "国庆节"),
    }
    cal = WorkCalendar({2026}, overrides)
    assert cal.explain(D("2026-09-29"), D("2026-10-08")) == [
        (D("2026-10-01"), D("2026-10-05"), "国庆节")
    ]
    assert cal.add_workdays(D("2026-09-30"), 1) == D("2026-10-06")


def test_holiday_name_en():
    assert holiday_name_en("清明节") == "Qingming Festival"
    assert holiday_name_en("国庆节、中秋节") == "National Day and Mid-Autumn Festival"
    assert holiday_name_en("劳动节调休上班") == "Labour Day make-up working day"
    assert holiday_name_en("本地假日") == "本地假日"


def test_calendar_is_immutable(pkg_cal):
    with pytest.raises(AttributeError):
        pkg_cal._overrides = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        pkg_cal.overrides[D("2026-03-09")] = DayInfo(False, HOLIDAY, "x")  # type: ignore[index]
    assert pkg_cal.version is None


def test_calendar_survives_copy_and_pickle(cal):
    assert copy.copy(cal) is cal
    assert copy.deepcopy({"cal": cal})["cal"] is cal
    restored = pickle.loads(pickle.dumps(cal))
    assert restored.covered_years == cal.covered_years
    assert dict(restored.overrides) == dict(cal.overrides)
    assert restored.version == cal.version
    assert restored.add_workdays(D("2026-04-01"), 7) == D("2026-04-13")


# --- cross-checks against the chinese_calendar package ---


def test_is_workday_matches_package_for_2025_and_2026(cal):
    for d in days(D("2025-01-01"), D("2026-12-31")):
        assert cal.is_workday(d) == cc.is_workday(d), d


def test_is_workday_matches_package_for_every_covered_year(pkg_cal):
    years = package_years()
    for d in days(date(years.start, 1, 1), date(years.stop - 1, 12, 31)):
        assert pkg_cal.is_workday(d) == cc.is_workday(d), d


def test_counting_matches_reference(cal):
    # Every start day up to the end of October 2026 with the periods the product uses; the
    # largest (30 working days) stays inside 2026.
    for start in days(D("2025-01-01"), D("2026-10-31")):
        for n in (0, 1, 2, 3, 5, 7, 10, 15, 30):
            assert cal.add_workdays(start, n) == ref_add_workdays(start, n), (start, n)
        for n in (1, 3, 30):
            assert cal.add_caldays(start, n, roll=True) == ref_add_caldays_roll(start, n)
        for n in (1, 3, 15):
            assert cal.subtract_workdays(start, n) == ref_subtract_workdays(start, n)
        end = cal.add_workdays(start, 10)
        assert cal.workdays_between(start, end) == 10


# --- missing years ---


def test_counting_into_2027_raises(cal):
    with pytest.raises(CalendarYearMissing) as caught:
        cal.add_workdays(D("2026-12-15"), 15)
    assert caught.value.year == 2027
    assert "no data for 2027" in str(caught.value)
    assert "国务院办公厅" in str(caught.value)
    assert "2027年节假日安排尚未录入" in caught.value.user_message
    assert isinstance(caught.value, LookupError)
    for compute in (
        lambda: cal.is_workday(D("2027-01-04")),
        lambda: cal.day_info(D("2027-01-04")),
        lambda: cal.next_workday(D("2026-12-31")),
        lambda: cal.add_caldays(D("2026-12-15"), 30, roll=True),
        lambda: cal.workdays_between(D("2026-12-01"), D("2027-01-05")),
        lambda: cal.explain(D("2026-12-30"), D("2027-01-05")),
        lambda: cal.subtract_workdays(D("2027-01-05"), 1),
    ):
        with pytest.raises(CalendarYearMissing):
            compute()


def test_counting_back_before_first_year_raises(cal):
    first = min(cal.covered_years)
    with pytest.raises(CalendarYearMissing) as caught:
        cal.subtract_workdays(date(first, 1, 5), 10)
    assert caught.value.year == first - 1


def test_missing_year_is_raised_as_soon_as_needed(cal):
    # The last working day of 2026 is reachable; one more needs 2027.
    assert cal.add_workdays(D("2026-12-30"), 1) == D("2026-12-31")
    with pytest.raises(CalendarYearMissing):
        cal.add_workdays(D("2026-12-30"), 2)
    # n == 0 needs no calendar at all, not even for the start day's year.
    assert cal.add_workdays(D("2027-03-01"), 0) == D("2027-03-01")


def test_plain_calendar_days_into_2027_are_arithmetic(cal):
    # TS-08: the CD30 date may be shown (flagged via covers()); rolling it may not.
    assert cal.add_caldays(D("2026-12-15"), 30) == D("2027-01-14")
    assert not cal.covers(D("2027-01-14"))
    assert cal.covers(D("2026-12-15"))


def test_calendar_year_missing_pickles():
    error = pickle.loads(pickle.dumps(CalendarYearMissing(2027)))
    assert error.year == 2027
    assert str(error) == str(CalendarYearMissing(2027))


def test_added_year_makes_2027_computable(seeded):
    set_year(seeded, 2027, HOLIDAYS_2027, WORKDAYS_2027, "国办发明电〔2026〕X号", "admin")
    cal = load_calendar(seeded)
    assert cal.add_workdays(D("2026-12-15"), 15) == D("2027-01-06")
    assert cal.add_caldays(D("2026-12-31"), 1, roll=True) == D("2027-01-04")
    assert cal.is_workday(D("2027-01-09"))
    assert cal.explain(D("2026-12-31"), D("2027-01-04")) == [
        (D("2027-01-01"), D("2027-01-03"), "元旦")
    ]


# --- database ---


def test_seed_adds_every_package_year_once(session):
    years = package_years()
    assert years.start == min(d.year for d in cc.holidays)
    assert years.stop - 1 == max(d.year for d in cc.holidays)
    added = seed_from_chinese_calendar(session)
    assert added == list(years)
    version = calendar_version(session)
    assert seed_from_chinese_calendar(session) == []
    assert calendar_version(session) == version
    row = session.get(CalendarYear, 2026)
    assert row is not None
    assert row.source == f"chinese-calendar {importlib.metadata.version('chinese-calendar')}"
    assert row.updated_by == "system"


def test_seed_stores_only_days_that_differ(seeded):
    stored = {
        row.day: row
        for row in seeded.scalars(select(CalendarDay).where(CalendarDay.day >= D("2026-01-01")))
    }
    assert set(stored) == {d for d in cc.holidays if d.year == 2026} | {
        d for d in cc.workdays if d.year == 2026
    }
    assert stored[D("2026-05-09")].kind == ADJUSTED_WORKDAY
    assert stored[D("2026-05-09")].is_workday is True
    assert stored[D("2026-02-15")].kind == HOLIDAY
    assert stored[D("2026-02-15")].name == "春节"


def test_load_calendar_equals_package_calendar(cal, pkg_cal):
    assert cal.covered_years == pkg_cal.covered_years
    assert dict(cal.overrides) == dict(pkg_cal.overrides)
    assert cal.version is not None


def test_seed_selected_years_and_unknown_year(session):
    assert seed_from_chinese_calendar(session, [2026, 2025, 2026], actor="ops") == [2025, 2026]
    assert load_calendar(session).covered_years == {2025, 2026}
    with pytest.raises(ValueError, match="no data for 2027"):
        seed_from_chinese_calendar(session, [2026, 2027])


def test_seed_never_overwrites_a_hand_entered_year(session):
    set_year(session, 2026, [(D("2026-04-06"), "清明节")], [], "国办发明电〔2025〕7号", "admin")
    added = seed_from_chinese_calendar(session)
    assert 2026 not in added
    assert 2025 in added
    row = session.get(CalendarYear, 2026)
    assert row is not None
    assert row.source == "manual"
    cal = load_calendar(session)
    assert cal.is_workday(D("2026-05-01"))  # the admin's data, not the package's


def test_seed_replaces_orphan_rows_of_a_year_without_header(session):
    session.add(CalendarDay(day=D("2026-03-09"), is_workday=False, kind=HOLIDAY, name="错误"))
    session.flush()
    seed_from_chinese_calendar(session, [2026])
    assert session.get(CalendarDay, D("2026-03-09")) is None


def test_set_year_replaces_data_and_stamps_it(seeded):
    set_year(
        seeded,
        2026,
        [(D("2026-04-06"), "清明节"), (D("2026-04-04"), "清明节"), ("2026-10-01", " 国庆节 ")],
        [(D("2026-03-08"), "调休上班")],
        " 国办发明电〔2025〕7号 ",
        "admin",
    )
    set_year(  # replacing again in the same session must work too
        seeded,
        2026,
        [(D("2026-04-06"), "清明节"), (D("2026-04-04"), "清明节"), (D("2026-10-01"), "国庆节")],
        [(D("2026-03-08"), "调休上班")],
        "国办发明电〔2025〕7号",
        "admin",
    )
    row = seeded.get(CalendarYear, 2026)
    assert row is not None
    assert (row.source, row.notice_no, row.updated_by) == (
        "manual",
        "国办发明电〔2025〕7号",
        "admin",
    )
    stored = seeded.scalars(
        select(CalendarDay).where(CalendarDay.day >= D("2026-01-01")).order_by(CalendarDay.day)
    ).all()
    assert [(d.day, d.kind, d.name, d.source_doc_no) for d in stored] == [
        (D("2026-03-08"), ADJUSTED_WORKDAY, "调休上班", "国办发明电〔2025〕7号"),
        (D("2026-04-04"), HOLIDAY, "清明节", "国办发明电〔2025〕7号"),
        (D("2026-04-06"), HOLIDAY, "清明节", "国办发明电〔2025〕7号"),
        (D("2026-10-01"), HOLIDAY, "国庆节", "国办发明电〔2025〕7号"),
    ]
    cal = load_calendar(seeded)
    assert cal.is_workday(D("2026-03-08"))
    assert cal.is_workday(D("2026-05-01"))
    assert cal.is_workday(D("2025-05-06"))  # other years untouched
    assert not cal.is_workday(D("2025-05-05"))


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ([(D("2025-12-31"), "元旦")], [], "not in 2026"),
        ([], [(D("2027-01-02"), "x")], "not in 2026"),
        ([(D("2026-05-09"), "劳动节")], [(D("2026-05-09"), "调休")], "both as holiday and"),
        ([], [(D("2026-05-08"), "调休")], "Saturdays or Sundays"),
        ([(D("2026-05-01"), "劳动节"), (D("2026-05-01"), "五一")], [], "twice"),
        ([(D("2026-05-01"), "劳" * 101)], [], "longer than 100"),
        ([(datetime(2026, 5, 1, 0, 0), "劳动节")], [], "expected a date"),
        ([D("2026-05-01")], [], r"\(date, name\) pair"),
    ],
)
def test_set_year_rejects_inconsistent_input(seeded, holidays, workdays, message):
    before = calendar_version(seeded)
    with pytest.raises(ValueError, match=message):
        set_year(seeded, 2026, holidays, workdays, None, "admin")
    assert calendar_version(seeded) == before


def test_set_year_rejects_implausible_year(session):
    with pytest.raises(ValueError, match="plausible"):
        set_year(session, 20260, [], [], None, "admin")


def test_writes_are_flushed_not_committed(engine):
    with Session(engine) as session:
        seed_from_chinese_calendar(session, [2026])
        set_year(session, 2027, HOLIDAYS_2027, WORKDAYS_2027, None, "admin")
        assert session.in_transaction()
        session.rollback()
    with Session(engine) as session:
        assert session.scalars(select(CalendarYear)).all() == []


def test_calendar_version_changes_with_every_edit(seeded):
    first = calendar_version(seeded)
    set_year(seeded, 2027, HOLIDAYS_2027, WORKDAYS_2027, None, "admin")
    second = calendar_version(seeded)
    set_year(seeded, 2027, HOLIDAYS_2027, WORKDAYS_2027, None, "admin")  # same data again
    third = calendar_version(seeded)
    assert len({first, second, third}) == 3


def test_cache_reloads_only_when_version_changes(engine):
    cache = CalendarCache()
    with Session(engine) as session:
        seed_from_chinese_calendar(session, [2025, 2026])
        session.commit()
    with Session(engine) as session:
        first = cache.get(session)
        assert cache.get(session) is first
    with Session(engine) as session:
        assert cache.get(session) is first  # another session, same data
        set_year(session, 2027, HOLIDAYS_2027, WORKDAYS_2027, None, "admin")
        second = cache.get(session)
        assert second is not first
        assert 2027 in second.covered_years
        session.rollback()
        third = cache.get(session)
        assert 2027 not in third.covered_years
    cache.clear()
    with Session(engine) as session:
        assert cache.get(session) is not third


def test_year_summary(seeded):
    summary = year_summary(seeded, 2026)
    assert summary.covered
    assert summary.source is not None and summary.source.startswith("chinese-calendar")
    assert (D("2026-04-04"), D("2026-04-06"), "清明节") in summary.holidays
    assert (D("2026-02-15"), D("2026-02-23"), "春节") in summary.holidays
    assert (D("2026-05-09"), "劳动节调休上班") in summary.workdays
    assert len(summary.workdays) == 6
    assert summary.working_days == sum(
        cc.is_workday(d) for d in days(D("2026-01-01"), D("2026-12-31"))
    )
    assert summary.holiday_weekdays == sum(
        1 for d in cc.holidays if d.year == 2026 and d.weekday() < 5
    )
    merged = year_summary(seeded, 2025)
    assert (D("2025-10-01"), D("2025-10-08"), "国庆节、中秋节") in merged.holidays
    missing = year_summary(seeded, 2027)
    assert not missing.covered
    assert missing.working_days is None
    assert missing.holidays == ()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-10-31", None),
        ("2026-11-01", "2027年节假日安排尚未录入，请于12月1日前录入国务院办公厅通知"),
        ("2026-12-05", "2027年节假日安排尚未录入，请尽快录入国务院办公厅通知"),
    ],
)
def test_missing_year_warning_from_november(seeded, today, expected):
    assert missing_year_warning(seeded, D(today)) == expected


def test_missing_year_warning_for_current_year(seeded):
    assert "2027年节假日安排尚未录入" in (missing_year_warning(seeded, D("2027-01-04")) or "")
    set_year(seeded, 2027, HOLIDAYS_2027, WORKDAYS_2027, None, "admin")
    assert missing_year_warning(seeded, D("2026-11-20")) is None
    assert missing_year_warning(seeded, D("2027-01-04")) is None
    assert missing_year_warning(seeded, D("2027-11-01")) is not None


def test_missing_year_warning_on_empty_database(session):
    warning = missing_year_warning(session, D("2026-11-20"))
    assert warning is not None
    assert warning.startswith("2026年节假日安排尚未录入")
    assert "2027年" in warning
