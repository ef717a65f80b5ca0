"""Components of the Camunda-compatible API: Camunda 7's DTOs as we send and accept them."""

from __future__ import annotations

from web.api.openapi.builders import Schema
from web.api.openapi.builders import array
from web.api.openapi.builders import boolean
from web.api.openapi.builders import camunda_date
from web.api.openapi.builders import integer
from web.api.openapi.builders import nullable
from web.api.openapi.builders import obj
from web.api.openapi.builders import opt_string
from web.api.openapi.builders import ref
from web.api.openapi.builders import string
from web.rest.task_query import KNOWN as TASK_CRITERIA

VARIABLE_TYPES = [
    "String",
    "Boolean",
    "Short",
    "Integer",
    "Long",
    "Double",
    "Number",
    "Date",
    "Json",
    "Object",
    "Xml",
    "Null",
]
ID = string("Identifier")
OPT_ID = opt_string("Identifier, or null")

LINK = obj(
    {"method": string(), "href": string(), "rel": string()},
    required=("method", "href", "rel"),
)

EXCEPTION = obj(
    {
        "type": string(
            "The exception's name, as Camunda names them (InvalidRequestException, "
            "AuthorizationException, OptimisticLockingException, ParseException, ...)."
        ),
        "message": string("What went wrong, for people."),
        "code": integer("Camunda's error code: 0 in general, 1 for a lost optimistic lock."),
        "reason": string("Our stable machine-readable code (not_found, stale_case, ...)."),
        "errors": obj(
            {},
            additional=string(),
            description="For form problems: each field's message.",
        ),
    },
    required=("type", "message"),
)

AUTHORIZATION_EXCEPTION = {
    "allOf": [
        ref("ExceptionDto"),
        obj(
            {
                "userId": opt_string("The user the request was made as."),
                "missingAuthorizations": array(
                    obj(
                        {
                            "permissionName": opt_string(),
                            "resourceName": opt_string(),
                            "resourceId": opt_string(),
                        }
                    )
                ),
            }
        ),
    ]
}

PROBLEM = obj(
    {
        "message": string(),
        "line": integer("Line in the file, 0 when unknown"),
        "column": integer("Column, 0 when unknown"),
        "mainBpmnElementId": opt_string("The element the problem is about"),
        "bpmnElementIds": array(string()),
    },
    required=("message", "line", "column"),
)

PARSE_EXCEPTION = {
    "allOf": [
        ref("ExceptionDto"),
        obj(
            {
                "details": obj(
                    {},
                    additional=obj(
                        {"errors": array(ref("ProblemDto")), "warnings": array(ref("ProblemDto"))},
                        required=("errors", "warnings"),
                    ),
                    description="Per resource (file name): its errors and warnings.",
                )
            },
            required=("details",),
        ),
    ],
    "description": "The diagram was refused; message starts with 'ENGINE-09005 Could not "
    "parse BPMN process.' (what Camunda Modeler shows as 'Server could not parse the "
    "diagram').",
}

VARIABLE_VALUE = obj(
    {
        "value": {
            "description": "The value; for Json and Object a JSON text; for Date "
            "yyyy-MM-dd'T'HH:mm:ss.SSSZ; null allowed for every type."
        },
        "type": nullable(
            string(
                "One of " + ", ".join(VARIABLE_TYPES) + " (case-insensitive); omitted or "
                "null: the JSON value as it is. Bytes and File are refused."
            )
        ),
        "valueInfo": nullable(
            obj(
                {},
                description="Camunda's valueInfo; ignored except "
                "serializationDataFormat for Object (only application/json).",
            )
        ),
    },
)

VARIABLES = obj(
    {},
    additional=ref("VariableValueDto"),
    description="Variables by name; names are letters, digits and _ (at most 100).",
)

DEFINITION = obj(
    {
        "id": ID,
        "key": string("The BPMN process id"),
        "category": opt_string(),
        "description": opt_string("The process's documentation"),
        "name": opt_string(),
        "version": integer(),
        "resource": string("The file the process came from"),
        "deploymentId": string(),
        "diagram": opt_string(),
        "suspended": boolean(),
        "tenantId": opt_string(),
        "versionTag": opt_string(),
        "historyTimeToLive": nullable(integer()),
        "startableInTasklist": boolean(),
    },
    required=("id", "key", "version", "resource", "deploymentId", "suspended"),
)

