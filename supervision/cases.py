"""Case services: start, read, complete, claim, assign, comment, retry.

Every service takes the session first and the acting user explicitly, checks what that
user may do, and never commits: the caller owns the transaction (one per web request,
REST call or CLI command), so a refused or failed request changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.models import CaseParticipant
from db.models import Comment
from db.models import Group
from db.models import HistoricTask
from db.models import Incident
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import User
from supervision import audit
from supervision import authz
from supervision import clock
from supervision import forms
from supervision import task_candidates
from supervision.deployments import latest_definition
from supervision.engine import OperationResult
from supervision.engine import WorkflowEngine
from supervision.engine.expressions import value_to_python
from supervision.engine.juel import is_juel
from supervision.engine.projection import resolve_incidents
from supervision.errors import CaseNotFoundError
from supervision.errors import DefinitionNotFoundError
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from supervision.errors import NotFoundError
from supervision.errors import TaskAlreadyClaimedError
from supervision.errors import TaskNotFoundError
from supervision.errors import TaskNotOpenError
from supervision.forms import FormField
from supervision.forms import FormView
from supervision.permissions import Permission


def lookups(session: Session) -> forms.Lookups:
    return forms.Lookups(
        group_exists=lambda code: (
            session.scalar(select(Group.id).where(Group.code == code)) is not None
        ),
        user_exists=lambda name: (
            session.scalar(select(User.id).where(User.username == name, User.active.is_(True)))
            is not None
        ),
    )


# ---------------------------------------------------------------- definitions and start


def find_definition(
    session: Session, *, key: str | None = None, definition_id: str | None = None
) -> ProcessDefinition:
    if definition_id:
        definition = session.get(ProcessDefinition, definition_id)
    elif key:
        definition = latest_definition(session, key)
    else:
        raise InvalidInputError("name a process key or a definition id")
    if definition is None:
        raise DefinitionNotFoundError(
            f"No matching process definition with key '{key}'"
            if key
            else f"No matching definition with id {definition_id}"
        )
    return definition


def start_case(
    session: Session,
    engine: WorkflowEngine,
    actor: User | None,
    *,
    key: str | None = None,
    definition_id: str | None = None,
    business_key: str | None = None,
    variables: Mapping[str, Any] | None = None,
    start_form: Mapping[str, Any] | None = None,
    parent_instance_id: str | None = None,
    relation: str | None = None,
    message_name: str | None = None,
    permission: Permission = Permission.CASE_START,
    lang: str = "zh",
) -> OperationResult:
    """Start a case of the latest version of `key` (or of `definition_id`).

    `start_form` values are validated against the start event's form (web intake);
    `variables` are taken as given (typed REST variables, internal starts). `actor` None
    means the system itself (a handler or a message from another case).
    """
    if actor is not None and not (
        authz.has(actor, permission) or authz.has(actor, Permission.DEFINITION_TEST)
    ):
        raise NotAllowedError("您没有发起此流程的权限 (not permitted to start cases)")
    definition = find_definition(session, key=key, definition_id=definition_id)
    if definition.suspended:
        raise InvalidInputError(f"process definition {definition.id} is suspended")
    values = dict(variables or {})
    if start_form is not None:
        form = engine.start_form(definition)
        values.update(forms.validate(form, start_form, lookups=lookups(session), lang=lang))
    result = engine.start(
        session,
        definition,
        actor=actor.username if actor else None,
        business_key=business_key,
        variables=values,
        parent_instance_id=parent_instance_id,
        relation=relation,
        message_name=message_name,
    )
    instance = result.instance
    if actor is not None:
        session.add(
            CaseParticipant(instance_id=instance.id, username=actor.username, reason="starter")
        )
    route_events(session, engine, result, actor)
    return result


# ---------------------------------------------------------------- reading


def get_case(session: Session, actor: User, case_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, case_id)
    if instance is None:
        raise CaseNotFoundError("案件不存在或您无权查看 (case not found)")
    authz.ensure_case(session, actor, instance)
    return instance


@dataclass
class CasePage:
    items: list[ProcessInstance]
    total: int
    page: int
    per_page: int


def list_cases(
    session: Session,
    actor: User,
    *,
    status: str | None = None,
    definition_key: str | None = None,
    search: str | None = None,
    bureau: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> CasePage:
    stmt = select(ProcessInstance).where(authz.case_filter(actor))
    if status:
        stmt = stmt.where(ProcessInstance.status == status)
    if definition_key:
        stmt = stmt.where(ProcessInstance.definition_key == definition_key)
    if bureau:
        stmt = stmt.where(ProcessInstance.bureau_code == bureau)
    if search:
        like = f"%{search.strip()}%"
        stmt = stmt.where(
            or_(
                ProcessInstance.case_no.ilike(like),
                ProcessInstance.title.ilike(like),
                ProcessInstance.business_key.ilike(like),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(ProcessInstance.started_at.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )
    return CasePage(items, total, page, per_page)


def related_cases(
    session: Session, actor: User, instance: ProcessInstance
) -> list[ProcessInstance]:
    stmt = select(ProcessInstance).where(
        or_(
            ProcessInstance.parent_instance_id == instance.id,
            ProcessInstance.id == instance.parent_instance_id,
        ),
        authz.case_filter(actor),
    )
    return list(session.scalars(stmt.order_by(ProcessInstance.started_at)))


# ---------------------------------------------------------------- tasks


def open_task(session: Session, task_id: str, *, for_update: bool = False) -> OpenTask:
    if for_update:
        task = session.scalar(select(OpenTask).where(OpenTask.id == str(task_id)).with_for_update())
    else:
        # The caller (a view, the API) often loaded it a moment ago: use that copy.
        task = session.get(OpenTask, str(task_id))
    if task is None:
        if session.get(HistoricTask, str(task_id)) is not None:
            raise TaskNotOpenError("此任务已被他人办理完毕 (this task has already been completed)")
        raise TaskNotFoundError("任务不存在 (no such task)")
    return task


def visible_task(session: Session, actor: User, task_id: str) -> OpenTask:
    task = open_task(session, task_id)
    if not authz.can_see_task(actor, task):
        instance = session.get(ProcessInstance, task.instance_id)
        if instance is None or not authz.can_read_case(session, actor, instance):
            raise TaskNotFoundError("任务不存在 (no such task)")
    return task


def task_form(session: Session, engine: WorkflowEngine, task: OpenTask) -> FormView:
    instance = session.get(ProcessInstance, task.instance_id)
    view = engine.task_form(session, instance, task.process_key, task.task_spec_id)
    return view.form


def form_initial_values(
    session: Session, engine: WorkflowEngine, form: FormView, variables: Mapping[str, Any]
) -> dict[str, Any]:
    """What the form shows first: the variable's current value, else its default."""
    values: dict[str, Any] = {}
    for f in form.fields:
        if f.id in variables and variables[f.id] is not None:
            values[f.id] = variables[f.id]
        elif f.default not in (None, ""):
            values[f.id] = _default_value(session, engine, f, variables)
    return values


