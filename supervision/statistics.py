"""Statistics (统计): cases by flow, bureau, status and region; overdue rate; median
handling time; satisfaction; the month-by-month trend; and the Excel export.

Region rules apply as for reading cases: a county's supervisors count their own county,
the city's count the city and every county below it, nobody counts sideways. An
administrator without a unit sees the whole installation (aggregates only: the case list
of the export needs case:read). Cases a designer started to test a diagram are left out.

The database does the counting: each grouping is one GROUP BY over the cases in scope, and
handling times come back as a histogram in tenths of a day, from which the median is taken
(exact to the tenth of a day the page shows, with no database extension). The page thus
costs the same dozen queries for fifty cases or half a million. Only the export's case
sheet reads rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Integer
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import UtcDateTime
from db.models import CaseParticipant
from db.models import Group
from db.models import ProcessInstance
from db.models import User
from supervision import authz
from supervision import clock
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from supervision.permissions import Permission
from supervision.permissions import Role

TEST_RUN = "test_run"  # CaseParticipant.reason of a designer's test case
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")
MAX_CASE_ROWS = 50_000
MAX_MONTHS = 36

# GB/T 2260 names of the divisions this installation serves (domain.md §1.3); units of
# other divisions are named after their supervision body.
DIVISION_NAMES = {
    "510800": "广元市（市本级）",
    "510802": "利州区",
    "510811": "昭化区",
    "510812": "朝天区",
    "510821": "旺苍县",
    "510822": "青川县",
    "510823": "剑阁县",
    "510824": "苍溪县",
}


# ---------------------------------------------------------------- scope and filters


@dataclass(frozen=True)
class Scope:
    """The division-code prefixes a user may count; None means the whole installation."""

    prefixes: tuple[str, ...] | None

    def covers(self, region: str) -> bool:
        return self.prefixes is None or any(region.startswith(p) for p in self.prefixes)


def scope_for(user: User) -> Scope:
    authz.require(user, Permission.STATS_READ)
    prefixes = authz.regional_prefixes(user)
    if prefixes:
        return Scope(tuple(prefixes))
    if Role.ADMIN.value in user.roles:
        return Scope(None)
    return Scope(())


@dataclass(frozen=True)
class StatsFilter:
    process_key: str | None = None
    region: str | None = None  # a division code inside the viewer's scope
    bureau: str | None = None
    start: date | None = None  # cases started on or after (Guangyuan date)
    end: date | None = None  # cases started on or before

    def check(self, scope: Scope) -> None:
        if self.start and self.end and self.end < self.start:
            raise InvalidInputError("结束日期早于开始日期 (the end date is before the start date)")
        if self.region is not None and not (
            self.region.isdigit() and len(self.region) in (6, 9, 12) and scope.covers(self.region)
        ):
            raise NotAllowedError(
                "您不能查看该地区的统计 (you may not see statistics of that region)"
            )


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.LOCAL_TZ)


def _in_division(prefix: str):
    """region_code starts with `prefix` (digits), as a range the region index can serve."""
    above = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(ProcessInstance.region_code >= prefix, ProcessInstance.region_code < above)


def _conditions(scope: Scope, filters: StatsFilter) -> list[Any]:
    conditions: list[Any] = []
    if scope.prefixes is not None:
        if not scope.prefixes:
            return [false()]
        conditions.append(or_(*(_in_division(p) for p in scope.prefixes)))
    if filters.region:
        conditions.append(_in_division(filters.region))
    if filters.process_key:
        conditions.append(ProcessInstance.definition_key == filters.process_key)
    if filters.bureau:
        conditions.append(ProcessInstance.bureau_code == filters.bureau)
    if filters.start:
        conditions.append(ProcessInstance.started_at >= _local_start(filters.start))
    if filters.end:
        conditions.append(
            ProcessInstance.started_at < _local_start(filters.end + timedelta(days=1))
        )
    tests = select(CaseParticipant.instance_id).where(CaseParticipant.reason == TEST_RUN)
    conditions.append(ProcessInstance.id.not_in(tests))
    return conditions


# ---------------------------------------------------------------- counting


@dataclass(frozen=True)
class CaseFacts:
    """The columns statistics need of one case."""

    id: str
    case_no: str | None
    title: str | None
    process_key: str
    bureau: str | None
    region: str | None
    status: str
    case_status: str | None
    started_at: datetime
    ended_at: datetime | None
    due_at: datetime | None
    satisfaction: str | None

    def overdue(self, now: datetime) -> bool:
        if self.due_at is None or self.status == "cancelled":
            return False
        return (self.ended_at or now) > self.due_at

    @property
    def handling_days(self) -> float | None:
        if self.status != "completed" or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() / 86400


@dataclass
class Tally:
    """Counts for one group of cases (a flow, a bureau, a status, a region, or all)."""

    key: str | None
    total: int = 0
    active: int = 0
    completed: int = 0
    cancelled: int = 0
    with_deadline: int = 0
    overdue: int = 0
    overdue_open: int = 0
    satisfaction: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SATISFACTION, 0))
    # Handling times of finished cases in tenths of a day -> how many cases took that long.
    durations: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def overdue_rate(self) -> float | None:
        return self.overdue / self.with_deadline if self.with_deadline else None

    @property
    def median_days(self) -> float | None:
        """The median handling time in days, to a tenth of a day (as the page shows it)."""
        count = sum(self.durations.values())
        if not count:
            return None
        wanted = [(count - 1) // 2, count // 2]  # the middle one or two, 0-based
        found: list[int] = []
        seen = 0
        for tenths in sorted(self.durations):
            n = self.durations[tenths]
            while wanted and wanted[0] < seen + n:
                found.append(tenths)
                wanted.pop(0)
            seen += n
        return sum(found) / len(found) / 10

    @property
    def rated(self) -> int:
        return sum(self.satisfaction.values())

    @property
    def satisfaction_rate(self) -> float | None:
        """Satisfied or basically satisfied, among the callbacks that gave an answer."""
        if not self.rated:
            return None
        good = self.satisfaction["satisfied"] + self.satisfaction["basically_satisfied"]
        return good / self.rated


@dataclass(frozen=True)
class MonthCount:
    month: date  # the first day of the month
    opened: int
    closed: int


@dataclass
class Report:
    scope: Scope
    filters: StatsFilter
    generated_at: datetime
    totals: Tally
    by_flow: list[Tally]
    by_bureau: list[Tally]
    by_status: list[Tally]
    by_region: list[Tally]
    by_month: list[MonthCount]


# ---------------------------------------------------------------- SQL expressions
# The database counts: each grouping is one GROUP BY over the cases in scope, so the page
# costs the same few queries for fifty cases or five hundred thousand.

PI = ProcessInstance


def _satisfaction():
    return PI.variables["satisfaction"].as_string()


def _overdue(now: datetime):
    late = func.coalesce(PI.ended_at, literal(now, UtcDateTime())) > PI.due_at
    return case((and_(PI.due_at.is_not(None), PI.status != "cancelled", late), 1), else_=0)


def _tenths_of_days(dialect: str):
    """How long a case took, in tenths of a day (rounded)."""
    if dialect == "postgresql":
        seconds = func.extract("epoch", PI.ended_at - PI.started_at)
    else:
        seconds = (func.julianday(PI.ended_at) - func.julianday(PI.started_at)) * 86400
    return cast(func.round(seconds / 8640), Integer)


def _local_month(column, dialect: str):
    """'YYYY-MM' of a moment in Guangyuan (UTC+8 all year: China has no summer time)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


