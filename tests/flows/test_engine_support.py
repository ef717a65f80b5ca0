"""Engine behaviour the supervision flows depend on, pinned where it was once broken."""

from __future__ import annotations

from sqlalchemy import select

from db.models import HistoricActivity
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import cases
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user

EMBEDDED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="embedded" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:subProcess id="inner_work" name="inner">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:startEvent id="inner_start"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="fill" name="fill" camunda:candidateGroups="city_supervisors">
        <bpmn:extensionElements><camunda:formData>
          <camunda:formField id="answer" label="answer" type="string" />
        </camunda:formData></bpmn:extensionElements>
        <bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing>
      </bpmn:userTask>
      <bpmn:userTask id="check" name="check" camunda:candidateGroups="city_supervisors">
        <bpmn:incoming>g2</bpmn:incoming><bpmn:outgoing>g3</bpmn:outgoing>
      </bpmn:userTask>
      <bpmn:endEvent id="inner_end"><bpmn:incoming>g3</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="inner_start" targetRef="fill" />
      <bpmn:sequenceFlow id="g2" sourceRef="fill" targetRef="check" />
      <bpmn:sequenceFlow id="g3" sourceRef="check" targetRef="inner_end" />
    </bpmn:subProcess>
    <bpmn:userTask id="after" name="after" camunda:candidateGroups="city_supervisors">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="inner_work" />
    <bpmn:sequenceFlow id="f2" sourceRef="inner_work" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_embedded_subprocess_deploys_runs_and_shares_its_variables(runtime):
    with runtime.sessions.begin() as s:
        make_org(s)
        result = deploy(s, runtime.engine, ("embedded.bpmn", EMBEDDED))
        assert [d.key for d in result.definitions] == ["embedded"]
        case_id = cases.start_case(s, runtime.engine, user(s, "sup1"), key="embedded").instance.id
    with runtime.sessions.begin() as s:
        task = s.scalar(select(OpenTask).where(OpenTask.instance_id == case_id))
        assert task.task_spec_id == "fill"
        cases.complete_task(s, runtime.engine, user(s, "sup1"), task.id, {"answer": "42"})
    with runtime.sessions.begin() as s:
        # Still inside the subprocess: the case already shows what was entered there.
        assert s.get(ProcessInstance, case_id).variables["answer"] == "42"
        task = s.scalar(select(OpenTask).where(OpenTask.instance_id == case_id))
        assert task.task_spec_id == "check"
        cases.complete_task(s, runtime.engine, user(s, "sup1"), task.id, {})
    with runtime.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.variables["answer"] == "42"
        assert s.scalar(select(OpenTask.task_spec_id).where(OpenTask.instance_id == case_id)) == (
            "after"
        )
        types = dict(
            s.execute(
                select(HistoricActivity.activity_id, HistoricActivity.activity_type).where(
                    HistoricActivity.instance_id == case_id
                )
            ).all()
        )
        assert types["inner_work"] == "subProcess"


TWO_STARTS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d2" targetNamespace="t">
  <bpmn:process id="two_starts" isExecutable="true">
    <bpmn:startEvent id="by_message">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="m" />
    </bpmn:startEvent>
    <bpmn:startEvent id="by_hand"><bpmn:outgoing>f2</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="from_message" camunda:candidateGroups="city_supervisors">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="from_hand" camunda:candidateGroups="city_supervisors">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="by_message" targetRef="from_message" />
    <bpmn:sequenceFlow id="f2" sourceRef="by_hand" targetRef="from_hand" />
    <bpmn:sequenceFlow id="f3" sourceRef="from_message" targetRef="end" />
    <bpmn:sequenceFlow id="f4" sourceRef="from_hand" targetRef="end" />
  </bpmn:process>
  <bpmn:message id="m" name="Msg_Start" />