def _default_value(
    session: Session, engine: WorkflowEngine, field: FormField, variables: Mapping[str, Any]
) -> Any:
    default = field.default
    if isinstance(default, str) and is_juel(default):
        try:
            return engine.evaluate(session, value_to_python(default), variables)
        except Exception:
            return None
    if field.type == "boolean":
        return str(default).strip().lower() == "true"
    if field.type == "long":
        try:
            return int(default)
        except ValueError:
            return None
    return default


def complete_task(
    session: Session,
    engine: WorkflowEngine,
    actor: User,
    task_id: str,
    values: Mapping[str, Any],
    *,
    lang: str = "zh",
    allow_extra: bool = False,
) -> OperationResult:
    """Validate `values` against the task's form and complete it as `actor`.

    Raises FormInvalidError (field -> message), NotAllowedError, TaskNotOpenError (someone
    else completed it first), StaleCaseError (concurrent change; retry).
    """
    task = open_task(session, task_id)
    if not authz.can_complete(actor, task):
        if task.assignee and task.assignee != actor.username and authz.is_candidate(actor, task):
            raise TaskAlreadyClaimedError(
                f"此任务已由 {task.assignee} 签收 (already claimed by {task.assignee})"
            )
        raise NotAllowedError("您不能办理此任务 (you may not complete this task)")
    instance = session.get(ProcessInstance, task.instance_id)
    form = task_form(session, engine, task)
    cleaned = forms.validate(
        form,
        values,
        lookups=lookups(session),
        current=instance.variables or {},
        lang=lang,
        allow_extra=allow_extra,
    )
    result = engine.complete_task(session, instance, task.id, cleaned, actor=actor.username)
    route_events(session, engine, result, actor)
    return result


