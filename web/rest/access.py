"""Who may see what through the API: the web app's rules (supervision.authz) as queries.

Lists are filtered in SQL, so a user never learns that invisible rows exist; reading a
case or task by id that the user may not see answers 404, exactly like a missing one.
"""

from __future__ import annotations

from sqlalchemy import exists
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from db.models import TaskCandidate
from db.models import User
from supervision import authz
from supervision.permissions import Permission
from web.rest.exceptions import NotFound

DEFINITION_READERS = (
    Permission.DEFINITION_READ,
    Permission.DEFINITION_DEPLOY,
    Permission.DEFINITION_TEST,
    Permission.CASE_START,
    Permission.CASE_INTAKE,
)


def can_read_definitions(user: User) -> bool:
    return any(authz.has(user, p) for p in DEFINITION_READERS)


def can_read_deployments(user: User) -> bool:
    return authz.has(user, Permission.DEFINITION_READ) or authz.has(
        user, Permission.DEFINITION_DEPLOY
    )


def case_condition(user: User) -> ColumnElement[bool]:
    """WHERE clause on ProcessInstance: the cases `user` may read."""
    if not authz.is_usable(user):
        return ProcessInstance.id.is_(None)
    if authz.has(user, Permission.CASE_READ):
        return authz.case_filter(user)
    return ProcessInstance.started_by == user.username


def visible_case_ids(user: User):
    return select(ProcessInstance.id).where(case_condition(user))


def candidate_of(user: User) -> ColumnElement[bool]:
    """Tasks offered to the user or one of the user's groups, claimed or not."""
    codes = sorted(user.group_codes)
    offered = [TaskCandidate.username == user.username]
    if codes:
        offered.append(TaskCandidate.group_code.in_(codes))
    return exists().where(TaskCandidate.task_id == OpenTask.id, or_(*offered))


def task_condition(user: User) -> ColumnElement[bool]:
    """WHERE clause on OpenTask: the open tasks `user` may see."""
    if not authz.is_usable(user):
        return OpenTask.id.is_(None)
    return or_(
        OpenTask.assignee == user.username,
        candidate_of(user),
        OpenTask.instance_id.in_(visible_case_ids(user)),
    )


def historic_task_condition(user: User) -> ColumnElement[bool]:
    return or_(
        HistoricTask.completed_by == user.username,
        HistoricTask.instance_id.in_(visible_case_ids(user)),
    )


def readable_case(session: Session, user: User, instance_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not authz.can_read_case(session, user, instance):
        raise NotFound(f"Process instance with id {instance_id} does not exist")
    return instance


def visible_open_task(session: Session, user: User, task_id: str) -> OpenTask:
    task = session.get(OpenTask, task_id)
    if task is None or not _may_see_task(session, user, task):
        raise NotFound(f"No matching task with id {task_id}")
    return task


def _may_see_task(session: Session, user: User, task: OpenTask) -> bool:
    if authz.can_see_task(user, task):
        return True
    instance = session.get(ProcessInstance, task.instance_id)
    return instance is not None and authz.can_read_case(session, user, instance)


def task_case(session: Session, user: User, task_id: str) -> tuple[ProcessInstance, str | None]:
    """The case of an open or finished task the user may see (for comments)."""
    task = session.get(OpenTask, task_id)
    if task is not None:
        if not _may_see_task(session, user, task):
            raise NotFound(f"No matching task with id {task_id}")
        return session.get(ProcessInstance, task.instance_id), task.id
    done = session.get(HistoricTask, task_id)
    if done is None:
        raise NotFound(f"No matching task with id {task_id}")
    instance = session.get(ProcessInstance, done.instance_id)
    if instance is None or not (
        done.completed_by == user.username or authz.can_read_case(session, user, instance)
    ):
        raise NotFound(f"No matching task with id {task_id}")
    return instance, done.id
