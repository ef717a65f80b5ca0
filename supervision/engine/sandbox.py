"""The restrictions on designers' Python: compile policy, guards, size and time limits.

Scripts and Python expressions from diagrams run under RestrictedPython: no imports, no
open/eval/exec/getattr/type, no name or attribute that starts with an underscore (so no
walk such as ().__class__.__base__.__subclasses__()), the format methods of str refused,
generator and frame internals refused. On top of RestrictedPython:

- every operator that can build a huge value in one step is checked before it runs
  (`*`, `**`, `<<`, `+` and `%` on text and lists, str.ljust/center/zfill/replace/join...,
  list.extend, sum() of lists, round() with a huge precision), and so is turning a big
  nested value into text (str(), f-strings), so one line cannot exhaust the memory;
- scripts, and expressions with comprehensions or lambdas, run under a time limit checked
  on every line: an endless loop stops with ScriptTimeout, which `except Exception`
  inside the script cannot swallow.

It is defence in depth for trusted authors (only process designers deploy diagrams),
tested with the breakout attempts in tests/supervision/engine/test_sandbox.py.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import operator
import sys
import time
from collections.abc import Iterator
from functools import lru_cache
from types import BuiltinFunctionType
from types import BuiltinMethodType
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
from RestrictedPython.transformer import RestrictingNodeTransformer

SCRIPT_TIME_LIMIT_SECONDS = 2.0
MAX_SIZE = 1_000_000  # elements of a list, characters of a text
MAX_INT_BITS = 100_000  # about 30,000 decimal digits
MAX_ROUND_DIGITS = 100


class ScriptTimeout(RuntimeError):
    """Designer code ran longer than its time limit and was stopped."""


class ScriptCompileError(SyntaxError):
    pass


class _Stop(BaseException):
    # Raised inside the script by the tracer. A BaseException, so that `except Exception`
    # in the script cannot catch it; time_limit() turns it into ScriptTimeout outside.
    pass


# ---------------------------------------------------------------- size accounting


_NESTED = (str, bytes, list, tuple, dict, set, frozenset)


def _weight(value: Any, budget: int = MAX_SIZE) -> int:
    """How big `value` is when written out (elements plus characters), counted up to
    `budget`: a list holding the same big list a million times is huge although it uses
    little memory, and str() of it would not be."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, dict):
            total += 1 + 2 * len(item)
            if total <= budget:
                # List comprehensions, not generators: a traced script pays per resume.
                stack.extend([k for k in item if isinstance(k, _NESTED)])
                stack.extend([v for v in item.values() if isinstance(v, _NESTED)])
        elif isinstance(item, list | tuple | set | frozenset):
            total += 1 + len(item)
            if total <= budget:
                stack.extend([v for v in item if isinstance(v, _NESTED)])
        else:
            total += 1
        if total > budget:
            return total
    return total


def _check(size: int, what: str) -> None:
    if size > MAX_SIZE:
        raise ValueError(f"{what} would be too large (limit {MAX_SIZE:,})")