def claim_task(session: Session, actor: User, task_id: str) -> OpenTask:
    task = open_task(session, task_id)
    if task.assignee == actor.username:
        return task
    if not authz.can_claim(actor, task):
        if task.assignee is not None:
            raise TaskAlreadyClaimedError(
                f"此任务已由 {task.assignee} 签收 (already claimed by {task.assignee})"
            )
        raise NotAllowedError("您不是此任务的候选人 (you are not a candidate for this task)")
    now = clock.now()
    # Conditional update: of two people claiming at once exactly one wins.
    claimed = session.execute(
        update(OpenTask)
        .where(OpenTask.id == task.id, OpenTask.assignee.is_(None))
        .values(assignee=actor.username, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        # Someone claimed it first, or completed it meanwhile (the row is gone: refresh
        # would fail with a SQLAlchemy error instead of telling the user).
        session.expunge(task)
        task = open_task(session, task_id)
        raise TaskAlreadyClaimedError(
            f"此任务已由 {task.assignee} 签收 (already claimed by {task.assignee})"
        )
    task_candidates.set_assigned(session, task.id, True)
    # The row now says what we wrote; record that without reading it back.
    set_committed_value(task, "assignee", actor.username)
    set_committed_value(task, "claimed_at", now)
    audit.append(
        session,
        "claim",
        actor=actor.username,
        instance_id=task.instance_id,
        task_id=task.id,
        activity_id=task.task_spec_id,
        at=now,
    )
    return task


def unclaim_task(session: Session, actor: User, task_id: str) -> OpenTask:
    task = open_task(session, task_id)
    if task.assignee is None:
        return task
    if not authz.can_unclaim(actor, task):
        raise NotAllowedError(
            "只有签收人或科长可以退回签收 (only the assignee or a chief may unclaim)"
        )
    previous = task.assignee
    task.assignee = None
    task.claimed_at = None
    task_candidates.copy_task(session, task)
    audit.append(
        session,
        "unclaim",
        actor=actor.username,
        instance_id=task.instance_id,
        task_id=task.id,
        activity_id=task.task_spec_id,
        details={"previous_assignee": previous},
    )
    return task


def assign_task(session: Session, actor: User, task_id: str, username: str | None) -> OpenTask:
    """Chiefs (re)assign to a candidate of the task; None removes the assignee."""
    task = open_task(session, task_id)
    if not authz.can_assign(actor, task):
        raise NotAllowedError("您不能分派此任务 (you may not assign this task)")
    if username is None:
        return unclaim_task(session, actor, task_id)
    assignee = session.scalar(select(User).where(User.username == username))
    if assignee is None or not authz.is_usable(assignee):
        raise NotFoundError(f"用户 {username} 不存在 (no such user)")
    if not authz.is_candidate(assignee, _as_unassigned(task)) or not authz.has(
        assignee, Permission.TASK_WORK
    ):
        raise InvalidInputError(
            f"{username} 不是此任务的候选人 ({username} is not a candidate for this task)"
        )
    previous = task.assignee
    task.assignee = username
    task.claimed_at = clock.now()
    task_candidates.copy_task(session, task)
    audit.append(
        session,
        "assign",
        actor=actor.username,
        instance_id=task.instance_id,
        task_id=task.id,
        activity_id=task.task_spec_id,
        details={"previous_assignee": previous, "assignee": username},
    )
    return task


def _as_unassigned(task: OpenTask) -> OpenTask:
    return OpenTask(
        id=task.id,
        candidate_groups=task.candidate_groups,
        candidate_users=task.candidate_users,
        assignee=None,
    )


def set_task_dates(
    session: Session,
    actor: User,
    task_id: str,
    *,
    due_at=None,
    follow_up_at=None,
    priority: int | None = None,
) -> OpenTask:
    task = open_task(session, task_id)
    if not authz.can_assign(actor, task):
        raise NotAllowedError("您不能修改此任务 (you may not change this task)")
    changes = {}
    if due_at is not None:
        changes["due_at"] = (task.due_at, due_at)
        task.due_at = due_at
    if follow_up_at is not None:
        changes["follow_up_at"] = (task.follow_up_at, follow_up_at)
        task.follow_up_at = follow_up_at
    if priority is not None:
        changes["priority"] = (task.priority, priority)
        task.priority = priority
    task_candidates.copy_task(session, task)
    audit.append(
        session,
        "task_update",
        actor=actor.username,
        instance_id=task.instance_id,
        task_id=task.id,
        details={k: [str(a), str(b)] for k, (a, b) in changes.items()},
    )
    return task


# ---------------------------------------------------------------- comments and incidents


def add_comment(
    session: Session,
    actor: User,
    instance: ProcessInstance,
    message: str,
    task_id: str | None = None,
) -> Comment:
    text = (message or "").strip()
    if not text:
        raise InvalidInputError("评论不能为空 (empty comment)")
    if len(text) > 5000:
        raise InvalidInputError("评论过长 (comment too long)")
    authz.ensure_case(session, actor, instance)
    comment = Comment(
        instance_id=instance.id,
        task_id=task_id,
        username=actor.username,
        message=text,
        created_at=clock.now(),
    )
    session.add(comment)
    audit.append(
        session,
        "comment",
        actor=actor.username,
        instance_id=instance.id,
        task_id=task_id,
        details={"message": text},
    )
    return comment


def comments(
    session: Session, instance: ProcessInstance, task_id: str | None = None
) -> list[Comment]:
    stmt = select(Comment).where(Comment.instance_id == instance.id)
    if task_id:
        stmt = stmt.where(Comment.task_id == task_id)
    return list(session.scalars(stmt.order_by(Comment.created_at)))


def open_incidents(session: Session, instance: ProcessInstance) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
            .order_by(Incident.created_at)
        )
    )


