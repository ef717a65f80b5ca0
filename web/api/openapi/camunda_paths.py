"""Paths of the Camunda-compatible API under /engine-rest."""

from __future__ import annotations

from typing import Any

from web.api.openapi.builders import Schema
from web.api.openapi.builders import array
from web.api.openapi.builders import integer
from web.api.openapi.builders import operation
from web.api.openapi.builders import path
from web.api.openapi.builders import query
from web.api.openapi.builders import ref
from web.api.openapi.builders import response
from web.api.openapi.builders import string
from web.api.openapi.camunda_history_paths import history_paths
from web.api.openapi.camunda_schemas import task_criterion
from web.api.openapi.queries import BOOL_TEXT
from web.api.openapi.queries import DATE_TEXT
from web.api.openapi.queries import INT32
from web.api.openapi.queries import NO_CONTENT
from web.api.openapi.queries import P
from web.api.openapi.queries import bool_params
from web.api.openapi.queries import date_params
from web.api.openapi.queries import list_of
from web.api.openapi.queries import query_ops
from web.api.openapi.queries import text_params
from web.rest.engine import COMPATIBLE_VERSION
from web.rest.task_query import KNOWN as TASK_CRITERIA

COMPATIBLE = COMPATIBLE_VERSION


def engine_paths() -> dict[str, dict[str, Any]]:
    return {
        f"{P}/version": {
            "get": operation(
                "The Camunda REST API version this API follows",
                "Engine",
                "getRestAPIVersion",
                ok={"200": response("The version", ref("VersionDto"))},
            )
        },
        f"{P}/engine": {
            "get": operation(
                "The process engines (one, 'default')",
                "Engine",
                "getProcessEngineNames",
                ok={"200": response("Engines", array(ref("ProcessEngineDto")))},
            )
        },
        "/.well-known/camunda-automation-platform/webapps": {
            "get": operation(
                "Where Camunda Modeler links after a deploy: this web app",
                "Engine",
                "getWebApps",
                ok={"200": response("Web app addresses", ref("WebAppsDto"))},
                security=[],
            )
        },
    }


def deployment_paths() -> dict[str, dict[str, Any]]:
    tag = "Deployment"
    params = text_params("id", "name", "nameLike", "source") + bool_params("withoutSource")
    params += date_params("after", "before")
    paths = query_ops(
        tag,
        "deployments",
        "/deployment",
        "DeploymentDto",
        None,
        params,
        ["id", "name", "deploymentTime", "tenantId"],
    )
    paths[f"{P}/deployment"]["get"]["description"] = (
        "Camunda Modeler's connection check is GET /deployment?maxResults=0: 401 without "
        "credentials (the Modeler then shows its login fields), 200 [] with them. Users "
        "who may not read deployments get an empty list."
    )
    paths[f"{P}/deployment/create"] = {
        "post": operation(
            "Deploy diagrams (Camunda Modeler's Deploy button)",
            tag,
            "createDeployment",
            description="multipart/form-data: the reserved fields deployment-name, "
            "deployment-source, enable-duplicate-filtering, deploy-changed-only, then one "
            "part per file with a filename (the resource name). Only process designers may "
            "deploy. Unchanged files store nothing and answer with the existing definitions.",
            body_content={"multipart/form-data": {"schema": ref("MultiFormDeploymentDto")}},
            body_required=True,
            ok={
                "200": response("Deployed (or unchanged)", ref("DeploymentWithDefinitionsDto")),
                "400": response(
                    "A form problem (InvalidRequestException) or a diagram refused "
                    "(ParseException with details per file)",
                    {"anyOf": [ref("ParseExceptionDto"), ref("ExceptionDto")]},
                ),
            },
            errors=(403, 409),
        )
    }
    dep_id = path("id", "Deployment id")
    paths[f"{P}/deployment/{{id}}"] = {
        "get": operation(
            "A deployment",
            tag,
            "getDeployment",
            parameters=[dep_id],
            ok={"200": response("The deployment", ref("DeploymentDto"))},
            errors=(403, 404),
        ),
        "delete": operation(
            "Delete a deployment",
            tag,
            "deleteDeployment",
            description="Refused (409) while cases of its definitions exist, unless "
            "cascade=true, which only an administrator may use (the cases are deleted too).",
            parameters=[dep_id, query("cascade", BOOL_TEXT, "Delete the cases too (admin)")],
            ok=NO_CONTENT,
            errors=(400, 403, 404, 409),
        ),
    }
    paths[f"{P}/deployment/{{id}}/resources"] = {
        "get": operation(
            "The files of a deployment",
            tag,
            "getDeploymentResources",
            parameters=[dep_id],
            ok=list_of("DeploymentResourceDto"),
            errors=(403, 404),
        )
    }
    paths[f"{P}/deployment/{{id}}/resources/{{resourceId}}/data"] = {
        "get": operation(
            "The content of one file of a deployment",
            tag,
            "getDeploymentResourceData",
            parameters=[dep_id, path("resourceId")],
            ok={
                "200": {
                    "description": "The file",
                    "content": {
                        "text/xml": {"schema": string(format="binary")},
                        "application/octet-stream": {"schema": string(format="binary")},
                    },
                }
            },
            errors=(403, 404),
        )
    }
    return paths


