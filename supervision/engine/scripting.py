"""The script environment: restricted Python for scripts, conditions and expressions.

Designers' scripts and expressions run in the sandbox of supervision.engine.sandbox
(RestrictedPython, size guards, a time limit). That makes a broken or hostile diagram fail
with a clear error instead of reading files or hanging a worker.

Expressions see the case variables plus the function library (workdays, caldays, ...)
and the JUEL helpers; the functions read "now", the working-day calendar and the settings
from the EvaluationContext the runtime installs for each operation.
"""

from __future__ import annotations

import contextlib
import contextvars
import traceback
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from supervision import clock
from supervision.engine import juel
from supervision.engine.sandbox import GUARD_NAMES
from supervision.engine.sandbox import GUARDS
from supervision.engine.sandbox import SCRIPT_TIME_LIMIT_SECONDS
from supervision.engine.sandbox import ScriptCompileError
from supervision.engine.sandbox import ScriptTimeout
from supervision.engine.sandbox import check_expression
from supervision.engine.sandbox import check_script
from supervision.engine.sandbox import compile_expression
from supervision.engine.sandbox import compile_script
from supervision.engine.sandbox import expression_may_loop
from supervision.engine.sandbox import time_limit

__all__ = [
    "EvaluationContext",
    "RestrictedEnvironment",
    "ScriptCompileError",
    "ScriptEngine",
    "ScriptTimeout",
    "check_expression",
    "check_script",
    "current_context",
    "evaluation_context",
]

MAX_VARIABLE_NODES = 200_000  # values a script may leave in the case, all variables together


# ---------------------------------------------------------------- evaluation context


@dataclass
class EvaluationContext:
    """What one operation shares: time, calendar, settings, and failures found on the way.

    `failures` collects (task, exception) pairs for tasks that SpiffWorkflow put into ERROR
    while updating them (a multi-instance collection or a call activity's mappings that do
    not evaluate): the runtime turns each into an incident after the engine steps.
    """

    now: Callable[[], datetime] = clock.now
    calendar_loader: Callable[[], Any] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    operation: Any = None
    failures: list[tuple[Any, BaseException]] = field(default_factory=list)
    _calendar: Any = None

    @property
    def calendar(self):
        if self._calendar is None:
            if self.calendar_loader is None:
                raise LookupError("no working-day calendar is available here")
            self._calendar = self.calendar_loader()
        return self._calendar


_context: contextvars.ContextVar[EvaluationContext | None] = contextvars.ContextVar(
    "supervision_evaluation_context", default=None
)


def has_context() -> bool:
    """Whether an operation installed its EvaluationContext."""
    return _context.get() is not None


def current_context() -> EvaluationContext:
    ctx = _context.get()
    return ctx if ctx is not None else EvaluationContext()


@contextlib.contextmanager
def evaluation_context(ctx: EvaluationContext) -> Iterator[EvaluationContext]:
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, name: str) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError(
                f"the script left too much data (at variable '{name}'); keep case "
                "variables small and store documents as attachments"
            )


def _json_safe(name: str, value: Any, budget: _Budget) -> Any:
    budget.spend(name)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        # Spiff cannot serialise dates; designers expect ISO text anyway.
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return [_json_safe(name, v, budget) for v in sorted(value, key=repr)]
    if isinstance(value, dict):
        return {str(k): _json_safe(name, v, budget) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(name, v, budget) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(
        f"the script left a {type(value).__name__} in variable '{name}'; "
        "case variables must be text, numbers, booleans, lists or dicts"
    )


class ScriptError(RuntimeError):
    """A script failed; the message names the line, as designers wrote it."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _script_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<script>":
            line = frame.lineno
    return line


# ---------------------------------------------------------------- environment


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and executes scripts in the sandbox."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        time_limit_seconds: float = SCRIPT_TIME_LIMIT_SECONDS,
    ):
        super().__init__({})
        self.functions = dict(functions or {})
        self.time_limit_seconds = time_limit_seconds

    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict:
        # Variables first, so that none can replace a helper, a function or a guard
        # (a REST client may send a variable called '_getattr_' or '__builtins__').
        scope = {k: v for k, v in context.items() if not k.startswith("_")}
        scope.update(juel.HELPERS)
        scope.update(self.functions)
        if external:
            scope.update({k: v for k, v in external.items() if not k.startswith("_")})
        scope.update(GUARDS)
        return scope

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        scope = self._globals(context, external_context)
        if expression_may_loop(expression):
            with time_limit(self.time_limit_seconds):
                return eval(code, scope)  # noqa: S307
        return eval(code, scope)  # noqa: S307

    def execute(self, script, context, external_context=None):
        code = compile_script(script)
        scope = self._globals(context, external_context)
        injected = set(scope) - set(context)
        try:
            with time_limit(self.time_limit_seconds):
                exec(code, scope)  # noqa: S102
        except Exception as exc:
            line = _script_line(exc)
            where = f"line {line}: " if line else ""
            raise ScriptError(f"{where}{type(exc).__name__}: {exc}", line) from exc
        protected = injected | GUARD_NAMES
        budget = _Budget(MAX_VARIABLE_NODES)
        updates = {}
        try:
            for key, value in scope.items():
                if key in protected or key.startswith("_") or callable(value):
                    continue
                updates[key] = _json_safe(key, value, budget)
        except (TypeError, ValueError) as exc:
            raise ScriptError(str(exc), None) from exc
        for key in list(context):
            if key not in scope and not key.startswith("_"):
                del context[key]  # the script deleted it
        context.update(updates)
        return True


class ScriptEngine(PythonScriptEngine):
    """Spiff's script engine with the restricted environment and the handler registry."""

    def execute(self, task, script, external_context=None):
        # Spiff's own error path builds messages that fail for non-text arguments and
        # never finds the line of our compiled scripts.
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ScriptError as exc:
            raise WorkflowTaskException(
                f"script {exc}", task=task, exception=exc.__cause__, line_number=exc.line
            ) from exc
        except Exception as exc:
            raise WorkflowTaskException(
                f"script {type(exc).__name__}: {exc}", task=task, exception=exc
            ) from exc

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]],
        handlers: Mapping[str, Callable[..., Any]],
        handler_invoker: Callable[..., Any] | None = None,
    ):
        super().__init__(environment=RestrictedEnvironment(functions))
        self.handlers = handlers
        self.handler_invoker = handler_invoker

    def call_service(self, task, spec, inputs: Mapping[str, Any] | None = None):
        """Call the handler of a service task; `inputs` are its input parameters."""
        handler = self.handlers.get(spec.operation)
        if handler is None:
            raise WorkflowTaskException(
                f"no handler is registered under '{spec.operation}'", task=task
            )
        try:
            params = {name: self.evaluate(task, expr) for name, expr in spec.params.items()}
            params.update(inputs or {})
            args: tuple = ()
            if spec.call:
                args = self.evaluate(task, spec.call, external_context={"handler_args": _collect})
            if self.handler_invoker is not None:
                return self.handler_invoker(handler, task, spec, params, args)
            return handler(task.data, params, *args)
        except WorkflowTaskException:
            raise
        except Exception as exc:
            raise WorkflowTaskException(
                f"{spec.operation} failed: {type(exc).__name__}: {exc}", task=task, exception=exc
            ) from exc


def _collect(*args: Any) -> tuple:
    return args
