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
from sqlalchemy import func
from sqlalchemy import select

from db.models import OpenTask
from db.models import ProcessInstance
from supervision import authz
from supervision import cases
from web.database import get_session
from web.rest import access
from web.rest import dto
from web.rest import privacy
from web.rest import variables as typed_variables
from web.rest.blueprint import bp
from web.rest.blueprint import engine
from web.rest.blueprint import flag
from web.rest.blueprint import json_body
from web.rest.blueprint import message_lang
from web.rest.blueprint import name_list
from web.rest.blueprint import optional_text
from web.rest.exceptions import InvalidRequest
from web.rest.exceptions import NotFound
from web.rest.formats import apply_page
from web.rest.formats import page_from
from web.rest.formats import sortings
from web.rest.guard import actor
from web.rest.retry import retrying
from web.rest.task_query import SORTS
from web.rest.task_query import task_query

LINK_TYPES = ("assignee", "owner", "candidate")


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
    stmt = task_query(user, source, strict=strict)
    columns = [SORTS[by].desc() if desc else SORTS[by] for by, desc in order]
    stmt = apply_page(stmt.order_by(*columns, OpenTask.created_at, OpenTask.id), page)
    return jsonify(_task_list(list(get_session().scalars(stmt))))


def _count(source: Mapping[str, Any], body: Mapping[str, Any] | None, strict: bool):
    user = actor()
    sortings(request.args, body, list(SORTS))  # not used by a count, but checked
    stmt = task_query(user, source, strict=strict)
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
@retrying
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
@retrying
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
        session, engine(), user, task_id, values, lang=message_lang(), allow_extra=True
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
@retrying
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
