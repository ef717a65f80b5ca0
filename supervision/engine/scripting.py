"""The script environment: restricted Python for scripts, conditions and expressions.

Designers' scripts and expressions run with RestrictedPython: no imports, no open/eval/
exec, no names or attributes starting with an underscore (so no dunder walking such as
().__class__.__base__.__subclasses__()), str.format refused, range() capped, `*`/`**`/`<<`
size-checked, and a time limit enforced line by line. That makes a broken or hostile
diagram fail with a clear error instead of reading files or hanging a worker. It is
defence in depth, not a promise that arbitrary hostile code is contained: only process
designers may deploy diagrams.

Expressions see the case variables plus the function library (workdays, caldays, ...)
and the JUEL helpers; the functions read "now", the working-day calendar and the settings
from the EvaluationContext the runtime installs for each operation.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import contextvars
import operator
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted_eval
from RestrictedPython import compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import full_write_guard
from RestrictedPython.Guards import guarded_iter_unpack_sequence
from RestrictedPython.Guards import guarded_unpack_sequence
from RestrictedPython.Guards import safer_getattr
from RestrictedPython.Limits import limited_range
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from supervision import clock
from supervision.engine import juel

SCRIPT_TIME_LIMIT_SECONDS = 2.0
MAX_SEQUENCE_RESULT = 1_000_000
MAX_EXPONENT = 4096
MAX_SHIFT = 4096


class ScriptTimeout(RuntimeError):
    pass


class UnknownHandlerError(LookupError):
    pass


# ---------------------------------------------------------------- compilation


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus size checks on the operators that can explode."""

    _GUARDED = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<"}

    def visit_BinOp(self, node: ast.BinOp):
        node = self.node_contents_visit(node)
        symbol = self._GUARDED.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        # The new nodes need line numbers too, or compile() refuses the tree.
        return ast.fix_missing_locations(ast.copy_location(call, node))


class ScriptCompileError(SyntaxError):
    pass


@lru_cache(maxsize=4096)
def compile_expression(source: str):
    result = compile_restricted_eval(source, "<expression>", policy=_Policy)
    if result.errors or result.code is None:
        raise ScriptCompileError("; ".join(result.errors) or f"cannot compile {source!r}")
    return result.code


@lru_cache(maxsize=1024)
def compile_script(source: str):
    result = compile_restricted_exec(source, "<script>", policy=_Policy)
    if result.errors or result.code is None:
        raise ScriptCompileError("; ".join(result.errors) or "cannot compile script")
    return result.code


def check_expression(source: str) -> str | None:
    """Return an error message, or None when the expression compiles under the policy."""
    try:
        compile_expression(source)
    except ScriptCompileError as exc:
        return str(exc)
    except SyntaxError as exc:  # pragma: no cover - RestrictedPython reports these as errors
        return str(exc)
    return None


def check_script(source: str) -> str | None:
    try:
        compile_script(source)
    except ScriptCompileError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------- guards


def _binop(symbol: str, left: Any, right: Any) -> Any:
    if symbol == "**":
        if isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise ValueError(f"exponent {right} is too large")
        return left**right
    if symbol == "<<":
        if isinstance(right, int) and right > MAX_SHIFT:
            raise ValueError(f"shift {right} is too large")
        return left << right
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
            if len(seq) * count > MAX_SEQUENCE_RESULT:
                raise ValueError("the result of * would be too large")
    return left * right


_INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": lambda a, b: _binop("*", a, b),
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": lambda a, b: _binop("**", a, b),
    "|=": operator.ior,
    "&=": operator.iand,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        return _INPLACE[op](target, value)
    except KeyError:
        raise ValueError(f"operator {op} is not allowed") from None


_SAFE_BUILTIN_NAMES = (
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "divmod",
    "enumerate",
    "float",
    "int",
    "isinstance",
    "len",
    "list",
    "max",
    "min",
    "reversed",
    "round",
    "set",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "Exception",
    "ValueError",
    "KeyError",
    "TypeError",
    "IndexError",
)
SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES}
SAFE_BUILTINS.update({"None": None, "True": True, "False": False, "range": limited_range})

GUARDS: dict[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
    "_print_": PrintCollector,
    "__name__": "script",
    "__metaclass__": type,
}
_GUARD_NAMES = frozenset(GUARDS)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop designer code that runs longer than `seconds` (checked on every line/call)."""
    deadline = time.monotonic() + seconds
    previous = sys.gettrace()

    def tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise ScriptTimeout(f"the script ran longer than {seconds:g} s and was stopped")
        return tracer

    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)


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


def _json_safe(name: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        # Spiff cannot serialise dates; designers expect ISO text anyway.
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, dict):
        return {k: _json_safe(name, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(name, v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(
        f"the script left a {type(value).__name__} in variable '{name}'; "
        "case variables must be text, numbers, booleans, lists or dicts"
    )


# ---------------------------------------------------------------- environment


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and executes scripts with the guards above."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        time_limit_seconds: float = SCRIPT_TIME_LIMIT_SECONDS,
    ):
        super().__init__({})
        self.functions = dict(functions or {})
        self.time_limit_seconds = time_limit_seconds

    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict:
        scope = dict(GUARDS)
        scope.update(context)
        scope.update(juel.HELPERS)
        scope.update(self.functions)
        if external:
            scope.update(external)
        return scope

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        return eval(code, self._globals(context, external_context))  # noqa: S307

    def execute(self, script, context, external_context=None):
        code = compile_script(script)
        scope = self._globals(context, external_context)
        injected = set(scope) - set(context)
        with time_limit(self.time_limit_seconds):
            exec(code, scope)  # noqa: S102
        protected = injected | _GUARD_NAMES
        for key in list(context):
            if key not in scope:
                del context[key]  # the script deleted it
        for key, value in scope.items():
            if key in protected or key.startswith("_") or callable(value):
                continue
            context[key] = _json_safe(key, value)
        return True


class ScriptEngine(PythonScriptEngine):
    """Spiff's script engine with the restricted environment and the handler registry."""

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
