"""Camunda input/output mappings: variables local to one activity.

`camunda:inputParameter`s are local variables of the activity: its script, handler, form,
assignment expressions and called process see them, and they vanish when it ends (a
process variable of the same name is shadowed, then restored). `camunda:outputParameter`s
are evaluated when the activity ends, with the locals still visible, and become process
variables. Variables the activity sets that are not inputs become process variables as
usual (Camunda's setVariable walks up to the process instance).

SpiffWorkflow copies a task's data into its successors while completing it, so the scope
must be closed before that: `run_with_io` replaces BpmnTaskSpec._run (see patches.py) and
closes the scope right after the activity's own work, inside SpiffWorkflow's error
handling, so a failing mapping puts the task into ERROR (an incident) instead of
corrupting the case. It then publishes what the task changed to the rest of the process.

The scope is recorded in the task's internal data, so a user task that waits for weeks
keeps its locals across restarts.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from supervision.engine import variables
from supervision.engine.variables import SCOPE_KEY

# internal_data key of an open scope: {"saved": {name: value}, "absent": [names]}
_SCOPE = SCOPE_KEY


def mapping_of(task_spec) -> dict[str, dict[str, str]] | None:
    """The translated input/output parameters of a task spec, if it has any."""
    extensions = getattr(task_spec, "extensions", None)
    if not extensions:
        return None
    io = extensions.get("io")
    return io or None


def input_names(task_spec) -> list[str]:
    io = mapping_of(task_spec) or {}
    return list(io.get("inputs") or {})


def is_open(task) -> bool:
    return _SCOPE in task.internal_data


def open_scope(task, external: dict[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate the input parameters into local variables of `task`; return their values.

    Parameters are evaluated in order, each seeing the ones before it (as in Camunda).
    Calling it again on an open scope does nothing and returns the current locals.
    """
    io = mapping_of(task.task_spec) or {}
    inputs: dict[str, str] = io.get("inputs") or {}
    if is_open(task):
        return {name: task.data.get(name) for name in inputs}
    engine = task.workflow.script_engine
    saved: dict[str, Any] = {}
    absent: list[str] = []
    values: dict[str, Any] = {}
    for name, expression in inputs.items():
        value = engine.evaluate(task, expression, external_context=external)
        if name not in saved and name not in absent:
            if name in task.data:
                saved[name] = deepcopy(task.data[name])
            else:
                absent.append(name)
        task.data[name] = deepcopy(value)
        values[name] = value
    task.internal_data[_SCOPE] = {"saved": saved, "absent": absent}
    return values


def add_local(task, name: str) -> None:
    """Make `name` local to the open scope of `task` (camunda:out local="true")."""
    scope = task.internal_data.setdefault(_SCOPE, {"saved": {}, "absent": []})
    if name in scope["saved"] or name in scope["absent"]:
        return
    if name in task.data:
        scope["saved"][name] = deepcopy(task.data[name])
    else:
        scope["absent"].append(name)


def local_names(task) -> frozenset[str]:
    scope = task.internal_data.get(_SCOPE)
    if not scope:
        return frozenset()
    return frozenset(scope["saved"]) | frozenset(scope["absent"])


def close_scope(task, external: dict[str, Any] | None = None) -> None:
    """Evaluate the output parameters, drop the locals and set the outputs."""
    io = mapping_of(task.task_spec) or {}
    outputs: dict[str, str] = io.get("outputs") or {}
    engine = task.workflow.script_engine
    values = {
        name: deepcopy(engine.evaluate(task, expression, external_context=external))
        for name, expression in outputs.items()
    }
    scope = task.internal_data.pop(_SCOPE, None)
    if scope:
        for name in scope["absent"]:
            task.data.pop(name, None)
        task.data.update(scope["saved"])
    task.data.update(values)


def run_with_io(self, my_task):
    """TaskSpec._run with the activity's input/output scope around its own work, and the
    variables it changed shared with the rest of the process (variables.publish)."""
    try:
        if mapping_of(self) is not None or is_open(my_task):
            open_scope(my_task)
        result = self._run_hook(my_task)
        for assignment in self.post_assign:
            assignment.assign(my_task, my_task)
        if result is not None and result is not False:  # the task completes now
            if is_open(my_task) or mapping_of(self) is not None:
                close_scope(my_task)
            my_task.internal_data.pop(variables.SHARED_KEY, None)
            variables.publish(my_task)
        return result
    except Exception:
        my_task.error()
        raise
