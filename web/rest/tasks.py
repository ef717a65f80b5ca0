"""Tasks: the query Camunda task lists use, and claim / unclaim / assign / complete.

Unlike Camunda, claiming checks candidacy: only a candidate (a member of a candidate
group, or a candidate user) may claim a task, and only a chief may assign it to someone
else. Completing validates the task's form (camunda:formData) as submit-form does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask import request
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import select

from db.models import OpenTask
from db.models import ProcessInstance
from db.models import TaskCandidate
from db.models import User
from supervision import authz
from supervision import cases
from supervision import identity
from web.database import get_session
from web.rest import access
from web.rest import dto
from web.rest import privacy
from web.rest import variables as typed_variables
from web.rest.blueprint import bp
from web.rest.blueprint import engine
from web.rest.blueprint import flag
from web.rest.blueprint import json_body
from web.rest.blueprint import name_list
from web.rest.blueprint import optional_text
from web.rest.exceptions import InvalidRequest
from web.rest.exceptions import NotFound
from web.rest.formats import Params
from web.rest.formats import apply_page
from web.rest.formats import page_from
from web.rest.formats import sortings
from web.rest.guard import actor
from web.rest.retry import retrying

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
LINK_TYPES = ("assignee", "owner", "candidate")
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
    from sqlalchemy import or_

    return exists().where(TaskCandidate.task_id == OpenTask.id, or_(*conditions))


def _query(user: User, source: Mapping[str, Any], *, strict: bool):
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


def _suspended_ids(instance_ids: set[str]) -> set[str]:
    if not instance_ids:
        return set()
    return set(
        get_session().scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.id.in_(instance_ids), ProcessInstance.status == "suspended"
            )
        )
    )


def _task_list(tasks: list[OpenTask]) -> list[dict[str, Any]]:
    suspended = _suspended_ids({t.instance_id for t in tasks})
    return [dto.task(t, t.instance_id in suspended) for t in tasks]


def _list(source: Mapping[str, Any], body: Mapping[str, Any] | None, strict: bool):
    user = actor()
    page = page_from(request.args)
    order = sortings(request.args, body, list(SORTS))
    stmt = _query(user, source, strict=strict)
    columns = [SORTS[by].desc() if desc else SORTS[by] for by, desc in order]
    stmt = apply_page(stmt.order_by(*columns, OpenTask.created_at, OpenTask.id), page)
    return jsonify(_task_list(list(get_session().scalars(stmt))))


def _count(source: Mapping[str, Any], body: Mapping[str, Any] | None, strict: bool):
    user = actor()
    sortings(request.args, body, list(SORTS))  # not used by a count, but checked
    stmt = _query(user, source, strict=strict)
    count = get_session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return jsonify({"count": count})


def _query_body() -> dict[str, Any]:
    body = json_body()
    body.pop("firstResult", None)
    body.pop("maxResults", None)
    return body


@bp.get("/task")
def list_tasks():
    return _list(request.args, None, strict=False)


@bp.post("/task")
def query_tasks():
    body = _query_body()
    return _list({k: v for k, v in body.items() if k not in ("sorting",)}, body, strict=True)


@bp.get("/task/count")
def count_tasks():
    return _count(request.args, None, strict=False)


@bp.post("/task/count")
def count_tasks_post():
    body = _query_body()
    return _count({k: v for k, v in body.items() if k != "sorting"}, body, strict=True)


@bp.get("/task/<task_id>")
def get_task(task_id: str):
    task = access.visible_open_task(get_session(), actor(), task_id)
    return jsonify(_task_list([task])[0])


@bp.get("/task/<task_id>/identity-links")
def identity_links(task_id: str):
    task = access.visible_open_task(get_session(), actor(), task_id)
    kind = request.args.get("type")
    if kind is not None and kind not in LINK_TYPES:
        raise InvalidRequest(f"type must be one of {', '.join(LINK_TYPES)}")
    links = [link for link in dto.identity_links(task) if kind in (None, link["type"])]
    return jsonify(links)


@bp.get("/task/<task_id>/form")
def task_form_key(task_id: str):
    session = get_session()
    task = access.visible_open_task(session, actor(), task_id)
    form = cases.task_form(session, engine(), task)
    return jsonify({"key": form.key or task.form_key, "contextPath": None, "camundaFormRef": None})


@bp.get("/task/<task_id>/form-variables")
def task_form_variables(task_id: str):
    session = get_session()
    user = actor()
    task = access.visible_open_task(session, user, task_id)
    instance = session.get(ProcessInstance, task.instance_id)
    form = cases.task_form(session, engine(), task)
    initial = cases.form_initial_values(session, engine(), form, instance.variables or {})
    wanted = name_list()
    chosen = {f.id: initial.get(f.id) for f in form.fields if wanted is None or f.id in wanted}
    visible = privacy.visible(session, user, instance, chosen, via="engine-rest form-variables")
    types = {f.id: f.type for f in form.fields}
    return jsonify(
        {name: typed_variables.form_typed(types[name], value) for name, value in visible.items()}
    )


@bp.get("/task/<task_id>/variables")
def task_variables(task_id: str):
    session = get_session()
    user = actor()
    task = access.visible_open_task(session, user, task_id)
    instance = session.get(ProcessInstance, task.instance_id)
    wanted = name_list()
    chosen = {k: v for k, v in (instance.variables or {}).items() if wanted is None or k in wanted}
    visible = privacy.visible(session, user, instance, chosen, via="engine-rest task variables")
    return jsonify(typed_variables.typed_map(visible))


# ---------------------------------------------------------------- claim and assign


def _user_id(data: Mapping[str, Any], default: str | None) -> str | None:
    if "userId" not in data:
        return default
    value = data["userId"]
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidRequest("userId must be a user name or null")
    return value


@bp.post("/task/<task_id>/claim")
@retrying
def claim(task_id: str):
    session = get_session()
    user = actor()
    data = json_body()
    target = _user_id(data, user.username)
    access.visible_open_task(session, user, task_id)
    if target is None:
        raise InvalidRequest("userId is required to claim a task")
    if target == user.username:
        cases.claim_task(session, user, task_id)
    else:
        cases.assign_task(session, user, task_id, target)
    return "", 204


@bp.post("/task/<task_id>/unclaim")
@retrying
def unclaim(task_id: str):
    session = get_session()
    user = actor()
    access.visible_open_task(session, user, task_id)
    cases.unclaim_task(session, user, task_id)
    return "", 204


@bp.post("/task/<task_id>/assignee")
@retrying
def set_assignee(task_id: str):
    session = get_session()
    user = actor()
    data = json_body(required=True)
    if "userId" not in data:
        raise InvalidRequest("userId is required (null removes the assignee)")
    target = _user_id(data, None)
    task = access.visible_open_task(session, user, task_id)
    if target == user.username and task.assignee is None and not authz.can_assign(user, task):
        cases.claim_task(session, user, task_id)
    elif target is None and task.assignee == user.username:
        cases.unclaim_task(session, user, task_id)
    else:
        cases.assign_task(session, user, task_id, target)
    return "", 204


# ---------------------------------------------------------------- complete


def _complete(task_id: str):
    session = get_session()
    user = actor()
    data = json_body()
    task = access.visible_open_task(session, user, task_id)
    instance = session.get(ProcessInstance, task.instance_id)
    values = typed_variables.variables_to_python(data.get("variables"), keep_dates=True)
    form_ids = {f.id for f in cases.task_form(session, engine(), task).fields}
    values = {
        k: v if k in form_ids or not hasattr(v, "astimezone") else typed_variables.date_to_stored(v)
        for k, v in values.items()
    }
    values = privacy.guard_writes(user, instance, values)
    result = cases.complete_task(
        session, engine(), user, task_id, values, lang=_lang(), allow_extra=True
    )
    if not flag(data, "withVariablesInReturn"):
        return "", 204
    instance = result.instance
    visible = privacy.visible(
        session, user, instance, instance.variables or {}, via="engine-rest complete"
    )
    return jsonify(typed_variables.typed_map(visible))


@bp.post("/task/<task_id>/complete")
@retrying
def complete(task_id: str):
    return _complete(task_id)


@bp.post("/task/<task_id>/submit-form")
@retrying
def submit_form(task_id: str):
    return _complete(task_id)


def _lang() -> str:
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return "en" if best == "en" else "zh"


# ---------------------------------------------------------------- comments


@bp.get("/task/<task_id>/comment")
def list_comments(task_id: str):
    session = get_session()
    instance, own_id = access.task_case(session, actor(), task_id)
    return jsonify([dto.comment(c) for c in cases.comments(session, instance, own_id)])


@bp.get("/task/<task_id>/comment/<comment_id>")
def get_comment(task_id: str, comment_id: str):
    session = get_session()
    instance, own_id = access.task_case(session, actor(), task_id)
    for c in cases.comments(session, instance, own_id):
        if str(c.id) == comment_id:
            return jsonify(dto.comment(c))
    raise NotFound(f"Task comment with id {comment_id} does not exist for task id '{task_id}'")


@bp.post("/task/<task_id>/comment/create")
def create_comment(task_id: str):
    session = get_session()
    user = actor()
    data = json_body(required=True)
    message = optional_text(data, "message", max_length=5000)
    instance, own_id = access.task_case(session, user, task_id)
    given = optional_text(data, "processInstanceId", max_length=36)
    if given is not None and given != instance.id:
        raise InvalidRequest("processInstanceId does not match the task's process instance")
    comment = cases.add_comment(session, user, instance, message or "", task_id=own_id)
    session.flush()
    return jsonify(dto.comment(comment))
