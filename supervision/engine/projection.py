"""Projections kept in step with the workflow on every save.

The inbox, case lists, message correlation and the diagram colours all read these tables
instead of deserialising workflows: open tasks (with candidates), event subscriptions,
activity history, completed-task history, incidents and the case's summary columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
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
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
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
from supervision import task_candidates
from supervision.engine import scopes
from supervision.engine import variables
from supervision.engine.failures import describe
from supervision.engine.views import ActivityState
from supervision.engine.views import MessageEvent
from supervision.errors import DuplicateError
from supervision.groups_cache import groups_cache

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
CASE_COLUMNS = ("case_no", "title", "business_key", "bureau_code", "region_code")


@dataclass
class Snapshot:
    """The projected state of a case as loaded: what the save compares against."""

    ready: set[str] = field(default_factory=set)
    live: set[str] = field(default_factory=set)
    case_fields: tuple = ()


def snapshot(wf, instance: ProcessInstance) -> Snapshot:
    return Snapshot(
        ready={str(t.id) for t in ready_user_tasks(wf)},
        live={
            str(t.id) for t in _all_tasks(wf) if t.task_spec.bpmn_id is not None and t.state & LIVE
        },
        case_fields=tuple(getattr(instance, c) for c in CASE_COLUMNS),
    )


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


def _unused_case_no(session: Session, instance: ProcessInstance, case_no: str) -> str:
    """The case number, refused with a clear error when another case already has it (the
    unique index would otherwise fail the commit with a database error)."""
    with session.no_autoflush:
        holder = session.scalar(
            select(ProcessInstance.id).where(
                ProcessInstance.case_no == case_no, ProcessInstance.id != instance.id
            )
        )
    if holder is not None:
        raise DuplicateError(
            f"案件编号 {case_no} 已被其他案件使用 (case number {case_no} is already in use)"
        )
    return case_no


def sync_case_fields(session: Session, instance: ProcessInstance, wf, now: datetime) -> None:
    variables = case_variables(wf)
    instance.variables = variables
    case_no = _first(variables, CASE_FIELDS["case_no"])
    if case_no and instance.case_no != str(case_no)[:64]:
        instance.case_no = _unused_case_no(session, instance, str(case_no)[:64])
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
        info = groups_cache.get(session, str(owner))
        if info is not None:
            instance.owner_group_code = str(owner)
            instance.region_code = info.region_code
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


def _lane_group(session: Session, lane: str | None) -> str | None:
    return groups_cache.code_for_lane(session, lane) if lane else None


def ready_user_tasks(wf) -> list:
    return [
        t
        for t in wf.get_tasks(state=TaskState.READY, manual=True)
        if isinstance(t.task_spec, UserTask)
    ]


def sync_open_tasks(engine: WorkflowEngine, op: Operation, wf) -> None:
    """Write the difference between the ready user tasks at load and now.

    Leaving tasks get their history row and lose their open row (candidates cascade);
    new ones get their row and candidates in one multi-row insert each; tasks still
    ready are touched only if the case's summary columns changed.
    """
    session, instance = op.session, op.instance
    ready = {str(t.id): t for t in ready_user_tasks(wf)}
    leaving = op.before.ready - ready.keys()
    entering = [task_id for task_id in ready if task_id not in op.before.ready]
    if leaving:
        _close_tasks(session, op, instance, leaving)
    staying = op.before.ready & ready.keys()
    case_fields = tuple(getattr(instance, c) for c in CASE_COLUMNS)
    if staying and case_fields != op.before.case_fields:
        session.execute(
            update(OpenTask)
            .where(OpenTask.id.in_(staying))
            .values(
                dict(
                    zip(
                        ("case_no", "case_title", "business_key", "bureau_code", "region_code"),
                        case_fields,
                        strict=True,
                    )
                )
            )
            .execution_options(synchronize_session=False)
        )
        region = CASE_COLUMNS.index("region_code")
        if case_fields[region] != op.before.case_fields[region]:
            task_candidates.set_region(session, staying, instance.region_code)
    if not entering:
        return
    rows, candidates, wanted = [], [], []
    for task_id in entering:
        row, groups, users = _open_row(engine, op, instance, ready[task_id])
        rows.append(row)
        candidates += task_candidates.new_rows(row, groups, users)
        wanted += [(g, None) for g in groups] + [(None, u) for u in users]
        if row["assignee"]:
            wanted.append((None, row["assignee"]))
        op.result.created_task_ids.append(task_id)
    _insert(session, OpenTask, rows)
    _insert(session, TaskCandidate, candidates)
    _add_participants(session, op, instance, wanted)


def _insert(session: Session, model, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT through Core (every row carries every column it sets)."""
    if rows:
        session.connection().execute(insert(model.__table__), rows)