def definition_paths() -> dict[str, dict[str, Any]]:
    tag = "Process Definition"
    params = text_params(
        "processDefinitionId",
        "key",
        "keyLike",
        "name",
        "nameLike",
        "deploymentId",
        "resourceName",
        "resourceNameLike",
        "versionTag",
        "versionTagLike",
    )
    params += [
        query("processDefinitionIdIn", string(), "Comma-separated ids"),
        query("keysIn", string(), "Comma-separated keys"),
        query("version", integer(**INT32)),
    ]
    params += bool_params("latestVersion", "active", "suspended", "withoutVersionTag")
    paths = query_ops(
        tag,
        "process definitions",
        "/process-definition",
        "ProcessDefinitionDto",
        None,
        params,
        [
            "id",
            "key",
            "name",
            "version",
            "deploymentId",
            "deployTime",
            "versionTag",
            "category",
            "tenantId",
        ],
    )
    for prefix, param, by in (
        ("/process-definition/{id}", path("id", "Definition id"), "ById"),
        ("/process-definition/key/{key}", path("key", "Process key (latest version)"), "ByKey"),
    ):
        errors = (403, 404)
        paths[f"{P}{prefix}"] = {
            "get": operation(
                "A process definition",
                tag,
                f"getProcessDefinition{by}",
                parameters=[param],
                ok={"200": response("The definition", ref("ProcessDefinitionDto"))},
                errors=errors,
            )
        }
        paths[f"{P}{prefix}/xml"] = {
            "get": operation(
                "The BPMN XML",
                tag,
                f"getProcessDefinitionBpmn20Xml{by}",
                parameters=[param],
                ok={"200": response("The XML", ref("ProcessDefinitionDiagramDto"))},
                errors=errors,
            )
        }
        paths[f"{P}{prefix}/startForm"] = {
            "get": operation(
                "The start form's key",
                tag,
                f"getStartForm{by}",
                parameters=[param],
                ok={"200": response("The form reference", ref("FormDto"))},
                errors=errors,
            )
        }
        paths[f"{P}{prefix}/form-variables"] = {
            "get": operation(
                "The start form's fields with their default values",
                tag,
                f"getStartFormVariables{by}",
                parameters=[param, query("variableNames", string(), "Comma-separated names")],
                ok={"200": response("Fields by id", ref("VariablesMap"))},
                errors=errors,
            )
        }
        paths[f"{P}{prefix}/start"] = {
            "post": operation(
                "Start a case",
                tag,
                f"startProcessInstance{by}",
                description="Variables are typed (Camunda's VariableValueDto); a value of "
                "the wrong type is a 400. Needs the right to start cases.",
                parameters=[param],
                body=ref("StartProcessInstanceDto"),
                ok={"200": response("The new case", ref("ProcessInstanceWithVariablesDto"))},
                errors=(400, 403, 404, 409),
            )
        }
        paths[f"{P}{prefix}/submit-form"] = {
            "post": operation(
                "Start a case through its start form (validated like the web form)",
                tag,
                f"submitForm{by}",
                parameters=[param],
                body=ref("StartProcessInstanceFormDto"),
                ok={"200": response("The new case", ref("ProcessInstanceWithVariablesDto"))},
                errors=(400, 403, 404, 409),
            )
        }
    return paths


