"""Process definitions: query, read (by id or by key = latest version), XML, start, start form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask import request
from sqlalchemy import func
from sqlalchemy import select

from db.models import ProcessDefinition
from db.models import User
from supervision import cases
from supervision.errors import NotAllowedError
from supervision.permissions import Permission
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
from web.rest.formats import Params
from web.rest.formats import apply_page
from web.rest.formats import page_from
from web.rest.formats import sortings
from web.rest.guard import actor
from web.rest.retry import retrying

SORTS = {
    "id": ProcessDefinition.id,
    "key": ProcessDefinition.key,
    "name": ProcessDefinition.name,
    "version": ProcessDefinition.version,
    "deploymentId": ProcessDefinition.deployment_id,
    "deployTime": ProcessDefinition.deployed_at,
    "versionTag": ProcessDefinition.version_tag,
    "category": ProcessDefinition.key,
    "tenantId": ProcessDefinition.id,
}
MAX_BUSINESS_KEY = 200


def _query(params: Params):
    stmt = select(ProcessDefinition)
    if params.has("processDefinitionId"):
        stmt = stmt.where(ProcessDefinition.id == params.text("processDefinitionId"))
    if params.has("processDefinitionIdIn"):
        stmt = stmt.where(ProcessDefinition.id.in_(params.items("processDefinitionIdIn")))
    if params.has("key"):
        stmt = stmt.where(ProcessDefinition.key == params.text("key"))
    if params.has("keysIn"):
        stmt = stmt.where(ProcessDefinition.key.in_(params.items("keysIn")))
    if params.has("keyLike"):
        stmt = stmt.where(ProcessDefinition.key.like(params.pattern("keyLike")))
    if params.has("name"):
        stmt = stmt.where(ProcessDefinition.name == params.text("name"))
    if params.has("nameLike"):
        stmt = stmt.where(ProcessDefinition.name.like(params.pattern("nameLike")))
    if params.has("deploymentId"):
        stmt = stmt.where(ProcessDefinition.deployment_id == params.text("deploymentId"))
    if params.has("version"):
        stmt = stmt.where(ProcessDefinition.version == params.integer("version"))
    if params.has("resourceName"):
        stmt = stmt.where(ProcessDefinition.resource_name == params.text("resourceName"))
    if params.has("resourceNameLike"):
        stmt = stmt.where(ProcessDefinition.resource_name.like(params.pattern("resourceNameLike")))
    if params.has("versionTag"):
        stmt = stmt.where(ProcessDefinition.version_tag == params.text("versionTag"))
    if params.has("versionTagLike"):
        stmt = stmt.where(ProcessDefinition.version_tag.like(params.pattern("versionTagLike")))
    if params.flag("withoutVersionTag"):
        stmt = stmt.where(ProcessDefinition.version_tag.is_(None))
    if params.flag("suspended"):
        stmt = stmt.where(ProcessDefinition.suspended.is_(True))
    if params.flag("active"):
        stmt = stmt.where(ProcessDefinition.suspended.is_(False))
    if params.flag("latestVersion"):
        latest = (
            select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
            .group_by(ProcessDefinition.key)
            .subquery()
        )
        stmt = stmt.join(
            latest,
            (latest.c.key == ProcessDefinition.key) & (latest.c.v == ProcessDefinition.version),
        )
    return stmt


@bp.get("/process-definition")
def list_definitions():
    user = actor()
    page = page_from(request.args)
    stmt = _query(Params(request.args))
    order = sortings(request.args, None, list(SORTS))
    if not access.can_read_definitions(user):
        return jsonify([])
    columns = [SORTS[by].desc() if desc else SORTS[by] for by, desc in order]
    stmt = apply_page(
        stmt.order_by(*columns, ProcessDefinition.key, ProcessDefinition.version), page
    )
    return jsonify([dto.definition(d) for d in get_session().scalars(stmt)])


@bp.get("/process-definition/count")
def count_definitions():
    user = actor()
    stmt = _query(Params(request.args))
    if not access.can_read_definitions(user):
        return jsonify({"count": 0})
    count = get_session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return jsonify({"count": count})


def _readable(user: User) -> None:
    if not access.can_read_definitions(user):
        raise NotAllowedError(
            "您没有查看流程定义的权限 (not permitted to read process definitions)",
            permission=str(Permission.DEFINITION_READ),
        )


def _by_id(user: User, definition_id: str) -> ProcessDefinition:
    definition = get_session().get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"No matching definition with id {definition_id}")
    _readable(user)
    return definition


def _by_key(user: User, key: str) -> ProcessDefinition:
    definition = (
        get_session()
        .scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        )
        .first()
    )
    if definition is None:
        raise NotFound(f"No matching process definition with key: {key} and no tenant-id")
    _readable(user)
    return definition


def _routes(path: str, name: str, methods: tuple[str, ...] = ("GET",)):
    """Register a view under /process-definition/{id}/... and /process-definition/key/{key}/..."""

    def decorator(view):
        def by_id(definition_id: str):
            user = actor()
            return view(user, lambda: _by_id(user, definition_id))

        def by_key(key: str):
            user = actor()
            return view(user, lambda: _by_key(user, key))

        by_id.__name__ = f"{name}_by_id"
        by_key.__name__ = f"{name}_by_key"
        if "POST" in methods:
            by_id = retrying(by_id)
            by_key = retrying(by_key)
        bp.add_url_rule(
            f"/process-definition/<definition_id>{path}", view_func=by_id, methods=methods
        )
        bp.add_url_rule(f"/process-definition/key/<key>{path}", view_func=by_key, methods=methods)
        return view

    return decorator


@_routes("", "definition")
def get_definition(user: User, find):
    return jsonify(dto.definition(find()))


@_routes("/xml", "definition_xml")
def definition_xml(user: User, find):
    definition = find()
    return jsonify({"id": definition.id, "bpmn20Xml": definition.bpmn_xml})


@_routes("/startForm", "start_form_key")
def start_form_key(user: User, find):
    definition = find()
    form = engine().start_form(definition)
    return jsonify({"key": form.key, "contextPath": None, "camundaFormRef": None})


@_routes("/form-variables", "start_form_variables")
def start_form_variables(user: User, find):
    definition = find()
    session = get_session()
    form = engine().start_form(definition)
    initial = cases.form_initial_values(session, engine(), form, {})
    wanted = name_list()
    result = {
        f.id: typed_variables.form_typed(f.type, initial.get(f.id))
        for f in form.fields
        if wanted is None or f.id in wanted
    }
    return jsonify(result)


def _business_key(data: Mapping[str, Any]) -> str | None:
    return optional_text(data, "businessKey", max_length=MAX_BUSINESS_KEY)


def _unsupported_start_options(data: Mapping[str, Any]) -> None:
    if data.get("startInstructions"):
        raise InvalidRequest("startInstructions are not supported: a case starts at its start")
    if data.get("caseInstanceId") is not None:
        raise InvalidRequest("caseInstanceId is not supported (no CMMN)")
    if flag(data, "skipIoMappings"):
        raise InvalidRequest("skipIoMappings is not supported: input/output mappings always run")
    flag(data, "skipCustomListeners")  # there are no listeners to skip; only type-checked


def _started(user: User, result, with_variables: bool):
    instance = result.instance
    payload = dto.process_instance(instance)
    if with_variables:
        visible = privacy.visible(
            get_session(), user, instance, instance.variables or {}, via="engine-rest start"
        )
        payload["variables"] = typed_variables.typed_map(visible)
    return jsonify(payload)


@_routes("/start", "start_instance", ("POST",))
def start_instance(user: User, find):
    data = json_body()
    _unsupported_start_options(data)
    business_key = _business_key(data)
    values = typed_variables.variables_to_python(data.get("variables"))
    definition = find()
    result = cases.start_case(
        get_session(),
        engine(),
        user,
        definition_id=definition.id,
        business_key=business_key,
        variables=values,
    )
    return _started(user, result, flag(data, "withVariablesInReturn"))


@_routes("/submit-form", "submit_start_form", ("POST",))
def submit_start_form(user: User, find):
    data = json_body()
    business_key = _business_key(data)
    values = typed_variables.variables_to_python(data.get("variables"), keep_dates=True)
    definition = find()
    form = engine().start_form(definition)
    form_ids = {f.id for f in form.fields}
    form_values = {k: v for k, v in values.items() if k in form_ids}
    others = {
        k: typed_variables.date_to_stored(v) if hasattr(v, "astimezone") else v
        for k, v in values.items()
        if k not in form_ids
    }
    result = cases.start_case(
        get_session(),
        engine(),
        user,
        definition_id=definition.id,
        business_key=business_key,
        variables=others,
        start_form=form_values,
        lang=message_lang(),
    )
    return _started(user, result, flag(data, "withVariablesInReturn"))