DEPLOYMENT = obj(
    {
        "links": array(ref("LinkDto")),
        "id": ID,
        "name": opt_string(),
        "source": opt_string(),
        "deploymentTime": camunda_date(),
        "tenantId": opt_string(),
    },
    required=("id", "deploymentTime"),
)

DEPLOYMENT_WITH_DEFINITIONS = {
    "allOf": [
        ref("DeploymentDto"),
        obj(
            {
                "deployedProcessDefinitions": nullable(
                    obj({}, additional=ref("ProcessDefinitionDto"))
                ),
                "deployedCaseDefinitions": nullable(obj({})),
                "deployedDecisionDefinitions": nullable(obj({})),
                "deployedDecisionRequirementsDefinitions": nullable(obj({})),
                "unchanged": boolean(
                    "Our addition: true when no file changed; the existing definitions are "
                    "returned (Camunda returns none)."
                ),
                "warnings": array(
                    obj(
                        {
                            "message": string(),
                            "resource": opt_string(),
                            "line": nullable(integer()),
                            "column": nullable(integer()),
                            "mainBpmnElementId": opt_string(),
                        }
                    ),
                    "Our addition: the deploy-time checks' warnings.",
                ),
            }
        ),
    ]
}

DEPLOYMENT_FORM = obj(
    {
        "deployment-name": string("Name of the deployment (default: the first file's name)"),
        "deployment-source": string("e.g. 'Camunda Modeler'"),
        "enable-duplicate-filtering": string(
            "true: if the files equal the last deployment of the same name and source, "
            "nothing is stored and that deployment is answered",
            enum=["true", "false"],
        ),
        "deploy-changed-only": string(
            "true: store only the files that changed", enum=["true", "false"]
        ),
        "data": string(
            "One part per file (BPMN XML); the part's filename names the resource.", format="binary"
        ),
    },
    required=("data",),
)

RESOURCE = obj(
    {"id": ID, "name": string(), "deploymentId": string()}, required=("id", "name", "deploymentId")
)

XML = obj({"id": ID, "bpmn20Xml": string("The BPMN XML as deployed")}, required=("id", "bpmn20Xml"))

FORM = obj(
    {"key": opt_string(), "contextPath": opt_string(), "camundaFormRef": nullable(obj({}))},
)

START = obj(
    {
        "businessKey": opt_string("At most 200 characters", maxLength=200),
        "variables": nullable(ref("VariablesMap")),
        "withVariablesInReturn": nullable(boolean()),
        "skipCustomListeners": nullable(boolean("Accepted; there are no listeners")),
        "skipIoMappings": nullable(boolean("true is refused: mappings always run")),
        "caseInstanceId": opt_string("Must be null (no CMMN)"),
        "startInstructions": nullable(array(obj({}), "Must be empty")),
    }
)

START_FORM = obj(
    {
        "businessKey": opt_string("At most 200 characters", maxLength=200),
        "variables": nullable(ref("VariablesMap")),
        "withVariablesInReturn": nullable(boolean()),
    }
)

INSTANCE = obj(
    {
        "links": array(ref("LinkDto")),
        "id": ID,
        "definitionId": string(),
        "definitionKey": string(),
        "businessKey": opt_string(),
        "caseInstanceId": opt_string(),
        "ended": boolean(),
        "suspended": boolean(),
        "tenantId": opt_string(),
    },
    required=("id", "definitionId", "ended", "suspended"),
)

INSTANCE_WITH_VARIABLES = {
    "allOf": [ref("ProcessInstanceDto"), obj({"variables": ref("VariablesMap")})]
}

SORTING = obj({"sortBy": string(), "sortOrder": string(enum=["asc", "desc"])})

INSTANCE_QUERY = obj(
    {
        "processInstanceIds": array(string()),
        "businessKey": opt_string(),
        "businessKeyLike": opt_string(),
        "processDefinitionId": opt_string(),
        "processDefinitionKey": opt_string(),
        "processDefinitionKeyIn": array(string()),
        "processDefinitionKeyNotIn": array(string()),
        "superProcessInstance": opt_string(),
        "active": nullable(boolean()),
        "suspended": nullable(boolean()),
        "withIncident": nullable(boolean()),
        "sorting": nullable(array(ref("SortingDto"))),
    }
)

COUNT = obj({"count": integer(minimum=0)}, required=("count",))