def _close_tasks(
    session: Session, op: Operation, instance: ProcessInstance, leaving: set[str]
) -> None:
    rows = session.execute(
        select(
            OpenTask.id,
            OpenTask.definition_id,
            OpenTask.definition_key,
            OpenTask.task_spec_id,
            OpenTask.name,
            OpenTask.assignee,
            OpenTask.candidate_groups,
            OpenTask.created_at,
            OpenTask.due_at,
        ).where(OpenTask.id.in_(leaving))
    ).all()
    history = []
    for row in rows:
        completed = op.completed.get(row.id)
        history.append(
            {
                "id": row.id,
                "instance_id": instance.id,
                "definition_id": row.definition_id,
                "definition_key": row.definition_key,
                "task_spec_id": row.task_spec_id,
                "name": row.name,
                "assignee": row.assignee,
                "completed_by": op.actor if completed is not None else None,
                "candidate_groups": list(row.candidate_groups or []),
                "created_at": row.created_at,
                "ended_at": op.now,
                "due_at": row.due_at,
                "outcome": "completed" if completed is not None else "cancelled",
                "variables": _json_safe(completed or {}),
                "case_no": instance.case_no,
                "case_title": instance.title,
            }
        )
    _insert(session, HistoricTask, history)
    session.execute(
        delete(OpenTask)
        .where(OpenTask.id.in_(leaving))
        .execution_options(synchronize_session=False)
    )


