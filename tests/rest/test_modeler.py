"""Camunda Modeler's exact calls, in its order, answered field by field as Camunda would.

The Modeler (client/src/plugins/camunda-plugin/shared/CamundaAPI.js) first checks the
connection without credentials, then with them, reads /version, deploys with a multipart
form whose parts come in a fixed order, and starts an instance by definition id.
"""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlalchemy import select

from db.models import Deployment
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from tests.rest.conftest import rest_file

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")
BOUNDARY = "----WebKitFormBoundaryq9pTGaDKIy2Hm3Zx"
MODELER_HEADERS = {"Accept": "application/json"}


def modeler_form(filename: str, content: bytes, name: str | None = None) -> bytes:
    """The multipart body a browser builds from the Modeler's FormData, part by part."""

    def field(key: str, value: str) -> bytes:
        return (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()

    body = field("deployment-name", name or filename.rsplit(".", 1)[0])
    body += field("deployment-source", "Camunda Modeler")
    body += field("enable-duplicate-filtering", "true")
    body += (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{filename}"; filename="{filename}"\r\n'
        "Content-Type: text/xml\r\n\r\n"
    ).encode()
    body += content + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return body


def deploy(client, headers, filename: str, content: bytes, name: str | None = None):
    return client.post(
        "/engine-rest/deployment/create",
        data=modeler_form(filename, content, name),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


def test_the_modelers_request_sequence(client, api, org):
    # 1. Connection check without credentials: 401 and the Basic challenge.
    check = client.get("/engine-rest/deployment?maxResults=0", headers=MODELER_HEADERS)
    assert check.status_code == 401
    assert check.headers["WWW-Authenticate"] == 'Basic realm="default"'
    assert check.json["type"] == "AuthenticationException"

    # ... then with the designer's own user name and password: 200 [].
    designer = {**MODELER_HEADERS, **api.basic("designer")}
    check = client.get("/engine-rest/deployment?maxResults=0", headers=designer)
    assert check.status_code == 200
    assert check.json == []

    # 2. The version the Modeler reports as executionPlatformVersion.
    version = client.get("/engine-rest/version", headers=designer)
    assert version.status_code == 200
    assert version.json == {"version": "7.24.0"}

    # 3. Deploy, parts in the Modeler's order.
    deployed = deploy(client, designer, "modeler_review.bpmn", rest_file("modeler_review.bpmn"))
    assert deployed.status_code == 200, deployed.json
    body = deployed.json
    assert set(body) >= {
        "links",
        "id",
        "name",
        "source",
        "deploymentTime",
        "tenantId",
        "deployedProcessDefinitions",
        "deployedCaseDefinitions",
        "deployedDecisionDefinitions",
        "deployedDecisionRequirementsDefinitions",
    }
    assert body["links"] == [
        {
            "method": "GET",
            "href": f"http://localhost/engine-rest/deployment/{body['id']}",
            "rel": "self",
        }
    ]
    assert body["name"] == "modeler_review"
    assert body["source"] == "Camunda Modeler"
    assert DATE.match(body["deploymentTime"])
    assert body["deploymentTime"] == "2026-11-26T10:00:00.000+0800"
    assert body["tenantId"] is None
    assert body["deployedCaseDefinitions"] is None
    assert body["deployedDecisionDefinitions"] is None
    assert body["deployedDecisionRequirementsDefinitions"] is None
    (definition_id, definition), *others = body["deployedProcessDefinitions"].items()
    assert others == []
    assert definition == {
        "id": definition_id,
        "key": "rest_review",
        "category": None,
        "description": None,
        "name": "线索审查",
        "version": 1,
        "resource": "modeler_review.bpmn",
        "deploymentId": body["id"],
        "diagram": None,
        "suspended": False,
        "tenantId": None,
        "versionTag": "1.0",
        "historyTimeToLive": None,
        "startableInTasklist": True,
    }
    with org.sessions() as s:
        stored = s.get(ProcessDefinition, definition_id)
        assert stored.key == "rest_review" and stored.deployed_by == "designer"
        assert s.get(Deployment, body["id"]).source == "Camunda Modeler"

    # 5. "Start instance": by definition id, businessKey and variables as typed (or null).
    started = client.post(
        f"/engine-rest/process-definition/{definition_id}/start",
        json={"businessKey": None, "variables": None},
        headers=designer,
    )
    assert started.status_code == 200, started.json
    instance = started.json
    assert instance == {
        "links": [
            {
                "method": "GET",
                "href": f"http://localhost/engine-rest/process-instance/{instance['id']}",
                "rel": "self",
            }
        ],
        "id": instance["id"],
        "definitionId": definition_id,
        "definitionKey": "rest_review",
        "businessKey": None,
        "caseInstanceId": None,
        "ended": False,
        "suspended": False,
        "tenantId": None,
    }
    with org.sessions() as s:
        case = s.get(ProcessInstance, instance["id"])
        assert case.definition_id == definition_id and case.started_by == "designer"
        tasks = s.scalars(select(OpenTask.task_spec_id).where(OpenTask.instance_id == case.id))
        assert list(tasks) == ["review"]


def test_deploying_the_same_file_again_answers_the_existing_definitions(client, api, org):
    designer = api.basic("designer")
    first = deploy(client, designer, "modeler_review.bpmn", rest_file("modeler_review.bpmn"))
    again = deploy(client, designer, "modeler_review.bpmn", rest_file("modeler_review.bpmn"))
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    assert again.json["unchanged"] is True
    assert again.json["deployedProcessDefinitions"] == first.json["deployedProcessDefinitions"]
    with org.sessions() as s:
        assert s.scalar(select(func.count(Deployment.id))) == 1
        assert s.scalar(select(func.count(ProcessDefinition.id))) == 1


def test_a_changed_file_makes_version_two(client, api, org):
    designer = api.basic("designer")
    deploy(client, designer, "modeler_review.bpmn", rest_file("modeler_review.bpmn"))
    changed = rest_file("modeler_review.bpmn").replace(
        "审查线索".encode(), "审查线索（新）".encode()
    )
    second = deploy(client, designer, "modeler_review.bpmn", changed)
    assert second.status_code == 200
    (definition,) = second.json["deployedProcessDefinitions"].values()
    assert definition["version"] == 2 and second.json["unchanged"] is False
    latest = client.get(
        "/engine-rest/process-definition?key=rest_review&latestVersion=true", headers=designer
    )
    assert [d["version"] for d in latest.json] == [2]


def test_a_broken_diagram_is_a_parse_exception_the_modeler_recognises(client, api, org):
    refused = deploy(client, api.basic("designer"), "broken.bpmn", rest_file("broken.bpmn"))
    assert refused.status_code == 400
    body = refused.json
    assert body["type"] == "ParseException"
    assert body["message"].startswith("ENGINE-09005 Could not parse BPMN process. Errors: ")
    assert "orphan_task" in body["message"] or "nobody would see it" in body["message"]
    report = body["details"]["broken.bpmn"]
    problem = next(e for e in report["errors"] if e["mainBpmnElementId"] == "orphan_task")
    assert problem["line"] > 0
    assert problem["bpmnElementIds"] == ["orphan_task"]
    assert "nobody would see it" in problem["message"]
    assert isinstance(report["warnings"], list)
    with org.sessions() as s:
        assert s.scalar(select(func.count(Deployment.id))) == 0


def test_malformed_xml_points_at_the_line(client, api, org):
    refused = deploy(client, api.basic("designer"), "half.bpmn", b"<bpmn:definitions>\n<oops")
    assert refused.status_code == 400
    (error,) = refused.json["details"]["half.bpmn"]["errors"]
    assert error["line"] >= 1 and "well-formed" in error["message"]


def test_only_designers_may_deploy(client, api, org):
    refused = deploy(
        client, api.basic("sup1"), "modeler_review.bpmn", rest_file("modeler_review.bpmn")
    )
    assert refused.status_code == 403
    assert refused.json["type"] == "AuthorizationException"
    assert refused.json["userId"] == "sup1"
    assert refused.json["missingAuthorizations"][0]["permissionName"] == "definition:deploy"
    with org.sessions() as s:
        assert s.scalar(select(func.count(Deployment.id))) == 0


def test_wrong_password_is_401_with_the_challenge(client, api, org):
    response = client.get(
        "/engine-rest/deployment?maxResults=0", headers=api.basic("designer", "wrong-password")
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="default"'


def test_form_parts_without_a_filename_and_empty_uploads_are_refused(client, api, org):
    headers = {**api.basic("designer"), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    stray = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="diagram"\r\n\r\n<x/>\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode()
    response = client.post("/engine-rest/deployment/create", data=stray, headers=headers)
    assert response.status_code == 400
    assert "No file name found" in response.json["message"]
    nothing = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="deployment-name"\r\n\r\nx\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode()
    response = client.post("/engine-rest/deployment/create", data=nothing, headers=headers)
    assert response.status_code == 400
    assert response.json["message"] == "No deployment resources contained in the form upload."
    as_json = client.post(
        "/engine-rest/deployment/create", json={"x": 1}, headers=api.basic("designer")
    )
    assert as_json.status_code == 400


def test_the_webapps_link_points_at_this_app(client):
    response = client.get("/.well-known/camunda-automation-platform/webapps")
    assert response.status_code == 200
    assert response.json["cockpitUrl"] == "http://localhost/"
