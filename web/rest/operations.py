"""The user operation log: our hash-chained audit trail as Camunda's UserOperationLogEntry.

Only what people did (claim, assign, complete, comment, start, cancel, messages, deploys),
only for cases the caller may read (deploys for those who may read deployments); values
entered in forms are not repeated here (they are case data, read through the variables).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask import request
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select

from db.models import AuditEvent
from db.models import ProcessInstance
from db.models import User
from web.database import get_session
from web.rest import access
from web.rest.formats import Params
from web.rest.formats import apply_page
from web.rest.formats import format_date
from web.rest.formats import page_from
from web.rest.formats import sortings
from web.rest.guard import actor
from web.rest.history_query import count_of
from web.rest.history_query import register_history_query

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


register_history_query(
    "user-operation",
    "user_operations",
    _operations,
    lambda source: count_of(_operation_query(actor(), source)),
    ["timestamp"],
)
