"""Failures that happen while SpiffWorkflow *updates* a task, outside its run.

SpiffWorkflow evaluates a multi-instance collection or a call activity's variable mappings
while it completes the previous task. An exception there would stop that completion half
way (sibling branches never updated, the case stuck). Instead the task is put into ERROR
and the failure is handed to the running operation, which records an incident; retrying
the incident resets the task and evaluates again.
"""

from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

from supervision.engine.scripting import current_context

ERROR_KEY = "error"


def describe(exc: BaseException) -> str:
    """One line for users: the error and, when SpiffWorkflow wrapped it, its cause."""
    text = str(exc).strip()
    cause = exc.__cause__ or getattr(exc, "exception", None)
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({type(cause).__name__}: {cause})"
    return text[:2000] or type(exc).__name__


def fail_task(task, exc: BaseException, what: str) -> None:
    """Put `task` into ERROR because `what` failed, and report it to the operation."""
    task._set_state(TaskState.ERROR)
    task.internal_data[ERROR_KEY] = f"{what}: {describe(exc)}"[:2000]
    current_context().failures.append((task, exc))
