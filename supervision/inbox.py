"""Task lists: read from the open-task projection with indexed SQL, never from workflows.

A tab is a union of disjoint "key" branches, each a range of one index that carries the
sort columns (`id`, `due_at`, `created_at`, `priority`):

- mine: open_tasks by assignee;
- group: the user's candidate rows (one branch for the groups, one for the user name) that
  are not claimed, like Camunda's identity links; a task offered to two of the user's
  groups counts once (the `shared` rows keep only their first match);
- all: mine + group (a claimed task is never offered, so they cannot overlap);
- team: open_tasks in the regions a chief leads (one range per region prefix) + candidate
  rows of the chief's groups outside those regions.

A page is counted and sorted on those keys alone, then its few open tasks are fetched by
id. Only the filters and sorts on columns the candidate rows do not repeat (process, case
number, bureau, task, candidate group; sort by name or case number) join open_tasks.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import not_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from db.models import HistoricTask
from db.models import OpenTask
from db.models import TaskCandidate
from db.models import User
from supervision import authz
from supervision import clock
from supervision.permissions import Permission

TABS = ("mine", "group", "done", "all", "team")
SORTS = {
    "due": (OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.created_at),
    "-due": (OpenTask.due_at.is_(None), OpenTask.due_at.desc(), OpenTask.created_at),
    "created": (OpenTask.created_at,),
    "-created": (OpenTask.created_at.desc(),),
    "priority": (OpenTask.priority.desc(), OpenTask.created_at),
    "name": (OpenTask.name, OpenTask.created_at),
    # Tasks without a case number last, as undated ones for "due" (on both databases).
    "case": (OpenTask.case_no.is_(None), OpenTask.case_no, OpenTask.created_at),
}


@dataclass
class TaskFilters:
    process: str | None = None
    case_no: str | None = None
    bureau: str | None = None
    due_before: datetime | None = None
    overdue: bool = False
    candidate_group: str | None = None
    task_spec_id: str | None = None

    def needs_task_row(self) -> bool:
        """Whether a filter reads a column only open_tasks has."""
        return bool(
            self.process or self.case_no or self.bureau or self.candidate_group or self.task_spec_id
        )


@dataclass
class TaskPage:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# ---------------------------------------------------------------- conditions on OpenTask


def candidate_condition(user: User) -> ColumnElement[bool]:
    """Unassigned tasks offered to the user or one of the user's groups."""
    codes = sorted(user.group_codes)
    offered = TaskCandidate.username == user.username
    if codes:
        offered = or_(offered, TaskCandidate.group_code.in_(codes))
    return and_(
        OpenTask.assignee.is_(None),
        OpenTask.id.in_(select(TaskCandidate.task_id).where(offered)),
    )


def team_condition(user: User) -> ColumnElement[bool]:
    """Every open task a chief may (re)assign: offered to one of the chief's groups, or in a
    region the chief leads, claimed or not (the same rule as authz.can_assign)."""
    if not authz.has(user, Permission.TASK_ASSIGN):
        return false()
    codes = sorted(user.group_codes)
    conditions: list[ColumnElement[bool]] = []
    if codes:
        conditions.append(
            OpenTask.id.in_(
                select(TaskCandidate.task_id).where(TaskCandidate.group_code.in_(codes))
            )
        )
    conditions += [in_region(OpenTask.region_code, p) for p in _led_prefixes(user)]
    return or_(*conditions) if conditions else false()


def tab_condition(user: User, tab: str) -> ColumnElement[bool]:
    if tab == "team":
        return team_condition(user)
    if tab == "mine":
        return OpenTask.assignee == user.username
    if tab == "group":
        return candidate_condition(user)
    if tab == "all":
        return or_(OpenTask.assignee == user.username, candidate_condition(user))
    raise ValueError(f"unknown tab {tab}")


