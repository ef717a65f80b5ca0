"""Our rows in Camunda 7's DTO shapes (field names, nulls and date format as Camunda's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import request

from db.models import Comment
from db.models import Deployment
from db.models import HistoricActivity
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from web.rest.formats import format_date

REST_PREFIX = "/engine-rest"


def link(path: str, rel: str = "self", method: str = "GET") -> dict[str, str]:
    return {
        "method": method,
        "href": f"{request.url_root.rstrip('/')}{REST_PREFIX}{path}",
        "rel": rel,
    }


def duration_ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() * 1000)


# ---------------------------------------------------------------- deployments and definitions


def definition(d: ProcessDefinition) -> dict[str, Any]:
    return {
        "id": d.id,
        "key": d.key,
        "category": None,
        "description": d.documentation,
        "name": d.name,
        "version": d.version,
        "resource": d.resource_name,
        "deploymentId": d.deployment_id,
        "diagram": None,
        "suspended": bool(d.suspended),
        "tenantId": None,
        "versionTag": d.version_tag,
        "historyTimeToLive": None,
        "startableInTasklist": True,
    }


def deployment(dep: Deployment) -> dict[str, Any]:
    return {
        "links": [link(f"/deployment/{dep.id}")],
        "id": dep.id,
        "name": dep.name,
        "source": dep.source,
        "deploymentTime": format_date(dep.deployed_at),
        "tenantId": dep.tenant_id,
    }


def deployment_with_definitions(
    dep: Deployment, definitions: Iterable[ProcessDefinition]
) -> dict[str, Any]:
    result = deployment(dep)
    result["deployedProcessDefinitions"] = {d.id: definition(d) for d in definitions} or None
    result["deployedCaseDefinitions"] = None
    result["deployedDecisionDefinitions"] = None
    result["deployedDecisionRequirementsDefinitions"] = None
    return result


# ---------------------------------------------------------------- process instances


def is_running(instance: ProcessInstance) -> bool:
    return instance.status in ("active", "suspended")


def process_instance(instance: ProcessInstance) -> dict[str, Any]:
    return {
        "links": [link(f"/process-instance/{instance.id}")],
        "id": instance.id,
        "definitionId": instance.definition_id,
        "definitionKey": instance.definition_key,
        "businessKey": instance.business_key,
        "caseInstanceId": None,
        "ended": not is_running(instance),
        "suspended": instance.status == "suspended",
        "tenantId": None,
    }


HISTORIC_STATES = {
    "active": "ACTIVE",
    "suspended": "SUSPENDED",
    "completed": "COMPLETED",
    "cancelled": "EXTERNALLY_TERMINATED",
}


def historic_process_instance(
    instance: ProcessInstance, definition_row: ProcessDefinition | None
) -> dict[str, Any]:
    return {
        "id": instance.id,
        "rootProcessInstanceId": instance.id,
        "superProcessInstanceId": instance.parent_instance_id,
        "superCaseInstanceId": None,
        "caseInstanceId": None,
        "processDefinitionName": definition_row.name if definition_row else None,
        "processDefinitionKey": instance.definition_key,
        "processDefinitionVersion": definition_row.version if definition_row else None,
        "processDefinitionId": instance.definition_id,
        "businessKey": instance.business_key,
        "startTime": format_date(instance.started_at),
        "endTime": format_date(instance.ended_at),
        "removalTime": None,
        "durationInMillis": duration_ms(instance.started_at, instance.ended_at),
        "startUserId": instance.started_by,
        "startActivityId": None,
        "deleteReason": "cancelled" if instance.status == "cancelled" else None,
        "tenantId": None,
        "state": HISTORIC_STATES.get(instance.status, instance.status.upper()),
        # Our additions: the case number and title users know the case by.
        "caseNo": instance.case_no,
        "caseTitle": instance.title,
        "caseStatus": instance.case_status,
    }


# ---------------------------------------------------------------- tasks


def task(t: OpenTask, suspended: bool = False) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "assignee": t.assignee,
        "owner": t.owner,
        "created": format_date(t.created_at),
        "lastUpdated": format_date(t.claimed_at or t.created_at),
        "due": format_date(t.due_at),
        "followUp": format_date(t.follow_up_at),
        "delegationState": t.delegation_state,
        "description": t.description,
        "executionId": t.instance_id,
        "parentTaskId": None,
        "priority": t.priority,
        "processDefinitionId": t.definition_id,
        "processInstanceId": t.instance_id,
        "caseExecutionId": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "taskDefinitionKey": t.task_spec_id,
        "suspended": suspended,
        "formKey": t.form_key,
        "camundaFormRef": None,
        "tenantId": None,
        "taskState": "Updated" if t.assignee else "Created",
    }


def historic_task_open(t: OpenTask) -> dict[str, Any]:
    return historic_task(
        t.id,
        t.instance_id,
        t.definition_id,
        t.definition_key,
        t.task_spec_id,
        t.name,
        t.description,
        t.assignee,
        t.owner,
        t.created_at,
        None,
        None,
        t.due_at,
        t.follow_up_at,
        t.priority,
        "Updated" if t.assignee else "Created",
    )


def historic_task_done(h: HistoricTask) -> dict[str, Any]:
    return historic_task(
        h.id,
        h.instance_id,
        h.definition_id,
        h.definition_key,
        h.task_spec_id,
        h.name,
        None,
        h.completed_by or h.assignee,
        None,
        h.created_at,
        h.ended_at,
        "completed" if h.outcome == "completed" else "deleted",
        h.due_at,
        None,
        50,
        "Completed" if h.outcome == "completed" else "Deleted",
    )


def historic_task(
    task_id: str,
    instance_id: str,
    definition_id: str,
    definition_key: str,
    task_key: str,
    name: str,
    description: str | None,
    assignee: str | None,
    owner: str | None,
    started: datetime,
    ended: datetime | None,
    delete_reason: str | None,
    due: datetime | None,
    follow_up: datetime | None,
    priority: int,
    state: str,
) -> dict[str, Any]:
    return {
        "id": task_id,
        "processDefinitionKey": definition_key,
        "processDefinitionId": definition_id,
        "processInstanceId": instance_id,
        "executionId": instance_id,
        "caseDefinitionKey": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "activityInstanceId": f"{task_key}:{task_id}",
        "name": name,
        "description": description,
        "deleteReason": delete_reason,
        "owner": owner,
        "assignee": assignee,
        "startTime": format_date(started),
        "endTime": format_date(ended),
        "duration": duration_ms(started, ended),
        "taskDefinitionKey": task_key,
        "priority": priority,
        "due": format_date(due),
        "parentTaskId": None,
        "followUp": format_date(follow_up),
        "tenantId": None,
        "removalTime": None,
        "rootProcessInstanceId": instance_id,
        "taskState": state,
    }


def identity_links(t: OpenTask) -> list[dict[str, Any]]:
    links = []
    if t.assignee:
        links.append({"userId": t.assignee, "groupId": None, "type": "assignee"})
    if t.owner:
        links.append({"userId": t.owner, "groupId": None, "type": "owner"})
    for user in t.candidate_users or []:
        links.append({"userId": user, "groupId": None, "type": "candidate"})
    for group in t.candidate_groups or []:
        links.append({"userId": None, "groupId": group, "type": "candidate"})
    return links


def comment(c: Comment) -> dict[str, Any]:
    task_part = f"/task/{c.task_id}/comment/{c.id}" if c.task_id else None
    return {
        "links": [link(task_part)] if task_part else [],
        "id": str(c.id),
        "userId": c.username,
        "taskId": c.task_id,
        "processInstanceId": c.instance_id,
        "time": format_date(c.created_at),
        "message": c.message,
        "removalTime": None,
        "rootProcessInstanceId": c.instance_id,
    }


# ---------------------------------------------------------------- activities


def activity_instance_id(row: HistoricActivity) -> str:
    return f"{row.activity_id}:{row.task_id}"


def historic_activity(row: HistoricActivity, instance: ProcessInstance) -> dict[str, Any]:
    return {
        "id": activity_instance_id(row),
        "parentActivityInstanceId": instance.id,
        "activityId": row.activity_id,
        "activityName": row.activity_name,
        "activityType": row.activity_type,
        "processDefinitionKey": instance.definition_key,
        "processDefinitionId": instance.definition_id,
        "processInstanceId": instance.id,
        "executionId": instance.id,
        "taskId": row.task_id if row.activity_type == "userTask" else None,
        "calledProcessInstanceId": None,
        "calledCaseInstanceId": None,
        "assignee": row.assignee,
        "startTime": format_date(row.started_at),
        "endTime": format_date(row.ended_at),
        "durationInMillis": duration_ms(row.started_at, row.ended_at),
        "canceled": bool(row.canceled),
        "completeScope": row.activity_type == "endEvent" and not row.canceled,
        "tenantId": None,
        "removalTime": None,
        "rootProcessInstanceId": instance.id,
    }
