"""Paths of /engine-rest/history: cases, activities, tasks and the user operation log."""

from __future__ import annotations

from typing import Any

from web.api.openapi.builders import operation
from web.api.openapi.builders import path
from web.api.openapi.builders import query
from web.api.openapi.builders import ref
from web.api.openapi.builders import response
from web.api.openapi.builders import string
from web.api.openapi.queries import P
from web.api.openapi.queries import bool_params
from web.api.openapi.queries import date_params
from web.api.openapi.queries import query_ops
from web.api.openapi.queries import text_params


def history_paths() -> dict[str, dict[str, Any]]:
    from web.rest import history

    tag = "History"
    paths: dict[str, dict[str, Any]] = {}
    instance_params = text_params(
        "processInstanceId",
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyLike",
        "processDefinitionId",
        "processDefinitionKey",
        "startedBy",
        "superProcessInstanceId",
    )
    instance_params += [
        query("processInstanceIds", string(), "Comma-separated ids"),
        query("processDefinitionKeyIn", string(), "Comma-separated keys"),
        query("state", string(enum=["ACTIVE", "SUSPENDED", "COMPLETED", "EXTERNALLY_TERMINATED"])),
    ]
    instance_params += bool_params("finished", "unfinished", "withIncidents")
    instance_params += date_params(
        "startedBefore", "startedAfter", "finishedBefore", "finishedAfter"
    )
    paths.update(
        query_ops(
            tag,
            "cases, running and finished",
            "/history/process-instance",
            "HistoricProcessInstanceDto",
            "HistoryQueryDto",
            instance_params,
            sorted(history.INSTANCE_SORTS),
        )
    )
    paths[f"{P}/history/process-instance/{{id}}"] = {
        "get": operation(
            "A case, running or finished",
            tag,
            "getHistoricProcessInstance",
            parameters=[path("id")],
            ok={"200": response("The case", ref("HistoricProcessInstanceDto"))},
            errors=(404,),
        )
    }
    activity_params = text_params(
        "processInstanceId",
        "processDefinitionId",
        "executionId",
        "activityId",
        "activityName",
        "activityNameLike",
        "activityType",
        "activityInstanceId",
        "taskAssignee",
    )
    activity_params += bool_params("finished", "unfinished", "canceled", "completeScope")
    activity_params += date_params(
        "startedBefore", "startedAfter", "finishedBefore", "finishedAfter"
    )
    paths.update(
        query_ops(
            tag,
            "executed activities",
            "/history/activity-instance",
            "HistoricActivityInstanceDto",
            "HistoryQueryDto",
            activity_params,
            sorted(history.ACTIVITY_SORTS),
        )
    )
    task_params = text_params(
        "taskId",
        "processInstanceId",
        "processInstanceBusinessKey",
        "processDefinitionId",
        "processDefinitionKey",
        "taskDefinitionKey",
        "taskName",
        "taskNameLike",
        "taskAssignee",
        "taskAssigneeLike",
    )
    task_params += bool_params("finished", "unfinished")
    task_params += date_params(
        "taskDueBefore",
        "taskDueAfter",
        "startedBefore",
        "startedAfter",
        "finishedBefore",
        "finishedAfter",
    )
    paths.update(
        query_ops(
            tag,
            "tasks, open and finished",
            "/history/task",
            "HistoricTaskInstanceDto",
            "HistoryQueryDto",
            task_params,
            sorted(history.TASK_SORTS),
        )
    )
    operation_params = text_params(
        "processInstanceId",
        "processDefinitionId",
        "processDefinitionKey",
        "taskId",
        "userId",
        "operationType",
        "entityType",
        "category",
    )
    operation_params += [query("entityTypeIn", string(), "Comma-separated")]
    operation_params += date_params("afterTimestamp", "beforeTimestamp")
    paths.update(
        query_ops(
            tag,
            "the user operation log (claim, assign, complete, ...)",
            "/history/user-operation",
            "UserOperationLogEntryDto",
            "HistoryQueryDto",
            operation_params,
            ["timestamp"],
        )
    )
    return paths