def retry_incident(
    session: Session, engine: WorkflowEngine, actor: User, incident_id: int
) -> OperationResult:
    incident = session.get(Incident, incident_id)
    if incident is None or incident.resolved_at is not None:
        raise NotFoundError("incident not found or already resolved")
    instance = session.get(ProcessInstance, incident.instance_id)
    if not authz.has(actor, Permission.INCIDENT_RETRY):
        raise NotAllowedError("您不能重试此故障 (you may not retry incidents)")
    resolve_incidents(session, instance, actor.username, incident.task_id)
    result = engine.retry(session, instance, incident.task_id, actor=actor.username)
    route_events(session, engine, result, actor)
    return result


def cancel_case(
    session: Session, engine: WorkflowEngine, actor: User, instance: ProcessInstance, reason: str
) -> OperationResult:
    authz.require(actor, Permission.CASE_CANCEL)
    authz.ensure_case(session, actor, instance)
    if instance.status != "active":
        raise InvalidInputError("只能撤销办理中的案件 (only active cases can be cancelled)")
    if not (reason or "").strip():
        raise InvalidInputError("请填写撤销理由 (give a reason)")
    return engine.cancel(session, instance, actor=actor.username, reason=reason.strip())


def share_case(
    session: Session,
    actor: User,
    instance: ProcessInstance,
    *,
    username: str | None = None,
    group_code: str | None = None,
    expires_at=None,
    reason: str = "shared",
) -> CaseParticipant:
    authz.require(actor, Permission.CASE_SHARE)
    authz.ensure_case(session, actor, instance)
    if not username and not group_code:
        raise InvalidInputError("name a user or a group to share with")
    row = CaseParticipant(
        instance_id=instance.id,
        username=username,
        group_code=group_code,
        reason=reason,
        created_by=actor.username,
        expires_at=expires_at,
    )
    session.add(row)
    audit.append(
        session,
        "share",
        actor=actor.username,
        instance_id=instance.id,
        details={"username": username, "group": group_code, "expires_at": expires_at},
    )
    return row


# ---------------------------------------------------------------- routing thrown messages


def route_events(
    session: Session, engine: WorkflowEngine, result: OperationResult, actor: User | None
) -> None:
    """Deliver messages a case threw: to a waiting related case, a message-start process,
    or the outbox for outside systems (hotline feedback, referral letters)."""
    if not result.events:
        return
    from supervision import messages

    for event in result.events:
        messages.route_thrown(session, engine, event, actor)
    result.events = []


def historic_tasks_for(session: Session, instance: ProcessInstance) -> list[HistoricTask]:
    return list(
        session.scalars(
            select(HistoricTask)
            .where(HistoricTask.instance_id == instance.id)
            .order_by(HistoricTask.ended_at)
        )
    )


def case_open_tasks(session: Session, instance: ProcessInstance) -> list[OpenTask]:
    return list(
        session.scalars(
            select(OpenTask)
            .where(OpenTask.instance_id == instance.id)
            .order_by(OpenTask.created_at)
        )
    )


def participants_of(session: Session, instance: ProcessInstance) -> list[CaseParticipant]:
    return list(
        session.scalars(select(CaseParticipant).where(CaseParticipant.instance_id == instance.id))
    )


__all__ = [
    "CasePage",
    "add_comment",
    "assign_task",
    "cancel_case",
    "claim_task",
    "complete_task",
    "find_definition",
    "get_case",
    "list_cases",
    "open_task",
    "retry_incident",
    "start_case",
    "unclaim_task",
    "visible_task",
    "and_",
]
