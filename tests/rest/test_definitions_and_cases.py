"""Process definitions, starting cases, running cases and history through /engine-rest."""

from __future__ import annotations

from sqlalchemy import select

from db.models import ProcessInstance
from tests.rest.conftest import open_task_id
from tests.rest.conftest import start


def test_definitions_by_id_key_and_query(client, api, deployed):
    h = api.bearer("designer")
    by_key = client.get("/engine-rest/process-definition/key/rest_review", headers=h)
    assert by_key.status_code == 200
    definition = by_key.json
    assert definition["key"] == "rest_review" and definition["version"] == 1
    by_id = client.get(f"/engine-rest/process-definition/{definition['id']}", headers=h)
    assert by_id.json == definition
    xml = client.get("/engine-rest/process-definition/key/rest_review/xml", headers=h).json
    assert xml["id"] == definition["id"]
    assert xml["bpmn20Xml"].startswith("<?xml") and 'id="rest_review"' in xml["bpmn20Xml"]
    keys = [
        d["key"]
        for d in client.get(
            "/engine-rest/process-definition?sortBy=key&sortOrder=asc", headers=h
        ).json
    ]
    assert keys == ["complaint_intake", "county_review", "rest_review"]
    assert client.get(
        "/engine-rest/process-definition/count?keyLike=%25review", headers=h
    ).json == {"count": 2}
    missing = client.get("/engine-rest/process-definition/key/nope", headers=h)
    assert missing.status_code == 404 and missing.json["type"] == "InvalidRequestException"
    assert client.get("/engine-rest/process-definition/nope:1:x/xml", headers=h).status_code == 404


def test_start_form_variables_and_key(client, api, deployed):
    h = api.bearer("sup1")
    form = client.get("/engine-rest/process-definition/key/rest_review/form-variables", headers=h)
    assert form.json == {
        "case_title": {"type": "String", "value": "新线索", "valueInfo": {}},
        "urgent": {"type": "Boolean", "value": False, "valueInfo": {}},
    }
    assert client.get(
        "/engine-rest/process-definition/key/rest_review/startForm", headers=h
    ).json == {
        "key": None,
        "contextPath": None,
        "camundaFormRef": None,
    }