def in_region(column, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written as a range an index can scan (a LIKE with an
    escape character uses none on SQLite, nor on PostgreSQL outside the C collation).

    Region codes are digit strings (GB/T 2260): for those the range is exact in any
    collation. Any other prefix keeps the LIKE as the exact test.
    """
    conditions = [column >= prefix]
    upper = _next_prefix(prefix)
    if upper is not None:
        conditions.append(column < upper)
    if not prefix.isdigit():
        conditions.append(column.startswith(prefix, autoescape=True))
    return and_(*conditions)


def _next_prefix(prefix: str) -> str | None:
    """The smallest string above every string that starts with `prefix` (None: no bound)."""
    stripped = prefix.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def _led_prefixes(user: User) -> list[str]:
    """The chief's region prefixes without those inside another (a province chief who also
    leads a city): the ranges do not overlap, so no task is listed twice."""
    prefixes = authz.regional_prefixes(user)
    return [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]


# ---------------------------------------------------------------- the keys of a tab


@dataclass(frozen=True)
class _Branch:
    """Part of a tab: a SELECT of the keys (id, due_at, created_at, priority) over one
    index range. The branches of a tab never share a task. `walkable`: the range is an
    equality on the index's leading columns, so the index gives the rows in due-date order
    (a page by due date reads only its rows); other ranges are sorted (top-N)."""

    keys: Select
    walkable: bool = False

    @property
    def due(self):
        """The table column behind the `due_at` key."""
        return self.keys.selected_columns.due_at.element

    def where(self, *conditions) -> _Branch:
        return _Branch(self.keys.where(*conditions), self.walkable)


# Named once: building an alias per query costs more than running the query.
_LINK = aliased(TaskCandidate, name="link")
_OTHER = aliased(TaskCandidate, name="other_link")


def _task_keys(*where, walkable: bool = False) -> _Branch:
    keys = select(
        OpenTask.id.label("id"),
        OpenTask.due_at.label("due_at"),
        OpenTask.created_at.label("created_at"),
        OpenTask.priority.label("priority"),
    )
    return _Branch(keys.where(*where), walkable)


def _candidate_keys(*where, walkable: bool = False) -> _Branch:
    keys = select(
        _LINK.task_id.label("id"),
        _LINK.due_at.label("due_at"),
        _LINK.created_at.label("created_at"),
        _LINK.priority.label("priority"),
    )
    return _Branch(keys.where(*where), walkable)


def _first_match(matches) -> ColumnElement[bool]:
    """The row is its task's only candidate row, or the first of the task's rows that
    `matches` accepts: a task offered twice to the same person yields one key."""
    earlier = exists().where(_OTHER.task_id == _LINK.task_id, _OTHER.id < _LINK.id, matches(_OTHER))
    return or_(_LINK.shared.is_(False), not_(earlier))


def _mine_keys(user: User) -> list[_Branch]:
    return [_task_keys(OpenTask.assignee == user.username, walkable=True)]


def _offered_keys(user: User) -> list[_Branch]:
    """Unclaimed tasks offered to the user: one branch per group and one for the user
    name, each an equality range of a candidate index."""
    codes = sorted(user.group_codes)

    def matches(link) -> ColumnElement[bool]:
        offered = link.username == user.username
        return or_(link.group_code.in_(codes), offered) if codes else offered

    unclaimed = (_LINK.assigned.is_(False), _first_match(matches))
    return [
        _candidate_keys(_LINK.group_code == code, *unclaimed, walkable=True) for code in codes
    ] + [_candidate_keys(_LINK.username == user.username, *unclaimed, walkable=True)]


def _team_keys(user: User, regions: Mapping[str, list[str]] | None = None) -> list[_Branch]:
    """A chief's tasks: those in the regions the chief leads, then those offered to the
    chief's groups outside those regions (the candidate rows carry the region).

    `regions` may list the codes present under a prefix (see _region_codes): that prefix
    then becomes one walkable branch per code instead of one range to sort.
    """
    if not authz.has(user, Permission.TASK_ASSIGN):
        return []
    prefixes = _led_prefixes(user)
    regions = regions or {}
    branches = []
    for prefix in prefixes:
        if regions.get(prefix) is None:
            branches.append(_task_keys(in_region(OpenTask.region_code, prefix)))
        else:
            branches += [
                _task_keys(OpenTask.region_code == code, walkable=True) for code in regions[prefix]
            ]
    codes = sorted(user.group_codes)
    if codes:
        outside = [not_(in_region(_LINK.region_code, p)) for p in prefixes]
        if outside:
            outside = [or_(_LINK.region_code.is_(None), and_(*outside))]
        branches.append(
            _candidate_keys(
                _LINK.group_code.in_(codes),
                *outside,
                _first_match(lambda link: link.group_code.in_(codes)),
            )
        )
    return branches


# A prefix with more region codes than this is sorted as one range (a province).
_WALKED_REGIONS = 12


def _region_codes(session: Session, prefix: str) -> list[str] | None:
    """The region codes of open tasks under a digit `prefix`, found by a loose index scan
    (one index seek per code); None when there are more than _WALKED_REGIONS of them."""
    upper = _next_prefix(prefix)
    if not prefix.isdigit() or upper is None:
        return None
    code = OpenTask.region_code
    found = (
        select(func.min(code).label("code"), literal(1).label("n"))
        .where(code >= prefix, code < upper)
        .cte("region_codes", recursive=True)
    )
    following = select(func.min(code)).where(code > found.c.code, code < upper)
    found = found.union_all(
        select(following.scalar_subquery(), found.c.n + 1).where(
            found.c.code.is_not(None), found.c.n <= _WALKED_REGIONS
        )
    )
    codes = list(session.scalars(select(found.c.code).where(found.c.code.is_not(None))))
    return codes if len(codes) <= _WALKED_REGIONS else None


def _tab_keys(
    user: User, tab: str, regions: Mapping[str, list[str]] | None = None
) -> list[_Branch]:
    if tab == "mine":
        return _mine_keys(user)
    if tab == "group":
        return _offered_keys(user)
    if tab == "all":
        return _mine_keys(user) + _offered_keys(user)
    if tab == "team":
        return _team_keys(user, regions)
    raise ValueError(f"unknown tab {tab}")


def _with_due_filters(branches: list[_Branch], filters: TaskFilters, now: datetime) -> list:
    """The date filters, applied in each branch on its own (indexed) due column."""
    out = []
    for branch in branches:
        if filters.due_before:
            branch = branch.where(branch.due <= filters.due_before)
        if filters.overdue:
            branch = branch.where(branch.due < now)
        out.append(branch)
    return out


def _union(branches: list[_Branch]):
    selects = [b.keys for b in branches]
    return selects[0] if len(selects) == 1 else union_all(*selects)


def _count(branches: list[_Branch], *due_conditions, cap: int | None = None) -> ColumnElement[int]:
    """The number of keys: one index-range count per branch, added up in SQL. With `cap`,
    each branch reads at most `cap` index entries (the sum is then at least `cap` when
    the true number is)."""
    if not branches:
        return literal(0)
    parts = []
    for b in branches:
        keys = b.keys.where(*(condition(b.due) for condition in due_conditions))
        if cap is None:
            part = keys.with_only_columns(func.count(), maintain_column_froms=True)
        else:
            bounded = keys.with_only_columns(literal(1), maintain_column_froms=True).limit(cap)
            part = select(func.count()).select_from(bounded.subquery())
        parts.append(part.scalar_subquery())
    return functools.reduce(operator.add, parts)


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class _KeySort:
    """A sort the keys can do alone. `by_due`: tasks without a due date come last, so a
    walkable branch is split into its dated and its undated rows, whose own order (`within`)
    the index gives; other branches sort by the full `order`."""

    within: Callable[[Any], tuple]
    by_due: bool = False

    def order(self, keys) -> tuple:
        lead = (keys.due_at.is_(None),) if self.by_due else ()
        return (*lead, *self.within(keys))

    def heads(self, branch: _Branch, limit: int) -> list[Select]:
        """The branch's first `limit` keys in this order (one or two SELECTs)."""
        if self.by_due and branch.walkable:
            parts = [branch.where(branch.due.is_not(None)), branch.where(branch.due.is_(None))]
            return [
                p.keys.order_by(*self.within(p.keys.selected_columns)).limit(limit) for p in parts
            ]
        return [branch.keys.order_by(*self.order(branch.keys.selected_columns)).limit(limit)]