GROUP_KEYS = {
    "flow": lambda: PI.definition_key,
    "bureau": lambda: PI.bureau_code,
    "status": lambda: func.coalesce(PI.case_status, PI.status),
    "region": lambda: func.substr(PI.region_code, 1, 6),
}


def _tallies(session: Session, conditions: list[Any], group_key, now: datetime) -> dict:
    """{group key: Tally} for one grouping: one query for the counts, one for the times.

    The counts are grouped by every attribute they depend on (state, deadline, overdue,
    callback answer) and summed here: each expression, the JSON lookup above all, is then
    computed once per case (SQLite would evaluate a repeated expression again).
    """
    deadline = case((and_(PI.due_at.is_not(None), PI.status != "cancelled"), 1), else_=0)
    overdue = _overdue(now)
    satisfaction = _satisfaction()
    counts = (
        select(group_key, PI.status, deadline, overdue, satisfaction, func.count())
        .where(*conditions)
        .group_by(group_key, PI.status, deadline, overdue, satisfaction)
    )
    tallies: dict[str | None, Tally] = {}
    for k, status, has_deadline, is_overdue, answer, n in session.execute(counts):
        tally = tallies.get(k)
        if tally is None:
            tally = tallies[k] = Tally(k)
        tally.total += n
        if status == "active":
            tally.active += n
        elif status == "completed":
            tally.completed += n
        elif status == "cancelled":
            tally.cancelled += n
        if has_deadline:
            tally.with_deadline += n
        if is_overdue:
            tally.overdue += n
            if status == "active":
                tally.overdue_open += n
        if answer in tally.satisfaction:
            tally.satisfaction[answer] += n
    tenths = _tenths_of_days(session.get_bind().dialect.name)
    durations = (
        select(group_key, tenths, func.count())
        .where(*conditions, PI.status == "completed", PI.ended_at.is_not(None))
        .group_by(group_key, tenths)
    )
    for k, bucket, n in session.execute(durations):
        tally = tallies.get(k)
        if tally is not None and bucket is not None:
            tally.durations[int(bucket)] = tally.durations.get(int(bucket), 0) + int(n)
    return tallies


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally(None)
    for t in tallies:
        total.total += t.total
        total.active += t.active
        total.completed += t.completed
        total.cancelled += t.cancelled
        total.with_deadline += t.with_deadline
        total.overdue += t.overdue
        total.overdue_open += t.overdue_open
        for name, n in t.satisfaction.items():
            total.satisfaction[name] += n
        for tenths, n in t.durations.items():
            total.durations[tenths] = total.durations.get(tenths, 0) + n
    return total


