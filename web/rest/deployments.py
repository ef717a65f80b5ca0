"""Deployments: what Camunda Modeler's Deploy button calls, plus list, read and delete.

POST /deployment/create takes the multipart form exactly as the Modeler sends it. Every
part that is not one of Camunda's reserved fields is a resource named by its filename.
A deployment whose files are unchanged stores nothing new and answers with the existing
definitions (Camunda answers with an empty map there, which leaves the Modeler's "start
instance" without a definition to start).
"""

from __future__ import annotations

from flask import Response
from flask import g
from flask import jsonify
from flask import request
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.models import Deployment
from db.models import DeploymentResource
from supervision import authz
from supervision import deployments
from supervision.errors import NotAllowedError
from supervision.permissions import Permission
from supervision.permissions import Role
from web.database import get_session
from web.rest import access
from web.rest import dto
from web.rest.blueprint import bp
from web.rest.blueprint import engine
from web.rest.exceptions import Conflict
from web.rest.exceptions import InvalidRequest
from web.rest.exceptions import NotFound
from web.rest.formats import Params
from web.rest.formats import apply_page
from web.rest.formats import page_from
from web.rest.formats import parse_bool
from web.rest.formats import sortings
from web.rest.guard import actor
from web.rest.retry import retrying

RESERVED = (
    "deployment-name",
    "deployment-activation-time",
    "enable-duplicate-filtering",
    "deploy-changed-only",
    "deployment-source",
    "tenant-id",
)
SORTS = {
    "id": Deployment.id,
    "name": Deployment.name,
    "deploymentTime": Deployment.deployed_at,
    "tenantId": Deployment.tenant_id,
}
MAX_NAME = 200
MAX_RESOURCE_NAME = 255


def _query(params: Params):
    stmt = select(Deployment)
    if params.has("id"):
        stmt = stmt.where(Deployment.id == params.text("id"))
    if params.has("name"):
        stmt = stmt.where(Deployment.name == params.text("name"))
    if params.has("nameLike"):
        stmt = stmt.where(Deployment.name.like(params.pattern("nameLike")))
    if params.has("source"):
        stmt = stmt.where(Deployment.source == params.text("source"))
    if params.flag("withoutSource"):
        stmt = stmt.where(Deployment.source.is_(None))
    if params.has("after"):
        stmt = stmt.where(Deployment.deployed_at > params.date("after"))
    if params.has("before"):
        stmt = stmt.where(Deployment.deployed_at < params.date("before"))
    if params.has("tenantIdIn") or params.has("withoutTenantId"):
        tenants = params.items("tenantIdIn")
        if tenants:
            stmt = stmt.where(Deployment.tenant_id.in_(tenants))
        if params.flag("withoutTenantId"):
            stmt = stmt.where(Deployment.tenant_id.is_(None))
    return stmt


@bp.get("/deployment")
def list_deployments():
    user = actor()
    page = page_from(request.args)
    stmt = _query(Params(request.args))
    order = sortings(request.args, None, list(SORTS))
    if not access.can_read_deployments(user):
        return jsonify([])
    columns = [SORTS[by].desc() if desc else SORTS[by] for by, desc in order]
    stmt = apply_page(stmt.order_by(*columns, Deployment.deployed_at, Deployment.id), page)
    return jsonify([dto.deployment(d) for d in get_session().scalars(stmt)])


@bp.get("/deployment/count")
def count_deployments():
    user = actor()
    stmt = _query(Params(request.args))
    if not access.can_read_deployments(user):
        return jsonify({"count": 0})
    count = get_session().scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return jsonify({"count": count})


def _deployment(deployment_id: str) -> Deployment:
    user = actor()
    deployment = get_session().get(Deployment, deployment_id)
    if deployment is None:
        raise NotFound(f"Deployment with id '{deployment_id}' does not exist")
    if not access.can_read_deployments(user):
        raise NotAllowedError(
            "您没有查看部署的权限 (not permitted to read deployments)",
            permission=str(Permission.DEFINITION_READ),
        )
    return deployment


@bp.get("/deployment/<deployment_id>")
def get_deployment(deployment_id: str):
    return jsonify(dto.deployment(_deployment(deployment_id)))


@bp.get("/deployment/<deployment_id>/resources")
def deployment_resources(deployment_id: str):
    deployment = _deployment(deployment_id)
    return jsonify(
        [
            {"id": r.id, "name": r.name, "deploymentId": deployment.id}
            for r in sorted(deployment.resources, key=lambda r: r.name)
        ]
    )