def test_start_by_key_with_typed_variables_and_business_key(client, api, deployed):
    response = client.post(
        "/engine-rest/process-definition/key/rest_review/start",
        json={
            "businessKey": "BK-42",
            "variables": {
                "case_title": {"value": "乱罚款", "type": "String"},
                "urgent": {"value": True, "type": "Boolean"},
                "received": {"value": "2026-11-25T08:00:00.000+0800", "type": "Date"},
            },
            "withVariablesInReturn": True,
        },
        headers=api.bearer("sup1"),
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["businessKey"] == "BK-42" and body["definitionKey"] == "rest_review"
    assert body["variables"]["urgent"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert body["variables"]["received"]["value"] == "2026-11-25T08:00:00.000+0800"
    with deployed.sessions() as s:
        case = s.get(ProcessInstance, body["id"])
        assert case.business_key == "BK-42" and case.started_by == "sup1"
        assert case.title == "乱罚款"
        assert case.variables["received"] == "2026-11-25T08:00:00.000+08:00"


def test_bad_starts_change_nothing(client, api, deployed):
    url = "/engine-rest/process-definition/key/rest_review/start"
    h = api.bearer("sup1")
    for body in (
        {"variables": {"urgent": {"value": "sometimes", "type": "Boolean"}}},
        {"variables": []},
        {"businessKey": 42},
        {"businessKey": "x" * 201},
        {"startInstructions": [{"type": "startBeforeActivity", "activityId": "review"}]},
        {"skipIoMappings": True},
        {"withVariablesInReturn": "yes"},
    ):
        response = client.post(url, json=body, headers=h)
        assert response.status_code == 400, body
    assert (
        client.post(
            "/engine-rest/process-definition/key/nope/start", json={}, headers=h
        ).status_code
        == 404
    )
    with deployed.sessions() as s:
        assert s.scalars(select(ProcessInstance)).all() == []


def test_submit_start_form_validates_like_the_web_form(client, api, deployed):
    url = "/engine-rest/process-definition/key/rest_review/submit-form"
    h = api.bearer("sup1")
    too_long = client.post(url, json={"variables": {"case_title": {"value": "长" * 51}}}, headers=h)
    assert too_long.status_code == 400
    assert too_long.json["type"] == "FormFieldValidationException"
    assert set(too_long.json["errors"]) == {"case_title"}
    ok = client.post(
        url,
        json={
            "businessKey": "F-1",
            "variables": {"case_title": {"value": "表单发起"}, "note": {"value": "额外"}},
        },
        headers=h,
    )
    assert ok.status_code == 200, ok.json
    with deployed.sessions() as s:
        case = s.get(ProcessInstance, ok.json["id"])
        assert case.variables["case_title"] == "表单发起" and case.variables["note"] == "额外"


def test_running_cases_variables_and_activity_tree(client, api, deployed):
    first = start(deployed, "sup1", "rest_review", "BK-1", complainant_phone="13800001111")
    second = start(
        deployed,
        "sup1",
        "county_review",
        "BK-2",
        owner_unit_id="city_supervisors",
        target_agency_id="city_market",
    )
    h = api.bearer("sup2")
    listed = client.get(
        "/engine-rest/process-instance?processDefinitionKey=rest_review", headers=h
    ).json
    assert [i["id"] for i in listed] == [first]
    assert [
        i["id"]
        for i in client.get("/engine-rest/process-instance?businessKey=BK-2", headers=h).json
    ] == [second]
    posted = client.post(
        "/engine-rest/process-instance",
        json={"processInstanceIds": [first, second], "active": True},
        headers=h,
    )
    assert {i["id"] for i in posted.json} == {first, second}
    assert client.post(
        "/engine-rest/process-instance/count", json={"businessKey": "BK-1"}, headers=h
    ).json == {"count": 1}
    one = client.get(f"/engine-rest/process-instance/{first}", headers=h).json
    assert one["ended"] is False and one["businessKey"] == "BK-1"
    variable = client.get(
        f"/engine-rest/process-instance/{first}/variables/complainant_phone", headers=h
    )
    assert variable.json == {"type": "String", "value": "13800001111", "valueInfo": {}}
    assert (
        client.get(
            f"/engine-rest/process-instance/{first}/variables/nothing", headers=h
        ).status_code
        == 404
    )
    tree = client.get(f"/engine-rest/process-instance/{first}/activity-instances", headers=h).json
    assert tree["id"] == first and tree["activityType"] == "processDefinition"
    assert [(c["activityId"], c["activityType"]) for c in tree["childActivityInstances"]] == [
        ("review", "userTask")
    ]
    # A finished case leaves the runtime API but stays in history.
    task_id = open_task_id(deployed, first)
    client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={"variables": {"finding": {"value": "founded"}}},
        headers=h,
    )
    assert client.get(f"/engine-rest/process-instance/{first}", headers=h).status_code == 404
    assert first not in {
        i["id"] for i in client.get("/engine-rest/process-instance", headers=h).json
    }
    history = client.get(f"/engine-rest/history/process-instance/{first}", headers=h).json
    assert history["state"] == "COMPLETED" and history["endTime"] is not None
    assert history["startUserId"] == "sup1" and history["durationInMillis"] == 0


def test_history_of_activities_tasks_and_operations(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review", "BK-H")
    task_id = open_task_id(deployed, case_id)
    h = api.bearer("sup1")
    client.post(f"/engine-rest/task/{task_id}/claim", json={"userId": "sup1"}, headers=h)
    unfinished = client.get(
        f"/engine-rest/history/task?processInstanceId={case_id}&unfinished=true", headers=h
    ).json
    assert [(t["id"], t["assignee"], t["endTime"]) for t in unfinished] == [(task_id, "sup1", None)]
    client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={"variables": {"finding": {"value": "unfounded"}}},
        headers=h,
    )

    finished = client.get(
        f"/engine-rest/history/task?processInstanceId={case_id}&finished=true", headers=h
    ).json
    assert [(t["taskDefinitionKey"], t["deleteReason"], t["taskState"]) for t in finished] == [
        ("review", "completed", "Completed")
    ]
    assert (
        client.get(
            f"/engine-rest/history/task?processInstanceId={case_id}&unfinished=true", headers=h
        ).json
        == []
    )
    activities = client.get(
        f"/engine-rest/history/activity-instance?processInstanceId={case_id}&sortBy=startTime&sortOrder=asc",
        headers=h,
    ).json
    assert [(a["activityId"], a["activityType"]) for a in activities] == [
        ("start", "startEvent"),
        ("review", "userTask"),
        ("end", "endEvent"),
    ]
    review = activities[1]
    assert (
        review["taskId"] == task_id and review["assignee"] == "sup1" and review["canceled"] is False
    )
    assert client.post(
        "/engine-rest/history/activity-instance/count",
        json={"processInstanceId": case_id, "activityType": "userTask"},
        headers=h,
    ).json == {"count": 1}
    finished_cases = client.get(
        "/engine-rest/history/process-instance?finished=true&processInstanceBusinessKey=BK-H",
        headers=h,
    ).json
    assert [c["id"] for c in finished_cases] == [case_id]
    operations = client.get(
        f"/engine-rest/history/user-operation?processInstanceId={case_id}&sortBy=timestamp&sortOrder=asc",
        headers=h,
    ).json
    assert [(o["operationType"], o["entityType"], o["userId"]) for o in operations] == [
        ("Create", "ProcessInstance", "sup1"),
        ("Claim", "Task", "sup1"),
        ("Complete", "Task", "sup1"),
    ]
    complete = operations[2]
    assert complete["taskId"] == task_id and complete["category"] == "TaskWorker"
    assert client.get(
        "/engine-rest/history/user-operation?operationType=Claim", headers=h
    ).json == [operations[1]]
    # Deployments are in the log for those who may read them.
    designer_log = client.get(
        "/engine-rest/history/user-operation?entityType=Deployment", headers=api.bearer("designer")
    ).json
    assert {o["operationType"] for o in designer_log} == {"Create"} and len(designer_log) == 3
    assert (
        client.get("/engine-rest/history/user-operation?entityType=Deployment", headers=h).json
        == []
    )


def test_engine_and_version(client, api, deployed):
    h = api.bearer("market1")
    assert client.get("/engine-rest/engine", headers=h).json == [{"name": "default"}]
    assert client.get("/engine-rest/version", headers=h).json == {"version": "7.24.0"}