</bpmn:definitions>
"""


def test_a_process_with_a_message_start_and_a_none_start_starts_exactly_one(runtime):
    """Camunda starts one start event: the message start for the message, else the none one."""
    with runtime.sessions.begin() as s:
        make_org(s)
        deploy(s, runtime.engine, ("two_starts.bpmn", TWO_STARTS))
        by_message = cases.start_case(
            s, runtime.engine, user(s, "sup1"), key="two_starts", message_name="Msg_Start"
        ).instance.id
        by_hand = cases.start_case(s, runtime.engine, user(s, "sup1"), key="two_starts").instance.id
    with runtime.sessions() as s:

        def open_tasks(case_id):
            return sorted(
                s.scalars(select(OpenTask.task_spec_id).where(OpenTask.instance_id == case_id))
            )

        assert open_tasks(by_message) == ["from_message"]
        assert open_tasks(by_hand) == ["from_hand"]


MULTI = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d3" targetNamespace="t">
  <bpmn:process id="per_unit" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="each" camunda:candidateGroups="${unit}">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="${units}"
        camunda:elementVariable="unit" />
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="each" />
    <bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_multi_instance_collection_passes_the_linter_and_runs(runtime):
    with runtime.sessions.begin() as s:
        make_org(s)
        deploy(s, runtime.engine, ("per_unit.bpmn", MULTI))
        case_id = cases.start_case(
            s,
            runtime.engine,
            user(s, "sup1"),
            key="per_unit",
            variables={"units": ["city_market", "city_supervisors"]},
        ).instance.id
    with runtime.sessions() as s:
        groups = sorted(
            g
            for (g,) in s.execute(
                select(OpenTask.candidate_groups).where(OpenTask.instance_id == case_id)
            )
            for g in g
        )
        assert groups == ["city_market", "city_supervisors"]


CALLED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d4" targetNamespace="t">
  <bpmn:process id="child" isExecutable="true">
    <bpmn:startEvent id="c_start"><bpmn:outgoing>c1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="c_work" camunda:candidateGroups="city_supervisors">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="verdict" label="verdict" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>c1</bpmn:incoming><bpmn:outgoing>c2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="c_end"><bpmn:incoming>c2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="c1" sourceRef="c_start" targetRef="c_work" />
    <bpmn:sequenceFlow id="c2" sourceRef="c_work" targetRef="c_end" />
  </bpmn:process>
  <bpmn:process id="parent" isExecutable="true">
    <bpmn:startEvent id="p_start"><bpmn:outgoing>p1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split"><bpmn:incoming>p1</bpmn:incoming>
      <bpmn:outgoing>p2</bpmn:outgoing><bpmn:outgoing>p3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:callActivity id="call" calledElement="child">
      <bpmn:extensionElements>
        <camunda:in variables="all" />
        <camunda:out source="verdict" target="child_verdict" />
      </bpmn:extensionElements>
      <bpmn:incoming>p2</bpmn:incoming><bpmn:outgoing>p4</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:endEvent id="call_end"><bpmn:incoming>p4</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="main_work" camunda:candidateGroups="city_supervisors">
      <bpmn:incoming>p3</bpmn:incoming><bpmn:outgoing>p5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="main_end"><bpmn:incoming>p5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="p1" sourceRef="p_start" targetRef="split" />
    <bpmn:sequenceFlow id="p2" sourceRef="split" targetRef="call" />
    <bpmn:sequenceFlow id="p3" sourceRef="split" targetRef="main_work" />
    <bpmn:sequenceFlow id="p4" sourceRef="call" targetRef="call_end" />
    <bpmn:sequenceFlow id="p5" sourceRef="main_work" targetRef="main_end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_what_a_called_process_returns_is_a_process_variable_for_every_branch(runtime):
    """camunda:out sets process variables (Camunda): a call activity on one branch of a
    parallel split makes its result visible to the case while the other branch waits."""
    with runtime.sessions.begin() as s:
        make_org(s)
        deploy(s, runtime.engine, ("called.bpmn", CALLED))
        case_id = cases.start_case(s, runtime.engine, user(s, "sup1"), key="parent").instance.id
    with runtime.sessions.begin() as s:
        work = s.scalar(
            select(OpenTask).where(
                OpenTask.instance_id == case_id, OpenTask.task_spec_id == "c_work"
            )
        )
        cases.complete_task(s, runtime.engine, user(s, "sup1"), work.id, {"verdict": "ok"})
    with runtime.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.status == "active"  # main_work still waits
        assert instance.variables["child_verdict"] == "ok"


def test_a_timer_cycle_built_from_an_expression_is_evaluated_not_taken_literally():
    """Flow 4b reminds every ${setting(...)} days: 'R/P${days}D' is JUEL, not an ISO cycle."""
    from supervision.engine import expressions
    from supervision.engine import juel

    python = expressions.timer_to_python("R/P${days}D")
    assert juel.evaluate("R/P${days}D", {"days": 90}) == "R/P90D"
    assert eval(python, {**juel.HELPERS, "days": 90}) == "R/P90D"  # noqa: S307
    assert expressions.timer_to_python("R3/PT10M") == "'R3/PT10M'"