def instance_paths() -> dict[str, dict[str, Any]]:
    tag = "Process Instance"
    params = text_params(
        "businessKey",
        "businessKeyLike",
        "processDefinitionId",
        "processDefinitionKey",
        "superProcessInstance",
    )
    params += [
        query("processInstanceIds", string(), "Comma-separated ids"),
        query("processDefinitionKeyIn", string(), "Comma-separated keys"),
        query("processDefinitionKeyNotIn", string(), "Comma-separated keys"),
    ]
    params += bool_params("active", "suspended", "withIncident")
    paths = query_ops(
        tag,
        "running cases",
        "/process-instance",
        "ProcessInstanceDto",
        "ProcessInstanceQueryDto",
        params,
        ["instanceId", "definitionKey", "definitionId", "businessKey", "tenantId"],
    )
    pid = path("id", "Process instance (case) id")
    names = query("variableNames", string(), "Comma-separated names")
    paths[f"{P}/process-instance/{{id}}"] = {
        "get": operation(
            "A running case",
            tag,
            "getProcessInstance",
            parameters=[pid],
            ok={"200": response("The case", ref("ProcessInstanceDto"))},
            errors=(404,),
        )
    }
    paths[f"{P}/process-instance/{{id}}/variables"] = {
        "get": operation(
            "The case's variables",
            tag,
            "getProcessInstanceVariables",
            description="The complainant's personal data is masked unless the user may see "
            "it; each unmasked read is audited.",
            parameters=[pid, names, query("deserializeValues", BOOL_TEXT, "Accepted, no effect")],
            ok={"200": response("Variables by name", ref("VariablesMap"))},
            errors=(404,),
        )
    }
    paths[f"{P}/process-instance/{{id}}/variables/{{varName}}"] = {
        "get": operation(
            "One variable of the case",
            tag,
            "getProcessInstanceVariable",
            parameters=[pid, path("varName"), query("deserializeValue", BOOL_TEXT)],
            ok={"200": response("The variable", ref("VariableValueDto"))},
            errors=(404,),
        )
    }
    paths[f"{P}/process-instance/{{id}}/activity-instances"] = {
        "get": operation(
            "What is active now (the activity instance tree)",
            tag,
            "getActivityInstanceTree",
            parameters=[pid],
            ok={"200": response("The tree", ref("ActivityInstanceDto"))},
            errors=(404,),
        )
    }
    return paths


def _task_get_params() -> list[dict[str, Any]]:
    params = []
    for name in sorted(TASK_CRITERIA):
        if name in ("sorting", "sortBy", "sortOrder", "firstResult", "maxResults"):
            continue
        schema: Schema = task_criterion(name)
        if schema.get("type") == "array":
            params.append(query(name, string(), "Comma-separated"))
        elif schema.get("type") == "boolean":
            params.append(query(name, BOOL_TEXT))
        elif schema.get("type") == "integer":
            params.append(query(name, integer(**INT32)))
        elif "Date" in name or name.startswith(("due", "followUp", "created")):
            params.append(query(name, DATE_TEXT))
        else:
            params.append(query(name, string()))
    return params


