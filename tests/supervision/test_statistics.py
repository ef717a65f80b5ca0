"""supervision.statistics: what is counted, for whom, and the Excel workbook."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from supervision import clock
from supervision import statistics
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from tests.factories import user
from tests.web.org import make_full_org
from tests.web.stats_data import NOW
from tests.web.stats_data import seed_cases

YEAR_2026 = statistics.StatsFilter(start=date(2026, 1, 1), end=date(2026, 11, 26))


@pytest.fixture
def db(session):
    clock.freeze(NOW)
    make_full_org(session)
    seeded = seed_cases(session)
    session.commit()
    return seeded


def by_key(tallies):
    return {t.key: t for t in tallies}


def test_the_city_counts_itself_and_its_counties(session, db):
    report = statistics.report(session, user(session, "sup1"), YEAR_2026)
    totals = report.totals
    # c1..c5, l1, z1: the test run and the 2025 case are not counted.
    assert totals.total == 7
    assert (totals.active, totals.completed, totals.cancelled) == (3, 3, 1)
    # Deadlines: c1, c2, c3, c4, l1 (c5 cancelled, z1 none); overdue: c2 (late), c3 (open).
    assert (totals.with_deadline, totals.overdue, totals.overdue_open) == (5, 2, 1)
    assert totals.overdue_rate == pytest.approx(2 / 5)
    assert totals.median_days == pytest.approx(5.0)  # 3, 5, 11
    assert totals.satisfaction == {"satisfied": 1, "basically_satisfied": 1, "dissatisfied": 1}
    assert totals.satisfaction_rate == pytest.approx(2 / 3)
    regions = by_key(report.by_region)
    assert {k: t.total for k, t in regions.items()} == {"510800": 5, "510802": 1, "510811": 1}
    flows = by_key(report.by_flow)
    assert flows["complaint_intake"].total == 6 and flows["major_case_supervision"].total == 1
    assert by_key(report.by_bureau)["city_market"].overdue == 2
    assert by_key(report.by_status)["cancelled"].total == 1


def test_a_county_counts_only_its_own_cases(session, db):
    report = statistics.report(session, user(session, "lizhou1"), YEAR_2026)
    assert report.totals.total == 1
    assert [t.key for t in report.by_region] == ["510802"]


def test_nobody_counts_sideways_or_upwards(session, db):
    lizhou = user(session, "lizhou1")
    for region in ("510811", "510800", "51"):
        with pytest.raises(NotAllowedError):
            statistics.report(session, lizhou, statistics.StatsFilter(region=region))


def test_the_city_narrows_to_one_county(session, db):
    report = statistics.report(
        session, user(session, "chief"), statistics.StatsFilter(region="510811")
    )
    assert report.totals.total == 1
    assert report.by_flow[0].key == "major_case_supervision"


def test_an_administrator_sees_everything_but_no_case_list(session, db):
    admin = user(session, "admin")
    report = statistics.report(session, admin, statistics.StatsFilter())
    assert report.totals.total == 8  # every year; still no test run
    with pytest.raises(NotAllowedError):
        statistics.case_list(session, admin, statistics.StatsFilter())


def test_users_without_statistics_are_refused(session, db):
    for name in ("operator", "market1", "designer", "invited1"):
        with pytest.raises(NotAllowedError):
            statistics.report(session, user(session, name), YEAR_2026)


def test_a_reversed_period_is_refused(session, db):
    with pytest.raises(InvalidInputError):
        statistics.report(
            session,
            user(session, "sup1"),
            statistics.StatsFilter(start=date(2026, 5, 1), end=date(2026, 4, 1)),
        )


def test_the_month_trend_covers_the_period(session, db):
    report = statistics.report(session, user(session, "sup1"), YEAR_2026)
    months = {m.month: (m.opened, m.closed) for m in report.by_month}
    assert len(months) == 11 and min(months) == date(2026, 1, 1)
    assert months[date(2026, 10, 1)] == (7, 3)


def test_the_case_list_is_what_the_supervisor_may_read(session, db):
    rows = statistics.case_list(session, user(session, "lizhou1"), statistics.StatsFilter())
    assert [r.case_no for r in rows] == ["JD-510802-2026-l1"]


def test_the_workbook_writes_text_as_text():
    data = statistics.workbook(
        [
            statistics.Sheet("概况", ["项目", "数值"], [["=1+1", 3], ["a", None]], widths=[10, 10]),
            statistics.Sheet("bad/name:[x]" * 5, ["a"], []),
        ]
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "概况"
    assert len(book.sheetnames[1]) <= 31 and "/" not in book.sheetnames[1]
    sheet = book["概况"]
    cell = sheet["A2"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:B3"
    assert sheet.column_dimensions["A"].width == 10


def test_the_median_comes_from_tenths_of_a_day():
    tally = statistics.Tally(None)
    assert tally.median_days is None
    tally.durations = {30: 1, 50: 1}
    assert tally.median_days == pytest.approx(4.0)
    tally.durations = {30: 1, 50: 1, 110: 1}
    assert tally.median_days == pytest.approx(5.0)
    tally.durations = {10: 2, 70: 1}
    assert tally.median_days == pytest.approx(1.0)


def test_months_are_counted_in_guangyuan_time(session, db):
    from datetime import UTC
    from datetime import datetime

    from db.models import ProcessInstance

    template = session.get(ProcessInstance, db.ids["c4"])
    # 2026-09-30 17:30 UTC is 1 October, 01:30 in Guangyuan.
    late = datetime(2026, 9, 30, 17, 30, tzinfo=UTC)
    session.add(
        ProcessInstance(
            id="late-september-utc",
            definition_id=template.definition_id,
            definition_key=template.definition_key,
            status="active",
            state=b"",
            serializer_version="test",
            variables={},
            region_code="510800",
            started_at=late,
        )
    )
    session.commit()
    report = statistics.report(session, user(session, "sup1"), YEAR_2026)
    months = {m.month: m.opened for m in report.by_month}
    assert months[date(2026, 10, 1)] == 8 and months[date(2026, 9, 1)] == 0