ACTIVITY_INSTANCE = obj(
    {
        "id": ID,
        "parentActivityInstanceId": opt_string(),
        "activityId": string(),
        "activityType": string(),
        "processInstanceId": string(),
        "processDefinitionId": string(),
        "childActivityInstances": array(ref("ActivityInstanceDto")),
        "childTransitionInstances": array(obj({})),
        "executionIds": array(string()),
        "activityName": opt_string(),
        "name": opt_string(),
        "incidentIds": array(string()),
        "incidents": array(obj({"id": string(), "activityId": string()})),
    },
    required=("id", "activityId", "activityType", "childActivityInstances"),
)

TASK = obj(
    {
        "id": ID,
        "name": string(),
        "assignee": opt_string(),
        "owner": opt_string(),
        "created": camunda_date(),
        "lastUpdated": camunda_date(),
        "due": camunda_date(),
        "followUp": camunda_date(),
        "delegationState": opt_string(),
        "description": opt_string(),
        "executionId": string(),
        "parentTaskId": opt_string(),
        "priority": integer(),
        "processDefinitionId": string(),
        "processInstanceId": string(),
        "caseExecutionId": opt_string(),
        "caseDefinitionId": opt_string(),
        "caseInstanceId": opt_string(),
        "taskDefinitionKey": string("The BPMN id of the user task"),
        "suspended": boolean(),
        "formKey": opt_string(),
        "camundaFormRef": nullable(obj({})),
        "tenantId": opt_string(),
        "taskState": opt_string(),
    },
    required=("id", "name", "processInstanceId", "taskDefinitionKey"),
)

TASK_BOOLEANS = frozenset(
    {
        "includeAssignedTasks",
        "assigned",
        "unassigned",
        "withCandidateGroups",
        "withoutCandidateGroups",
        "withCandidateUsers",
        "withoutCandidateUsers",
        "withoutDueDate",
        "active",
        "suspended",
    }
)
TASK_INTEGERS = frozenset({"priority", "minPriority", "maxPriority"})
TASK_DATES = frozenset(
    {
        "dueDate",
        "dueBefore",
        "dueAfter",
        "followUpDate",
        "followUpBefore",
        "followUpAfter",
        "followUpBeforeOrNotExistent",
        "createdOn",
        "createdBefore",
        "createdAfter",
    }
)


def task_criterion(name: str) -> Schema:
    """The JSON schema of one task query criterion (GET parameters carry the same names)."""
    if name in TASK_BOOLEANS:
        return nullable(boolean())
    if name in TASK_INTEGERS:
        return nullable(integer(minimum=-(2**31), maximum=2**31 - 1))
    if name.endswith("In") or name == "candidateGroups":
        return array(string())
    if name in TASK_DATES:
        return opt_string("A date, yyyy-MM-dd'T'HH:mm:ss.SSSZ")
    return opt_string()


TASK_QUERY = obj(
    {
        **{
            name: task_criterion(name)
            for name in sorted(TASK_CRITERIA)
            if name not in ("sorting", "sortBy", "sortOrder", "firstResult", "maxResults")
        },
        "sorting": nullable(array(ref("SortingDto"))),
        "sortBy": opt_string(),
        "sortOrder": nullable(string(enum=["asc", "desc"])),
    },
    description="Criteria as for GET /task, as JSON; unknown names are refused. "
    "processVariables, taskVariables and orQueries are not supported (400).",
    additional=False,
)

USER_ID = obj({"userId": opt_string("A user name; null removes the assignee")})

COMPLETE = obj(
    {
        "variables": nullable(ref("VariablesMap")),
        "withVariablesInReturn": nullable(boolean()),
    }
)

IDENTITY_LINK = obj(
    {
        "userId": opt_string(),
        "groupId": opt_string(),
        "type": string(enum=["assignee", "owner", "candidate"]),
    },
    required=("type",),
)

COMMENT = obj(
    {
        "links": array(ref("LinkDto")),
        "id": ID,
        "userId": string(),
        "taskId": opt_string(),
        "processInstanceId": string(),
        "time": camunda_date(),
        "message": string(),
        "removalTime": opt_string(),
        "rootProcessInstanceId": opt_string(),
    },
    required=("id", "userId", "message", "time"),
)

CREATE_COMMENT = obj(
    {
        "message": string("1 to 5000 characters", maxLength=5000),
        "processInstanceId": opt_string("If given, must be the task's case"),
    },
    required=("message",),
)

