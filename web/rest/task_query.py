"""The task query: Camunda's criteria for GET and POST /task, as SQL on the open tasks.

Only tasks the caller may see are considered (web.rest.access.task_condition). Criteria
Camunda has but we do not evaluate are refused rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from db.models import OpenTask
from db.models import ProcessInstance
from db.models import TaskCandidate
from db.models import User
from supervision import identity
from web.database import get_session
from web.rest import access
from web.rest.exceptions import InvalidRequest
from web.rest.formats import Params

SORTS = {
    "id": OpenTask.id,
    "name": OpenTask.name,
    "nameCaseInsensitive": func.lower(OpenTask.name),
    "description": OpenTask.description,
    "assignee": OpenTask.assignee,
    "created": OpenTask.created_at,
    "lastUpdated": func.coalesce(OpenTask.claimed_at, OpenTask.created_at),
    "dueDate": OpenTask.due_at,
    "followUpDate": OpenTask.follow_up_at,
    "priority": OpenTask.priority,
    "instanceId": OpenTask.instance_id,
    "executionId": OpenTask.instance_id,
}
# Camunda criteria we do not evaluate: refused instead of silently ignored.
UNSUPPORTED = (
    "processVariables",
    "taskVariables",
    "caseInstanceVariables",
    "orQueries",
    "tenantIdIn",
    "candidateGroupExpression",
    "candidateUserExpression",
    "assigneeExpression",
    "ownerExpression",
    "involvedUserExpression",
)
KNOWN = {
    "taskId",
    "taskIdIn",
    "processInstanceId",
    "processInstanceIdIn",
    "processInstanceBusinessKey",
    "processInstanceBusinessKeyIn",
    "processInstanceBusinessKeyLike",
    "processDefinitionId",
    "processDefinitionKey",
    "processDefinitionKeyIn",
    "executionId",
    "name",
    "nameLike",
    "description",
    "descriptionLike",
    "taskDefinitionKey",
    "taskDefinitionKeyIn",
    "taskDefinitionKeyLike",
    "assignee",
    "assigneeIn",
    "assigneeLike",
    "owner",
    "candidateGroup",
    "candidateGroups",
    "candidateUser",
    "includeAssignedTasks",
    "involvedUser",
    "assigned",
    "unassigned",
    "withCandidateGroups",
    "withoutCandidateGroups",
    "withCandidateUsers",
    "withoutCandidateUsers",
    "priority",
    "minPriority",
    "maxPriority",
    "dueDate",
    "dueBefore",
    "dueAfter",
    "withoutDueDate",
    "followUpDate",
    "followUpBefore",
    "followUpAfter",
    "followUpBeforeOrNotExistent",
    "createdOn",
    "createdBefore",
    "createdAfter",
    "active",
    "suspended",
    "delegationState",
    "sorting",
    "sortBy",
    "sortOrder",
    "firstResult",
    "maxResults",
}


def _check_names(source: Mapping[str, Any], strict: bool) -> None:
    for name in source:
        if name in UNSUPPORTED:
            raise InvalidRequest(f"the task query criterion '{name}' is not supported")
        if strict and name not in KNOWN:
            raise InvalidRequest(f"unknown task query criterion '{name}'")


def _offered(groups: list[str] | None, users: list[str] | None):
    conditions = []
    if groups:
        conditions.append(TaskCandidate.group_code.in_(groups))
    if users:
        conditions.append(TaskCandidate.username.in_(users))
    if not conditions:
        return OpenTask.id.is_(None)
    return exists().where(TaskCandidate.task_id == OpenTask.id, or_(*conditions))


def task_query(user: User, source: Mapping[str, Any], *, strict: bool):
    _check_names(source, strict)
    p = Params(source)
    stmt = select(OpenTask).where(access.task_condition(user))
    simple = {
        "taskId": OpenTask.id,
        "processInstanceId": OpenTask.instance_id,
        "executionId": OpenTask.instance_id,
        "processInstanceBusinessKey": OpenTask.business_key,
        "processDefinitionId": OpenTask.definition_id,
        "processDefinitionKey": OpenTask.definition_key,
        "name": OpenTask.name,
        "description": OpenTask.description,
        "taskDefinitionKey": OpenTask.task_spec_id,
        "assignee": OpenTask.assignee,
        "owner": OpenTask.owner,
        "delegationState": OpenTask.delegation_state,
    }
    for name, column in simple.items():
        if p.has(name):
            stmt = stmt.where(column == p.text(name))
    lists = {
        "taskIdIn": OpenTask.id,
        "processInstanceIdIn": OpenTask.instance_id,
        "processInstanceBusinessKeyIn": OpenTask.business_key,
        "processDefinitionKeyIn": OpenTask.definition_key,
        "taskDefinitionKeyIn": OpenTask.task_spec_id,
        "assigneeIn": OpenTask.assignee,
    }
    for name, column in lists.items():
        if p.has(name):
            stmt = stmt.where(column.in_(p.items(name)))
    likes = {
        "processInstanceBusinessKeyLike": OpenTask.business_key,
        "nameLike": OpenTask.name,
        "descriptionLike": OpenTask.description,
        "taskDefinitionKeyLike": OpenTask.task_spec_id,
        "assigneeLike": OpenTask.assignee,
    }
    for name, column in likes.items():
        if p.has(name):
            stmt = stmt.where(column.like(p.pattern(name)))
    include_assigned = p.flag("includeAssignedTasks")
    candidacy = False
    if p.has("candidateGroup"):
        stmt = stmt.where(_offered([p.text("candidateGroup")], None))
        candidacy = True
    if p.has("candidateGroups"):
        stmt = stmt.where(_offered(p.items("candidateGroups"), None))
        candidacy = True
    if p.has("candidateUser"):
        name = p.text("candidateUser")
        candidate = identity.get_user(get_session(), name)
        groups = sorted(candidate.group_codes) if candidate is not None else []
        stmt = stmt.where(_offered(groups, [name]))
        candidacy = True
    if candidacy and not include_assigned:
        stmt = stmt.where(OpenTask.assignee.is_(None))
    if p.has("involvedUser"):
        name = p.text("involvedUser")
        stmt = stmt.where(
            (OpenTask.assignee == name) | (OpenTask.owner == name) | _offered(None, [name])
        )
    if p.flag("assigned"):
        stmt = stmt.where(OpenTask.assignee.is_not(None))
    if p.flag("unassigned"):
        stmt = stmt.where(OpenTask.assignee.is_(None))
    any_group = exists().where(
        TaskCandidate.task_id == OpenTask.id, TaskCandidate.group_code.is_not(None)
    )
    any_user = exists().where(
        TaskCandidate.task_id == OpenTask.id, TaskCandidate.username.is_not(None)
    )
    if p.flag("withCandidateGroups"):
        stmt = stmt.where(any_group)
    if p.flag("withoutCandidateGroups"):
        stmt = stmt.where(~any_group)
    if p.flag("withCandidateUsers"):
        stmt = stmt.where(any_user)
    if p.flag("withoutCandidateUsers"):
        stmt = stmt.where(~any_user)
    if p.has("priority"):
        stmt = stmt.where(OpenTask.priority == p.integer("priority"))
    if p.has("minPriority"):
        stmt = stmt.where(OpenTask.priority >= p.integer("minPriority"))
    if p.has("maxPriority"):
        stmt = stmt.where(OpenTask.priority <= p.integer("maxPriority"))
    for name, column, op in (
        ("dueDate", OpenTask.due_at, "eq"),
        ("dueBefore", OpenTask.due_at, "lt"),
        ("dueAfter", OpenTask.due_at, "gt"),
        ("followUpDate", OpenTask.follow_up_at, "eq"),
        ("followUpBefore", OpenTask.follow_up_at, "lt"),
        ("followUpAfter", OpenTask.follow_up_at, "gt"),
        ("createdOn", OpenTask.created_at, "eq"),
        ("createdBefore", OpenTask.created_at, "lt"),
        ("createdAfter", OpenTask.created_at, "gt"),
    ):
        if p.has(name):
            moment = p.date(name)
            stmt = stmt.where(
                column == moment
                if op == "eq"
                else (column < moment if op == "lt" else column > moment)
            )
    if p.flag("withoutDueDate"):
        stmt = stmt.where(OpenTask.due_at.is_(None))
    if p.has("followUpBeforeOrNotExistent"):
        moment = p.date("followUpBeforeOrNotExistent")
        stmt = stmt.where(OpenTask.follow_up_at.is_(None) | (OpenTask.follow_up_at < moment))
    running = select(ProcessInstance.id)
    if p.flag("active"):
        stmt = stmt.where(
            OpenTask.instance_id.in_(running.where(ProcessInstance.status == "active"))
        )
    if p.flag("suspended"):
        stmt = stmt.where(
            OpenTask.instance_id.in_(running.where(ProcessInstance.status == "suspended"))
        )
    return stmt
