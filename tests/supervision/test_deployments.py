"""Deploying: every refused diagram names the file, element and line, and stores nothing."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import AuditEvent
from db.models import Deployment
from db.models import ProcessDefinition
from supervision import deployments
from supervision.errors import DeploymentError
from tests.conftest import read_workflow
from tests.factories import make_org


def _refused(runtime, *names: str) -> list:
    files = [(name.split("/")[-1], read_workflow(name)) for name in names]
    with pytest.raises(DeploymentError) as caught, runtime.sessions.begin() as session:
        deployments.deploy(session, runtime.engine, files, actor="designer")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(Deployment.id))) == 0
        assert session.scalar(select(func.count(ProcessDefinition.id))) == 0
        assert (
            session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "deploy"))
            == 0
        )
    return [p for p in caught.value.problems if p.severity == "error"]


@pytest.fixture
def org(runtime):
    with runtime.sessions.begin() as session:
        make_org(session)
    return runtime


def test_malformed_xml_names_file_and_line(org):
    [problem] = _refused(org, "bad/malformed.bpmn")
    assert problem.resource == "malformed.bpmn"
    assert problem.line == 5
    assert "not well-formed" in problem.message


def test_schema_violation_names_file_and_line(org):
    problems = _refused(org, "bad/schema_violation.bpmn")
    assert problems[0].resource == "schema_violation.bpmn"
    assert problems[0].line == 5
    assert "targetRef" in problems[0].message


def test_missing_start_event_names_the_process(org):
    [problem] = _refused(org, "bad/no_start.bpmn")
    assert problem.resource == "no_start.bpmn"
    assert problem.element_id == "no_start"
    assert problem.line == 3
    assert "No start event" in problem.message


def test_unknown_called_process_names_the_call_activity(org):
    [problem] = _refused(org, "bad/unknown_called.bpmn")
    assert problem.resource == "unknown_called.bpmn"
    assert problem.element_id == "call_missing"
    assert problem.line == 5
    assert "does_not_exist" in problem.message


def test_duplicate_process_id_across_files(org):
    [problem] = _refused(org, "bad/duplicate_a.bpmn", "bad/duplicate_b.bpmn")
    assert problem.resource == "duplicate_b.bpmn"
    assert problem.element_id == "same_id"
    assert problem.line == 3
    assert "Duplicate process ID: same_id" in problem.message


def test_external_entity_is_refused_without_reading_the_file(org):
    [problem] = _refused(org, "bad/xxe.bpmn")
    assert "DOCTYPE" in problem.message
    hostname = Path("/etc/hostname").read_text().strip()
    assert hostname not in problem.message


def test_billion_laughs_is_refused_without_expanding(org):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    [problem] = _refused(org, "bad/billion_laughs.bpmn")
    assert "DOCTYPE" in problem.message
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50_000  # the expanded document would be ~3 GB


def test_utf16_doctype_is_refused_too(org):
    text = read_workflow("bad/xxe.bpmn").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    with pytest.raises(DeploymentError) as caught, org.sessions.begin() as session:
        deployments.deploy(
            session, org.engine, [("xxe16.bpmn", text.encode("utf-16"))], actor="designer"
        )
    assert "DOCTYPE" in caught.value.problems[0].message


def test_unknown_group_and_missing_assignment_are_lint_errors(org):
    xml = read_workflow("review_parallel.bpmn").replace(
        b'camunda:candidateGroups="city_chiefs"', b'camunda:candidateGroups="no_such_group"'
    )
    with pytest.raises(DeploymentError) as caught, org.sessions.begin() as session:
        deployments.deploy(session, org.engine, [("r.bpmn", xml)], actor="designer")
    messages = {(p.element_id, p.message) for p in caught.value.problems}
    assert ("approve", "unknown group 'no_such_group' in camunda:candidateGroups") in messages


def test_a_good_deploy_is_audited_and_versioned(org):
    with org.sessions.begin() as session:
        result = deployments.deploy(
            session,
            org.engine,
            [("review_parallel.bpmn", read_workflow("review_parallel.bpmn"))],
            actor="designer",
            name="审查",
            source="test",
        )
        [definition] = result.definitions
        assert (definition.key, definition.version, definition.name) == (
            "review_parallel",
            1,
            "并行审查",
        )
        assert result.warnings == []
    with org.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "deploy")).one()
        assert event.actor == "designer" and event.details["definitions"] == [definition.id]
