"""Authorisation rules, in one place, as pure functions and query filters.

Who may see a case:
- supervisors, section chiefs and bureau leaders: every case of their own region and the
  regions below it (the city sees its counties; a county sees its townships; nobody sees
  sideways);
- everyone else (bureaus, invited supervisors, evaluators, liaisons, hotline operators):
  only cases they, or one of their groups, take part in (candidate on a task, shared,
  filed), while the share has not expired;
- whoever started a case.
Who may act on a task: its assignee, or (when unassigned) a candidate user or a member of a
candidate group; chiefs may assign within the groups they belong to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import CaseParticipant
from db.models import Group
from db.models import OpenTask
from db.models import ProcessInstance
from db.models import User
from supervision import clock
from supervision.errors import NotAllowedError
from supervision.permissions import REGIONAL_ROLES
from supervision.permissions import Permission
from supervision.permissions import permissions_for


def region_prefix(group: Group) -> str:
    code = group.region_code or ""
    if group.level == "city":
        return code[:4]
    if group.level == "province":
        return code[:2]
    if group.level == "county":
        return code[:6]
    return code


def is_usable(user: User | None, now: datetime | None = None) -> bool:
    if user is None or not user.active:
        return False
    now = now or clock.now()
    return user.valid_until is None or user.valid_until > now


def has(user: User, permission: Permission) -> bool:
    return is_usable(user) and permission in permissions_for(user.roles)


def require(user: User, permission: Permission) -> None:
    if not has(user, permission):
        raise NotAllowedError("您没有执行此操作的权限 (not permitted)", permission=str(permission))


def regional_prefixes(user: User) -> list[str]:
    if not REGIONAL_ROLES & user.roles:
        return []
    return sorted({region_prefix(g) for g in user.groups if g.region_code})


def case_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ProcessInstance selecting the cases `user` may read."""
    conditions: list[ColumnElement[bool]] = [ProcessInstance.started_by == user.username]
    for prefix in regional_prefixes(user):
        conditions.append(ProcessInstance.region_code.startswith(prefix, autoescape=True))
    codes = sorted(user.group_codes)
    now = clock.now()
    shared = select(CaseParticipant.instance_id).where(
        or_(
            CaseParticipant.username == user.username,
            CaseParticipant.group_code.in_(codes) if codes else False,
        ),
        or_(CaseParticipant.expires_at.is_(None), CaseParticipant.expires_at > now),
    )
    conditions.append(ProcessInstance.id.in_(shared))
    return or_(*conditions)


def can_read_case(session: Session, user: User, instance: ProcessInstance) -> bool:
    if not has(user, Permission.CASE_READ) and instance.started_by != user.username:
        return False
    if instance.started_by == user.username:
        return True
    region = instance.region_code or ""
    if region and any(region.startswith(p) for p in regional_prefixes(user)):
        return True
    codes = list(user.group_codes)
    now = clock.now()
    hit = session.scalar(
        select(CaseParticipant.id)
        .where(
            CaseParticipant.instance_id == instance.id,
            or_(
                CaseParticipant.username == user.username,
                CaseParticipant.group_code.in_(codes) if codes else False,
            ),
            or_(CaseParticipant.expires_at.is_(None), CaseParticipant.expires_at > now),
        )
        .limit(1)
    )
    return hit is not None


def ensure_case(session: Session, user: User, instance: ProcessInstance) -> None:
    if not can_read_case(session, user, instance):
        # Same answer as for a case that does not exist: no probing by id.
        from supervision.errors import CaseNotFoundError

        raise CaseNotFoundError("案件不存在或您无权查看 (case not found)")


def is_candidate(user: User, task: OpenTask) -> bool:
    if task.assignee == user.username or user.username in (task.candidate_users or []):
        return True
    return bool(set(task.candidate_groups or []) & user.group_codes)


def can_see_task(user: User, task: OpenTask) -> bool:
    return is_usable(user) and (is_candidate(user, task) or can_assign(user, task))


def can_claim(user: User, task: OpenTask) -> bool:
    return has(user, Permission.TASK_WORK) and task.assignee is None and is_candidate(user, task)


def can_complete(user: User, task: OpenTask) -> bool:
    if not has(user, Permission.TASK_WORK):
        return False
    if task.assignee is not None:
        return task.assignee == user.username
    return is_candidate(user, task)


def can_assign(user: User, task: OpenTask) -> bool:
    """Chiefs assign tasks offered to a group they belong to, or in the region they lead."""
    if not has(user, Permission.TASK_ASSIGN):
        return False
    if set(task.candidate_groups or []) & user.group_codes:
        return True
    region = task.region_code or ""
    return bool(region) and any(region.startswith(p) for p in regional_prefixes(user))


def can_unclaim(user: User, task: OpenTask) -> bool:
    return task.assignee is not None and (task.assignee == user.username or can_assign(user, task))


BUREAU_ROLES = frozenset({"bureau_handler", "bureau_head"})


def can_see_personal(user: User, variables: dict | None) -> bool:
    """May `user` see the complainant's identity and contact data of a case it can read?

    Supervisors (case:sensitive) may; a bureau only when the supervisor chose to share the
    contact with it (share_contact, domain.md §1.4 rule 5); nobody else. Callers record
    every such view in the case's audit trail (rule 9).
    """
    if has(user, Permission.CASE_SENSITIVE):
        return True
    shared = (variables or {}).get("share_contact") in (True, "true")
    return shared and bool(BUREAU_ROLES & user.roles) and is_usable(user)
