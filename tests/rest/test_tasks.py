"""The task API: the query Camunda task lists send, and claim / assign / complete."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models import AuditEvent
from db.models import Comment
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import clock
from supervision.errors import StaleCaseError
from tests.rest.conftest import county_case
from tests.rest.conftest import open_task_id
from tests.rest.conftest import start
from web.rest.retry import ATTEMPTS


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [t["processInstanceId"] for t in response.json]


def test_task_queries_filter_sort_and_page(client, api, deployed):
    first = start(deployed, "sup1", "rest_review", "BK-A")
    clock.shift(timedelta(hours=1))
    second = start(deployed, "sup1", "rest_review", "BK-B")
    clock.shift(timedelta(hours=1))
    county = county_case(deployed, "lizhou", "BK-C")
    h = api.bearer("sup1")

    assert set(ids(client.get("/engine-rest/task", headers=h))) == {first, second, county}
    assert ids(client.get("/engine-rest/task?processInstanceBusinessKey=BK-B", headers=h)) == [
        second
    ]
    assert ids(client.get(f"/engine-rest/task?processInstanceId={first}", headers=h)) == [first]
    assert set(
        ids(client.get("/engine-rest/task?processDefinitionKey=rest_review", headers=h))
    ) == {
        first,
        second,
    }
    assert ids(client.get("/engine-rest/task?taskDefinitionKey=verify", headers=h)) == [county]
    by_group = client.get("/engine-rest/task?candidateGroup=city_supervisors", headers=h)
    assert set(ids(by_group)) == {first, second}
    groups = client.get(
        "/engine-rest/task?candidateGroups=lizhou_supervisors,zhaohua_supervisors", headers=h
    )
    assert ids(groups) == [county]
    assert ids(client.get("/engine-rest/task?candidateUser=lizhou1", headers=h)) == [county]
    newest_first = client.get("/engine-rest/task?sortBy=created&sortOrder=desc", headers=h)
    assert ids(newest_first)[0] == county
    page = client.get(
        "/engine-rest/task?sortBy=created&sortOrder=asc&firstResult=1&maxResults=1", headers=h
    )
    assert ids(page) == [second]
    assert client.get(
        "/engine-rest/task/count?candidateGroup=city_supervisors", headers=h
    ).json == {"count": 2}
    # Due dates: rest_review is due in 3 working days, county_review in 5.
    due = client.get("/engine-rest/task?dueBefore=2026-12-02T00:00:00.000+0800", headers=h)
    assert set(ids(due)) == {first, second}
    assert ids(
        client.get("/engine-rest/task?dueAfter=2026-12-02T00:00:00.000+0800", headers=h)
    ) == [county]
    # The same criteria as JSON.
    posted = client.post(
        "/engine-rest/task?maxResults=5",
        json={
            "candidateGroups": ["city_supervisors"],
            "sorting": [{"sortBy": "created", "sortOrder": "desc"}],
        },
        headers=h,
    )
    assert ids(posted) == [second, first]
    count = client.post(
        "/engine-rest/task/count",
        json={"processInstanceBusinessKeyIn": ["BK-A", "BK-C"]},
        headers=h,
    )
    assert count.json == {"count": 2}


def test_assigned_and_unassigned(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review")
    other = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    h = api.bearer("sup1")
    assert (
        client.post(
            f"/engine-rest/task/{task_id}/claim", json={"userId": "sup1"}, headers=h
        ).status_code
        == 204
    )
    assert ids(client.get("/engine-rest/task?assignee=sup1", headers=h)) == [case_id]
    assert ids(client.get("/engine-rest/task?unassigned=true", headers=h)) == [other]
    # A candidate group query leaves out claimed tasks unless asked to include them.
    assert ids(client.get("/engine-rest/task?candidateGroup=city_supervisors", headers=h)) == [
        other
    ]
    both = client.get(
        "/engine-rest/task?candidateGroup=city_supervisors&includeAssignedTasks=true", headers=h
    )
    assert set(ids(both)) == {case_id, other}


def test_bad_query_parameters_are_400(client, api, deployed):
    h = api.bearer("sup1")
    for query in (
        "sortBy=created",
        "sortOrder=asc",
        "sortBy=colour&sortOrder=asc",
        "sortBy=created&sortOrder=up",
        "firstResult=-1",
        "maxResults=lots",
        "unassigned=maybe",
        "dueBefore=tomorrow",
        "priority=high",
    ):
        response = client.get(f"/engine-rest/task?{query}", headers=h)
        assert response.status_code == 400, query
        assert response.json["type"] == "InvalidRequestException"
    for body in (
        {"processVariables": [{"name": "x", "operator": "eq", "value": 1}]},
        {"colour": "red"},
        [],
    ):
        assert client.post("/engine-rest/task", json=body, headers=h).status_code == 400, body


def test_a_task_and_its_links_form_and_variables(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review", "BK-1", affected=3)
    task_id = open_task_id(deployed, case_id)
    h = api.bearer("sup2")
    task = client.get(f"/engine-rest/task/{task_id}", headers=h).json
    assert task["id"] == task_id
    assert task["name"] == "审查线索" and task["taskDefinitionKey"] == "review"
    assert task["processInstanceId"] == task["executionId"] == case_id
    assert task["created"] == "2026-11-26T10:00:00.000+0800"
    assert task["due"] == "2026-12-01T23:59:59.000+0800"
    assert task["assignee"] is None and task["suspended"] is False and task["priority"] == 50
    links = client.get(f"/engine-rest/task/{task_id}/identity-links", headers=h).json
    assert links == [{"userId": None, "groupId": "city_supervisors", "type": "candidate"}]
    assert (
        client.get(f"/engine-rest/task/{task_id}/identity-links?type=assignee", headers=h).json
        == []
    )
    form = client.get(f"/engine-rest/task/{task_id}/form-variables", headers=h).json
    assert form == {
        "finding": {"type": "String", "value": None, "valueInfo": {}},
        "affected": {"type": "Long", "value": 3, "valueInfo": {}},
        "checked_on": {"type": "String", "value": None, "valueInfo": {}},
    }
    only = client.get(
        f"/engine-rest/task/{task_id}/form-variables?variableNames=affected", headers=h
    )
    assert list(only.json) == ["affected"]
    variables = client.get(f"/engine-rest/task/{task_id}/variables", headers=h).json
    assert variables["affected"] == {"type": "Integer", "value": 3, "valueInfo": {}}
    assert client.get(f"/engine-rest/task/{task_id}/form", headers=h).json["key"] is None
    assert client.get("/engine-rest/task/nope", headers=h).status_code == 404


def test_claim_unclaim_and_a_claim_race(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    url = f"/engine-rest/task/{task_id}"
    assert (
        client.post(f"{url}/claim", json={"userId": "sup1"}, headers=api.bearer("sup1")).status_code
        == 204
    )
    # Claiming again is harmless; someone else claiming is a conflict (Camunda: 500).
    assert (
        client.post(f"{url}/claim", json={"userId": "sup1"}, headers=api.bearer("sup1")).status_code
        == 204
    )
    taken = client.post(f"{url}/claim", json={"userId": "sup2"}, headers=api.bearer("sup2"))
    assert taken.status_code == 409
    assert taken.json["type"] == "TaskAlreadyClaimedException" and "sup1" in taken.json["message"]
    assert client.get(url, headers=api.bearer("sup2")).json["assignee"] == "sup1"
    # Only the assignee (or a chief) gives it back.
    assert client.post(f"{url}/unclaim", headers=api.bearer("sup2")).status_code == 403
    assert client.post(f"{url}/unclaim", headers=api.bearer("sup1")).status_code == 204
    assert (
        client.post(
            f"{url}/assignee", json={"userId": "sup2"}, headers=api.bearer("sup2")
        ).status_code
        == 204
    )
    assert (
        client.post(
            f"{url}/assignee", json={"userId": None}, headers=api.bearer("chief")
        ).status_code
        == 204
    )
    with deployed.sessions() as s:
        assert s.get(OpenTask, task_id).assignee is None
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.task_id == task_id).order_by(AuditEvent.id)
        ).all()
        assert actions == ["claim", "unclaim", "claim", "unclaim"]
    log = client.get(
        f"/engine-rest/history/user-operation?taskId={task_id}", headers=api.bearer("sup1")
    ).json
    assert [(e["operationType"], e["userId"], e["newValue"]) for e in log] == [
        ("Claim", "sup1", "sup1"),
        ("Claim", "sup1", None),
        ("Claim", "sup2", "sup2"),
        ("Claim", "chief", None),
    ]


def test_complete_with_typed_variables(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    response = client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={
            "variables": {
                "finding": {"value": "founded", "type": "String"},
                "affected": {"value": "12", "type": "Long"},
                "checked_on": {"value": "2026-11-25T16:00:00.000+0800", "type": "Date"},
                "noted_at": {"value": "2026-11-25T16:00:00.000+0800", "type": "Date"},
                "extra": {"value": '{"a": 1}', "type": "Json"},
            },
            "withVariablesInReturn": True,
        },
        headers=api.bearer("sup1"),
    )
    assert response.status_code == 200, response.json
    returned = response.json
    assert returned["finding"] == {"type": "String", "value": "founded", "valueInfo": {}}
    assert returned["noted_at"]["type"] == "Date"
    with deployed.sessions() as s:
        case = s.get(ProcessInstance, case_id)
        assert case.status == "completed"
        assert case.variables["affected"] == 12
        assert case.variables["checked_on"] == "2026-11-25"  # a date field keeps the day
        assert case.variables["noted_at"] == "2026-11-25T16:00:00.000+08:00"
        assert case.variables["extra"] == {"a": 1}
        done = s.get(HistoricTask, task_id)
        assert done.completed_by == "sup1" and done.outcome == "completed"
    again = client.post(
        f"/engine-rest/task/{task_id}/complete", json={}, headers=api.bearer("sup1")
    )
    assert again.status_code == 404


def test_bad_values_change_nothing(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    url = f"/engine-rest/task/{task_id}/submit-form"
    wrong_type = client.post(
        url,
        json={"variables": {"affected": {"value": "many", "type": "Long"}}},
        headers=api.bearer("sup1"),
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json["type"] == "InvalidRequestException"
    assert "Cannot convert value" in wrong_type.json["message"]
    missing = client.post(
        url, json={"variables": {"affected": {"value": -1}}}, headers=api.bearer("sup1")
    )
    assert missing.status_code == 400
    assert missing.json["type"] == "FormFieldValidationException"
    assert set(missing.json["errors"]) == {"finding", "affected"}
    not_an_option = client.post(
        url, json={"variables": {"finding": {"value": "maybe"}}}, headers=api.bearer("sup1")
    )
    assert not_an_option.status_code == 400 and "finding" in not_an_option.json["errors"]
    english = client.post(
        url,
        json={"variables": {}},
        headers={**api.bearer("sup1"), "Accept-Language": "en"},
    )
    assert english.json["errors"]["finding"] == "This field is required"
    for body in (b"{", b"[1]", b'{"variables": {"finding": {"value": NaN}}}'):
        bad = client.post(
            url, data=body, headers={**api.bearer("sup1"), "Content-Type": "application/json"}
        )
        assert bad.status_code == 400, body
    with deployed.sessions() as s:
        assert s.get(OpenTask, task_id) is not None
        assert s.get(ProcessInstance, case_id).status == "active"
        assert s.get(HistoricTask, task_id) is None


def test_a_lost_optimistic_lock_is_409_with_camundas_code(client, api, deployed, monkeypatch):
    monkeypatch.setattr("web.rest.retry.FIRST_PAUSE", 0.001)
    case_id = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    calls = []

    def always_stale(*args, **kwargs):
        calls.append(1)
        raise StaleCaseError(
            "这个案件刚被其他人修改，请刷新后重试 (the case was changed by someone else)"
        )

    monkeypatch.setattr("supervision.cases.complete_task", always_stale)
    response = client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={"variables": {"finding": {"value": "founded"}}},
        headers=api.bearer("sup1"),
    )
    assert response.status_code == 409
    assert response.json["type"] == "OptimisticLockingException"
    assert response.json["code"] == 1
    assert len(calls) == ATTEMPTS  # tried again on fresh state before giving up


def test_a_transient_conflict_is_retried_and_succeeds(client, api, deployed, monkeypatch):
    from supervision import cases

    case_id = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    real = cases.complete_task
    calls = []

    def stale_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise StaleCaseError("stale")
        return real(*args, **kwargs)

    monkeypatch.setattr("supervision.cases.complete_task", stale_once)
    response = client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={"variables": {"finding": {"value": "founded"}}},
        headers=api.bearer("sup1"),
    )
    assert response.status_code == 204
    with deployed.sessions() as s:
        assert s.get(ProcessInstance, case_id).status == "completed"


def test_comments(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    url = f"/engine-rest/task/{task_id}/comment"
    created = client.post(
        f"{url}/create", json={"message": "请补充证据"}, headers=api.bearer("sup2")
    )
    assert created.status_code == 200
    comment = created.json
    assert comment["userId"] == "sup2" and comment["message"] == "请补充证据"
    assert comment["taskId"] == task_id and comment["processInstanceId"] == case_id
    assert comment["time"] == "2026-11-26T10:00:00.000+0800"
    assert client.get(url, headers=api.bearer("sup1")).json == [comment]
    assert client.get(f"{url}/{comment['id']}", headers=api.bearer("sup1")).json == comment
    assert client.get(f"{url}/999999", headers=api.bearer("sup1")).status_code == 404
    assert (
        client.post(f"{url}/create", json={"message": "  "}, headers=api.bearer("sup2")).status_code
        == 400
    )
    assert client.post(f"{url}/create", json={}, headers=api.bearer("sup2")).status_code == 400
    mismatch = client.post(
        f"{url}/create",
        json={"message": "x", "processInstanceId": "other"},
        headers=api.bearer("sup2"),
    )
    assert mismatch.status_code == 400
    # Comments stay readable once the task is done.
    client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={"variables": {"finding": {"value": "founded"}}},
        headers=api.bearer("sup1"),
    )
    assert client.get(url, headers=api.bearer("sup1")).json == [comment]
    with deployed.sessions() as s:
        assert s.scalars(select(Comment.message)).all() == ["请补充证据"]


def test_personal_data_is_masked_audited_and_protected(client, api, deployed):
    case_id = county_case(deployed, "lizhou")
    task_id = open_task_id(deployed, case_id, "verify")
    # The county supervisor may see it; the read is audited.
    own = client.get(
        f"/engine-rest/task/{task_id}/form-variables", headers=api.bearer("lizhou1")
    ).json
    assert own["complainant_phone"]["value"] == "13800001111"
    with deployed.sessions() as s:
        read = s.scalars(select(AuditEvent).where(AuditEvent.action == "personal_data_read")).one()
        assert read.actor == "lizhou1" and read.details["fields"] == ["complainant_phone"]
    client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={"variables": {"finding": {"value": "founded"}}},
        headers=api.bearer("lizhou1"),
    )
    bureau_task = open_task_id(deployed, case_id, "bureau_check")
    seen = client.get(
        f"/engine-rest/task/{bureau_task}/variables", headers=api.bearer("lizhou_market1")
    ).json
    assert seen["complainant_phone"]["value"] == "138****1111"
    # Echoing the mask back is harmless; changing the data is refused.
    echo = client.post(
        f"/engine-rest/task/{bureau_task}/complete",
        json={
            "variables": {
                "complainant_phone": {"value": "138****1111"},
                "complainant_name": {"value": "X"},
            }
        },
        headers=api.bearer("lizhou_market1"),
    )
    assert echo.status_code == 403
    ok = client.post(
        f"/engine-rest/task/{bureau_task}/complete",
        json={"variables": {"complainant_phone": {"value": "138****1111"}}},
        headers=api.bearer("lizhou_market1"),
    )
    assert ok.status_code == 204, ok.json
    with deployed.sessions() as s:
        assert s.get(ProcessInstance, case_id).variables["complainant_phone"] == "13800001111"