CORRELATION = obj(
    {
        "messageName": string("The BPMN message name", minLength=1, maxLength=200),
        "businessKey": opt_string(maxLength=200),
        "processInstanceId": opt_string(maxLength=36),
        "correlationKeys": nullable(ref("VariablesMap")),
        "processVariables": nullable(ref("VariablesMap")),
        "all": nullable(boolean("Deliver to every matching case, not only the first")),
        "resultEnabled": nullable(boolean("Answer 200 with the results instead of 204")),
        "variablesInResultEnabled": nullable(boolean()),
        "localCorrelationKeys": nullable(obj({}, description="Not supported: must be empty")),
        "processVariablesLocal": nullable(obj({}, description="Not supported: must be empty")),
        "tenantId": opt_string("Not supported: must be null"),
        "withoutTenantId": nullable(boolean()),
    },
    required=("messageName",),
)

EXECUTION = obj(
    {
        "id": ID,
        "processInstanceId": string(),
        "ended": boolean(),
        "tenantId": opt_string(),
    },
    required=("id", "processInstanceId", "ended"),
)

CORRELATION_RESULT = obj(
    {
        "resultType": string(
            "Execution: delivered to a waiting case; ProcessDefinition: started a case; "
            "Pending (ours): the case is not waiting yet, the message is kept for it.",
            enum=["Execution", "ProcessDefinition", "Pending"],
        ),
        "execution": nullable(ref("ExecutionDto")),
        "processInstance": nullable(ref("ProcessInstanceDto")),
        "variables": ref("VariablesMap"),
    },
    required=("resultType",),
)

HISTORIC_INSTANCE = obj(
    {
        "id": ID,
        "rootProcessInstanceId": opt_string(),
        "superProcessInstanceId": opt_string(),
        "superCaseInstanceId": opt_string(),
        "caseInstanceId": opt_string(),
        "processDefinitionName": opt_string(),
        "processDefinitionKey": string(),
        "processDefinitionVersion": nullable(integer()),
        "processDefinitionId": string(),
        "businessKey": opt_string(),
        "startTime": camunda_date(),
        "endTime": camunda_date(),
        "removalTime": opt_string(),
        "durationInMillis": nullable(integer()),
        "startUserId": opt_string(),
        "startActivityId": opt_string(),
        "deleteReason": opt_string(),
        "tenantId": opt_string(),
        "state": string(enum=["ACTIVE", "SUSPENDED", "COMPLETED", "EXTERNALLY_TERMINATED"]),
        "caseNo": opt_string("Ours: the case number"),
        "caseTitle": opt_string("Ours: the case title"),
        "caseStatus": opt_string("Ours: the case's end state (domain codes)"),
    },
    required=("id", "processDefinitionId", "state"),
)

HISTORIC_ACTIVITY = obj(
    {
        "id": ID,
        "parentActivityInstanceId": opt_string(),
        "activityId": string(),
        "activityName": opt_string(),
        "activityType": string(),
        "processDefinitionKey": string(),
        "processDefinitionId": string(),
        "processInstanceId": string(),
        "executionId": string(),
        "taskId": opt_string(),
        "calledProcessInstanceId": opt_string(),
        "calledCaseInstanceId": opt_string(),
        "assignee": opt_string(),
        "startTime": camunda_date(),
        "endTime": camunda_date(),
        "durationInMillis": nullable(integer()),
        "canceled": boolean(),
        "completeScope": boolean(),
        "tenantId": opt_string(),
        "removalTime": opt_string(),
        "rootProcessInstanceId": opt_string(),
    },
    required=("id", "activityId", "activityType", "processInstanceId"),
)

HISTORIC_TASK = obj(
    {
        "id": ID,
        "processDefinitionKey": string(),
        "processDefinitionId": string(),
        "processInstanceId": string(),
        "executionId": string(),
        "caseDefinitionKey": opt_string(),
        "caseDefinitionId": opt_string(),
        "caseInstanceId": opt_string(),
        "caseExecutionId": opt_string(),
        "activityInstanceId": string(),
        "name": string(),
        "description": opt_string(),
        "deleteReason": opt_string("completed, deleted, or null while open"),
        "owner": opt_string(),
        "assignee": opt_string(),
        "startTime": camunda_date(),
        "endTime": camunda_date(),
        "duration": nullable(integer()),
        "taskDefinitionKey": string(),
        "priority": integer(),
        "due": camunda_date(),
        "parentTaskId": opt_string(),
        "followUp": camunda_date(),
        "tenantId": opt_string(),
        "removalTime": opt_string(),
        "rootProcessInstanceId": opt_string(),
        "taskState": opt_string(),
    },
    required=("id", "processInstanceId", "taskDefinitionKey"),
)

