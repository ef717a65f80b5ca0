"""History: finished and running cases, executed activities, tasks, the user operation log.

Everything is filtered to the cases the caller may read. The user operation log is our
hash-chained audit trail, shown as Camunda's UserOperationLogEntry rows; values entered in
forms are not repeated there (they are case data, read through the variables endpoints).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask import request
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import union_all

from db.models import AuditEvent
from db.models import HistoricActivity
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import User
from web.database import get_session
from web.rest import access
from web.rest import dto
from web.rest.blueprint import bp
from web.rest.blueprint import json_body
from web.rest.exceptions import InvalidRequest
from web.rest.formats import Params
from web.rest.formats import apply_page
from web.rest.formats import format_date
from web.rest.formats import page_from
from web.rest.formats import sortings
from web.rest.guard import actor


def _count_of(stmt) -> int:
    return get_session().scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _register(path: str, name: str, listing, counting, sorts) -> None:
    """GET and POST variants of a history query and of its count."""

    def list_get():
        return listing(request.args, None)

    def list_post():
        body = json_body()
        body.pop("firstResult", None)
        body.pop("maxResults", None)
        return listing({k: v for k, v in body.items() if k != "sorting"}, body)

    def count_get():
        sortings(request.args, None, list(sorts))  # not used by a count, but checked
        return jsonify({"count": counting(request.args)})

    def count_post():
        body = json_body()
        sortings(request.args, body, list(sorts))
        return jsonify({"count": counting({k: v for k, v in body.items() if k != "sorting"})})

    for func_, suffix, method in (
        (list_get, "", "GET"),
        (list_post, "", "POST"),
        (count_get, "/count", "GET"),
        (count_post, "/count", "POST"),
    ):
        func_.__name__ = f"{name}_{'count_' if suffix else ''}{method.lower()}"
        bp.add_url_rule(f"/history/{path}{suffix}", view_func=func_, methods=[method])


# ---------------------------------------------------------------- process instances

INSTANCE_SORTS = {
    "instanceId": ProcessInstance.id,
    "definitionId": ProcessInstance.definition_id,
    "definitionKey": ProcessInstance.definition_key,
    "definitionName": ProcessInstance.definition_key,
    "definitionVersion": ProcessInstance.definition_id,
    "businessKey": ProcessInstance.business_key,
    "startTime": ProcessInstance.started_at,
    "endTime": ProcessInstance.ended_at,
    "duration": func.coalesce(ProcessInstance.ended_at, ProcessInstance.started_at),
    "tenantId": ProcessInstance.id,
}


def _instance_query(user: User, source: Mapping[str, Any]):
    p = Params(source)
    stmt = select(ProcessInstance).where(access.case_condition(user))
    if p.has("processInstanceId"):
        stmt = stmt.where(ProcessInstance.id == p.text("processInstanceId"))
    if p.has("processInstanceIds"):
        stmt = stmt.where(ProcessInstance.id.in_(p.items("processInstanceIds")))
    if p.has("processInstanceBusinessKey"):
        stmt = stmt.where(ProcessInstance.business_key == p.text("processInstanceBusinessKey"))
    if p.has("processInstanceBusinessKeyLike"):
        stmt = stmt.where(
            ProcessInstance.business_key.like(p.pattern("processInstanceBusinessKeyLike"))
        )
    if p.has("processDefinitionId"):
        stmt = stmt.where(ProcessInstance.definition_id == p.text("processDefinitionId"))
    if p.has("processDefinitionKey"):
        stmt = stmt.where(ProcessInstance.definition_key == p.text("processDefinitionKey"))
    if p.has("processDefinitionKeyIn"):
        stmt = stmt.where(ProcessInstance.definition_key.in_(p.items("processDefinitionKeyIn")))
    if p.has("startedBy"):
        stmt = stmt.where(ProcessInstance.started_by == p.text("startedBy"))
    if p.has("superProcessInstanceId"):
        stmt = stmt.where(ProcessInstance.parent_instance_id == p.text("superProcessInstanceId"))
    if p.flag("finished"):
        stmt = stmt.where(ProcessInstance.ended_at.is_not(None))
    if p.flag("unfinished"):
        stmt = stmt.where(ProcessInstance.ended_at.is_(None))
    if p.flag("withIncidents"):
        stmt = stmt.where(ProcessInstance.incident_count > 0)
    if p.has("state"):
        states = {v: k for k, v in dto.HISTORIC_STATES.items()}
        wanted = states.get(p.text("state"))
        if wanted is None:
            raise InvalidRequest(f"state must be one of {', '.join(states)}")
        stmt = stmt.where(ProcessInstance.status == wanted)
    for name, column, before in (
        ("startedBefore", ProcessInstance.started_at, True),
        ("startedAfter", ProcessInstance.started_at, False),
        ("finishedBefore", ProcessInstance.ended_at, True),
        ("finishedAfter", ProcessInstance.ended_at, False),
    ):
        if p.has(name):
            moment = p.date(name)
            stmt = stmt.where(column <= moment if before else column >= moment)
    return stmt


def _instances(source, body):
    user = actor()
    page = page_from(request.args)
    order = sortings(request.args, body, list(INSTANCE_SORTS))
    columns = [INSTANCE_SORTS[by].desc() if desc else INSTANCE_SORTS[by] for by, desc in order]
    stmt = _instance_query(user, source).order_by(
        *columns, ProcessInstance.started_at, ProcessInstance.id
    )
    rows = list(get_session().scalars(apply_page(stmt, page)))
    return jsonify([dto.historic_process_instance(i, _definition(i)) for i in rows])


def _definition(instance: ProcessInstance) -> ProcessDefinition | None:
    return get_session().get(ProcessDefinition, instance.definition_id)


_register(
    "process-instance",
    "historic_instances",
    _instances,
    lambda source: _count_of(_instance_query(actor(), source)),
    INSTANCE_SORTS,
)


@bp.get("/history/process-instance/<instance_id>")
def historic_instance(instance_id: str):
    instance = access.readable_case(get_session(), actor(), instance_id)
    return jsonify(dto.historic_process_instance(instance, _definition(instance)))


# ---------------------------------------------------------------- activity instances

ACTIVITY_SORTS = {
    "activityInstanceId": HistoricActivity.task_id,
    "instanceId": HistoricActivity.instance_id,
    "executionId": HistoricActivity.instance_id,
    "activityId": HistoricActivity.activity_id,
    "activityName": HistoricActivity.activity_name,
    "activityType": HistoricActivity.activity_type,
    "startTime": HistoricActivity.started_at,
    "endTime": HistoricActivity.ended_at,
    "duration": func.coalesce(HistoricActivity.ended_at, HistoricActivity.started_at),
    "definitionId": HistoricActivity.instance_id,
    "occurrence": HistoricActivity.id,
    "tenantId": HistoricActivity.id,
}


def _activity_query(user: User, source: Mapping[str, Any]):
    p = Params(source)
    stmt = (
        select(HistoricActivity, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == HistoricActivity.instance_id)
        .where(access.case_condition(user))
    )
    if p.has("processInstanceId"):
        stmt = stmt.where(HistoricActivity.instance_id == p.text("processInstanceId"))
    if p.has("processDefinitionId"):
        stmt = stmt.where(ProcessInstance.definition_id == p.text("processDefinitionId"))
    if p.has("executionId"):
        stmt = stmt.where(HistoricActivity.instance_id == p.text("executionId"))
    if p.has("activityId"):
        stmt = stmt.where(HistoricActivity.activity_id == p.text("activityId"))
    if p.has("activityName"):
        stmt = stmt.where(HistoricActivity.activity_name == p.text("activityName"))
    if p.has("activityNameLike"):
        stmt = stmt.where(HistoricActivity.activity_name.like(p.pattern("activityNameLike")))
    if p.has("activityType"):
        stmt = stmt.where(HistoricActivity.activity_type == p.text("activityType"))
    if p.has("activityInstanceId"):
        activity_id, _, task_id = p.text("activityInstanceId").partition(":")
        stmt = stmt.where(
            HistoricActivity.activity_id == activity_id, HistoricActivity.task_id == task_id
        )
    if p.has("taskAssignee"):
        stmt = stmt.where(HistoricActivity.assignee == p.text("taskAssignee"))
    if p.flag("finished"):
        stmt = stmt.where(HistoricActivity.ended_at.is_not(None))
    if p.flag("unfinished"):
        stmt = stmt.where(HistoricActivity.ended_at.is_(None))
    if p.flag("canceled"):
        stmt = stmt.where(HistoricActivity.canceled.is_(True))
    if p.flag("completeScope"):
        stmt = stmt.where(
            HistoricActivity.activity_type == "endEvent", HistoricActivity.canceled.is_(False)
        )
    for name, column, before in (
        ("startedBefore", HistoricActivity.started_at, True),
        ("startedAfter", HistoricActivity.started_at, False),
        ("finishedBefore", HistoricActivity.ended_at, True),
        ("finishedAfter", HistoricActivity.ended_at, False),
    ):
        if p.has(name):
            moment = p.date(name)
            stmt = stmt.where(column <= moment if before else column >= moment)
    return stmt


def _activities(source, body):
    user = actor()
    page = page_from(request.args)
    order = sortings(request.args, body, list(ACTIVITY_SORTS))
    columns = [ACTIVITY_SORTS[by].desc() if desc else ACTIVITY_SORTS[by] for by, desc in order]
    stmt = _activity_query(user, source).order_by(
        *columns, HistoricActivity.started_at, HistoricActivity.id
    )
    rows = get_session().execute(apply_page(stmt, page)).all()
    return jsonify([dto.historic_activity(a, i) for a, i in rows])


_register(
    "activity-instance",
    "historic_activities",
    _activities,
    lambda source: _count_of(_activity_query(actor(), source)),
    ACTIVITY_SORTS,
)


# ---------------------------------------------------------------- tasks (open and finished)

TASK_COLUMNS = (
    "id",
    "instance_id",
    "definition_id",
    "definition_key",
    "task_key",
    "name",
    "assignee",
    "started",
    "ended",
    "due",
    "priority",
    "outcome",
)
TASK_SORTS = {
    "taskId": "id",
    "activityInstanceId": "id",
    "processDefinitionId": "definition_id",
    "processInstanceId": "instance_id",
    "executionId": "instance_id",
    "duration": "ended",
    "endTime": "ended",
    "startTime": "started",
    "taskName": "name",
    "assignee": "assignee",
    "dueDate": "due",
    "deleteReason": "outcome",
    "taskDefinitionKey": "task_key",
    "priority": "priority",
}


def _task_union(user: User, source: Mapping[str, Any]):
    p = Params(source)
    open_part = select(
        OpenTask.id.label("id"),
        OpenTask.instance_id.label("instance_id"),
        OpenTask.definition_id.label("definition_id"),
        OpenTask.definition_key.label("definition_key"),
        OpenTask.task_spec_id.label("task_key"),
        OpenTask.name.label("name"),
        OpenTask.assignee.label("assignee"),
        OpenTask.created_at.label("started"),
        literal(None, type_=OpenTask.created_at.type).label("ended"),
        OpenTask.due_at.label("due"),
        OpenTask.priority.label("priority"),
        literal("open").label("outcome"),
    ).where(access.task_condition(user))
    done_part = select(
        HistoricTask.id,
        HistoricTask.instance_id,
        HistoricTask.definition_id,
        HistoricTask.definition_key,
        HistoricTask.task_spec_id,
        HistoricTask.name,
        func.coalesce(HistoricTask.completed_by, HistoricTask.assignee),
        HistoricTask.created_at,
        HistoricTask.ended_at,
        HistoricTask.due_at,
        literal(50),
        HistoricTask.outcome,
    ).where(access.historic_task_condition(user))
    if p.flag("finished"):
        open_part = open_part.where(literal(False))
    if p.flag("unfinished"):
        done_part = done_part.where(literal(False))
    union = union_all(open_part, done_part).subquery()
    stmt = select(*[union.c[name] for name in TASK_COLUMNS])
    filters = {
        "taskId": "id",
        "processInstanceId": "instance_id",
        "processDefinitionId": "definition_id",
        "processDefinitionKey": "definition_key",
        "taskDefinitionKey": "task_key",
        "taskName": "name",
        "taskAssignee": "assignee",
    }
    for name, column in filters.items():
        if p.has(name):
            stmt = stmt.where(union.c[column] == p.text(name))
    if p.has("taskNameLike"):
        stmt = stmt.where(union.c.name.like(p.pattern("taskNameLike")))
    if p.has("taskAssigneeLike"):
        stmt = stmt.where(union.c.assignee.like(p.pattern("taskAssigneeLike")))
    if p.has("processInstanceBusinessKey"):
        keyed = select(ProcessInstance.id).where(
            ProcessInstance.business_key == p.text("processInstanceBusinessKey")
        )
        stmt = stmt.where(union.c.instance_id.in_(keyed))
    for name, column, before in (
        ("taskDueBefore", "due", True),
        ("taskDueAfter", "due", False),
        ("startedBefore", "started", True),
        ("startedAfter", "started", False),
        ("finishedBefore", "ended", True),
        ("finishedAfter", "ended", False),
    ):
        if p.has(name):
            moment = p.date(name)
            stmt = stmt.where(union.c[column] <= moment if before else union.c[column] >= moment)
    return stmt, union


def _tasks(source, body):
    user = actor()
    page = page_from(request.args)
    order = sortings(request.args, body, list(TASK_SORTS))
    stmt, union = _task_union(user, source)
    columns = [
        union.c[TASK_SORTS[by]].desc() if desc else union.c[TASK_SORTS[by]] for by, desc in order
    ]
    stmt = apply_page(stmt.order_by(*columns, union.c.started, union.c.id), page)
    result = []
    for row in get_session().execute(stmt).all():
        values = dict(zip(TASK_COLUMNS, row, strict=True))
        outcome = values["outcome"]
        state = {"open": "Created", "completed": "Completed"}.get(outcome, "Deleted")
        if outcome == "open" and values["assignee"]:
            state = "Updated"
        result.append(
            dto._historic_task(
                values["id"],
                values["instance_id"],
                values["definition_id"],
                values["definition_key"],
                values["task_key"],
                values["name"],
                None,
                values["assignee"],
                None,
                values["started"],
                values["ended"],
                None
                if outcome == "open"
                else ("completed" if outcome == "completed" else "deleted"),
                values["due"],
                None,
                values["priority"],
                state,
            )
        )
    return jsonify(result)


_register(
    "task",
    "historic_tasks",
    _tasks,
    lambda source: _count_of(_task_union(actor(), source)[0]),
    TASK_SORTS,
)


# ---------------------------------------------------------------- user operation log

# audit action -> (operationType, entityType, category)
OPERATIONS: dict[str, tuple[str, str, str]] = {
    "claim": ("Claim", "Task", "TaskWorker"),
    "unclaim": ("Claim", "Task", "TaskWorker"),
    "assign": ("Assign", "Task", "TaskWorker"),
    "complete": ("Complete", "Task", "TaskWorker"),
    "task_update": ("Update", "Task", "TaskWorker"),
    "comment": ("AddComment", "Task", "TaskWorker"),
    "attachment": ("AddAttachment", "Attachment", "TaskWorker"),
    "start": ("Create", "ProcessInstance", "Operator"),
    "cancel": ("Delete", "ProcessInstance", "Operator"),
    "message": ("CorrelateMessage", "ProcessInstance", "Operator"),
    "variables": ("SetVariable", "Variable", "Operator"),
    "retry": ("SetJobRetries", "Job", "Operator"),
    "share": ("AddIdentityLink", "ProcessInstance", "Operator"),
    "deploy": ("Create", "Deployment", "Operator"),
    "undeploy": ("Delete", "Deployment", "Operator"),
}
DEPLOYMENT_ACTIONS = ("deploy", "undeploy")
SYSTEM_ACTORS = ("timer", "system", "worker")


def _operation_query(user: User, source: Mapping[str, Any]):
    p = Params(source)
    case_rows = and_(
        AuditEvent.instance_id.is_not(None),
        AuditEvent.instance_id.in_(access.visible_case_ids(user)),
    )
    visible = (
        or_(case_rows, AuditEvent.action.in_(DEPLOYMENT_ACTIONS))
        if access.can_read_deployments(user)
        else case_rows
    )
    stmt = select(AuditEvent).where(
        visible,
        AuditEvent.action.in_(tuple(OPERATIONS)),
        AuditEvent.actor.is_not(None),
        AuditEvent.actor.not_in(SYSTEM_ACTORS),
    )
    if p.has("processInstanceId"):
        stmt = stmt.where(AuditEvent.instance_id == p.text("processInstanceId"))
    if p.has("processDefinitionId") or p.has("processDefinitionKey"):
        cases = select(ProcessInstance.id)
        if p.has("processDefinitionId"):
            cases = cases.where(ProcessInstance.definition_id == p.text("processDefinitionId"))
        if p.has("processDefinitionKey"):
            cases = cases.where(ProcessInstance.definition_key == p.text("processDefinitionKey"))
        stmt = stmt.where(AuditEvent.instance_id.in_(cases))
    if p.has("taskId"):
        stmt = stmt.where(AuditEvent.task_id == p.text("taskId"))
    if p.has("userId"):
        stmt = stmt.where(AuditEvent.actor == p.text("userId"))
    if p.has("operationType"):
        wanted = p.text("operationType")
        stmt = stmt.where(
            AuditEvent.action.in_([a for a, o in OPERATIONS.items() if o[0] == wanted])
        )
    entity_types = p.items("entityTypeIn") or (
        [p.text("entityType")] if p.has("entityType") else None
    )
    if entity_types:
        stmt = stmt.where(
            AuditEvent.action.in_([a for a, o in OPERATIONS.items() if o[1] in entity_types])
        )
    if p.has("category"):
        wanted = p.text("category")
        stmt = stmt.where(
            AuditEvent.action.in_([a for a, o in OPERATIONS.items() if o[2] == wanted])
        )
    if p.has("afterTimestamp"):
        stmt = stmt.where(AuditEvent.at >= p.date("afterTimestamp"))
    if p.has("beforeTimestamp"):
        stmt = stmt.where(AuditEvent.at <= p.date("beforeTimestamp"))
    return stmt


def _change(event: AuditEvent) -> tuple[str | None, Any, Any]:
    """(property, orgValue, newValue) as Camunda records them for this operation."""
    details = event.details or {}
    action = event.action
    if action == "claim":
        return "assignee", None, event.actor
    if action == "unclaim":
        return "assignee", details.get("previous_assignee"), None
    if action == "assign":
        return "assignee", details.get("previous_assignee"), details.get("assignee")
    if action == "complete":
        return "delete", "false", "true"
    if action == "task_update":
        names = sorted(details)
        if len(names) == 1:
            old, new = details[names[0]]
            return (
                {"due_at": "dueDate", "follow_up_at": "followUpDate"}.get(names[0], names[0]),
                old,
                new,
            )
        return ",".join(names) or None, None, None
    if action == "cancel":
        return "deleteReason", None, details.get("reason")
    if action == "message":
        return "messageName", None, details.get("name")
    if action == "variables":
        return "variables", None, ",".join(sorted(details.get("variables") or {}))
    if action == "share":
        if details.get("username"):
            return "userId", None, details.get("username")
        return "groupId", None, details.get("group")
    if action == "undeploy":
        return "cascade", None, "true" if details.get("cascade") else "false"
    return None, None, None


def _stringify(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _operations(source, body):
    user = actor()
    page = page_from(request.args)
    order = sortings(request.args, body, ["timestamp"])
    stmt = _operation_query(user, source)
    stmt = stmt.order_by(
        *[AuditEvent.at.desc() if desc else AuditEvent.at for _, desc in order], AuditEvent.id
    )
    events = list(get_session().scalars(apply_page(stmt, page)))
    instances = {
        i.id: i
        for i in get_session().scalars(
            select(ProcessInstance).where(
                ProcessInstance.id.in_({e.instance_id for e in events if e.instance_id})
            )
        )
    }
    result = []
    for event in events:
        operation, entity, category = OPERATIONS[event.action]
        prop, old, new = _change(event)
        instance = instances.get(event.instance_id)
        details = event.details or {}
        result.append(
            {
                "id": str(event.id),
                "deploymentId": details.get("deployment_id"),
                "processDefinitionId": instance.definition_id if instance else None,
                "processDefinitionKey": instance.definition_key if instance else None,
                "processInstanceId": event.instance_id,
                "executionId": event.instance_id,
                "caseDefinitionId": None,
                "caseInstanceId": None,
                "caseExecutionId": None,
                "taskId": event.task_id,
                "jobId": None,
                "jobDefinitionId": None,
                "batchId": None,
                "userId": event.actor,
                "timestamp": format_date(event.at),
                "operationId": str(event.id),
                "externalTaskId": None,
                "operationType": operation,
                "entityType": entity,
                "property": prop,
                "orgValue": _stringify(old),
                "newValue": _stringify(new),
                "removalTime": None,
                "rootProcessInstanceId": event.instance_id,
                "category": category,
                "annotation": None,
            }
        )
    return jsonify(result)


_register(
    "user-operation",
    "user_operations",
    _operations,
    lambda source: _count_of(_operation_query(actor(), source)),
    ["timestamp"],
)
