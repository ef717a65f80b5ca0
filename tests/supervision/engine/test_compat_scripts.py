"""Script tasks end to end: Python with input/output parameters and the function
library; a script that never ends is stopped and becomes an incident.

Diagrams: script_task.bpmn, script_timeout.bpmn.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from supervision import clock


def test_a_python_script_task_with_parameters_functions_and_comprehensions(compat):
    clock.freeze(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    compat.deploy("script_task.bpmn")
    findings = [
        {"kind": "程序违法", "points": 40},
        {"kind": "超期", "points": 25},
        {"kind": "程序违法", "points": 30},
    ]
    case_id = compat.start("script_task", {"findings": findings, "urgent": True})
    variables = compat.variables(case_id)
    assert variables["score"] == 95
    assert variables["grade_letter"] == "A"
    assert variables["summary"] == "3 项问题，共 95 分"
    assert variables["tags"] == ["程序违法", "超期"]
    assert variables["deadline"] == "2026-03-11T23:59:59+08:00"  # workdays(7)
    assert variables["priority_score"] == 190  # output parameter: score * weight
    # The function the script defined and its input parameter are not case variables.
    assert "grade" not in variables and "weight" not in variables
    review = compat.tasks(case_id)["review"]
    assert review.due_at == datetime(2026, 3, 11, 15, 59, 59, tzinfo=UTC)


def test_an_endless_script_is_stopped_and_becomes_an_incident(compat):
    compat.rt.engine.script_engine.environment.time_limit_seconds = 0.3
    compat.deploy("script_timeout.bpmn")
    case_id = compat.start("script_timeout", {"keep_going": True})
    [incident] = compat.incidents(case_id)
    assert incident.activity_id == "spin"
    assert "ScriptTimeout" in incident.message and "0.3 s" in incident.message
    case = compat.case(case_id)
    assert case.status == "active"
    assert "count" not in case.variables  # nothing of the stopped script was kept
