"""Task specs and event definitions that give SpiffWorkflow the Camunda behaviour we need.

- ServiceTask: calls a registered Python handler (the stock one never completes).
- CallActivity: honours camunda:in / camunda:out instead of copying every variable.
- EventSubprocess, StartEvent: an event subprocess works on the process variables.
- MessageEventDefinition: a message from outside delivers its variables into the case.

Timers are in timers.py, multi-instance activities in multiinstance.py.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.defaults import CallActivity as SpiffCallActivity
from SpiffWorkflow.bpmn.specs.defaults import EventSubprocess as SpiffEventSubprocess
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.bpmn.specs.defaults import StartEvent as SpiffStartEvent
from SpiffWorkflow.camunda.specs.event_definitions import (
    MessageEventDefinition as CamundaMessageEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from supervision.engine import scopes
from supervision.engine import variables
from supervision.engine.failures import fail_task


class ServiceTask(SpiffServiceTask):
    """A service task bound to a handler registered under `operation`.

    `implementation` records how the diagram named it (delegateExpression, expression,
    external topic, class); `call` is a Python expression `handler_args(a, b)` whose values
    are passed to the handler as positional arguments; `params` are the camunda:field
    values. Input parameters (camunda:inputOutput) are local variables of the task (see
    scopes.py) and reach the handler in its params too. All expressions were translated
    from JUEL at deploy time.
    """

    def __init__(
        self,
        wf_spec,
        bpmn_id,
        implementation: str,
        operation: str,
        call: str | None = None,
        params: dict[str, str] | None = None,
        result_variable: str | None = None,
        **kwargs,
    ):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.implementation = implementation
        self.operation = operation
        self.call = call
        self.params = params or {}
        self.result_variable = result_variable

    def _execute(self, my_task):
        engine = my_task.workflow.script_engine
        inputs = {name: my_task.data.get(name) for name in scopes.input_names(self)}
        result = engine.call_service(my_task, self, inputs)
        if self.result_variable:
            my_task.data[self.result_variable] = deepcopy(result)
        elif isinstance(result, dict):
            my_task.data.update(deepcopy(result))
        return True


class CallActivity(SpiffCallActivity):
    """A call activity with Camunda's variable passing.

    Camunda passes nothing unless told: `camunda:in variables="all"`, `camunda:in
    source="a" target="b"`, `camunda:in sourceExpression="${...}" target="b"`, and the same
    for `camunda:out`; `local="true"` limits a mapping to the call activity's own local
    variables (its input parameters). `in_mappings`/`out_mappings` are lists of dicts with
    keys `all`, `source`, `expression` (Python), `target`, `local`.
    """

    shares_variables = False  # the called process has its own variables

    def __init__(
        self, wf_spec, bpmn_id, subworkflow_spec, in_mappings=None, out_mappings=None, **kwargs
    ):
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.in_mappings = in_mappings
        self.out_mappings = out_mappings

    def _update_hook(self, my_task):
        # The input parameters and camunda:in mappings are evaluated while SpiffWorkflow
        # completes the previous task; a failure must not stop that half way.
        try:
            return super()._update_hook(my_task)
        except Exception as exc:
            subprocess = my_task.workflow.top_workflow.subprocesses.get(my_task.id)
            if subprocess is not None:
                my_task.workflow.top_workflow.delete_subprocess(my_task)
            fail_task(my_task, exc, "the variables passed to the called process")
            return None

    def _on_subworkflow_completed(self, subworkflow, my_task):
        try:
            self.update_data(my_task, subworkflow)
        except Exception as exc:
            fail_task(my_task, exc, "the variables returned by the called process")
            return
        my_task._set_state(TaskState.READY)

    def retry_failed(self, my_task) -> bool:
        """Retry only the camunda:out mappings when the called process already ended."""
        subprocess = my_task.workflow.top_workflow.subprocesses.get(my_task.id)
        if subprocess is None or not subprocess.completed:
            return False
        my_task._set_state(TaskState.STARTED)
        self._on_subworkflow_completed(subprocess, my_task)
        return True

    def copy_data(self, my_task, subworkflow):
        scopes.open_scope(my_task)
        start = subworkflow.get_next_task(
            subworkflow.task_tree, skip_subprocesses=True, spec_name="Start"
        )
        local = scopes.local_names(my_task)
        values = _map_variables(my_task, my_task.data, self.in_mappings or [], local)
        start.set_data(**deepcopy(values))

    def update_data(self, my_task, subworkflow):
        end_data = subworkflow.last_task.data if subworkflow.last_task is not None else {}
        for mapping in self.out_mappings or []:
            if mapping.get("local") and mapping.get("target"):
                scopes.add_local(my_task, mapping["target"])
        values = _map_variables(my_task, end_data, self.out_mappings or [], None)
        my_task.data.update(deepcopy(values))
        # camunda:out sets process variables: every branch of the case sees them at once.
        local = scopes.local_names(my_task)
        variables.share(
            my_task.workflow.top_workflow, {k: v for k, v in values.items() if k not in local}
        )


class EventSubprocess(SpiffEventSubprocess):
    """An event subprocess that works on the process variables, as in Camunda.

    SpiffWorkflow starts it with only the message's variables (or the data the process
    began with) and keeps what it sets to itself. Here its start event begins from the
    current process variables (see StartEvent), and what its tasks change is published to
    the whole process as they complete (variables.publish): a supplement received by a
    non-interrupting message start is visible to the main flow's next gateway.
    """

    def update_data(self, my_task, subworkflow):
        end_data = subworkflow.last_task.data if subworkflow.last_task is not None else {}
        my_task.data = deepcopy(end_data)


class StartEvent(SpiffStartEvent):
    """A start event; in an event subprocess it begins from the current process variables."""

    def _run_hook(self, my_task):
        parent_id = my_task.workflow.parent_task_id
        if parent_id is not None:
            parent = my_task.workflow.top_workflow.get_task_from_id(parent_id)
            if isinstance(parent.task_spec, EventSubprocess):
                my_task.data = variables.current(parent.workflow, exclude=my_task.workflow)
        return super()._run_hook(my_task)


def _map_variables(
    my_task, source: dict, mappings: list[dict], local: frozenset[str] | None
) -> dict:
    """Apply camunda:in/out mappings to `source`; `local` limits local="true" mappings."""
    result: dict[str, Any] = {}
    for mapping in mappings:
        visible = source
        if mapping.get("local") and local is not None:
            visible = {k: v for k, v in source.items() if k in local}
        if mapping.get("all"):
            result.update(visible)
        elif mapping.get("expression") is not None:
            engine = my_task.workflow.script_engine
            result[mapping["target"]] = engine.environment.evaluate(
                mapping["expression"], dict(visible)
            )
        elif mapping.get("source") in visible:
            result[mapping["target"]] = visible[mapping["source"]]
    return result


# ---------------------------------------------------------------- messages


class MessageEventDefinition(CamundaMessageEventDefinition):
    """Camunda message semantics plus delivery of process variables.

    A payload of the form {'variables': {...}} (what POST /message and our services send)
    merges those variables into the catching task's data, as Camunda does with
    processVariables. Otherwise the Camunda rule applies: data[resultVariable] = payload.
    A message thrown without camunda:expression carries the throwing task's input
    parameters as its variables (a send task's natural payload).
    """

    def update_task_data(self, my_task):
        event_data = my_task.internal_data.get(self.name)
        if event_data is None:
            return
        variables = event_data.get("variables")
        if isinstance(variables, dict):
            my_task.data.update(deepcopy(variables))
        if "payload" in event_data and event_data.get("result_var"):
            my_task.data[event_data["result_var"]] = deepcopy(event_data["payload"])

    def update_internal_data(self, my_task, event):
        payload = event.payload if isinstance(event.payload, dict) else {"payload": event.payload}
        my_task.internal_data[self.name] = payload

    def throw(self, my_task):
        """Throw the message. Its payload is camunda:expression's value; without one, the
        throwing task's input parameters are the message's variables."""
        if self.expression:
            result = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            payload = {"payload": result, "result_var": self.result_var}
            if isinstance(result, dict) and self.result_var is None:
                payload = {"variables": result}
        else:
            names = scopes.input_names(my_task.task_spec)
            payload = {"variables": {n: deepcopy(my_task.data.get(n)) for n in names}}
        event = BpmnEvent(self, payload=payload)
        my_task.workflow.top_workflow.catch(event)
