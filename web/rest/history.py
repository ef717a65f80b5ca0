"""History: finished and running cases, executed activities, open and finished tasks.

Everything is filtered to the cases the caller may read. (The user operation log is in
web/rest/operations.py.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask import request
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import union_all

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
from web.rest.exceptions import InvalidRequest
from web.rest.formats import Params
from web.rest.formats import apply_page
from web.rest.formats import page_from
from web.rest.formats import sortings
from web.rest.guard import actor
from web.rest.history_query import count_of
from web.rest.history_query import register_history_query

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


register_history_query(
    "process-instance",
    "historic_instances",
    _instances,
    lambda source: count_of(_instance_query(actor(), source)),
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


register_history_query(
    "activity-instance",
    "historic_activities",
    _activities,
    lambda source: count_of(_activity_query(actor(), source)),
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
            dto.historic_task(
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


register_history_query(
    "task",
    "historic_tasks",
    _tasks,
    lambda source: count_of(_task_union(actor(), source)[0]),
    TASK_SORTS,
)
