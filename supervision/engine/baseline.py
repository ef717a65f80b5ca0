"""Stock SpiffWorkflow with none of our layer: the baseline that bench/ measures us against.

The benchmark may not import SpiffWorkflow itself (only this package does), so the raw
operations it times live here, written the way the SpiffWorkflow guide measured them
(§8): the stock Camunda parser without XSD, the stock serializer with its Camunda
configuration (the spec embedded in the JSON), and Python expressions in the diagram.
Nothing in the application calls this module.

Importing the `supervision.engine` package applies our patches to SpiffWorkflow (see
patches.py), which would no longer be stock; so bench/ loads this file on its own, by
path, in a separate process, and calls `measure` there.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))


def parse(bpmn: bytes, process_id: str) -> tuple[Any, dict[str, Any]]:
    """Parse one diagram; return the process spec and its subprocess specs."""
    parser = CamundaParser()
    parser.add_bpmn_str(bpmn, f"{process_id}.bpmn")
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def start(spec: Any, subprocess_specs: Mapping[str, Any], variables: Mapping[str, Any]) -> str:
    """Create an instance, run it to its first wait state and serialise it."""
    workflow = BpmnWorkflow(spec, dict(subprocess_specs))
    workflow.get_next_task(spec_name="Start").data.update(variables)
    workflow.do_engine_steps()
    return _SERIALIZER.serialize_json(workflow)


def ready_user_tasks(state: str) -> list[str]:
    """The bpmn ids of the ready user tasks of a serialised instance."""
    workflow = _SERIALIZER.deserialize_json(state)
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


def round_trip(state: str, bpmn_id: str, values: Mapping[str, Any]) -> str:
    """One user-task round trip: deserialise, complete, run engine steps, serialise."""
    workflow = _SERIALIZER.deserialize_json(state)
    task = next(
        t
        for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        if t.task_spec.bpmn_id == bpmn_id
    )
    task.set_data(**values)
    task.run()
    workflow.do_engine_steps()
    return _SERIALIZER.serialize_json(workflow)


def is_completed(state: str) -> bool:
    return _SERIALIZER.deserialize_json(state).is_completed()


def _median_ms(fn: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
    finally:
        gc.enable()
    return statistics.median(samples)


def measure(request: Mapping[str, Any]) -> dict[str, Any]:
    """Time the stock operations the request names; medians in milliseconds."""
    bpmn = request["bpmn"].encode("utf-8")
    process = request["process"]
    repeat = int(request.get("repeat", 100))
    spec, subs = parse(bpmn, process)
    variables = request.get("variables", {})
    if request["kind"] == "engine":
        task, values = request["task"], request["values"]
        state = start(spec, subs, variables)
        return {
            "parse": _median_ms(lambda: parse(bpmn, process), max(repeat // 2, 5)),
            "start": _median_ms(lambda: start(spec, subs, variables), repeat),
            "round trip": _median_ms(lambda: round_trip(state, task, values), repeat),
            "ready after": sorted(ready_user_tasks(round_trip(state, task, values))),
        }
    # growth: the same user task completed again and again in one instance
    task, values = request["task"], request["values"]
    state = start(spec, subs, variables)
    done = 0
    out: dict[str, Any] = {}
    for prior in sorted(request["points"]):
        while done < prior:
            state = round_trip(state, task, values)
            done += 1
        out[str(prior)] = {
            "round trip": _median_ms(lambda s=state: round_trip(s, task, values), repeat, 1),
            "state bytes": len(state.encode("utf-8")),
        }
    return out
