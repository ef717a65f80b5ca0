"""Process instances (= cases) at run time: query, read, variables, active activities.

Like Camunda's runtime API, the query and GET /process-instance/{id} see only running
cases; finished ones are under /history/process-instance. Variables stay readable after
the end (Camunda would need the history API for that).
"""

from __future__ import annotations

from flask import jsonify
from flask import request
from sqlalchemy import func
from sqlalchemy import select

from db.models import HistoricActivity
from db.models import Incident
from db.models import ProcessInstance
from db.models import User
from web.database import get_session
from web.rest import access
from web.rest import dto
from web.rest import privacy
from web.rest import variables as typed_variables
from web.rest.blueprint import bp
from web.rest.blueprint import json_body
from web.rest.blueprint import name_list
from web.rest.exceptions import NotFound
from web.rest.formats import Params
from web.rest.formats import apply_page
from web.rest.formats import page_from
from web.rest.formats import sortings
from web.rest.guard import actor
from web.rest.retry import retrying

SORTS = {
    "instanceId": ProcessInstance.id,
    "definitionKey": ProcessInstance.definition_key,
    "definitionId": ProcessInstance.definition_id,
    "businessKey": ProcessInstance.business_key,
    "tenantId": ProcessInstance.id,
}


def _query(user: User, params: Params):
    stmt = select(ProcessInstance).where(
        access.case_condition(user), ProcessInstance.status.in_(("active", "suspended"))
    )
    if params.has("processInstanceIds"):
        stmt = stmt.where(ProcessInstance.id.in_(params.items("processInstanceIds")))
    if params.has("businessKey"):
        stmt = stmt.where(ProcessInstance.business_key == params.text("businessKey"))
    if params.has("businessKeyLike"):
        stmt = stmt.where(ProcessInstance.business_key.like(params.pattern("businessKeyLike")))
    if params.has("processDefinitionId"):
        stmt = stmt.where(ProcessInstance.definition_id == params.text("processDefinitionId"))
    if params.has("processDefinitionKey"):
        stmt = stmt.where(ProcessInstance.definition_key == params.text("processDefinitionKey"))
    if params.has("processDefinitionKeyIn"):
        stmt = stmt.where(
            ProcessInstance.definition_key.in_(params.items("processDefinitionKeyIn"))
        )
    if params.has("processDefinitionKeyNotIn"):
        stmt = stmt.where(
            ProcessInstance.definition_key.not_in(params.items("processDefinitionKeyNotIn"))
        )
    if params.has("superProcessInstance"):
        stmt = stmt.where(ProcessInstance.parent_instance_id == params.text("superProcessInstance"))
    if params.flag("active"):
        stmt = stmt.where(ProcessInstance.status == "active")
    if params.flag("suspended"):
        stmt = stmt.where(ProcessInstance.status == "suspended")
    if params.flag("withIncident"):
        stmt = stmt.where(ProcessInstance.incident_count > 0)
    return stmt


def _list(source, body):
    user = actor()
    page = page_from(request.args)
    order = sortings(request.args, body, list(SORTS))
    stmt = _query(user, Params(source))
    columns = [SORTS[by].desc() if desc else SORTS[by] for by, desc in order]
    stmt = apply_page(stmt.order_by(*columns, ProcessInstance.started_at, ProcessInstance.id), page)
    return jsonify([dto.process_instance(i) for i in get_session().scalars(stmt)])


def _count(source, body=None):
    user = actor()
    sortings(request.args, body, list(SORTS))  # not used by a count, but checked
    stmt = _query(user, Params(source))
    count = get_session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return jsonify({"count": count})


@bp.get("/process-instance")
def list_instances():
    return _list(request.args, None)


@bp.post("/process-instance")
def query_instances():
    body = json_body()
    return _list(body, body)


@bp.get("/process-instance/count")
def count_instances():
    return _count(request.args)


@bp.post("/process-instance/count")
def count_instances_post():
    body = json_body()
    return _count(body, body)


def _running(user: User, instance_id: str) -> ProcessInstance:
    instance = access.readable_case(get_session(), user, instance_id)
    if not dto.is_running(instance):
        raise NotFound(f"Process instance with id {instance_id} does not exist")
    return instance


@bp.get("/process-instance/<instance_id>")
def get_instance(instance_id: str):
    return jsonify(dto.process_instance(_running(actor(), instance_id)))


@bp.get("/process-instance/<instance_id>/variables")
@retrying
def instance_variables(instance_id: str):
    user = actor()
    session = get_session()
    instance = access.readable_case(session, user, instance_id)
    wanted = name_list()
    selected = {
        k: v for k, v in (instance.variables or {}).items() if wanted is None or k in wanted
    }
    visible = privacy.visible(session, user, instance, selected, via="engine-rest variables")
    return jsonify(typed_variables.typed_map(visible))


@bp.get("/process-instance/<instance_id>/variables/<name>")
@retrying
def instance_variable(instance_id: str, name: str):
    user = actor()
    session = get_session()
    instance = access.readable_case(session, user, instance_id)
    name_list()  # checks deserializeValue
    variables = instance.variables or {}
    if name not in variables:
        raise NotFound(f"process instance variable with name {name} does not exist")
    visible = privacy.visible(
        session, user, instance, {name: variables[name]}, via="engine-rest variables"
    )
    return jsonify(typed_variables.typed(visible[name]))


@bp.get("/process-instance/<instance_id>/activity-instances")
def activity_instances(instance_id: str):
    """The tree of what is active now (what Cockpit-like views highlight)."""
    session = get_session()
    instance = _running(actor(), instance_id)
    rows = session.scalars(
        select(HistoricActivity)
        .where(HistoricActivity.instance_id == instance.id, HistoricActivity.ended_at.is_(None))
        .order_by(HistoricActivity.started_at, HistoricActivity.id)
    ).all()
    incidents = session.scalars(
        select(Incident).where(Incident.instance_id == instance.id, Incident.resolved_at.is_(None))
    ).all()
    children = []
    for row in rows:
        own = [i for i in incidents if i.task_id == row.task_id]
        children.append(
            {
                "id": dto.activity_instance_id(row),
                "parentActivityInstanceId": instance.id,
                "activityId": row.activity_id,
                "activityType": row.activity_type,
                "processInstanceId": instance.id,
                "processDefinitionId": instance.definition_id,
                "childActivityInstances": [],
                "childTransitionInstances": [],
                "executionIds": [instance.id],
                "activityName": row.activity_name,
                "name": row.activity_name,
                "incidentIds": [str(i.id) for i in own],
                "incidents": [{"id": str(i.id), "activityId": row.activity_id} for i in own],
            }
        )
    definition = instance.definition
    return jsonify(
        {
            "id": instance.id,
            "parentActivityInstanceId": None,
            "activityId": instance.definition_id,
            "activityType": "processDefinition",
            "processInstanceId": instance.id,
            "processDefinitionId": instance.definition_id,
            "childActivityInstances": children,
            "childTransitionInstances": [],
            "executionIds": [instance.id],
            "activityName": definition.name if definition is not None else None,
            "name": definition.name if definition is not None else None,
            "incidentIds": [],
            "incidents": [],
        }
    )
