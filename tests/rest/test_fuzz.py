"""Schemathesis fuzzes every operation of the OpenAPI document against the live app.

Requests are generated from the document (valid and invalid), sent in-process to the app
on a seeded database, authenticated as a user who may use the operation; half the time
a path parameter is an id that exists (a case, task, definition, deployment, ticket), so
real answers are checked too, not only 404s. Every answer must be below 500, use a
documented status and content type, and match its documented schema, and invalid input
must be refused. (That every operation refuses a request without credentials is checked
for all of them in test_authorization.py.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.specs.openapi.checks import response_headers_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy import select

from db.models import Comment
from db.models import DeploymentResource
from db.models import ProcessDefinition
from tests.rest.conftest import open_task_id
from tests.rest.conftest import start

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Valid input is where the real answers are; invalid input mostly ends in one check.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}


def known_ids(rt, client, api) -> dict[str, dict[str, str]]:
    """Ids that exist, by path prefix, for the path parameters of each operation."""
    case_id = start(rt, "sup1", "rest_review", "FUZZ-1", case_title="模糊测试")
    task_id = open_task_id(rt, case_id)
    client.post(
        f"/engine-rest/task/{task_id}/comment/create",
        json={"message": "fuzz"},
        headers=api.bearer("sup1"),
    )
    ticket = {
        "hotline_ticket_no": "GY-FUZZ-0001",
        "source_channel": "hotline_phone",
        "request_type": "complaint",
        "complaint_text": "fuzz",
        "is_anonymous": True,
    }
    client.post("/api/v1/hotline/tickets", json=ticket, headers=api.bearer("operator"))
    with rt.sessions() as s:
        definition = s.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == "rest_review")
        ).one()
        resource = s.scalars(
            select(DeploymentResource).where(
                DeploymentResource.deployment_id == definition.deployment_id
            )
        ).one()
        comment_id = str(s.scalars(select(Comment.id)).one())
    return {
        "/engine-rest/deployment/": {"id": definition.deployment_id, "resourceId": resource.id},
        "/engine-rest/process-definition/": {"id": definition.id, "key": "rest_review"},
        "/engine-rest/process-instance/": {"id": case_id, "varName": "case_title"},
        "/engine-rest/history/process-instance/": {"id": case_id},
        "/engine-rest/task/": {"id": task_id, "commentId": comment_id},
        "/api/v1/hotline/tickets/": {"ticket_no": "GY-FUZZ-0001"},
    }


@pytest.fixture
def fuzz_schema(app, client, api, deployed):
    # The fuzzer tries many wrong passwords; the login rate limit has tests of its own.
    app.config["LOGIN_MAX_FAILURES"] = 1_000_000
    ids = known_ids(deployed, client, api)
    loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", app)

    def flatmap_path_parameters(context, path_parameters):
        path = context.operation.path
        real = next((v for prefix, v in ids.items() if path.startswith(prefix)), None)
        if not real or not path_parameters:
            return st.just(path_parameters)
        existing = {name: real.get(name, value) for name, value in path_parameters.items()}
        return st.sampled_from([path_parameters, existing])

    loaded.hook(flatmap_path_parameters)
    return loaded


def credentials(path: str, api) -> dict[str, str]:
    """The user who may use this part of the API."""
    if path.startswith("/api/v1/hotline"):
        return api.bearer("operator")
    if path.startswith(("/engine-rest/deployment", "/engine-rest/process-definition")):
        return api.bearer("designer")
    return api.bearer("sup1")


def fuzz(operation, mode: GenerationMode, hooks, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(operation.as_strategy(mode, hooks=hooks))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_the_api_keeps_its_documented_promises(fuzz_schema, api):
    """Every operation, with valid and with invalid input (schemathesis' pytest plugin
    does not run under pytest 9, so the operations are driven from here)."""
    failures = []
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) > 70
    only = os.environ.get("FUZZ_ONLY")  # e.g. FUZZ_ONLY=/deployment/create, to debug one
    if only:
        operations = [o for o in operations if only in o.path]
    for operation in operations:
        headers = credentials(operation.path, api)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, fuzz_schema.hooks, headers)
            except Unsatisfiable:
                continue  # nothing to get wrong: the operation takes no input
            except (Exception, BaseExceptionGroup) as exc:  # one report for every broken one
                failures.append(f"{operation.label} ({mode}): {exc}")
    assert failures == [], "\n\n".join(failures)
