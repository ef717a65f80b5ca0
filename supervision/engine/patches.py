"""Fixes to SpiffWorkflow 3.2 behaviour, applied once when the engine package is imported.

Both were reproduced (see docs/spiffworkflow-guide.md §9): they are process-wide settings of
the library, so they live here, in one place, with tests in tests/supervision/engine.
"""

from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskIterator

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


def apply() -> None:
    global _applied
    if _applied:
        return
    _raise_task_depth_limit()
    Task._inherit_data = _inherit_data_without_sharing
    _applied = True