def _ordered(tallies: dict) -> list[Tally]:
    return sorted(tallies.values(), key=lambda t: (-t.total, t.key or ""))


def _months(first: date, last: date) -> list[date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month) and len(months) < MAX_MONTHS:
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _trend(
    session: Session, conditions: list[Any], filters: StatsFilter, now: datetime
) -> list[MonthCount]:
    """Cases received and cases closed per month, over the period (or the last 12 months)."""
    today = now.astimezone(clock.LOCAL_TZ).date()
    last = min(filters.end or today, today)
    if filters.start:
        first = filters.start
    else:
        first = date(last.year - 1, last.month, 1) + timedelta(days=32)
        first = date(first.year, first.month, 1)  # the 12 months ending with `last`
    months = _months(first, last)[-MAX_MONTHS:]
    dialect = session.get_bind().dialect.name
    opened_month = _local_month(PI.started_at, dialect)
    closed_month = _local_month(PI.ended_at, dialect)
    opened = dict(
        session.execute(
            select(opened_month, func.count()).where(*conditions).group_by(opened_month)
        ).all()
    )
    closed = dict(
        session.execute(
            select(closed_month, func.count())
            .where(*conditions, PI.status == "completed", PI.ended_at.is_not(None))
            .group_by(closed_month)
        ).all()
    )
    return [
        MonthCount(m, int(opened.get(f"{m:%Y-%m}", 0)), int(closed.get(f"{m:%Y-%m}", 0)))
        for m in months
    ]


def region_of(code: str | None) -> str | None:
    """The county-level division a case belongs to (townships roll up to their county)."""
    return code[:6] if code else None


def status_of(facts: CaseFacts) -> str:
    """The end state the flow recorded, else the engine's state (active, completed, ...)."""
    return facts.case_status or facts.status


