"""Process variables across SpiffWorkflow's task tree.

SpiffWorkflow keeps data per task and passes it along the sequence flow; parallel
branches each carry a copy, merged at the join in branch order, so a branch that never
touched a variable can overwrite the value another branch set. Camunda keeps process
variables in one place: the last write wins, whichever branch made it.

`publish` gives the Camunda behaviour: when a task completes, the variables it changed
are set on every other live task of the process (parallel branches, embedded and event
subprocesses, waiting events), so every copy agrees and a join has nothing stale to
merge. A called process has its own variables and is left alone. `current` reads the
process variables, without what is local to a task.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
LOCALS_KEY = "locals"  # internal_data of a multi-instance instance (see patches.py)
SHARED_KEY = "shared"  # internal_data of a waiting task: values published since it began
SCOPE_KEY = "io_scope"  # internal_data of a task with input parameters (see scopes.py)


def _is_event_subprocess(task) -> bool:
    return type(task.task_spec).__name__ == "EventSubprocess"


def live_tasks(workflow, exclude=None) -> list:
    """Live tasks of `workflow` and of the embedded and event subprocesses running in it.

    Those subprocesses work on the process variables (Camunda); a called process keeps
    its own. An event subprocess task itself is left out: its data is the copy it began
    with, its inner tasks carry the current values.
    """
    top = workflow.top_workflow
    tasks = []
    for task in workflow.tasks.values():
        if not task.state & LIVE:
            continue
        if not _is_event_subprocess(task):
            tasks.append(task)
        sub = top.subprocesses.get(task.id)
        if (
            sub is not None
            and sub is not exclude
            and getattr(task.task_spec, "shares_variables", True)
        ):
            tasks.extend(live_tasks(sub, exclude))
    return tasks


def scope_root(workflow):
    """The (sub)workflow whose variables `workflow` shares: up through embedded and event
    subprocesses, stopping at a called process."""
    while workflow.parent_task_id is not None:
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        if not getattr(parent.task_spec, "shares_variables", True):
            break
        workflow = parent.workflow
    return workflow


def local_names(task) -> frozenset[str]:
    """Variables only this task sees: input parameters, a multi-instance item."""
    names = set(task.internal_data.get(LOCALS_KEY) or ())
    scope = task.internal_data.get(SCOPE_KEY)
    if scope:
        names.update(scope["saved"])
        names.update(scope["absent"])
    return frozenset(names)


def process_data(task) -> dict[str, Any]:
    """A task's data as the process sees it: without its locals, with what they shadow."""
    local = local_names(task)
    if not local:
        return task.data
    data = {k: v for k, v in task.data.items() if k not in local}
    scope = task.internal_data.get(SCOPE_KEY)
    if scope:
        data.update(scope["saved"])
    return data


def current(workflow, exclude=None) -> dict[str, Any]:
    """The process variables of `workflow` now: its live tasks' data (without what is
    local to a task, nor what is in the subprocess `exclude`), the latest change last."""
    merged: dict[str, Any] = {}
    for task in sorted(live_tasks(workflow, exclude), key=lambda t: t.last_state_change):
        DeepMerge.merge(merged, deepcopy(process_data(task)))
    return merged


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The variables `after` added or changed compared with `before`."""
    return {k: v for k, v in after.items() if k not in before or before[k] != v}


def share(workflow, values: dict[str, Any], skip=None) -> None:
    """Set `values` on every live task of `workflow` and of its shared subprocesses."""
    if not values:
        return
    for task in live_tasks(workflow):
        if task is skip:
            continue
        local = local_names(task)
        fresh = {k: v for k, v in values.items() if k not in local}
        task.data.update(deepcopy(fresh))
        if task.state == TaskState.WAITING:
            # SpiffWorkflow copies the parent's data again each time it re-checks a waiting
            # task (every timer refresh); the overlay keeps what was published since.
            task.internal_data.setdefault(SHARED_KEY, {}).update(deepcopy(fresh))


def publish(task) -> None:
    """Share what `task` changed (compared with what it inherited) with the process."""
    parent = task.parent
    if parent is None or task.task_spec.bpmn_id is None or _is_event_subprocess(task):
        return
    before = parent.data
    local = local_names(task)
    changed = {
        k: v for k, v in task.data.items() if k not in local and (k not in before or before[k] != v)
    }
    if changed:
        share(scope_root(task.workflow), changed, skip=task)
