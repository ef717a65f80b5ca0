"""Projections kept in step with the workflow on every save.

The inbox, case lists, message correlation and the diagram colours all read these tables
instead of deserialising workflows: open tasks (with candidates), event subscriptions,
activity history, completed-task history, incidents and the case's summary columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CaseParticipant
from db.models import EventSubscription
from db.models import Group
from db.models import HistoricActivity
from db.models import HistoricTask
from db.models import Incident
from db.models import OpenTask
from db.models import PendingMessage
from db.models import ProcessInstance
from db.models import TaskCandidate
from supervision import audit
from supervision import clock
from supervision.engine import scopes
from supervision.engine import variables
from supervision.engine.failures import describe
from supervision.engine.views import ActivityState
from supervision.engine.views import MessageEvent

if TYPE_CHECKING:
    from supervision.engine.runtime import Operation
    from supervision.engine.runtime import WorkflowEngine

# Case variables that fill the case's own columns (first present name wins).
CASE_FIELDS: dict[str, tuple[str, ...]] = {
    "case_no": ("case_no",),
    "title": ("case_title", "title"),
    "bureau_code": ("target_agency_id", "respondent_agency_id", "agency_code"),
    "owner_group_code": ("owner_unit_id", "owner_group"),
    "case_status": ("case_status",),
    "due_at": ("case_due_at", "hotline_due_date"),
}
LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


# ---------------------------------------------------------------- case fields


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def case_variables(wf) -> dict[str, Any]:
    """The case's current variables (variables.current), as JSON."""
    if wf.is_completed():
        data = wf.data or (wf.last_task.data if wf.last_task is not None else {})
        return _json_safe(data)
    return _json_safe(variables.current(wf))


def _first(variables: dict[str, Any], names: Iterable[str]) -> Any:
    for name in names:
        value = variables.get(name)
        if value not in (None, ""):
            return value
    return None