def _open_row(
    engine: WorkflowEngine, op: Operation, instance: ProcessInstance, task
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The open-task row of a task that just became ready, with its candidates."""
    session = op.session
    task_id = str(task.id)
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
        lane_group = _lane_group(session, task.task_spec.lane)
        if lane_group:
            groups = [lane_group]
    unknown = groups_cache.unknown(session, groups)
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
    row = {
        "id": task_id,
        "instance_id": instance.id,
        "definition_id": instance.definition_id,
        "definition_key": instance.definition_key,
        "process_key": task.workflow.spec.name,
        "task_spec_id": task.task_spec.bpmn_id,
        "name": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
        "description": task.task_spec.documentation,
        "lane": task.task_spec.lane,
        "candidate_groups": groups,
        "candidate_users": assignment["candidate_users"],
        "assignee": assignment["assignee"],
        "owner": None,
        "delegation_state": None,
        "created_at": op.now,
        "claimed_at": None,
        "due_at": assignment["due_at"],
        "follow_up_at": assignment["follow_up_at"],
        "priority": assignment["priority"],
        "form_key": form.key if form is not None else None,
        "alert_level": None,
        "case_no": instance.case_no,
        "case_title": instance.title,
        "business_key": instance.business_key,
        "bureau_code": instance.bureau_code,
        "region_code": instance.region_code,
    }
    return row, groups, assignment["candidate_users"]


def _add_participants(
    session: Session,
    op: Operation,
    instance: ProcessInstance,
    wanted: list[tuple[str | None, str | None]],
) -> None:
    """Make each candidate a participant of the case (it may then read the case)."""
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return
    have = (
        set()
        if op.new_instance
        else {
            (r.group_code, r.username)
            for r in session.execute(
                select(CaseParticipant.group_code, CaseParticipant.username).where(
                    CaseParticipant.instance_id == instance.id,
                    CaseParticipant.reason == "candidate",
                )
            )
        }
    )
    missing = [
        {
            "instance_id": instance.id,
            "group_code": g,
            "username": u,
            "reason": "candidate",
            "created_at": op.now,
            "created_by": None,
            "expires_at": None,
        }
        for g, u in wanted
        if (g, u) not in have
    ]
    _insert(session, CaseParticipant, missing)


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
    """Keep event_subscriptions equal to what the case waits for; return the names added.

    The case row mirrors its subscriptions, so an unchanged set costs nothing.
    """
    wanted = sorted(
        {(name, activity) for name, activity in _waiting_messages(wf)},
        key=lambda item: (item[0], item[1] or ""),
    )
    previous = instance.subscriptions
    if previous is None and instance.version:
        previous = [
            [r.name, r.activity_id]
            for r in session.execute(
                select(EventSubscription.name, EventSubscription.activity_id).where(
                    EventSubscription.instance_id == instance.id
                )
            )
        ]
    previous = {tuple(item) for item in previous or []}
    current = {tuple(item) for item in wanted}
    if current == previous:
        if instance.subscriptions is None:
            instance.subscriptions = [list(item) for item in wanted]
        return set()
    if previous:
        session.execute(
            delete(EventSubscription)
            .where(EventSubscription.instance_id == instance.id)
            .execution_options(synchronize_session=False)
        )
    _insert(
        session,
        EventSubscription,
        [
            {
                "instance_id": instance.id,
                "definition_id": None,
                "event_type": "message",
                "name": name,
                "activity_id": activity,
                "created_at": clock.now(),
            }
            for name, activity in wanted
        ],
    )
    instance.subscriptions = [list(item) for item in wanted]
    return {name for name, _ in current - previous}


def deliver_pending(engine: WorkflowEngine, op: Operation, wf, names: set[str]) -> bool:
    """Deliver messages that arrived before the case was waiting for them."""
    if not names:
        return False
    session, instance = op.session, op.instance
    filters = [PendingMessage.instance_id == instance.id]
    if instance.business_key:
        filters.append(PendingMessage.business_key == instance.business_key)
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
    """Record flow nodes started and ended during this operation.

    A task that was live at load already has its row: it is closed with one UPDATE. A
    task that started (and maybe ended) during the operation gets a new row. Rows are
    written with one multi-row statement each, never read back.
    """
    session, instance = op.session, op.instance
    cutoff = op.wall_start - 0.001
    started: list[dict[str, Any]] = []
    ended: list[dict[str, Any]] = []
    for task in _all_tasks(wf):
        spec = task.task_spec
        if spec.bpmn_id is None or task.last_state_change < cutoff:
            continue
        if task.state & TaskState.PREDICTED_MASK or task.state == TaskState.FUTURE:
            continue
        task_id = str(task.id)
        finished = bool(task.state & (TaskState.COMPLETED | TaskState.CANCELLED))
        had_row = task_id in op.before.live
        if task.state == TaskState.CANCELLED and not had_row:
            continue  # a predicted branch that never started
        assignee = op.actor if task_id in op.completed else None
        if not had_row:
            started.append(
                {
                    "instance_id": instance.id,
                    "task_id": task_id,
                    "process_key": task.workflow.spec.name,
                    "activity_id": spec.bpmn_id,
                    "activity_type": activity_type(spec),
                    "activity_name": spec.bpmn_name,
                    "started_at": op.now,
                    "ended_at": op.now if finished else None,
                    "canceled": task.state == TaskState.CANCELLED,
                    "assignee": assignee,
                }
            )
            _record_cycle_firing(session, instance, task, op.now)
        elif finished:
            ended.append(
                {
                    "tid": task_id,
                    "e_ended_at": op.now,
                    "e_canceled": task.state == TaskState.CANCELLED,
                    "e_assignee": assignee,
                }
            )
        if (
            finished
            and task.state == TaskState.COMPLETED
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
    _insert(session, HistoricActivity, started)
    if ended:
        table = HistoricActivity.__table__
        # Core executemany: one statement closes every row, by its task id.
        session.connection().execute(
            update(table)
            .where(table.c.task_id == bindparam("tid"))
            .values(
                ended_at=bindparam("e_ended_at"),
                canceled=bindparam("e_canceled"),
                assignee=bindparam("e_assignee"),
            ),
            ended,
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
