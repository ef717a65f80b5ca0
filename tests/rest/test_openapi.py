"""The OpenAPI document: valid OpenAPI 3, complete for both APIs, served, and rendered."""

from __future__ import annotations

import re

import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

from web.api.openapi import document

API_ROUTES = ("/engine-rest", "/api/v1/", "/.well-known/")


def _refs(node, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.add(value)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_the_document_is_valid_openapi_3():
    doc = document()
    errors = [str(e) for e in OPENAPI_30_VALIDATOR.iter_errors(doc)]
    assert errors == []
    schemas = doc["components"]["schemas"]
    dangling = {r for r in _refs(doc, set()) if r.rsplit("/", 1)[-1] not in schemas}
    assert dangling == set()
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_the_checker_notices_an_invalid_document():
    broken = {**document(), "paths": {"/x": {"get": {"responses": "none"}}}}
    assert list(OPENAPI_30_VALIDATOR.iter_errors(broken))


def _shape(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_every_api_route_is_documented_and_nothing_else(app):
    served = {
        (method, _shape(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_ROUTES)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (method.upper(), _shape(path))
        for path, item in document()["paths"].items()
        for method in item
    }
    assert served == documented


@pytest.fixture
def doc_client(client):
    return client


def test_the_document_is_served_to_anyone(doc_client):
    response = doc_client.get("/api/openapi.json", headers={"Origin": "https://tools.example"})
    assert response.status_code == 200
    assert response.json["openapi"] == "3.0.3"
    assert response.json == document()
    assert response.headers["Access-Control-Allow-Origin"] == "https://tools.example"


def test_the_api_page_shows_every_operation_and_schema(doc_client):
    page = doc_client.get("/api/docs")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN">' in html and "接口文档" in html
    for path, item in document()["paths"].items():
        assert f"<code>{path}</code>" in html, path
        for op in item.values():
            assert f'id="{op["operationId"]}"' in html
    for name in document()["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    # Everything the page loads comes from this server (no CDN).
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    english = doc_client.get("/api/docs", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text and "API documentation" in english.text
    assert "接口文档" not in english.text
    assert doc_client.get("/api/").status_code == 302


def test_descriptions_render_their_little_markdown_and_nothing_else():
    from web.api.docs import markdown

    html = str(markdown("Two **APIs**:\n\n* `a` <b>x</b>\n  more\n* two\n\nEnd."))
    assert html == (
        "<p>Two <strong>APIs</strong>:</p><ul><li><code>a</code> &lt;b&gt;x&lt;/b&gt; more</li>"
        "<li>two</li></ul><p>End.</p>"
    )
