"""Multi-instance activities with Camunda's semantics.

SpiffWorkflow's multi-instance tasks read the collection from one variable and either
write each instance's element variable back into it or drop everything else the instances
did. Camunda designers expect otherwise:

- `camunda:collection` is any expression (`${reviewers}`, `${case.agencies}`) evaluated once
  when the activity starts; `loopCardinality` gives a count instead;
- each instance has local variables: the `camunda:elementVariable` (its item) and
  `loopCounter` (its index), plus `nrOfInstances`; they shadow process variables of the
  same name and disappear when the instance ends;
- whatever else an instance sets (a reviewer's form values, a handler's result) becomes a
  process variable when it ends (published to the running siblings at once, see
  variables.publish); only the variables it changed are merged, so a parallel sibling's
  earlier result is not overwritten with a stale copy;
- `completionCondition` sees the process variables, the finished instance's locals and
  `nrOfInstances`, `nrOfCompletedInstances`, `nrOfActiveInstances`; when it is true the
  remaining instances are cancelled.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask as SpiffParallel
from SpiffWorkflow.bpmn.specs.defaults import SequentialMultiInstanceTask as SpiffSequential
from SpiffWorkflow.util.task import TaskState

from supervision.engine.failures import fail_task
from supervision.engine.failures import report_failure
from supervision.engine.variables import LOCALS_KEY

MAX_INSTANCES = 1000
_STATE = "mi"  # internal_data of the multi-instance task: {"items": [...], "base": {...}}


class _CamundaMultiInstance:
    """Behaviour shared by the parallel and the sequential variant."""

    def __init__(
        self,
        wf_spec,
        bpmn_id,
        task_spec,
        collection: str | None = None,
        cardinality: str | None = None,
        element_variable: str | None = None,
        condition: str | None = None,
        **kwargs,
    ):
        super().__init__(wf_spec, bpmn_id, task_spec, cardinality=cardinality, **kwargs)
        self.collection = collection
        self.element_variable = element_variable
        self.condition = condition

    # -- starting ------------------------------------------------------------------
    def _items(self, my_task) -> list[Any]:
        engine = my_task.workflow.script_engine
        if self.collection is not None:
            value = engine.evaluate(my_task, self.collection)
            if value is None:
                raise ValueError("the collection is null")
            if not isinstance(value, list | tuple):
                raise TypeError(f"the collection must be a list, not {type(value).__name__}")
            items = list(value)
        else:
            count = engine.evaluate(my_task, self.cardinality)
            if isinstance(count, str) and count.strip().isdigit():
                count = int(count)
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise ValueError(f"loopCardinality must be a whole number >= 0, got {count!r}")
            items = list(range(count))
        if len(items) > MAX_INSTANCES:
            raise ValueError(f"{len(items)} instances is more than the limit of {MAX_INSTANCES}")
        return items

    def _begin(self, my_task) -> list[Any] | None:
        """Inherit data and evaluate the collection; None when that failed (task in ERROR)."""
        BpmnTaskSpec._update_hook(self, my_task)
        try:
            items = self._items(my_task)
        except Exception as exc:
            what = "camunda:collection" if self.collection is not None else "loopCardinality"
            fail_task(my_task, exc, what)
            return None
        my_task.internal_data["merged"] = []
        my_task.internal_data[_STATE] = {"items": deepcopy(items), "next": 0}
        return items

    def create_child(self, my_task, index: int, item: Any) -> None:
        task_spec = my_task.workflow.spec.task_specs[self.task_spec]
        if not task_spec.completed_event.is_connected(self.merge_child):
            task_spec.completed_event.connect(self.merge_child)
        child = my_task._add_child(task_spec, TaskState.WAITING)
        child.triggered = True
        child.internal_data["key_or_index"] = index
        local = {"loopCounter": index, "nrOfInstances": len(my_task.internal_data[_STATE]["items"])}
        if self.element_variable:
            local[self.element_variable] = deepcopy(item)
        child.internal_data[LOCALS_KEY] = local
        child.task_spec._update(child)

    # -- finishing instances ---------------------------------------------------------
    def _base(self, my_task) -> dict[str, Any]:
        """What the instance saw of the process variables when it was created."""
        return my_task.data

    def _merge(self, my_task, child) -> None:
        local = child.internal_data.get(LOCALS_KEY) or {}
        base = self._base(my_task)
        for name, value in child.data.items():
            if name in local:
                continue
            if name in base and base[name] == value:
                continue
            my_task.data[name] = deepcopy(value)
        my_task.internal_data["merged"].append(str(child.id))

    def _condition_met(self, my_task, child, active: int) -> bool:
        if not self.condition:
            return False
        total = len(my_task.internal_data[_STATE]["items"])
        counters = {
            "nrOfInstances": total,
            "nrOfCompletedInstances": len(my_task.internal_data["merged"]),
            "nrOfActiveInstances": active,
        }
        scope = dict(child.internal_data.get(LOCALS_KEY) or {})
        scope.update(counters)
        try:
            return bool(
                my_task.workflow.script_engine.evaluate(
                    my_task, self.condition, external_context=scope
                )
            )
        except Exception as exc:
            # The instances go on to the end; the incident tells the designer why.
            report_failure(my_task, exc)
            return False

    def _finish(self, my_task) -> None:
        my_task.internal_data.pop(_STATE, None)
        my_task._set_state(TaskState.READY)


class ParallelMultiInstanceTask(_CamundaMultiInstance, SpiffParallel):
    def _update_hook(self, my_task):
        items = self._begin(my_task)
        if items is None:
            return None
        if not items:
            my_task.internal_data.pop(_STATE, None)
            return True
        # Every instance starts from this copy; see _merge.
        my_task.internal_data[_STATE]["base"] = deepcopy(my_task.data)
        my_task._set_state(TaskState.STARTED)
        for index, item in enumerate(items):
            self.create_child(my_task, index, item)
        return None

    def _base(self, my_task) -> dict[str, Any]:
        return my_task.internal_data[_STATE]["base"]

    def merge_child(self, workflow, child) -> None:
        my_task = child.parent
        if my_task.state != TaskState.STARTED or _STATE not in my_task.internal_data:
            return
        self._merge(my_task, child)
        running = [c for c in self._instances(my_task) if not c.has_state(TaskState.FINISHED_MASK)]
        if self._condition_met(my_task, child, len(running)):
            for other in running:
                other.cancel()
            self._finish(my_task)
        elif not running:
            self._finish(my_task)


class SequentialMultiInstanceTask(_CamundaMultiInstance, SpiffSequential):
    def _update_hook(self, my_task):
        items = self._begin(my_task)
        if items is None:
            return None
        if not items:
            my_task.internal_data.pop(_STATE, None)
            return True
        my_task._set_state(TaskState.STARTED)
        self._next(my_task)
        return None

    def _next(self, my_task) -> None:
        state = my_task.internal_data[_STATE]
        index = state["next"]
        state["next"] = index + 1
        self.create_child(my_task, index, state["items"][index])

    def merge_child(self, workflow, child) -> None:
        my_task = child.parent
        if my_task.state != TaskState.STARTED or _STATE not in my_task.internal_data:
            return
        self._merge(my_task, child)
        state = my_task.internal_data[_STATE]
        remaining = len(state["items"]) - state["next"]
        if self._condition_met(my_task, child, 1 if remaining else 0) or not remaining:
            self._finish(my_task)
        else:
            self._next(my_task)
