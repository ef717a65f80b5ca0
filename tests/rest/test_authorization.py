"""Every API call is authenticated and authorised as its user, like the web app.

No credentials, a wrong password, a revoked or expired token, a deactivated user: 401
on every documented operation. The wrong group: 403 (or an empty list). The wrong
county: 404 for the case, its tasks and its history, exactly as for a missing id.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from db.models import ApiToken
from db.models import AuditEvent
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import clock
from supervision import identity
from tests.factories import user
from tests.rest.conftest import county_case
from tests.rest.conftest import open_task_id
from tests.rest.conftest import start
from web.api.openapi import document

PROTECTED = [
    (method.upper(), path)
    for path, item in document()["paths"].items()
    for method, op in item.items()
    if op.get("security") != []
]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-1", path)


def call(client, method: str, path: str, headers: dict | None = None):
    return client.open(concrete(path), method=method, headers=headers or {}, json={})


def test_every_operation_needs_credentials(client):
    assert len(PROTECTED) > 60
    for method, path in PROTECTED:
        response = call(client, method, path, {"Accept": "application/json"})
        assert response.status_code == 401, (method, path, response.data)
        assert response.headers["WWW-Authenticate"] == 'Basic realm="default"', (method, path)
        assert response.json["type"] == "AuthenticationException"


def test_a_revoked_token_an_expired_token_and_a_deactivated_user_are_refused(client, api, deployed):
    assert client.get("/engine-rest/task", headers=api.bearer("sup1")).status_code == 200
    with deployed.sessions.begin() as s:
        token_id = s.scalar(
            select(ApiToken.id).join(ApiToken.user).where(ApiToken.user.has(username="sup1"))
        )
        identity.revoke_token(s, token_id, actor="admin")
    for method, path in PROTECTED:
        response = call(client, method, path, api.bearer("sup1"))
        assert response.status_code == 401, (method, path)

    with deployed.sessions.begin() as s:
        row = s.scalar(
            select(ApiToken).join(ApiToken.user).where(ApiToken.user.has(username="sup2"))
        )
        row.expires_at = clock.now() - timedelta(minutes=1)
    assert client.get("/engine-rest/task", headers=api.bearer("sup2")).status_code == 401

    with deployed.sessions.begin() as s:
        user(s, "chief").active = False
    assert client.get("/engine-rest/task", headers=api.bearer("chief")).status_code == 401
    assert client.get("/engine-rest/task", headers=api.basic("chief")).status_code == 401
    assert (
        client.get("/engine-rest/task", headers={"Authorization": "Bearer sv_nonsense"}).status_code
        == 401
    )
    assert client.get("/engine-rest/task", headers={"Authorization": "Digest x"}).status_code == 401


def test_the_browser_session_does_not_authenticate_api_calls(app, client, deployed):
    from tests.factories import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = False
    login = client.post("/login", data={"username": "sup1", "password": PASSWORD})
    assert login.status_code == 302
    home = client.get("/")  # logged in for the web pages: not sent to the login page
    assert home.status_code in (200, 302) and "/login" not in home.headers.get("Location", "")
    assert client.get("/engine-rest/task").status_code == 401
    assert client.get("/api/v1/hotline/tickets").status_code == 401


def test_failed_basic_logins_are_rate_limited(client, api, deployed):
    for _ in range(5):
        assert (
            client.get("/engine-rest/task", headers=api.basic("sup1", "nope-nope")).status_code
            == 401
        )
    blocked = client.get("/engine-rest/task", headers=api.basic("sup1"))
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # A token is not a password guess: it still works.
    assert client.get("/engine-rest/task", headers=api.bearer("sup1")).status_code == 200


# ---------------------------------------------------------------- the wrong county


def test_a_county_user_never_sees_another_countys_case(client, api, deployed):
    case_id = county_case(deployed, "lizhou", business_key="LZ-1")
    task_id = open_task_id(deployed, case_id)
    own, other = api.bearer("lizhou1"), api.bearer("zhaohua1")

    assert client.get(f"/engine-rest/process-instance/{case_id}", headers=own).status_code == 200
    for path in (
        f"/engine-rest/process-instance/{case_id}",
        f"/engine-rest/process-instance/{case_id}/variables",
        f"/engine-rest/process-instance/{case_id}/variables/finding",
        f"/engine-rest/process-instance/{case_id}/activity-instances",
        f"/engine-rest/history/process-instance/{case_id}",
        f"/engine-rest/task/{task_id}",
        f"/engine-rest/task/{task_id}/variables",
        f"/engine-rest/task/{task_id}/form-variables",
        f"/engine-rest/task/{task_id}/identity-links",
        f"/engine-rest/task/{task_id}/comment",
    ):
        hidden = client.get(path, headers=other)
        missing = client.get(
            path.replace(case_id, "no-such-case").replace(task_id, "no-such-task"), headers=other
        )
        assert hidden.status_code == missing.status_code == 404, path
        assert hidden.json["type"] == "InvalidRequestException"
    for path in (
        f"/engine-rest/task/{task_id}/claim",
        f"/engine-rest/task/{task_id}/unclaim",
        f"/engine-rest/task/{task_id}/complete",
        f"/engine-rest/task/{task_id}/comment/create",
    ):
        response = client.post(path, json={"message": "x", "userId": "zhaohua1"}, headers=other)
        assert response.status_code == 404, path
    lists = {
        "/engine-rest/process-instance": "id",
        "/engine-rest/task": "processInstanceId",
        "/engine-rest/history/process-instance": "id",
        "/engine-rest/history/task": "processInstanceId",
        "/engine-rest/history/activity-instance": "processInstanceId",
        "/engine-rest/history/user-operation": "processInstanceId",
    }
    for path, key in lists.items():
        assert case_id in {r[key] for r in client.get(path, headers=own).json}, path
        assert case_id not in {r[key] for r in client.get(path, headers=other).json}, path
        assert client.get(f"{path}/count", headers=other).json["count"] == 0, path
    # Correlating by its business key does not find it either: not even its existence.
    message = client.post(
        "/engine-rest/message",
        json={"messageName": "Msg_BureauReply", "businessKey": "LZ-1"},
        headers=api.bearer("zhaohua1"),
    )
    assert message.status_code == 400
    with deployed.sessions() as s:
        assert s.get(OpenTask, task_id).assignee is None
        assert s.get(ProcessInstance, case_id).status == "active"


def test_the_city_sees_its_counties_but_not_the_other_way(client, api, deployed):
    county = county_case(deployed, "lizhou")
    city = start(deployed, "sup1", "rest_review")
    city_view = {
        i["id"]
        for i in client.get("/engine-rest/process-instance", headers=api.bearer("sup2")).json
    }
    county_view = {
        i["id"]
        for i in client.get("/engine-rest/process-instance", headers=api.bearer("lizhou1")).json
    }
    assert {county, city} <= city_view
    assert county in county_view and city not in county_view


def test_a_bureau_sees_only_what_is_sent_to_it(client, api, deployed):
    case_id = county_case(deployed, "lizhou")
    verify = open_task_id(deployed, case_id, "verify")
    # Before the case reaches the bureau, the bureau sees nothing of it.
    assert (
        client.get(f"/engine-rest/task/{verify}", headers=api.bearer("lizhou_market1")).status_code
        == 404
    )
    done = client.post(
        f"/engine-rest/task/{verify}/complete",
        json={"variables": {"finding": {"value": "founded"}}},
        headers=api.bearer("lizhou1"),
    )
    assert done.status_code == 204, done.json
    tasks = client.get("/engine-rest/task", headers=api.bearer("lizhou_market1")).json
    assert [t["taskDefinitionKey"] for t in tasks] == ["bureau_check"]
    assert client.get("/engine-rest/task", headers=api.bearer("market1")).json == []
    # The bureau may read the case, but the complainant's phone stays masked.
    variables = client.get(
        f"/engine-rest/process-instance/{case_id}/variables", headers=api.bearer("lizhou_market1")
    ).json
    assert variables["complainant_phone"]["value"] == "138****1111"
    assert variables["complainant_name"]["value"] == "周*"


# ---------------------------------------------------------------- the wrong group or role


def test_claiming_needs_candidacy_unlike_camunda(client, api, deployed):
    case_id = county_case(deployed, "lizhou")
    task_id = open_task_id(deployed, case_id, "verify")
    # The city sees the county's task (its region) but is not a candidate for it.
    city = client.post(
        f"/engine-rest/task/{task_id}/claim", json={"userId": "sup1"}, headers=api.bearer("sup1")
    )
    assert city.status_code == 403
    assert city.json["type"] == "AuthorizationException" and city.json["userId"] == "sup1"
    complete = client.post(
        f"/engine-rest/task/{task_id}/complete",
        json={"variables": {"finding": {"value": "founded"}}},
        headers=api.bearer("sup1"),
    )
    assert complete.status_code == 403
    own = client.post(
        f"/engine-rest/task/{task_id}/claim",
        json={"userId": "lizhou1"},
        headers=api.bearer("lizhou1"),
    )
    assert own.status_code == 204
    with deployed.sessions() as s:
        assert s.get(OpenTask, task_id).assignee == "lizhou1"


def test_only_chiefs_assign_to_others(client, api, deployed):
    case_id = start(deployed, "sup1", "rest_review")
    task_id = open_task_id(deployed, case_id)
    refused = client.post(
        f"/engine-rest/task/{task_id}/assignee", json={"userId": "sup2"}, headers=api.bearer("sup1")
    )
    assert refused.status_code == 403
    on_behalf = client.post(
        f"/engine-rest/task/{task_id}/claim", json={"userId": "sup2"}, headers=api.bearer("sup1")
    )
    assert on_behalf.status_code == 403
    assigned = client.post(
        f"/engine-rest/task/{task_id}/assignee",
        json={"userId": "sup2"},
        headers=api.bearer("chief"),
    )
    assert assigned.status_code == 204
    not_candidate = client.post(
        f"/engine-rest/task/{task_id}/assignee",
        json={"userId": "market1"},
        headers=api.bearer("chief"),
    )
    assert not_candidate.status_code == 400
    with deployed.sessions() as s:
        assert s.get(OpenTask, task_id).assignee == "sup2"


def test_definitions_deployments_and_starts_by_role(client, api, deployed):
    # A bureau handler reads no definitions and no deployments: empty lists, 403 by id.
    assert client.get("/engine-rest/process-definition", headers=api.bearer("market1")).json == []
    assert client.get("/engine-rest/deployment", headers=api.bearer("market1")).json == []
    assert client.get("/engine-rest/deployment/count", headers=api.bearer("market1")).json == {
        "count": 0
    }
    by_key = client.get(
        "/engine-rest/process-definition/key/rest_review", headers=api.bearer("market1")
    )
    assert by_key.status_code == 403
    assert (
        client.get(
            "/engine-rest/process-definition/key/rest_review", headers=api.bearer("sup1")
        ).status_code
        == 200
    )
    start_bureau = client.post(
        "/engine-rest/process-definition/key/rest_review/start",
        json={},
        headers=api.bearer("market1"),
    )
    assert start_bureau.status_code == 403
    start_operator = client.post(
        "/engine-rest/process-definition/key/rest_review/start",
        json={},
        headers=api.bearer("operator"),
    )
    assert start_operator.status_code == 403
    with deployed.sessions() as s:
        assert s.scalar(select(func.count(ProcessInstance.id))) == 0


def test_deleting_deployments(client, api, deployed):
    deployment_id = client.get(
        "/engine-rest/process-definition/key/rest_review", headers=api.bearer("designer")
    ).json["deploymentId"]
    case_id = start(deployed, "sup1", "rest_review")
    url = f"/engine-rest/deployment/{deployment_id}"
    assert client.delete(url, headers=api.bearer("sup1")).status_code == 403
    busy = client.delete(url, headers=api.bearer("designer"))
    assert busy.status_code == 409 and "case" in busy.json["message"]
    assert client.delete(f"{url}?cascade=true", headers=api.bearer("designer")).status_code == 403
    assert client.delete(f"{url}?cascade=maybe", headers=api.bearer("admin")).status_code == 400
    assert client.delete(f"{url}?cascade=true", headers=api.bearer("admin")).status_code == 204
    assert client.get(url, headers=api.bearer("designer")).status_code == 404
    with deployed.sessions() as s:
        assert s.get(ProcessInstance, case_id) is None
        undeploy = s.scalars(select(AuditEvent).where(AuditEvent.action == "undeploy")).one()
        assert undeploy.actor == "admin" and undeploy.details["cascade"] is True


def test_messages_need_the_right_to_send(client, api, deployed):
    response = client.post(
        "/engine-rest/message",
        json={"messageName": "Msg_BureauReply"},
        headers=api.bearer("market1"),
    )
    assert response.status_code == 403


def test_hotline_api_belongs_to_hotline_operators(client, api, deployed):
    ticket = {
        "hotline_ticket_no": "GY-AUTH-0001",
        "source_channel": "hotline_phone",
        "request_type": "complaint",
        "complaint_text": "乱罚款",
        "is_anonymous": True,
    }
    for name in ("sup1", "market1", "designer", "admin"):
        refused = client.post("/api/v1/hotline/tickets", json=ticket, headers=api.bearer(name))
        assert refused.status_code == 403, name
    created = client.post("/api/v1/hotline/tickets", json=ticket, headers=api.bearer("operator"))
    assert created.status_code == 201
    # Another hotline centre (a county's) does not see the city centre's ticket.
    for name in ("lizhou_operator", "zhaohua1", "market1"):
        hidden = client.get("/api/v1/hotline/tickets/GY-AUTH-0001", headers=api.bearer(name))
        assert hidden.status_code == 404, name
        callback = client.post(
            "/api/v1/hotline/tickets/GY-AUTH-0001/callback",
            json={"satisfaction": "satisfied"},
            headers=api.bearer(name),
        )
        assert callback.status_code == 404, name
    assert (
        client.get("/api/v1/hotline/tickets", headers=api.bearer("lizhou_operator")).json["items"]
        == []
    )
    # Supervisors of the city read the ticket (their region).
    assert (
        client.get("/api/v1/hotline/tickets/GY-AUTH-0001", headers=api.bearer("sup1")).status_code
        == 200
    )