def report(
    session: Session, user: User, filters: StatsFilter, now: datetime | None = None
) -> Report:
    """Every figure of the statistics page for `user`, within `filters`.

    Raises:
        NotAllowedError: no stats:read, or a region outside the user's scope.
        InvalidInputError: an end date before the start date.
    """
    scope = scope_for(user)
    filters.check(scope)
    now = now or clock.now()
    conditions = _conditions(scope, filters)
    groups = {
        name: _ordered(_tallies(session, conditions, key(), now))
        for name, key in GROUP_KEYS.items()
    }
    # Every case has exactly one flow, so the flows add up to the totals.
    totals = _sum(groups["flow"])
    return Report(
        scope=scope,
        filters=filters,
        generated_at=now,
        totals=totals,
        by_flow=groups["flow"],
        by_bureau=groups["bureau"],
        by_status=groups["status"],
        by_region=groups["region"],
        by_month=_trend(session, conditions, filters, now),
    )


def _facts(session: Session, conditions: Sequence[Any], limit: int | None = None):
    stmt = select(
        PI.id,
        PI.case_no,
        PI.title,
        PI.definition_key,
        PI.bureau_code,
        PI.region_code,
        PI.status,
        PI.case_status,
        PI.started_at,
        PI.ended_at,
        PI.due_at,
        _satisfaction(),
    ).where(and_(*conditions))
    if limit is not None:
        stmt = stmt.order_by(PI.started_at.desc()).limit(limit)
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        yield CaseFacts(*row)


def case_list(
    session: Session, user: User, filters: StatsFilter, limit: int = MAX_CASE_ROWS
) -> list[CaseFacts]:
    """The cases behind the figures (newest first), for the export's case sheet.

    Only for users who may read those cases: the region scope of statistics is the same as
    the regional read rule of supervisors, and administrators get no case list.
    """
    scope = scope_for(user)
    filters.check(scope)
    if not authz.has(user, Permission.CASE_READ) or scope.prefixes is None:
        raise NotAllowedError("您不能导出案件清单 (you may not export the list of cases)")
    conditions = [*_conditions(scope, filters), authz.case_filter(user)]
    return list(_facts(session, conditions, limit=limit))


# ---------------------------------------------------------------- names for the page


def region_choices(session: Session, user: User) -> list[tuple[str, str]]:
    """The divisions a user may pick: their own and those below, by known units."""
    scope = scope_for(user)
    codes = sorted({c[:6] for c in session.scalars(select(Group.region_code)) if c})
    codes = [c for c in codes if scope.covers(c)]
    names = region_names(session, codes)
    return [(c, names[c]) for c in codes]


def region_names(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    rows = session.execute(
        select(Group.region_code, Group.name)
        .where(Group.region_code.in_(wanted), Group.kind == "supervision")
        .order_by(Group.id)
    ).all()
    by_unit: dict[str, str] = {}
    for code, name in rows:
        by_unit.setdefault(code, name)
    return {c: DIVISION_NAMES.get(c) or by_unit.get(c) or c for c in wanted}


# ---------------------------------------------------------------- Excel


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx with one table per sheet: bold frozen header row, filters, set widths.

    Written in openpyxl's streaming mode (constant memory, linear time: 50,000 case rows in
    a few seconds). Every text is written as text: a case title starting with "=" is never
    a formula.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8F0FB")
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title))
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        if sheet.rows:
            last = get_column_letter(max(len(sheet.headers), 1))
            ws.auto_filter.ref = f"A1:{last}{len(sheet.rows) + 1}"
        header = []
        for title in sheet.headers:
            cell = WriteOnlyCell(ws, value=str(title))
            cell.data_type = "s"
            cell.font = bold
            cell.fill = fill
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_cell(ws, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(ws, value: Any):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=_cell_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write Guangyuan wall-clock time.
        return value.astimezone(clock.LOCAL_TZ).replace(tzinfo=None)
    return value