USER_OPERATION = obj(
    {
        "id": ID,
        "deploymentId": opt_string(),
        "processDefinitionId": opt_string(),
        "processDefinitionKey": opt_string(),
        "processInstanceId": opt_string(),
        "executionId": opt_string(),
        "caseDefinitionId": opt_string(),
        "caseInstanceId": opt_string(),
        "caseExecutionId": opt_string(),
        "taskId": opt_string(),
        "jobId": opt_string(),
        "jobDefinitionId": opt_string(),
        "batchId": opt_string(),
        "userId": string(),
        "timestamp": camunda_date(),
        "operationId": string(),
        "externalTaskId": opt_string(),
        "operationType": string(
            "Claim, Assign, Complete, Update, AddComment, AddAttachment, Create, Delete, "
            "CorrelateMessage, SetVariable, SetJobRetries, AddIdentityLink"
        ),
        "entityType": string("Task, ProcessInstance, Variable, Job, Deployment, Attachment"),
        "property": opt_string(),
        "orgValue": opt_string(),
        "newValue": opt_string(),
        "removalTime": opt_string(),
        "rootProcessInstanceId": opt_string(),
        "category": string(enum=["TaskWorker", "Operator", "Admin"]),
        "annotation": opt_string(),
    },
    required=("id", "userId", "timestamp", "operationType", "entityType"),
)

HISTORY_QUERY = obj(
    {"sorting": nullable(array(ref("SortingDto")))},
    description="The same criteria as the GET variant's query parameters, as JSON.",
)

SCHEMAS: dict[str, Schema] = {
    "ExceptionDto": EXCEPTION,
    "AuthorizationExceptionDto": AUTHORIZATION_EXCEPTION,
    "ProblemDto": PROBLEM,
    "ParseExceptionDto": PARSE_EXCEPTION,
    "LinkDto": LINK,
    "VersionDto": obj({"version": string(example="7.24.0")}, required=("version",)),
    "ProcessEngineDto": obj({"name": string()}, required=("name",)),
    "WebAppsDto": obj({"cockpitUrl": string(), "tasklistUrl": string(), "adminUrl": string()}),
    "VariableValueDto": VARIABLE_VALUE,
    "VariablesMap": VARIABLES,
    "ProcessDefinitionDto": DEFINITION,
    "ProcessDefinitionDiagramDto": XML,
    "DeploymentDto": DEPLOYMENT,
    "DeploymentWithDefinitionsDto": DEPLOYMENT_WITH_DEFINITIONS,
    "MultiFormDeploymentDto": DEPLOYMENT_FORM,
    "DeploymentResourceDto": RESOURCE,
    "FormDto": FORM,
    "StartProcessInstanceDto": START,
    "StartProcessInstanceFormDto": START_FORM,
    "ProcessInstanceDto": INSTANCE,
    "ProcessInstanceWithVariablesDto": INSTANCE_WITH_VARIABLES,
    "ProcessInstanceQueryDto": INSTANCE_QUERY,
    "SortingDto": SORTING,
    "CountResultDto": COUNT,
    "ActivityInstanceDto": ACTIVITY_INSTANCE,
    "TaskDto": TASK,
    "TaskQueryDto": TASK_QUERY,
    "UserIdDto": USER_ID,
    "CompleteTaskDto": COMPLETE,
    "IdentityLinkDto": IDENTITY_LINK,
    "CommentDto": COMMENT,
    "CreateCommentDto": CREATE_COMMENT,
    "CorrelationMessageDto": CORRELATION,
    "ExecutionDto": EXECUTION,
    "MessageCorrelationResultWithVariableDto": CORRELATION_RESULT,
    "HistoricProcessInstanceDto": HISTORIC_INSTANCE,
    "HistoricActivityInstanceDto": HISTORIC_ACTIVITY,
    "HistoricTaskInstanceDto": HISTORIC_TASK,
    "UserOperationLogEntryDto": USER_OPERATION,
    "HistoryQueryDto": HISTORY_QUERY,
}