_KEY_SORTS = {
    "due": _KeySort(lambda k: (k.due_at, k.created_at, k.id), by_due=True),
    "-due": _KeySort(lambda k: (k.due_at.desc(), k.created_at, k.id), by_due=True),
    "created": _KeySort(lambda k: (k.created_at, k.id)),
    "-created": _KeySort(lambda k: (k.created_at.desc(), k.id)),
    "priority": _KeySort(lambda k: (k.priority.desc(), k.created_at, k.id)),
}


def _key_page(branches: list[_Branch], sort: _KeySort, offset: int, limit: int) -> Select:
    """The page's open tasks in order: every branch gives its first offset+limit keys (an
    index walk or a top-N sort), their union is sorted once and joined to open_tasks."""
    heads = [select(head.subquery()) for b in branches for head in sort.heads(b, offset + limit)]
    keys = (heads[0] if len(heads) == 1 else union_all(*heads)).subquery("tab_keys")
    page = select(keys).order_by(*sort.order(keys.c)).offset(offset).limit(limit).subquery("page")
    return select(OpenTask).join(page, page.c.id == OpenTask.id).order_by(*sort.order(page.c))


def _task_filters(stmt, filters: TaskFilters):
    if filters.process:
        stmt = stmt.where(OpenTask.definition_key == filters.process)
    if filters.case_no:
        stmt = stmt.where(OpenTask.case_no.ilike(f"%{filters.case_no.strip()}%"))
    if filters.bureau:
        stmt = stmt.where(OpenTask.bureau_code == filters.bureau)
    if filters.candidate_group:
        stmt = stmt.where(
            exists().where(
                TaskCandidate.task_id == OpenTask.id,
                TaskCandidate.group_code == filters.candidate_group,
            )
        )
    if filters.task_spec_id:
        stmt = stmt.where(OpenTask.task_spec_id == filters.task_spec_id)
    return stmt


