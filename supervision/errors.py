"""Domain errors. The web layer maps each class to one HTTP status in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field


class SupervisionError(Exception):
    """Base class: a request that cannot be carried out, with a message fit for users."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFoundError(SupervisionError):
    code = "not_found"


class CaseNotFoundError(NotFoundError):
    code = "case_not_found"


class TaskNotFoundError(NotFoundError):
    code = "task_not_found"


class DefinitionNotFoundError(NotFoundError):
    code = "definition_not_found"


class NotAllowedError(SupervisionError):
    code = "not_allowed"


class ConflictError(SupervisionError):
    """The thing changed under us: someone else claimed, completed or saved first."""

    code = "conflict"


class StaleCaseError(ConflictError):
    """Optimistic lock lost: the case was saved by someone else since we read it."""

    code = "stale_case"


class TaskAlreadyClaimedError(ConflictError):
    code = "task_claimed"


class TaskNotOpenError(ConflictError):
    """The task is no longer ready (completed, cancelled) or never was."""

    code = "task_not_open"


class InvalidInputError(SupervisionError):
    code = "invalid_input"


class TaskCompletionError(InvalidInputError):
    """Completing the task failed in the process model (an output mapping, a condition);
    nothing was changed. The message names the failing expression."""

    code = "task_completion_failed"


@dataclass
class FieldError:
    field: str
    message: str


class FormInvalidError(InvalidInputError):
    """Submitted values break the form's rules; `errors` maps field id -> message."""

    code = "form_invalid"

    def __init__(self, errors: Mapping[str, str], message: str = "表单填写有误") -> None:
        super().__init__(message)
        self.errors = dict(errors)


@dataclass
class Problem:
    """One finding of the deploy-time checks, tied to a file, element and line."""

    message: str
    resource: str | None = None
    element_id: str | None = None
    line: int | None = None
    column: int | None = None
    severity: str = "error"  # or "warning"
    element_ids: list[str] = field(default_factory=list)
    code: str | None = None  # the rule, e.g. "unknown-handler" (docs/expressions.md)

    def __str__(self) -> str:
        where = self.resource or "?"
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.severity}: {self.message}"


class DeploymentError(InvalidInputError):
    """The diagrams were refused; nothing was stored. `problems` lists every error/warning."""

    code = "deployment_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        first = str(errors[0]) if errors else "unknown problem"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"Could not deploy: {first}{more}")
        self.problems = problems


class CalendarError(SupervisionError):
    code = "calendar"


class MessageNotCorrelatedError(InvalidInputError):
    code = "message_not_correlated"


class DuplicateError(ConflictError):
    code = "duplicate"
