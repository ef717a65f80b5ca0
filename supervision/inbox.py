"""Task lists: read from the open-task projection with indexed SQL, never from workflows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
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
    "case": (OpenTask.case_no, OpenTask.created_at),
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


@dataclass
class TaskPage:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def candidate_condition(user: User) -> ColumnElement[bool]:
    """Unassigned tasks offered to the user or one of the user's groups."""
    codes = sorted(user.group_codes)
    by_group = (
        exists().where(TaskCandidate.task_id == OpenTask.id, TaskCandidate.group_code.in_(codes))
        if codes
        else None
    )
    by_user = exists().where(
        TaskCandidate.task_id == OpenTask.id, TaskCandidate.username == user.username
    )
    offered = or_(by_user, by_group) if by_group is not None else by_user
    return and_(OpenTask.assignee.is_(None), offered)


def team_condition(user: User) -> ColumnElement[bool]:
    """Every open task a chief may (re)assign: offered to one of the chief's groups, or in a
    region the chief leads, claimed or not (the same rule as authz.can_assign)."""
    if not authz.has(user, Permission.TASK_ASSIGN):
        return false()
    codes = sorted(user.group_codes)
    conditions: list[ColumnElement[bool]] = []
    if codes:
        conditions.append(
            exists().where(
                TaskCandidate.task_id == OpenTask.id, TaskCandidate.group_code.in_(codes)
            )
        )
    for prefix in authz.regional_prefixes(user):
        conditions.append(OpenTask.region_code.startswith(prefix, autoescape=True))
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


def _filtered(stmt, filters: TaskFilters, now: datetime):
    if filters.process:
        stmt = stmt.where(OpenTask.definition_key == filters.process)
    if filters.case_no:
        stmt = stmt.where(OpenTask.case_no.ilike(f"%{filters.case_no.strip()}%"))
    if filters.bureau:
        stmt = stmt.where(OpenTask.bureau_code == filters.bureau)
    if filters.due_before:
        stmt = stmt.where(OpenTask.due_at <= filters.due_before)
    if filters.overdue:
        stmt = stmt.where(OpenTask.due_at < now)
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
    if not authz.is_usable(user):
        return TaskPage([], 0, page, per_page)
    filters = filters or TaskFilters()
    now = clock.now()
    page = max(page, 1)
    per_page = min(max(per_page, 1), 200)
    if tab == "done":
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
    stmt = _filtered(select(OpenTask).where(tab_condition(user, tab)), filters, now)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = SORTS.get(sort, SORTS["due"])
    items = list(
        session.scalars(stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page))
    )
    return TaskPage(items, total, page, per_page)


def counts(session: Session, user: User) -> dict[str, int]:
    """Tab badges: my tasks, my groups' unclaimed tasks, overdue among them, completed,
    and (for chiefs) every task they may assign."""
    if not authz.is_usable(user):
        return {"mine": 0, "group": 0, "overdue": 0, "done": 0, "team": 0}
    now = clock.now()
    mine = session.scalar(select(func.count(OpenTask.id)).where(tab_condition(user, "mine"))) or 0
    group = session.scalar(select(func.count(OpenTask.id)).where(tab_condition(user, "group"))) or 0
    overdue = (
        session.scalar(
            select(func.count(OpenTask.id)).where(tab_condition(user, "all"), OpenTask.due_at < now)
        )
        or 0
    )
    done = (
        session.scalar(
            select(func.count(HistoricTask.id)).where(HistoricTask.completed_by == user.username)
        )
        or 0
    )
    team = (
        session.scalar(select(func.count(OpenTask.id)).where(team_condition(user)))
        if authz.has(user, Permission.TASK_ASSIGN)
        else 0
    ) or 0
    return {"mine": mine, "group": group, "overdue": overdue, "done": done, "team": team}


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