@bp.get("/deployment/<deployment_id>/resources/<resource_id>/data")
def deployment_resource_data(deployment_id: str, resource_id: str):
    deployment = _deployment(deployment_id)
    resource = get_session().get(DeploymentResource, resource_id)
    if resource is None or resource.deployment_id != deployment.id:
        raise NotFound(f"Deployment resource '{resource_id}' does not exist")
    mimetype = "text/xml" if resource.name.lower().endswith((".bpmn", ".xml", ".dmn")) else None
    response = Response(resource.content, mimetype=mimetype or "application/octet-stream")
    response.headers["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{_quote(resource.name)}"
    )
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _form_text(name: str) -> str | None:
    if name in request.form:
        return request.form.get(name)
    upload = request.files.get(name)
    if upload is not None:
        return upload.read().decode("utf-8", errors="replace")
    return None


def _read_form() -> dict:
    if request.mimetype != "multipart/form-data":
        raise InvalidRequest(
            "POST /deployment/create expects multipart/form-data with one part per file"
        )
    name = _form_text("deployment-name")
    source = _form_text("deployment-source")
    if name is not None and len(name) > MAX_NAME:
        raise InvalidRequest(f"deployment-name must be at most {MAX_NAME} characters")
    if source is not None and len(source) > MAX_NAME:
        raise InvalidRequest(f"deployment-source must be at most {MAX_NAME} characters")
    if (_form_text("tenant-id") or "").strip():
        raise InvalidRequest("tenants are not supported: leave the tenant id empty")
    if (_form_text("deployment-activation-time") or "").strip():
        raise InvalidRequest("deployment-activation-time is not supported")
    for field in request.form:
        if field not in RESERVED:
            raise InvalidRequest(
                "No file name found in the deployment resource described by form parameter "
                f"'{field}'."
            )
    resources = []
    for field, upload in request.files.items(multi=True):
        if field in RESERVED:
            continue
        filename = upload.filename or ""
        if not filename:
            raise InvalidRequest(
                "No file name found in the deployment resource described by form parameter "
                f"'{field}'."
            )
        if len(filename) > MAX_RESOURCE_NAME:
            raise InvalidRequest(f"file names must be at most {MAX_RESOURCE_NAME} characters")
        resources.append((filename, upload.read()))
    if not resources:
        raise InvalidRequest("No deployment resources contained in the form upload.")

    def switch(field: str) -> bool:
        value = _form_text(field)
        return parse_bool(value, field) if value not in (None, "") else False

    return {
        "name": name or None,
        "source": source or None,
        "duplicate_filtering": switch("enable-duplicate-filtering"),
        "changed_only": switch("deploy-changed-only"),
        "resources": resources,
    }


@bp.post("/deployment/create")
@retrying
def create_deployment():
    user = actor()
    if not authz.has(user, Permission.DEFINITION_DEPLOY):
        raise NotAllowedError(
            "您没有部署流程的权限 (not permitted to deploy process definitions)",
            permission=str(Permission.DEFINITION_DEPLOY),
        )
    # Read once: a retry after a conflict must not find the upload streams consumed.
    if "deploy_form" not in g:
        g.deploy_form = _read_form()
    form = g.deploy_form
    result = deployments.deploy(
        get_session(),
        engine(),
        form["resources"],
        actor=user.username,
        name=form["name"],
        source=form["source"],
        duplicate_filtering=form["duplicate_filtering"] or form["changed_only"],
        changed_only=form["changed_only"],
    )
    definitions = list(result.definitions) + [
        d for d in result.unchanged if d.id not in {x.id for x in result.definitions}
    ]
    payload = dto.deployment_with_definitions(result.deployment, definitions)
    payload["unchanged"] = result.duplicate
    payload["warnings"] = [
        {
            "message": w.message,
            "resource": w.resource,
            "line": w.line,
            "column": w.column,
            "mainBpmnElementId": w.element_id,
        }
        for w in result.warnings
    ]
    return jsonify(payload)


@bp.delete("/deployment/<deployment_id>")
@retrying
def delete_deployment(deployment_id: str):
    user = actor()
    cascade_arg = request.args.get("cascade")
    cascade = parse_bool(cascade_arg, "cascade") if cascade_arg not in (None, "") else False
    is_admin = Role.ADMIN in user.roles and authz.is_usable(user)
    if not (authz.has(user, Permission.DEFINITION_DEPLOY) or is_admin):
        raise NotAllowedError(
            "您没有删除部署的权限 (not permitted to delete deployments)",
            permission=str(Permission.DEFINITION_DEPLOY),
        )
    if cascade and not is_admin:
        raise NotAllowedError(
            "只有系统管理员可以连同案件删除部署 (only an administrator may delete with cascade)",
            permission="admin",
        )
    session = get_session()
    if session.get(Deployment, deployment_id) is None:
        raise NotFound(f"Deployment with id '{deployment_id}' does not exist")
    deployments.delete_deployment(session, deployment_id, actor=user.username, cascade=cascade)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"Deployment '{deployment_id}' cannot be deleted: other records (hotline tickets, "
            "observations, documents) still refer to its cases"
        ) from None
    return "", 204