def _check_int_bits(bits: int, symbol: str) -> None:
    if bits > MAX_INT_BITS:
        raise ValueError(f"the result of {symbol} would be a number too large to handle")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _seq_len(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _binop(symbol: str, left: Any, right: Any) -> Any:
    """`*`, `**`, `<<`, `+`, `%` with their results' sizes checked first."""
    if symbol == "**":
        if _is_int(left) and _is_int(right) and right > 0:
            _check_int_bits(max(left.bit_length(), 1) * right, "**")
        elif isinstance(right, int | float) and abs(right) > MAX_INT_BITS:
            raise ValueError(f"exponent {right} is too large")
        return left**right
    if symbol == "<<":
        if _is_int(left) and _is_int(right):
            _check_int_bits(left.bit_length() + max(right, 0), "<<")
        return left << right
    if symbol == "*":
        if _is_int(left) and _is_int(right):
            _check_int_bits(left.bit_length() + right.bit_length(), "*")
        for seq, count in ((left, right), (right, left)):
            if _seq_len(seq) is not None and _is_int(count) and count > 0:
                # The items repeat, the list itself does not.
                own = 0 if isinstance(seq, str | bytes) else 1
                _check((_weight(seq) - own) * count + own, "the result of *")
        return left * right
    if symbol == "+":
        if _seq_len(left) is not None and _seq_len(right) is not None:
            _check(_weight(left) + _weight(right), "the result of +")
        return left + right
    if symbol == "%":
        if isinstance(left, str | bytes):
            _check(len(left) + _weight(right), "the formatted text")
        return left % right
    raise ValueError(f"operator {symbol} is not guarded")  # pragma: no cover


_INPLACE = {
    "+=": lambda a, b: _binop("+", a, b),
    "-=": operator.isub,
    "*=": lambda a, b: _binop("*", a, b),
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": lambda a, b: _binop("%", a, b),
    "**=": lambda a, b: _binop("**", a, b),
    "|=": operator.ior,
    "&=": operator.iand,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        return _INPLACE[op](target, value)
    except KeyError:
        raise ValueError(f"operator {op} is not allowed") from None


def _formatted(value: Any) -> Any:
    """What an f-string interpolates, after checking it is not enormous as text."""
    _check(_weight(value), "the text of an f-string value")
    return value


# ---------------------------------------------------------------- guarded methods


def _guard_padding(method):
    def guarded(width, *args):
        _check(width if _is_int(width) else 0, "the padded text")
        return method(width, *args)

    return guarded


def _guard_expandtabs(text):
    def guarded(tabsize=8):
        if _is_int(tabsize):
            _check(len(text) * max(tabsize, 1), "the expanded text")
        return text.expandtabs(tabsize)

    return guarded


def _guard_replace(text):
    def guarded(old, new, count=-1):
        if isinstance(old, str | bytes) and isinstance(new, str | bytes) and len(new) > len(old):
            hits = text.count(old) if old else len(text) + 1
            if _is_int(count) and count >= 0:
                hits = min(hits, count)
            _check(len(text) + hits * (len(new) - len(old)), "the replaced text")
        return text.replace(old, new, count)

    return guarded


def _guard_join(separator):
    def guarded(items):
        items = list(items)
        size = sum(len(i) for i in items if isinstance(i, str | bytes))
        _check(size + len(separator) * max(len(items) - 1, 0), "the joined text")
        return separator.join(items)

    return guarded


def _guard_extend(target):
    def guarded(items):
        items = list(items)
        _check(len(target) + len(items), "the list")
        return target.extend(items)

    return guarded


_TEXT_GUARDS = {
    "ljust": lambda t: _guard_padding(t.ljust),
    "rjust": lambda t: _guard_padding(t.rjust),
    "center": lambda t: _guard_padding(t.center),
    "zfill": lambda t: _guard_padding(t.zfill),
    "expandtabs": _guard_expandtabs,
    "replace": _guard_replace,
    "join": _guard_join,
}


# Reachable without an underscore and leading back to classes a script must not hold:
# Exception.mro() gives BaseException, which would catch the time limit's exception.
_REFUSED_ATTRIBUTES = frozenset({"mro"})


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    """RestrictedPython's safer_getattr plus size checks on methods that allocate."""
    if name in _REFUSED_ATTRIBUTES:
        raise AttributeError(f'"{name}" is not available in scripts')
    value = safer_getattr(obj, name, default)
    if isinstance(obj, str | bytes) and name in _TEXT_GUARDS:
        return _TEXT_GUARDS[name](obj)
    if isinstance(obj, list) and name == "extend":
        return _guard_extend(obj)
    if isinstance(value, BuiltinFunctionType | BuiltinMethodType) and isinstance(obj, type):
        # Unbound methods (str.join(sep, items), list.extend(a, b)) would bypass the
        # guards above; designers call methods on values instead.
        if name in _TEXT_GUARDS or name == "extend":
            raise AttributeError(f"call {name}() on a value, not on the type")
    return value


# ---------------------------------------------------------------- safe builtins


class _StrMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, str)


class _Str(metaclass=_StrMeta):
    """str() that refuses to write out an enormous value; isinstance(x, str) still works."""

    def __new__(cls, value: Any = "", *args: Any) -> str:  # type: ignore[misc]
        _check(_weight(value), "the text")
        return builtins.str(value, *args)


def _sum(values: Any, start: Any = 0) -> Any:
    if not isinstance(start, int | float) or isinstance(start, bool):
        raise TypeError("sum() adds numbers only")
    return builtins.sum(values, start)


def _round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return builtins.round(number)
    if _is_int(ndigits) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ValueError(f"round() to {ndigits} digits is not supported")
    return builtins.round(number, ndigits)


def _no_print(*args: Any, **kwargs: Any) -> Any:
    raise NameError("print() is not available in scripts; assign a variable instead")


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
    "set",
    "sorted",
    "tuple",
    "zip",
    "Exception",
    "ValueError",
    "KeyError",
    "TypeError",
    "IndexError",
    "ZeroDivisionError",
    "ArithmeticError",
    "LookupError",
)
SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES}
SAFE_BUILTINS.update(
    {
        "None": None,
        "True": True,
        "False": False,
        "range": limited_range,
        "str": _Str,
        "sum": _sum,
        "round": _round,
    }
)

