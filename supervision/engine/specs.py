"""Task specs and event definitions that give SpiffWorkflow the Camunda behaviour we need.

- ServiceTask: calls a registered Python handler (the stock one never completes).
- CallActivity: honours camunda:in / camunda:out instead of copying every variable.
- Timer definitions: read supervision.clock (tests move time) and accept datetimes and
  working-day function results as well as ISO strings.
- MessageEventDefinition: a message from outside delivers its variables into the case.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.defaults import CallActivity as SpiffCallActivity
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import DurationTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.specs.event_definitions import (
    MessageEventDefinition as CamundaMessageEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from supervision import clock


class ServiceTask(SpiffServiceTask):
    """A service task bound to a handler registered under `operation`.

    `implementation` records how the diagram named it (delegateExpression, expression,
    external topic, class); `call` is a Python expression `handler_args(a, b)` whose values
    are passed to the handler as positional arguments; `params` are camunda:inputParameter
    / camunda:field values. All expressions were translated from JUEL at deploy time.
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
        outputs: dict[str, str] | None = None,
        **kwargs,
    ):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.implementation = implementation
        self.operation = operation
        self.call = call
        self.params = params or {}
        self.result_variable = result_variable
        self.outputs = outputs or {}

    def _execute(self, my_task):
        engine = my_task.workflow.script_engine
        result = engine.call_service(my_task, self)
        if self.result_variable:
            my_task.data[self.result_variable] = result
        elif isinstance(result, dict):
            my_task.data.update(deepcopy(result))
        if self.outputs:
            # camunda:outputParameter: name <- expression over the data after the call
            values = {
                name: engine.evaluate(my_task, expr, external_context={"result": result})
                for name, expr in self.outputs.items()
            }
            my_task.data.update(values)
        return True


class CallActivity(SpiffCallActivity):
    """A call activity with Camunda's variable passing.

    Camunda passes nothing unless told: `camunda:in variables="all"`, `camunda:in
    source="a" target="b"`, `camunda:in sourceExpression="${...}" target="b"`, and the same
    for `camunda:out`. `in_mappings`/`out_mappings` are lists of dicts with keys `all`,
    `source`, `expression` (Python), `target`; None means "no camunda:in/out given".
    """

    def __init__(
        self, wf_spec, bpmn_id, subworkflow_spec, in_mappings=None, out_mappings=None, **kwargs
    ):
        super().__init__(wf_spec, bpmn_id, subworkflow_spec, **kwargs)
        self.in_mappings = in_mappings
        self.out_mappings = out_mappings

    def copy_data(self, my_task, subworkflow):
        start = subworkflow.get_next_task(
            subworkflow.task_tree, skip_subprocesses=True, spec_name="Start"
        )
        values = _map_variables(my_task, my_task.data, self.in_mappings or [])
        start.set_data(**deepcopy(values))

    def update_data(self, my_task, subworkflow):
        end_data = subworkflow.last_task.data if subworkflow.last_task is not None else {}
        values = _map_variables(my_task, end_data, self.out_mappings or [])
        my_task.data.update(deepcopy(values))


def _map_variables(my_task, source: dict, mappings: list[dict]) -> dict:
    result: dict[str, Any] = {}
    for mapping in mappings:
        if mapping.get("all"):
            result.update(source)
        elif mapping.get("expression") is not None:
            engine = my_task.workflow.script_engine
            result[mapping["target"]] = engine.environment.evaluate(
                mapping["expression"], dict(source)
            )
        elif mapping.get("source") in source:
            result[mapping["target"]] = source[mapping["source"]]
    return result


# ---------------------------------------------------------------- timers


def _to_instant(value: Any) -> datetime:
    """Read a timer value (ISO string, date or datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
    elif isinstance(value, str):
        text = value.strip()
        if text.upper().startswith("P"):
            raise ValueError(f"expected a date/time, got the duration {text!r}")
        if "W" in text.upper() and "T" not in text.upper()[:11]:
            return TimerEventDefinition.parse_iso_week(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    else:
        raise ValueError(f"a timer needs a date/time, got {type(value).__name__}")
    if moment.tzinfo is None:
        # A date written without offset means Chinese local time, not the server's zone.
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    return moment.astimezone(clock.now().tzinfo)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class TimeDateTimer(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = _iso(_to_instant(value))
            my_task._set_internal_data(event_value=event_value)
        if _to_instant(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class DurationTimer(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            now = clock.now()
            if isinstance(value, timedelta):
                due = now + value
            elif isinstance(value, str) and value.strip().upper().startswith("P"):
                parsed = TimerEventDefinition.parse_iso_duration(value.strip())
                due = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
            else:
                # ${workdays(5)} yields a deadline, not a duration: accept it as the due time.
                due = _to_instant(value)
            event_value = _iso(due)
            my_task._set_internal_data(event_value=event_value)
        if _to_instant(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class CycleTimer(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        now = clock.now()
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = _parse_cycle(str(expression), now)
            event_value = {
                "cycles": cycles,
                "next": start.isoformat(),
                "duration": duration.total_seconds(),
            }
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (
                    next_event + timedelta(seconds=event_value["duration"])
                ).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def _parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """Parse R[n]/<start>/<duration> etc. like Spiff does, but against our clock."""
    components = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(components[0]) if components[0] else -1

    def part(text: str):
        if text.startswith("P"):
            return TimerEventDefinition.parse_iso_duration(text)
        return _to_instant(text)

    first = part(components[1])
    second = part(components[2]) if len(components) == 3 else None
    if isinstance(first, datetime):
        duration = TimerEventDefinition.get_timedelta_from_start(second, first)
        start = first
    elif isinstance(second, datetime):
        duration = TimerEventDefinition.get_timedelta_from_end(first, second)
        start = second - duration
    elif second is None:
        duration = TimerEventDefinition.get_timedelta_from_start(first, now)
        start = now + duration
    else:
        raise ValueError("Invalid recurring interval")
    return cycles, start, duration


TIMER_CLASSES = {
    TimeDateEventDefinition: TimeDateTimer,
    DurationTimerEventDefinition: DurationTimer,
    CycleTimerEventDefinition: CycleTimer,
}


def reset_timer(my_task) -> None:
    """Forget a waiting timer's computed due time so the next refresh recomputes it."""
    if my_task.state == TaskState.WAITING:
        my_task.internal_data.pop("event_value", None)
        my_task.internal_data.pop("event_fired", None)


# ---------------------------------------------------------------- messages


class MessageEventDefinition(CamundaMessageEventDefinition):
    """Camunda message semantics plus delivery of process variables.

    A payload of the form {'variables': {...}} (what POST /message and our services send)
    merges those variables into the catching task's data, as Camunda does with
    processVariables. Otherwise the Camunda rule applies: data[resultVariable] = payload.
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
        result = (
            my_task.workflow.script_engine.evaluate(my_task, self.expression)
            if self.expression
            else None
        )
        payload = {"payload": result, "result_var": self.result_var}
        if isinstance(result, dict) and self.result_var is None:
            payload = {"variables": result}
        event = BpmnEvent(self, payload=payload)
        my_task.workflow.top_workflow.catch(event)
