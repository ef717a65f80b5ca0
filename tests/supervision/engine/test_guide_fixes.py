"""The SpiffWorkflow pitfalls of docs/spiffworkflow-guide.md §9, each shown fixed.

- depth 1000: a looping path no longer stalls (and compaction keeps the tree shallow);
- nested task data is not shared with completed tasks;
- the restricted script engine is attached again after every load;
- the stored state stays small however long a case loops, while the history is complete.
"""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func
from sqlalchemy import select

from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import cases
from supervision.engine.serializer import COMPACT_THRESHOLD
from supervision.engine.serializer import StateSerializer
from tests.conftest import read_workflow
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user


@pytest.fixture
def loop_case(runtime):
    with runtime.sessions.begin() as s:
        make_org(s)
        deploy(s, runtime.engine, ("loop.bpmn", read_workflow("loop.bpmn")))
        case = cases.start_case(
            s, runtime.engine, user(s, "sup1"), key="review_loop", variables={"max_rounds": 10_000}
        ).instance
    return runtime, case.id


def _round(rt, case_id):
    with rt.sessions.begin() as s:
        task_id = s.scalars(select(OpenTask.id).where(OpenTask.instance_id == case_id)).one()
        cases.complete_task(s, rt.engine, user(s, "sup1"), task_id, {})


def test_state_stays_small_while_history_is_complete(loop_case):
    rt, case_id = loop_case
    most = 0
    for _ in range(120):
        _round(rt, case_id)
        with rt.sessions() as s:
            state = rt.engine.decode_state(s.get(ProcessInstance, case_id))
            most = max(most, len(state["tasks"]))
    # Without compaction Spiff keeps every task: 3 more per round, 363 after 120 rounds.
    assert most <= COMPACT_THRESHOLD + 4
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.variables["counter"] == 120
        assert instance.variables["case"]["history"] == list(range(1, 121))
        assert (
            s.scalar(select(func.count(HistoricTask.id)).where(HistoricTask.instance_id == case_id))
            == 120
        )


def test_nested_data_is_not_shared_with_completed_tasks(loop_case):
    rt, case_id = loop_case
    _round(rt, case_id)
    _round(rt, case_id)
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        workflow = rt.engine._load(s, instance)
    init = next(t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "init")
    # The script appended to case['history'] twice after init ran; init's data is as it was.
    assert init.data["case"]["history"] == []
    counts = [
        t.data["case"]["history"]
        for t in workflow.get_tasks()
        if t.task_spec.bpmn_id == "count" and t.state == TaskState.COMPLETED
    ]
    assert counts == [[1], [1, 2]]


def test_script_engine_is_reattached_after_every_load(loop_case):
    rt, case_id = loop_case
    with rt.sessions() as s:
        workflow = rt.engine._load(s, s.get(ProcessInstance, case_id))
    assert workflow.script_engine is rt.engine.script_engine
    with pytest.raises(Exception, match="__import__|not allowed|import"):
        rt.engine.script_engine.environment.execute("import os", {}, {})


def test_a_loop_past_depth_1000_does_not_stall():
    """Raw Spiff with our patches: 400 rounds x 3 tasks is far past the 1000 depth limit."""
    from supervision.engine import runtime  # noqa: F401  (applies the patches)
    from supervision.engine.camunda import SupervisionParser
    from supervision.engine.scripting import RestrictedEnvironment
    from supervision.engine.scripting import ScriptEngine

    parser = SupervisionParser()
    parser.add_bpmn_str(read_workflow("loop.bpmn"), "loop.bpmn")
    spec = parser.get_spec("review_loop")
    engine = ScriptEngine({}, {})
    engine.environment = RestrictedEnvironment({})
    workflow = BpmnWorkflow(spec, {}, script_engine=engine)
    workflow.get_next_task(spec_name="Start").data["max_rounds"] = 400
    workflow.do_engine_steps()
    rounds = 0
    while not workflow.is_completed():
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.run()
        workflow.do_engine_steps()
        rounds += 1
        assert rounds <= 400
    assert rounds == 400
    assert workflow.data["counter"] == 400
    assert any(t.task_spec.bpmn_id == "end" for t in workflow.get_tasks(state=TaskState.COMPLETED))
    # The state serialises and restores at that depth too.
    serializer = StateSerializer()
    assert serializer.loads(serializer.dumps(workflow), spec, {}).is_completed()