GUARDS: dict[str, Any] = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": guarded_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
    "_formatted_": _formatted,
    "_print_": _no_print,
    "__name__": "script",
    "__metaclass__": type,
}
GUARD_NAMES = frozenset(GUARDS)


# ---------------------------------------------------------------- compilation


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus size checks on the operators that can explode."""

    _GUARDED = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}

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

    def visit_FormattedValue(self, node: ast.FormattedValue):
        node = self.node_contents_visit(node)
        call = ast.Call(func=ast.Name("_formatted_", ast.Load()), args=[node.value], keywords=[])
        node.value = ast.fix_missing_locations(ast.copy_location(call, node.value))
        return node

    def visit_Try(self, node: ast.Try):
        # Nothing may run while the time limit's exception unwinds the script (see
        # time_limit): no finally, no bare except, handlers name exception classes.
        if node.finalbody:
            self.error(node, "try ... finally is not allowed in scripts")
        for handler in node.handlers:
            names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            if handler.type is None:
                self.error(handler, "name the exceptions to catch, e.g. except ValueError:")
            elif not all(isinstance(n, ast.Name) for n in names):
                self.error(handler, "except must name exception classes, e.g. except KeyError:")
            elif any(n.id == "BaseException" for n in names):
                self.error(handler, "except BaseException is not allowed; use except Exception:")
        return self.node_contents_visit(node)

    def visit_With(self, node: ast.With):
        self.error(node, "with is not allowed in scripts")

    def visit_Import(self, node: ast.Import):
        self.error(node, "import is not allowed: scripts use the functions they are given")

    def visit_ImportFrom(self, node: ast.ImportFrom):
        self.error(node, "import is not allowed: scripts use the functions they are given")


def _errors_text(errors: tuple[str, ...] | list[str], fallback: str) -> str:
    return "; ".join(errors) or fallback


@lru_cache(maxsize=4096)
def compile_expression(source: str):
    try:
        result = compile_restricted_eval(source, "<expression>", policy=_Policy)
    except SyntaxError as exc:
        raise ScriptCompileError(f"Line {exc.lineno}: {exc.msg}") from exc
    if result.errors or result.code is None:
        raise ScriptCompileError(_errors_text(result.errors, f"cannot compile {source!r}"))
    return result.code


@lru_cache(maxsize=1024)
def compile_script(source: str):
    try:
        result = compile_restricted_exec(source, "<script>", policy=_Policy)
    except SyntaxError as exc:
        raise ScriptCompileError(f"Line {exc.lineno}: {exc.msg}") from exc
    if result.errors or result.code is None:
        raise ScriptCompileError(_errors_text(result.errors, "cannot compile script"))
    return result.code


_LOOPING = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)


@lru_cache(maxsize=4096)
def expression_may_loop(source: str) -> bool:
    """Whether an expression can run for long (comprehensions, lambdas): it then gets the
    time limit; plain conditions stay as cheap as they are."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return False
    return any(isinstance(node, _LOOPING) for node in ast.walk(tree))


def check_expression(source: str) -> str | None:
    """Return an error message, or None when the expression compiles under the policy."""
    try:
        compile_expression(source)
    except SyntaxError as exc:
        return str(exc)
    return None


def check_script(source: str) -> str | None:
    try:
        compile_script(source)
    except SyntaxError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------- time limit

_DESIGNER_CODE = frozenset({"<script>", "<expression>"})


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop designer code that runs longer than `seconds` (checked at every instruction)."""
    deadline = time.monotonic() + seconds
    previous = sys.gettrace()

    def tracer(frame, event, arg):
        if event == "call":
            if frame.f_code.co_filename not in _DESIGNER_CODE:
                return None  # our own functions (workdays, guards) run untraced
            # Line events alone miss a loop written on one line (`while True: pass`).
            frame.f_trace_opcodes = True
        if time.monotonic() > deadline:
            # CPython switches tracing off when a tracer raises, so the script must not be
            # able to run code while _Stop passes: the policy forbids bare except, finally
            # and with, and _Stop is no Exception.
            raise _Stop
        return tracer

    sys.settrace(tracer)
    try:
        yield
    except _Stop:
        raise ScriptTimeout(f"the script ran longer than {seconds:g} s and was stopped") from None
    finally:
        sys.settrace(previous)
