"""Statistics (统计): cases by flow, bureau, status and region; overdue rate; median
handling time; satisfaction; the month-by-month trend; and the Excel export.

Region rules apply as for reading cases: a county's supervisors count their own county,
the city's count the city and every county below it, nobody counts sideways. An
administrator without a unit sees the whole installation (aggregates only: the case list
of the export needs case:read). Cases a designer started to test a diagram are left out.

One narrow query reads the cases in scope (no workflow state, no variables but the
satisfaction answer); everything else is counted in Python, so the numbers are the same on
SQLite and PostgreSQL and a median needs no database extension.
"""

from __future__ import annotations

import io
import statistics as pystats
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from sqlalchemy import and_
from sqlalchemy import false
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

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


def _conditions(scope: Scope, filters: StatsFilter) -> list[Any]:
    conditions: list[Any] = []
    if scope.prefixes is not None:
        if not scope.prefixes:
            return [false()]
        conditions.append(
            or_(
                *(
                    ProcessInstance.region_code.startswith(p, autoescape=True)
                    for p in scope.prefixes
                )
            )
        )
    if filters.region:
        conditions.append(ProcessInstance.region_code.startswith(filters.region, autoescape=True))
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
    _durations: list[float] = field(default_factory=list, repr=False)

    def add(self, case: CaseFacts, now: datetime) -> None:
        self.total += 1
        if case.status == "active":
            self.active += 1
        elif case.status == "completed":
            self.completed += 1
        elif case.status == "cancelled":
            self.cancelled += 1
        if case.due_at is not None and case.status != "cancelled":
            self.with_deadline += 1
            if case.overdue(now):
                self.overdue += 1
                if case.status == "active":
                    self.overdue_open += 1
        if case.satisfaction in self.satisfaction:
            self.satisfaction[case.satisfaction] += 1
        days = case.handling_days
        if days is not None:
            self._durations.append(days)

    @property
    def overdue_rate(self) -> float | None:
        return self.overdue / self.with_deadline if self.with_deadline else None

    @property
    def median_days(self) -> float | None:
        return pystats.median(self._durations) if self._durations else None

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


def _facts(session: Session, conditions: Sequence[Any], limit: int | None = None):
    satisfaction = ProcessInstance.variables["satisfaction"].as_string()
    stmt = select(
        ProcessInstance.id,
        ProcessInstance.case_no,
        ProcessInstance.title,
        ProcessInstance.definition_key,
        ProcessInstance.bureau_code,
        ProcessInstance.region_code,
        ProcessInstance.status,
        ProcessInstance.case_status,
        ProcessInstance.started_at,
        ProcessInstance.ended_at,
        ProcessInstance.due_at,
        satisfaction,
    ).where(and_(*conditions))
    if limit is not None:
        stmt = stmt.order_by(ProcessInstance.started_at.desc()).limit(limit)
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        yield CaseFacts(*row)


def _group(cases: Iterable[CaseFacts], key: Callable[[CaseFacts], str | None], now: datetime):
    tallies: dict[str | None, Tally] = {}
    for case in cases:
        k = key(case)
        tally = tallies.get(k)
        if tally is None:
            tally = tallies[k] = Tally(k)
        tally.add(case, now)
    return sorted(tallies.values(), key=lambda t: (-t.total, t.key or ""))


def _month(moment: datetime) -> date:
    local = moment.astimezone(clock.LOCAL_TZ)
    return date(local.year, local.month, 1)


def _months(first: date, last: date) -> list[date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month) and len(months) < MAX_MONTHS:
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _trend(cases: Sequence[CaseFacts], filters: StatsFilter, now: datetime) -> list[MonthCount]:
    today = now.astimezone(clock.LOCAL_TZ).date()
    last = min(filters.end or today, today)
    if filters.start:
        first = filters.start
    else:
        first = date(last.year - 1, last.month, 1) + timedelta(days=32)
        first = date(first.year, first.month, 1)  # the 12 months ending with `last`
    months = _months(first, last)[-MAX_MONTHS:]
    opened: dict[date, int] = defaultdict(int)
    closed: dict[date, int] = defaultdict(int)
    for case in cases:
        opened[_month(case.started_at)] += 1
        if case.status == "completed" and case.ended_at is not None:
            closed[_month(case.ended_at)] += 1
    return [MonthCount(m, opened[m], closed[m]) for m in months]


def region_of(code: str | None) -> str | None:
    """The county-level division a case belongs to (townships roll up to their county)."""
    return code[:6] if code else None


def status_of(case: CaseFacts) -> str:
    """The end state the flow recorded, else the engine's state (active, completed, ...)."""
    return case.case_status or case.status


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
    cases = list(_facts(session, _conditions(scope, filters)))
    totals = Tally(None)
    for case in cases:
        totals.add(case, now)
    return Report(
        scope=scope,
        filters=filters,
        generated_at=now,
        totals=totals,
        by_flow=_group(cases, lambda c: c.process_key, now),
        by_bureau=_group(cases, lambda c: c.bureau, now),
        by_status=_group(cases, status_of, now),
        by_region=_group(cases, lambda c: region_of(c.region), now),
        by_month=_trend(cases, filters, now),
    )


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

    Every text is written as text: a case title starting with "=" is never a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8F0FB")
    for sheet in sheets:
        ws = book.create_sheet(_sheet_title(sheet.title))
        ws.append(list(sheet.headers))
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        for row in sheet.rows:
            ws.append([_cell_value(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
        if sheet.rows:
            ws.auto_filter.ref = ws.dimensions
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "Sheet"


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write Guangyuan wall-clock time.
        return value.astimezone(clock.LOCAL_TZ).replace(tzinfo=None)
    return value
