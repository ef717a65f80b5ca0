"""The deploy-time linter on the corpus: every unsupported construct gives its named error
(rule code, file, element id, line), refused deployments store nothing, warnings come
back with a successful deployment, and the report is what the REST API answers as
Camunda's ParseException.
"""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import func
from sqlalchemy import select

from db.models import Deployment
from db.models import ProcessDefinition
from supervision import deployments
from supervision.engine import lint
from supervision.errors import DeploymentError
from tests.supervision.engine.conftest import COMPAT
from tests.supervision.engine.conftest import corpus_file

# file -> [(rule code, element id, the element whose line is reported, text in message)]
INVALID = {
    "unassigned_user_task.bpmn": [("user-task-unassigned", "review", "review", "nobody")],
    "unknown_group.bpmn": [("unknown-group", "review", "review", "county_legal_office")],
    "unknown_handler.bpmn": [("unknown-handler", "push", "push", "pushToProvincialPlatform")],
    "complex_gateway.bpmn": [("complex-gateway", "gw_complex", "gw_complex", "complex")],
    "compensation.bpmn": [
        ("compensation", "undo_charge", "CompensateEventDefinition_undo", "compensation"),
        ("compensation", "refund", "refund", "compensation"),
    ],
    "link_events.bpmn": [
        ("link-event", "go_to_b", "LinkEventDefinition_throw", "link events"),
        ("link-event", "from_a", "LinkEventDefinition_catch", "link events"),
    ],
    "interrupting_event_subprocess.bpmn": [
        ("interrupting-event-subprocess", "withdraw_start", "withdraw_start", "interrupting")
    ],
    "groovy_script.bpmn": [("script-language", "compute", "compute", "groovy")],
    "script_breakout.bpmn": [
        ("script-invalid", "escape", None, "__class__"),
        ("script-invalid", "escape", None, "import"),
    ],
    "juel_outside_subset.bpmn": [
        ("expression-invalid", "f_many", None, "${findings.size() > 3}"),
    ],
    "bad_timer.bpmn": [("timer-invalid", "wait", None, "P5WD")],
    "conditional_flow_from_task.bpmn": [("conditional-flow", "f_ok", "f_ok", "gateway")],
    "missing_message.bpmn": [("missing-reference", "wait_reply", None, "Message_gone")],
    "unknown_function.bpmn": [("expression-invalid", "review", "review", "workingDays")],
}


def _lines(name: str) -> dict[str, int]:
    return lint.element_lines(etree.parse(str(COMPAT / "invalid" / name)))


def _refuse(compat, name: str) -> list:
    with pytest.raises(DeploymentError) as caught, compat.rt.sessions.begin() as s:
        deployments.deploy(s, compat.rt.engine, [corpus_file(f"invalid/{name}")], actor="designer")
    return caught.value.problems


@pytest.mark.parametrize("name", sorted(INVALID))
def test_each_unsupported_construct_gives_its_named_error(compat, name):
    compat.handler("recordCheck")
    problems = _refuse(compat, name)
    errors = [p for p in problems if p.severity == "error"]
    lines = _lines(name)
    for code, element_id, line_of, text in INVALID[name]:
        matching = [p for p in errors if p.code == code and p.element_id == element_id]
        assert matching, f"{code} on {element_id} not in {[str(p) for p in errors]}"
        problem = next((p for p in matching if text in p.message), None)
        assert problem is not None, [p.message for p in matching]
        assert problem.resource == name
        assert problem.element_ids == [element_id]
        if line_of is not None:
            assert problem.line == lines[line_of]
        else:
            assert problem.line >= lines[element_id]
    with compat.rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 0
        assert s.scalar(select(func.count()).select_from(Deployment)) == 0


def test_a_script_error_points_at_its_line_in_the_file(compat):
    problems = _refuse(compat, "script_breakout.bpmn")
    script_line = _lines("script_breakout.bpmn")["escape"]
    text = (COMPAT / "invalid" / "script_breakout.bpmn").read_text(encoding="utf-8").splitlines()
    by_message = {p.message: p.line for p in problems if p.code == "script-invalid"}
    dunder = next(line for message, line in by_message.items() if "__class__" in message)
    imported = next(line for message, line in by_message.items() if "import" in message)
    assert script_line < dunder < imported
    assert "__class__" in text[dunder - 1] and "import os" in text[imported - 1]


VALID = sorted(p.name for p in COMPAT.glob("*.bpmn"))
HANDLERS = (
    "remind",
    "recordCheck",
    "scoreCase",
    "cn.gov.guangyuan.supervision.ArchiveDelegate",
    "sendLetter",
    "pushToHotline",
    "notifyBureau",
    "notifyAgency",
)


@pytest.mark.parametrize("name", VALID)
def test_every_corpus_diagram_is_modeler_shaped_and_deploys_without_findings(compat, name):
    root = etree.parse(str(COMPAT / name)).getroot()
    modeler = "{http://camunda.org/schema/modeler/1.0}"
    assert root.get(f"{modeler}executionPlatform") == "Camunda Platform"
    assert root.get("exporter") == "Camunda Modeler"
    for handler in HANDLERS:
        compat.handler(handler)
    files = [name] if name != "call_referral.bpmn" else ["referral_sub.bpmn", name]
    result = compat.deploy(*files)
    # Complete DI (the linter warns about every missing shape or edge) and nothing else.
    assert [str(w) for w in result.warnings] == []
    assert result.definitions


def test_warnings_come_back_with_a_successful_deployment(compat):
    name, xml = corpus_file("timer_intermediate.bpmn")
    xml = xml.replace(b"${workdays(5)}", b"P5D").replace(
        b'<bpmn:intermediateCatchEvent id="wait_date"',
        b'<bpmn:intermediateCatchEvent id="wait_date" camunda:asyncBefore="true"',
    )
    with compat.rt.sessions.begin() as s:
        result = deployments.deploy(s, compat.rt.engine, [(name, xml)], actor="designer")
    found = {(w.code, w.element_id) for w in result.warnings}
    assert ("timer-calendar-days", "wait_workdays") in found
    assert ("ignored-attribute", "wait_date") in found
    assert all(w.severity == "warning" and w.line for w in result.warnings)
    assert [d.key for d in result.definitions] == ["timer_intermediate"]


def test_the_report_is_what_the_rest_api_answers_as_a_parse_exception(compat):
    from web.rest.exceptions import parse_exception

    name, xml = corpus_file("invalid/unknown_group.bpmn")
    with pytest.raises(DeploymentError) as caught, compat.rt.sessions.begin() as s:
        deployments.deploy(s, compat.rt.engine, [(name, xml)], actor="designer")
    body = parse_exception(caught.value)
    assert body["type"] == "ParseException"
    assert body["message"].startswith("ENGINE-09005 Could not parse BPMN process.")
    [entry] = body["details"][name]["errors"]
    line = lint.element_lines(etree.fromstring(xml))["review"]
    assert entry == {
        "message": "unknown group 'county_legal_office' in camunda:candidateGroups",
        "line": line,
        "column": 0,
        "mainBpmnElementId": "review",
        "bpmnElementIds": ["review"],
    }