def _parse_due(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    from supervision.deadlines import parse_instant

    try:
        return parse_instant(value)
    except (TypeError, ValueError):
        return None


def sync_case_fields(session: Session, instance: ProcessInstance, wf, now: datetime) -> None:
    variables = case_variables(wf)
    instance.variables = variables
    case_no = _first(variables, CASE_FIELDS["case_no"])
    if case_no and instance.case_no != case_no:
        instance.case_no = str(case_no)[:64]
    title = _first(variables, CASE_FIELDS["title"])
    if title:
        instance.title = str(title)[:300]
    bureau = _first(variables, CASE_FIELDS["bureau_code"])
    if bureau and not isinstance(bureau, dict | list):
        instance.bureau_code = str(bureau)[:64]
    status = _first(variables, CASE_FIELDS["case_status"])
    if status:
        instance.case_status = str(status)[:64]
    due = _parse_due(_first(variables, CASE_FIELDS["due_at"]))
    if due is not None:
        instance.due_at = due
    owner = _first(variables, CASE_FIELDS["owner_group_code"])
    if owner and owner != instance.owner_group_code:
        region = session.scalar(select(Group.region_code).where(Group.code == str(owner)))
        if region is not None:
            instance.owner_group_code = str(owner)
            instance.region_code = region
    if instance.region_code is None:
        starter_region = _starter_region(session, instance)
        if starter_region:
            instance.region_code = starter_region


def _starter_region(session: Session, instance: ProcessInstance) -> str | None:
    """A case nobody assigned an owner to belongs to the region of whoever opened it."""
    if not instance.started_by:
        return None
    from db.models import Membership
    from db.models import User

    rows = session.execute(
        select(Group.region_code, Group.level)
        .join(Membership, Membership.group_id == Group.id)
        .join(User, User.id == Membership.user_id)
        .where(User.username == instance.started_by)
    ).all()
    if not rows:
        return None
    order = {"city": 0, "county": 1, "township": 2}
    rows.sort(key=lambda r: order.get(r.level, 3))
    return rows[0].region_code


# ---------------------------------------------------------------- open tasks


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        items = [str(v) for v in value]
    else:
        items = str(value).split(",")
    return [i.strip() for i in items if i and i.strip()]


def _to_instant(value: Any, now: datetime) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().upper().startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(value.strip())
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    if isinstance(value, timedelta):
        return now + value
    return _parse_due(value)


def _resolve_assignment(engine: WorkflowEngine, task, now: datetime) -> dict[str, Any]:
    exprs = (task.task_spec.extensions or {}).get("expressions", {})
    values: dict[str, Any] = {}
    for attr, expr in exprs.items():
        values[attr] = engine.script_engine.evaluate(task, expr)
    priority = values.get("priority")
    try:
        priority = int(priority) if priority not in (None, "") else 50
    except (TypeError, ValueError):
        priority = 50
    return {
        "assignee": (str(values["assignee"]).strip() or None) if values.get("assignee") else None,
        "candidate_users": _split(values.get("candidateUsers")),
        "candidate_groups": _split(values.get("candidateGroups")),
        "due_at": _to_instant(values.get("dueDate"), now),
        "follow_up_at": _to_instant(values.get("followUpDate"), now),
        "priority": priority,
    }


def _lane_group(session: Session, lane: str | None, cache: dict[str, str | None]) -> str | None:
    if not lane:
        return None
    if lane not in cache:
        code = session.scalar(select(Group.code).where(Group.code == lane))
        if code is None:
            code = session.scalar(select(Group.code).where(Group.name == lane))
        cache[lane] = code
    return cache[lane]


def ready_user_tasks(wf) -> list:
    return [
        t
        for t in wf.get_tasks(state=TaskState.READY, manual=True)
        if isinstance(t.task_spec, UserTask)
    ]


def sync_open_tasks(engine: WorkflowEngine, op: Operation, wf) -> None:
    session, instance = op.session, op.instance
    ready = {str(t.id): t for t in ready_user_tasks(wf)}
    existing = (
        {
            row.id: row
            for row in session.scalars(select(OpenTask).where(OpenTask.instance_id == instance.id))
        }
        if not op.new_instance
        else {}
    )
    # Tasks that left the ready state: history, then drop the row (candidates cascade).
    for task_id, row in existing.items():
        if task_id in ready:
            continue
        completed = op.completed.get(task_id)
        session.add(
            HistoricTask(
                id=row.id,
                instance_id=instance.id,
                definition_id=row.definition_id,
                definition_key=row.definition_key,
                task_spec_id=row.task_spec_id,
                name=row.name,
                assignee=row.assignee,
                completed_by=op.actor if completed is not None else None,
                candidate_groups=list(row.candidate_groups or []),
                created_at=row.created_at,
                ended_at=op.now,
                due_at=row.due_at,
                outcome="completed" if completed is not None else "cancelled",
                variables=_json_safe(completed or {}),
                case_no=instance.case_no,
                case_title=instance.title,
            )
        )
        session.delete(row)
    lane_cache: dict[str, str | None] = {}
    participants = _existing_participants(session, instance) if not op.new_instance else set()
    for task_id, task in ready.items():
        row = existing.get(task_id)
        if row is not None:
            row.case_no = instance.case_no
            row.case_title = instance.title
            row.business_key = instance.business_key
            row.bureau_code = instance.bureau_code
            row.region_code = instance.region_code
            continue
        try:
            scopes.open_scope(task)
            assignment = _resolve_assignment(engine, task, op.now)
        except Exception as exc:
            record_incident(
                session,
                instance,
                task_id=task_id,
                activity_id=task.task_spec.bpmn_id,
                activity_name=task.task_spec.bpmn_name,
                message=f"cannot work out who this task goes to: {describe(exc)}",
                details=None,
                now=op.now,
                incident_type="assignment",
            )
            assignment = {
                "assignee": None,
                "candidate_users": [],
                "candidate_groups": [],
                "due_at": None,
                "follow_up_at": None,
                "priority": 50,
            }
        groups = assignment["candidate_groups"]
        if not groups and not assignment["candidate_users"] and not assignment["assignee"]:
            lane_group = _lane_group(session, task.task_spec.lane, lane_cache)
            if lane_group:
                groups = [lane_group]
        unknown = _unknown_groups(session, groups)
        if unknown:
            record_incident(
                session,
                instance,
                task_id=task_id,
                activity_id=task.task_spec.bpmn_id,
                activity_name=task.task_spec.bpmn_name,
                message=f"candidate group(s) {', '.join(unknown)} do not exist; "
                "an administrator must assign the task",
                details=None,
                now=op.now,
                incident_type="assignment",
            )
        form = getattr(task.task_spec, "form", None)
        row = OpenTask(
            id=task_id,
            instance_id=instance.id,
            definition_id=instance.definition_id,
            definition_key=instance.definition_key,
            process_key=task.workflow.spec.name,
            task_spec_id=task.task_spec.bpmn_id,
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            description=task.task_spec.documentation,
            lane=task.task_spec.lane,
            candidate_groups=groups,
            candidate_users=assignment["candidate_users"],
            assignee=assignment["assignee"],
            created_at=op.now,
            due_at=assignment["due_at"],
            follow_up_at=assignment["follow_up_at"],
            priority=assignment["priority"],
            form_key=form.key if form is not None else None,
            case_no=instance.case_no,
            case_title=instance.title,
            business_key=instance.business_key,
            bureau_code=instance.bureau_code,
            region_code=instance.region_code,
        )
        row.candidates = [TaskCandidate(group_code=g) for g in groups] + [
            TaskCandidate(username=u) for u in assignment["candidate_users"]
        ]
        session.add(row)
        op.result.created_task_ids.append(task_id)
        for group in groups:
            _participate(session, instance, participants, group_code=group, reason="candidate")
        for user in assignment["candidate_users"] + (
            [assignment["assignee"]] if assignment["assignee"] else []
        ):
            _participate(session, instance, participants, username=user, reason="candidate")


def _unknown_groups(session: Session, groups: list[str]) -> list[str]:
    if not groups:
        return []
    known = set(session.scalars(select(Group.code).where(Group.code.in_(groups))))
    return [g for g in groups if g not in known]


def _existing_participants(session: Session, instance: ProcessInstance) -> set[tuple]:
    rows = session.execute(
        select(CaseParticipant.group_code, CaseParticipant.username, CaseParticipant.reason).where(
            CaseParticipant.instance_id == instance.id
        )
    ).all()
    return {tuple(r) for r in rows}


def _participate(
    session: Session,
    instance: ProcessInstance,
    seen: set[tuple],
    *,
    group_code: str | None = None,
    username: str | None = None,
    reason: str,
) -> None:
    key = (group_code, username, reason)
    if key in seen:
        return
    seen.add(key)
    session.add(
        CaseParticipant(
            instance_id=instance.id, group_code=group_code, username=username, reason=reason
        )
    )


# ---------------------------------------------------------------- subscriptions and messages


def _waiting_messages(wf) -> list[tuple[str, str | None]]:
    result = []
    for task in wf.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        for d in getattr(definition, "event_definitions", None) or [definition]:
            if d is not None and type(d).__name__.endswith("MessageEventDefinition"):
                result.append((d.name, task.task_spec.bpmn_id))
    if not wf.is_completed():
        # Message starts of event subprocesses are caught without being listed as waiting.
        specs = [wf.spec] + [sp.spec for sp in wf.subprocesses.values() if not sp.completed]
        for spec in specs:
            for ts in spec.task_specs.values():
                if isinstance(ts, SubWorkflowTask) and type(ts).__name__ == "EventSubprocess":
                    sub = wf.subprocess_specs.get(ts.spec)
                    if sub is None:
                        continue
                    for start in sub.start.outputs:
                        d = getattr(start, "event_definition", None)
                        if d is not None and type(d).__name__.endswith("MessageEventDefinition"):
                            result.append((d.name, start.bpmn_id))
    return result


def sync_subscriptions(session: Session, instance: ProcessInstance, wf) -> set[str]:
    wanted = set(_waiting_messages(wf))
    rows = (
        session.scalars(
            select(EventSubscription).where(EventSubscription.instance_id == instance.id)
        ).all()
        if instance.version
        else []
    )
    have = {(r.name, r.activity_id): r for r in rows}
    for key, row in have.items():
        if key not in wanted:
            session.delete(row)
    added = set()
    for name, activity in wanted:
        if (name, activity) not in have:
            session.add(
                EventSubscription(
                    instance_id=instance.id, event_type="message", name=name, activity_id=activity
                )
            )
            added.add(name)
    return {name for name, _ in wanted}


def deliver_pending(engine: WorkflowEngine, op: Operation, wf, names: set[str]) -> bool:
    """Deliver messages that arrived before the case was waiting for them."""
    if not names:
        return False
    session, instance = op.session, op.instance
    filters = [PendingMessage.instance_id == instance.id]
    if instance.business_key:
        filters.append(PendingMessage.business_key == instance.business_key)
    from sqlalchemy import or_

    pending = session.scalars(
        select(PendingMessage)
        .where(PendingMessage.active.is_(True), PendingMessage.name.in_(names), or_(*filters))
        .order_by(PendingMessage.received_at)
    ).all()
    delivered = False
    for message in pending:
        if message.expires_at is not None and message.expires_at <= op.now:
            # Too late: the worker's sweep would have dropped it; say so in the history.
            message.active = False
            audit.append(
                session,
                "message_expired",
                actor=message.sender,
                instance_id=instance.id,
                details={
                    "name": message.name,
                    "received_at": message.received_at,
                    "expires_at": message.expires_at,
                },
                at=op.now,
            )
            continue
        if engine._catch(wf, message.name, dict(message.variables or {})):
            message.active = False
            message.delivered_at = op.now
            message.delivered_instance_id = instance.id
            audit.append(
                session,
                "message",
                actor=message.sender,
                instance_id=instance.id,
                details={
                    "name": message.name,
                    "variables": message.variables,
                    "early": True,
                    "received_at": message.received_at,
                },
                at=op.now,
            )
            delivered = True
    return delivered


def message_event(name: str, payload: dict, instance: ProcessInstance) -> MessageEvent:
    variables = payload.get("variables") if isinstance(payload, dict) else None
    return MessageEvent(
        name=name,
        payload=_json_safe(payload.get("payload")) if isinstance(payload, dict) else None,
        variables=_json_safe(variables) if variables is not None else None,
        instance_id=instance.id,
        business_key=instance.business_key,
    )


# ---------------------------------------------------------------- timers


def next_timer(wf) -> datetime | None:
    from supervision.engine.timers import to_instant as timer_instant

    dues = []
    for task in wf.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        for d in getattr(definition, "event_definitions", None) or [definition]:
            if not isinstance(d, TimerEventDefinition):
                continue
            value = task.internal_data.get("event_value")
            if isinstance(value, dict):
                value = value.get("next") if value.get("cycles") != 0 else None
            if value:
                try:
                    dues.append(timer_instant(value))
                except (TypeError, ValueError):
                    continue
    return min(dues) if dues else None


# ---------------------------------------------------------------- history


_ACTIVITY_TYPES = {
    "UserTask": "userTask",
    "ServiceTask": "serviceTask",
    "ScriptTask": "scriptTask",
    "ManualTask": "manualTask",
    "NoneTask": "task",
    "SendTask": "sendTask",
    "ReceiveTask": "receiveTask",
    "BusinessRuleTask": "businessRuleTask",
    "CallActivity": "callActivity",
    "SubWorkflowTask": "subProcess",
    "EventSubprocess": "subProcess",
    "TransactionSubprocess": "transaction",
    "ExclusiveGateway": "exclusiveGateway",
    "InclusiveGateway": "inclusiveGateway",
    "ParallelGateway": "parallelGateway",
    "EventBasedGateway": "eventBasedGateway",
    "StartEvent": "startEvent",
    "EndEvent": "endEvent",
    "IntermediateCatchEvent": "intermediateCatchEvent",
    "IntermediateThrowEvent": "intermediateThrowEvent",
    "BoundaryEvent": "boundaryEvent",
    "ParallelMultiInstanceTask": "multiInstanceBody",
    "SequentialMultiInstanceTask": "multiInstanceBody",
}


def activity_type(task_spec) -> str:
    name = type(task_spec).__name__
    if name == "CallActivity" and type(task_spec).__module__.startswith("SpiffWorkflow"):
        return "subProcess"
    return _ACTIVITY_TYPES.get(name, name[:1].lower() + name[1:])


def _all_tasks(wf) -> Iterable:
    yield from wf.tasks.values()
    for sub in wf.subprocesses.values():
        yield from sub.tasks.values()


def record_activities(op: Operation, wf) -> None:
    """Record flow nodes started and ended during this operation."""
    session, instance = op.session, op.instance
    open_rows = (
        {
            r.task_id: r
            for r in session.scalars(
                select(HistoricActivity).where(
                    HistoricActivity.instance_id == instance.id, HistoricActivity.ended_at.is_(None)
                )
            )
        }
        if not op.new_instance
        else {}
    )
    cutoff = op.wall_start - 0.001
    for task in _all_tasks(wf):
        spec = task.task_spec
        if spec.bpmn_id is None or task.last_state_change < cutoff:
            continue
        if task.state & TaskState.PREDICTED_MASK or task.state == TaskState.FUTURE:
            continue
        task_id = str(task.id)
        row = open_rows.get(task_id)
        finished = bool(task.state & (TaskState.COMPLETED | TaskState.CANCELLED))
        if task.state == TaskState.CANCELLED and row is None:
            continue  # a predicted branch that never started
        if row is None:
            row = HistoricActivity(
                instance_id=instance.id,
                task_id=task_id,
                process_key=task.workflow.spec.name,
                activity_id=spec.bpmn_id,
                activity_type=activity_type(spec),
                activity_name=spec.bpmn_name,
                started_at=op.now,
            )
            session.add(row)
            open_rows[task_id] = row
            _record_cycle_firing(session, instance, task, op.now)
        if finished:
            row.ended_at = op.now
            row.canceled = task.state == TaskState.CANCELLED
            if task_id in op.completed:
                row.assignee = op.actor
            if (
                task.state == TaskState.COMPLETED
                and isinstance(spec, CatchingEvent)
                and isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)
                and not _is_cycle(spec)
            ):
                audit.append(
                    session,
                    "timer",
                    actor="timer",
                    instance_id=instance.id,
                    task_id=task_id,
                    activity_id=spec.bpmn_id,
                    details={"name": spec.bpmn_name},
                    at=op.now,
                )


