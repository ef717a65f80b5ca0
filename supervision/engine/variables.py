"""Process variables across SpiffWorkflow's task tree.

SpiffWorkflow keeps data per task and passes it along the sequence flow; Camunda keeps
process variables in one place that every branch sees. These helpers give the Camunda
view where the two differ: the current variables of a (sub)process are the merged data of
its live tasks, and a change made off the main path (by an event subprocess) is shared
into every live task, so the main flow and later tasks see it.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


def _is_event_subprocess(task) -> bool:
    return type(task.task_spec).__name__ == "EventSubprocess"


def _live(workflow) -> list:
    return [
        t
        for t in workflow.tasks.values()
        if t.state & LIVE and t.task_spec.bpmn_id is not None and not _is_event_subprocess(t)
    ]


def current(workflow) -> dict[str, Any]:
    """The process variables of `workflow` now: its live tasks' data, latest change last."""
    merged: dict[str, Any] = {}
    for task in sorted(_live(workflow), key=lambda t: t.last_state_change):
        DeepMerge.merge(merged, deepcopy(task.data))
    return merged


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The variables `after` added or changed compared with `before`."""
    return {k: v for k, v in after.items() if k not in before or before[k] != v}


def share(workflow, values: dict[str, Any]) -> None:
    """Set `values` on every live task of `workflow` and of its embedded subprocesses."""
    if not values:
        return
    top = workflow.top_workflow
    pending = [workflow]
    while pending:
        current_wf = pending.pop()
        for task in _live(current_wf):
            task.data.update(deepcopy(values))
            sub = top.subprocesses.get(task.id)
            if sub is not None and getattr(task.task_spec, "shares_variables", True):
                pending.append(sub)