def task_paths() -> dict[str, dict[str, Any]]:
    from web.rest.task_query import SORTS

    tag = "Task"
    paths = query_ops(
        tag,
        "open tasks the user may see",
        "/task",
        "TaskDto",
        "TaskQueryDto",
        _task_get_params(),
        sorted(SORTS),
    )
    tid = path("id", "Task id")

    def get(suffix: str, summary: str, op_id: str, schema: Schema, extra=()) -> None:
        paths[f"{P}/task/{{id}}{suffix}"] = {
            "get": operation(
                summary,
                tag,
                op_id,
                parameters=[tid, *extra],
                ok={"200": response(summary, schema)},
                errors=(400, 404) if extra else (404,),
            )
        }

    def post(suffix: str, summary: str, op_id: str, body: str | None, ok, description="") -> None:
        paths[f"{P}/task/{{id}}{suffix}"] = {
            "post": operation(
                summary,
                tag,
                op_id,
                description=description,
                parameters=[tid],
                body=ref(body) if body else None,
                body_required=body == "CreateCommentDto",
                ok=ok,
                errors=(400, 403, 404, 409),
            )
        }

    get("", "A task", "getTask", ref("TaskDto"))
    get(
        "/identity-links",
        "Who the task is offered to",
        "getIdentityLinks",
        array(ref("IdentityLinkDto")),
        (query("type", string(enum=["assignee", "owner", "candidate"])),),
    )
    get("/form", "The task's form key", "getForm", ref("FormDto"))
    get(
        "/form-variables",
        "The task form's fields with their current values",
        "getFormVariables",
        ref("VariablesMap"),
        (query("variableNames", string()), query("deserializeValues", BOOL_TEXT)),
    )
    get(
        "/variables",
        "The variables visible from the task (the case's)",
        "getTaskVariables",
        ref("VariablesMap"),
        (query("variableNames", string()), query("deserializeValues", BOOL_TEXT)),
    )
    post(
        "/claim",
        "Claim the task",
        "claim",
        "UserIdDto",
        NO_CONTENT,
        "Only a candidate may claim (Camunda lets anyone). Naming another user assigns the "
        "task to that user, which only a chief may do.",
    )
    post("/unclaim", "Give the task back", "unclaim", None, NO_CONTENT)
    post(
        "/assignee",
        "Set or remove the assignee",
        "setAssignee",
        "UserIdDto",
        NO_CONTENT,
        "Chiefs assign to a candidate; anyone may take an unclaimed task offered to them or "
        "give back their own.",
    )
    for suffix, op_id in (("/complete", "complete"), ("/submit-form", "submit")):
        post(
            suffix,
            "Complete the task",
            op_id,
            "CompleteTaskDto",
            {
                "204": response("Completed"),
                "200": response("Completed; the case's variables", ref("VariablesMap")),
            },
            "The values are checked against the task's form (camunda:formData): a missing "
            "required field or a value of the wrong type is a 400 with each field's message.",
        )
    get("/comment", "The task's comments", "getComments", array(ref("CommentDto")))
    paths[f"{P}/task/{{id}}/comment/{{commentId}}"] = {
        "get": operation(
            "One comment",
            tag,
            "getComment",
            parameters=[tid, path("commentId")],
            ok={"200": response("The comment", ref("CommentDto"))},
            errors=(404,),
        )
    }
    post(
        "/comment/create",
        "Comment on the task",
        "createComment",
        "CreateCommentDto",
        {"200": response("The comment", ref("CommentDto"))},
    )
    return paths


def message_paths() -> dict[str, dict[str, Any]]:
    return {
        f"{P}/message": {
            "post": operation(
                "Correlate a message",
                "Message",
                "deliverMessage",
                description="Delivers to the case(s) waiting for it, matched by business "
                "key, case id or correlation keys (equal case variables), or starts a case "
                "whose process starts on it. Nothing matching: 400. A known running case "
                "that is not waiting yet: the message is kept (200, resultType Pending). "
                "An Idempotency-Key header makes a repeat answer from the first delivery.",
                parameters=[
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": string(maxLength=150),
                    }
                ],
                body=ref("CorrelationMessageDto"),
                body_required=True,
                ok={
                    "200": response(
                        "Results (asked for with resultEnabled, or a Pending message)",
                        array(ref("MessageCorrelationResultWithVariableDto")),
                    ),
                    "204": response("Delivered"),
                },
                errors=(400, 403, 409),
            )
        }
    }


def camunda_paths() -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for part in (
        engine_paths,
        deployment_paths,
        definition_paths,
        instance_paths,
        task_paths,
        message_paths,
        history_paths,
    ):
        paths.update(part())
    return paths