def _is_cycle(spec) -> bool:
    return isinstance(getattr(spec, "event_definition", None), CycleTimerEventDefinition)


def _record_cycle_firing(session: Session, instance: ProcessInstance, task, now) -> None:
    """A cycle timer does not complete when it fires: each occurrence starts a new path
    under the still waiting timer. Record the occurrence when that path starts."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, CatchingEvent):
        return
    if not _is_cycle(parent.task_spec):
        return
    audit.append(
        session,
        "timer",
        actor="timer",
        instance_id=instance.id,
        task_id=str(parent.id),
        activity_id=parent.task_spec.bpmn_id,
        details={"name": parent.task_spec.bpmn_name, "cycle": True},
        at=now,
    )


def record_incident(
    session: Session,
    instance: ProcessInstance,
    *,
    task_id: str | None,
    activity_id: str | None,
    activity_name: str | None,
    message: str,
    details: str | None,
    now: datetime,
    incident_type: str = "failedTask",
) -> Incident | None:
    """Open an incident, or refresh the open one for the same task (no duplicates)."""
    existing = session.scalars(
        select(Incident).where(
            Incident.instance_id == instance.id,
            Incident.task_id == task_id,
            Incident.resolved_at.is_(None),
        )
    ).first()
    if existing is not None:
        existing.message = message
        existing.details = details
        return None
    incident = Incident(
        instance_id=instance.id,
        task_id=task_id,
        activity_id=activity_id,
        activity_name=activity_name,
        incident_type=incident_type,
        message=message,
        details=details,
        created_at=now,
    )
    session.add(incident)
    instance.incident_count = (instance.incident_count or 0) + 1
    return incident


def resolve_incidents(
    session: Session, instance: ProcessInstance, actor: str | None, task_id: str | None = None
) -> int:
    stmt = select(Incident).where(
        Incident.instance_id == instance.id, Incident.resolved_at.is_(None)
    )
    if task_id:
        stmt = stmt.where(Incident.task_id == task_id)
    rows = session.scalars(stmt).all()
    for row in rows:
        row.resolved_at = clock.now()
        row.resolved_by = actor
        row.retries += 1
    instance.incident_count = max(0, (instance.incident_count or 0) - len(rows))
    return len(rows)


def activity_state(session: Session, instance: ProcessInstance) -> ActivityState:
    rows = session.scalars(
        select(HistoricActivity).where(HistoricActivity.instance_id == instance.id)
    ).all()
    completed, active, cancelled = set(), set(), set()
    details: dict[str, str] = {}
    for row in rows:
        if row.ended_at is None:
            active.add(row.activity_id)
        elif row.canceled:
            cancelled.add(row.activity_id)
        else:
            completed.add(row.activity_id)
    incidents = {
        i.activity_id
        for i in session.scalars(
            select(Incident).where(
                Incident.instance_id == instance.id, Incident.resolved_at.is_(None)
            )
        )
        if i.activity_id
    }
    cancelled -= completed | active
    completed -= active
    return ActivityState(
        completed=frozenset(completed),
        active=frozenset(active - incidents),
        incident=frozenset(incidents),
        cancelled=frozenset(cancelled),
        details=details,
        started_at=instance.started_at,
    )


def clear_projection(session: Session, instance: ProcessInstance) -> None:
    session.execute(delete(OpenTask).where(OpenTask.instance_id == instance.id))
    session.execute(delete(EventSubscription).where(EventSubscription.instance_id == instance.id))
