"""The OpenAPI 3 document of both APIs, built from the same constants the views use."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from web.api.openapi import camunda_schemas
from web.api.openapi import hotline
from web.api.openapi.camunda_paths import COMPATIBLE
from web.api.openapi.camunda_paths import camunda_paths

DESCRIPTION = """\
Two APIs of the 执法监督工作流 (enforcement supervision workflow):

* **/engine-rest**: the subset of Camunda 7's REST API that Camunda Modeler (Deploy, Start
  instance) and Camunda REST clients use. Where we deliberately differ from Camunda: only
  candidates may claim a task; lost optimistic locks and other conflicts answer 409
  (OptimisticLockingException, code 1) instead of 500; deploying unchanged files returns
  the existing definitions; a message for a case that is not waiting yet is kept
  (resultType Pending).
* **/api/v1/hotline**: the 12345 hotline system pushes tickets, reads status and replies,
  and sends callback and return results.

Every call is authenticated with HTTP Basic (a user's own password) or a Bearer API token
(created and revoked by an administrator) and authorised as that user, by the same rules as
the web app. Without credentials the answer is 401 with `WWW-Authenticate: Basic
realm="default"`. Errors are Camunda's ExceptionDto `{type, message, code}`. See
docs/api.md for the integration guide.
"""


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "执法监督工作流 API (Camunda 7 compatible REST API and 12345 hotline API)",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "x-camunda-rest-version": COMPATIBLE,
        },
        "servers": [{"url": "/", "description": "This server"}],
        "security": [{"basicAuth": []}, {"bearerAuth": []}],
        "tags": [
            {"name": "Engine"},
            {"name": "Deployment"},
            {"name": "Process Definition"},
            {"name": "Process Instance"},
            {"name": "Task"},
            {"name": "Message"},
            {"name": "History"},
            {"name": "Hotline", "description": "12345 热线工单接口"},
        ],
        "paths": {**camunda_paths(), **hotline.hotline_paths()},
        "components": {
            "securitySchemes": {
                "basicAuth": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "A user's own user name and password",
                },
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token created by an administrator",
                },
            },
            "schemas": {**camunda_schemas.SCHEMAS, **hotline.SCHEMAS},
        },
    }
