"""Changes to SpiffWorkflow 3.2 behaviour, applied once when the engine package is imported.

Two of them fix reproduced defects (see ../shared/docs/spiffworkflow-guide.md §9); the
other two give every activity Camunda's variable scoping (camunda:inputOutput,
multi-instance locals). They are process-wide settings of the library, so they live here,
in one place, with tests in tests/supervision/engine.
"""

from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskIterator

from supervision.engine import scopes
from supervision.engine.variables import LOCALS_KEY
from supervision.engine.variables import SHARED_KEY

TASK_DEPTH_LIMIT = 10**7
_applied = False


def _raise_task_depth_limit(limit: int = TASK_DEPTH_LIMIT) -> None:
    # Task iterators stop descending at depth 1000; every executed task on a looping path
    # adds a level, so after ~1000 steps do_engine_steps finds nothing READY and
    # is_completed() wrongly returns True. Raise the default on both iterator classes.
    for cls in (TaskIterator, BpmnTaskIterator):
        defaults = list(cls.__init__.__defaults__)
        defaults[1] = limit  # (end_at_spec, max_depth, ...)
        cls.__init__.__defaults__ = tuple(defaults)


def _inherit_data_without_sharing(self: Task) -> None:
    # The stock merge copies only the top level, so a child task shares nested dicts and
    # lists with its (completed) ancestors: mutating case['party'] in a later task rewrites
    # history and empties the serialised delta. Give each task its own nested objects.
    parent_data = self.parent.data
    fresh = {
        key: deepcopy(value) if isinstance(value, dict | list | set) else value
        for key, value in parent_data.items()
    }
    self.data = DeepMerge.merge(self.data, fresh)
    # Values published to a waiting task after it began are newer than its parent's copy
    # (variables.share), and a multi-instance instance's own variables (element variable,
    # loopCounter) shadow the process variables of the same name, as in Camunda.
    for key in (SHARED_KEY, LOCALS_KEY):
        overlay = self.internal_data.get(key)
        if overlay:
            self.data.update(deepcopy(overlay))


def apply() -> None:
    global _applied
    if _applied:
        return
    _raise_task_depth_limit()
    Task._inherit_data = _inherit_data_without_sharing
    # Input/output mappings must close before SpiffWorkflow copies a finished task's data
    # into its successors, which happens inside Task.run(); _run is the last hook before it.
    BpmnTaskSpec._run = scopes.run_with_io
    _applied = True
