"""Names for codes on a page, fetched in one query per kind, never one per row.

Lists show people by display name, units by name and processes by name; each helper takes
every code the page needs and answers with a dict, so a list of 200 rows costs the same
few queries as a list of 2.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from db.models import Group
from db.models import Membership
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import User
from db.models import UserRole
from supervision import authz
from supervision.permissions import ROLE_PERMISSIONS
from supervision.permissions import Permission
from web.i18n import lang


def display_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = session.execute(
        select(User.username, User.display_name).where(User.username.in_(wanted))
    ).all()
    names = {username: display or username for username, display in rows}
    return {u: names.get(u, u) for u in wanted}


def group_names(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    english = lang() == "en"
    rows = session.execute(
        select(Group.code, Group.name, Group.name_en).where(Group.code.in_(wanted))
    ).all()
    names = {code: (name_en if english and name_en else name) for code, name, name_en in rows}
    return {c: names.get(c, c) for c in wanted}


def process_names(session: Session) -> dict[str, str]:
    """Process key -> the name of its latest version."""
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name).join(
            latest,
            (ProcessDefinition.key == latest.c.key)
            & (ProcessDefinition.version == latest.c.version),
        )
    ).all()
    return {key: name or key for key, name in sorted(rows)}


def bureaus(session: Session) -> list[Group]:
    """Enforcement bureaus, for filters."""
    return list(
        session.scalars(
            select(Group)
            .where(Group.kind == "bureau", Group.active.is_(True))
            .order_by(Group.region_code, Group.name)
        )
    )


def share_targets(session: Session) -> list[Group]:
    """Units a case can be shared with."""
    return list(
        session.scalars(
            select(Group).where(Group.active.is_(True)).order_by(Group.kind, Group.name)
        )
    )


_WORKER_ROLES = sorted(
    r.value for r, perms in ROLE_PERMISSIONS.items() if Permission.TASK_WORK in perms
)


def assignable_users(session: Session, tasks: Iterable[OpenTask]) -> dict[str, list[User]]:
    """For each task: the people a chief may assign it to (candidates who may work tasks).

    One query for all tasks: members of every candidate group on the page, plus the
    candidate users, each with the permission to work on tasks.
    """
    tasks = list(tasks)
    codes = sorted({g for t in tasks for g in (t.candidate_groups or [])})
    names = sorted({u for t in tasks for u in (t.candidate_users or [])})
    if not codes and not names:
        return {t.id: [] for t in tasks}
    in_group = select(Membership.user_id).join(Group).where(Group.code.in_(codes))
    worker = select(UserRole.user_id).where(UserRole.role.in_(_WORKER_ROLES))
    users = list(
        session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.id.in_(worker),
                User.id.in_(in_group) | User.username.in_(names),
            )
            .options(selectinload(User.memberships), selectinload(User.role_rows))
            .order_by(User.display_name, User.username)
        ).unique()
    )
    result: dict[str, list[User]] = {}
    for task in tasks:
        groups = set(task.candidate_groups or [])
        listed = set(task.candidate_users or [])
        result[task.id] = [
            u
            for u in users
            if authz.is_usable(u) and (u.username in listed or groups & u.group_codes)
        ]
    return result