def list_tasks(
    session: Session,
    user: User,
    *,
    tab: str = "all",
    filters: TaskFilters | None = None,
    sort: str = "due",
    page: int = 1,
    per_page: int = 25,
) -> TaskPage:
    filters = filters or TaskFilters()
    page = max(page, 1)
    per_page = min(max(per_page, 1), 200)
    if not authz.is_usable(user):
        return TaskPage([], 0, page, per_page)
    if tab == "done":
        return _done_page(session, user, filters, page, per_page)
    sort = sort if sort in SORTS else "due"
    by_keys = not filters.needs_task_row() and sort in _KEY_SORTS
    regions = None
    if tab == "team" and by_keys and _KEY_SORTS[sort].by_due:
        regions = {p: _region_codes(session, p) for p in _led_prefixes(user)}
    branches = _with_due_filters(_tab_keys(user, tab, regions), filters, clock.now())
    if not branches:
        return TaskPage([], 0, page, per_page)
    offset = (page - 1) * per_page
    if not by_keys:
        # The filter or the sort reads columns only open_tasks has: join every key to its
        # task (as many lookups as the tab has tasks; the plain tabs need none).
        keys = _union(branches).subquery("tab_keys")
        stmt = _task_filters(select(OpenTask).join(keys, keys.c.id == OpenTask.id), filters)
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        order = (*SORTS[sort], OpenTask.id)
        items = list(session.scalars(stmt.order_by(*order).offset(offset).limit(per_page)))
        return TaskPage(items, total, page, per_page)
    total = session.scalar(select(_count(branches))) or 0
    if offset >= total:
        return TaskPage([], total, page, per_page)
    items = list(session.scalars(_key_page(branches, _KEY_SORTS[sort], offset, per_page)))
    return TaskPage(items, total, page, per_page)


def _done_page(
    session: Session, user: User, filters: TaskFilters, page: int, per_page: int
) -> TaskPage:
    stmt = select(HistoricTask).where(HistoricTask.completed_by == user.username)
    if filters.process:
        stmt = stmt.where(HistoricTask.definition_key == filters.process)
    if filters.case_no:
        stmt = stmt.where(HistoricTask.case_no.ilike(f"%{filters.case_no.strip()}%"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(HistoricTask.ended_at.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return TaskPage(items, total, page, per_page)


# Badges count up to this many tasks; beyond it they read "999+". An exact count of a
# chief's 16,000 team tasks reads every index entry on each inbox view (tens of ms); no one
# needs the exact figure on a tab, and the list's own total stays exact.
COUNT_CAP = 1000


def counts(session: Session, user: User) -> dict[str, int]:
    """Tab badges: my tasks, my groups' unclaimed tasks, overdue among them, completed,
    and (for chiefs) every task they may assign, in one statement of index-range counts.
    Exact below COUNT_CAP; a figure of COUNT_CAP or more means "at least COUNT_CAP"
    (see badge())."""
    if not authz.is_usable(user):
        return {"mine": 0, "group": 0, "overdue": 0, "done": 0, "team": 0}
    now = clock.now()
    mine, offered = _mine_keys(user), _offered_keys(user)
    # count(*), not count(id): the (completed_by, ended_at) index alone answers it.
    done = (
        select(func.count())
        .select_from(
            select(literal(1))
            .where(HistoricTask.completed_by == user.username)
            .limit(COUNT_CAP)
            .subquery()
        )
        .scalar_subquery()
    )
    row = session.execute(
        select(
            _count(mine, cap=COUNT_CAP).label("mine"),
            _count(offered, cap=COUNT_CAP).label("group"),
            _count(mine + offered, lambda due: due < now, cap=COUNT_CAP).label("overdue"),
            done.label("done"),
            _count(_team_keys(user), cap=COUNT_CAP).label("team"),
        )
    ).one()
    return {name: min(int(value or 0), COUNT_CAP) for name, value in row._mapping.items()}


def badge(count: int) -> str:
    """A count from counts() as a tab shows it: exact, or "999+" at the cap."""
    return f"{COUNT_CAP - 1}+" if count >= COUNT_CAP else str(count)


def alert_level(task: OpenTask, now: datetime | None = None) -> str | None:
    """Yellow within the last working day before due, red when overdue (for display)."""
    if task.alert_level in ("escalated", "red"):
        return task.alert_level
    if task.due_at is None:
        return task.alert_level
    now = now or clock.now()
    if task.due_at < now:
        return "red"
    if task.alert_level == "yellow" or (task.due_at - now).total_seconds() < 24 * 3600:
        return "yellow"
    return None
