"""CORS: Camunda Modeler deploys from its own origin; browsers must be let through."""

from __future__ import annotations

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type,accept",
}


def test_a_preflight_is_answered_without_credentials(client):
    for origin in ("file://", "null", "http://localhost:9000"):
        response = client.options(
            "/engine-rest/deployment/create", headers={"Origin": origin, **PREFLIGHT}
        )
        assert response.status_code == 204, origin
        assert response.headers["Access-Control-Allow-Origin"] == origin
        methods = response.headers["Access-Control-Allow-Methods"]
        assert "POST" in methods and "GET" in methods
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert {"authorization", "content-type", "accept"} <= {
            h.strip() for h in allowed.split(",")
        }
        assert int(response.headers["Access-Control-Max-Age"]) > 0
        assert "Origin" in response.headers["Vary"]


def test_answers_carry_the_origin_even_when_refused(client, api, deployed):
    origin = {"Origin": "file://"}
    refused = client.get("/engine-rest/deployment?maxResults=0", headers=origin)
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == "file://"
    assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]
    ok = client.get("/engine-rest/version", headers={**origin, **api.bearer("designer")})
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == "file://"
    hotline = client.options("/api/v1/hotline/tickets", headers={"Origin": "file://", **PREFLIGHT})
    assert hotline.status_code == 204


def test_configured_origins_only(app, client, api, deployed):
    app.config["CORS_ORIGINS"] = ("https://modeler.example",)
    allowed = client.options(
        "/engine-rest/deployment/create",
        headers={"Origin": "https://modeler.example", **PREFLIGHT},
    )
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://modeler.example"
    other = client.options(
        "/engine-rest/deployment/create", headers={"Origin": "https://evil.example", **PREFLIGHT}
    )
    assert other.status_code == 403
    assert "Access-Control-Allow-Origin" not in other.headers
    call = client.get(
        "/engine-rest/version", headers={"Origin": "https://evil.example", **api.bearer("sup1")}
    )
    assert "Access-Control-Allow-Origin" not in call.headers


def test_the_web_pages_do_not_open_themselves_to_other_origins(client):
    page = client.get("/login", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in page.headers
