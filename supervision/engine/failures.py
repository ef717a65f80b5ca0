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
from supervision.engine.scripting import has_context

ERROR_KEY = "error"


def describe(exc: BaseException) -> str:
    """One line for users: the error and, when SpiffWorkflow wrapped it, its cause."""
    text = str(exc).strip()
    # SpiffWorkflow wraps errors without chaining them explicitly: the original is the
    # implicit context.
    cause = exc.__cause__ or getattr(exc, "exception", None) or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({type(cause).__name__}: {cause})"
    for source in (exc, cause):
        # Errors written for users (CalendarYearMissing) say it in Chinese as well.
        user_message = getattr(source, "user_message", None)
        if isinstance(user_message, str) and user_message not in text:
            text = f"{user_message} {text}"
    return text[:2000] or type(exc).__name__


def report_failure(task, exc: BaseException) -> None:
    """Hand a failure to the running operation, which records it as an incident.

    Outside an operation (SpiffWorkflow driven directly) nobody would record it, so it is
    raised instead of being lost.
    """
    if not has_context():
        raise exc
    current_context().failures.append((task, exc))


def fail_task(task, exc: BaseException, what: str) -> None:
    """Put `task` into ERROR because `what` failed, and report it to the operation."""
    task._set_state(TaskState.ERROR)
    task.internal_data[ERROR_KEY] = f"{what}: {describe(exc)}"[:2000]
    report_failure(task, exc)
