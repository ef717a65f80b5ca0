"""Translate the Camunda 7 JUEL subset used in diagrams into safe Python source.

Process designers write JUEL (``${...}``, or ``#{...}`` which Camunda treats the same) in gateway
conditions, ``camunda:candidateGroups``, ``camunda:assignee``, ``camunda:dueDate``, timers,
multi-instance collections and message payloads. SpiffWorkflow evaluates Python, so every such
text is translated ONCE, at deploy time, by :func:`translate`. The engine later ``eval``s the
result with the case variables (task data) as globals, plus :data:`HELPERS` and the whitelisted
functions. :func:`evaluate` is an independent tree-walking interpreter of the same language (it
shares only the tokenizer and parser) used by tests, as a differential oracle, and by the
designer-facing "try an expression" feature.

Text forms
----------
* No expression at all (``supervisors``): a string literal; ``translate`` returns ``repr(text)``.
* One expression, optionally surrounded by whitespace (``${a && b}``, ``"\\n  ${a}\\n"``): the
  *value* of the expression, of whatever type. The surrounding whitespace is ignored because BPMN
  element text is often indented; without this rule a condition would silently become the
  always-truthy string ``" true "``. (This deviates from EL, which would build a string.)
* Anything else (``county_${region}_sup``): a string; every expression value is converted with
  ``jstr`` (see below) and concatenated with the literal parts.
* In literal text, ``\\${`` and ``\\#{`` stand for a literal ``${`` / ``#{`` (the backslash is
  dropped); any other backslash is literal text.

The language
------------
* Identifiers are case variables: ASCII or Unicode letters, digits and ``_``, not starting with a
  digit. Rejected with :class:`JuelError`: Python keywords (``from``, ``in``, ``None``, ``True``,
  ...), names starting with ``_``, names RestrictedPython reserves (``print``, ``printed``,
  ``breakpoint``, ``builtins``, ``*__roles__``), the :data:`HELPERS` names, names that are not in
  Unicode NFKC form (Python would silently normalise them), and whitelisted function names used
  as plain values. ``$`` is not allowed in identifiers.
* Literals: ``'...'`` and ``"..."`` with the escapes ``\\'``, ``\\"`` and ``\\\\`` (any other
  escape is an error); integers (``007`` is 7); decimals ``1.5``, ``1e3``, ``2.5E-3`` (float).
  A number must start and end with a digit: ``.5`` and ``1.`` are errors (write ``0.5``/``1.0``).
  ``true``, ``false``, ``null``.
* ``a.b``, ``a['b']``, ``a["b"]``, ``a[0]``, ``a[i]``; calls ``f(x, y)`` of whitelisted names only.
* Operators, lowest to highest precedence: ``?:`` (right-associative); ``||`` ``or``; ``&&``
  ``and``; ``==`` ``!=`` ``eq`` ``ne``; ``<`` ``>`` ``<=`` ``>=`` ``lt`` ``gt`` ``le`` ``ge``;
  ``+`` ``-``; ``*`` ``/`` ``div`` ``%`` ``mod``; unary ``-`` ``!`` ``not`` ``empty``; then
  property access and calls. Comparisons are left-associative and never chain like Python's
  (``a == b == c`` is ``(a == b) == c``).
* Everything else is a :class:`JuelError` with the 0-based position in the text: assignment,
  ``=~``, ``->`` lambdas, ``+=``, ``;``, ``instanceof``, method calls ``a.b()``, calls of
  unlisted names, ``#{}`` nested in ``${}``, set/map literals, unbalanced braces or quotes,
  empty ``${}``. Implementation limits: 32 levels of nested brackets/parentheses/ternaries and an
  expression tree depth of 64 (an arithmetic chain of n operands counts n levels) - far beyond
  real conditions, but they keep the parser, the interpreter and Python's compiler out of
  recursion trouble.

Semantics (identical in translated code and in :func:`evaluate`)
---------------------------------------------------------------
* Unknown variable: ``NameError`` at evaluation time (Camunda: "Cannot resolve identifier").
* Property access is null-safe as in JUEL: ``a.b`` / ``a[k]`` is ``None`` when ``a`` is ``None``,
  when ``k`` is ``None``, when a dict has no key ``k`` or when a list/tuple index is out of range
  (negative indexes are out of range: they do not count from the end). Only dicts (by key) and
  lists/tuples (by ``int`` index; another key type is a ``TypeError``) are navigable; anything
  else is a ``TypeError`` - there is deliberately no attribute access on arbitrary objects. A
  string key starting with ``_`` is refused: a :class:`JuelError` at translate time when it is a
  literal, a ``ValueError`` from ``jget`` at run time otherwise (checked before anything else).
* Boolean coercion (``jbool``; used by ``&& || ! and or not`` and the ternary condition):
  ``None`` -> False; bools as they are; numbers: non-zero; strings: True exactly when equal to
  ``'true'`` ignoring case (JUEL's ``Boolean.valueOf``, so ``'yes'`` and ``''`` are False);
  list/tuple/dict/set: non-empty; any other type: ``TypeError``. Logical operators
  short-circuit like Python's and always return a bool.
* ``empty x``: True for ``None`` and for an empty str/list/tuple/dict/set; False otherwise.
* ``==``: ``None`` equals only ``None``; a bool equals only the same bool (``true == 1`` is
  False: a bool is not a number); otherwise Python equality, so ``1 == 1.0`` is True and
  ``'1' == 1`` is False (JUEL would coerce - we do not). ``!=`` is the negation of ``==``.
* ``< > <= >=``: False when either side is ``None``; defined for number/number and str/str
  (Python ordering); anything else (number vs string, bools, lists) is a ``TypeError``.
* Arithmetic: operands must be numbers (``int`` or ``float``, never ``bool`` or ``None``, no
  string coercion), otherwise ``TypeError``. ``/`` and ``div`` are true division (float);
  ``%`` and ``mod`` are Python modulo (sign of the divisor, unlike Java); ``-x`` negates;
  division or modulo by zero raises ``ZeroDivisionError``; Python's ``OverflowError`` passes
  through.
* ``a ? b : c``: ``jbool(a)``, then only the chosen branch is evaluated.
* Function calls: positional arguments evaluated left to right, then the function is called.
* String conversion in composite text (``jstr``): ``None`` -> ``''``; bools -> ``'true'`` /
  ``'false'``; everything else ``str(value)`` (floats print as Python does: ``1.0``, ``1e+20``).

Runtime contract
----------------
The engine evaluates ``translate(...)`` output with globals ``{**variables, **functions,
**HELPERS}`` - helpers last, so that a task-data key cannot shadow them - and with
``__builtins__`` empty or restricted (RestrictedPython's ``safe_builtins``): translated code needs
no builtins, and with the real builtins an unset variable named like a builtin (``type``, ``id``)
would read the builtin instead of raising ``NameError``. :func:`check_generated` verifies that a
source string is made only of :data:`ALLOWED_AST_NODES`, so stored translations can be
re-checked before use; ``translate`` runs it on its own output.
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

__all__ = [
    "ALLOWED_AST_NODES",
    "HELPERS",
    "JuelError",
    "UnsafeCodeError",
    "check_generated",
    "evaluate",
    "is_juel",
    "referenced_names",
    "translate",
]

MAX_NESTING = 32
MAX_DEPTH = 64

# Names RestrictedPython refuses (the engine also compiles expressions with it); mirrored here so
# that every accepted expression compiles there too.
_RESTRICTED_NAMES = frozenset({"print", "printed", "breakpoint", "builtins"})


class JuelError(ValueError):
    """Text outside the supported JUEL subset.

    ``expression`` is the full text, ``position`` a 0-based offset into it (or None) and
    ``reason`` a short English message. ``str(err)`` is one line showing the expression.
    """

    def __init__(self, reason: str, expression: str, position: int | None = None) -> None:
        self.reason = reason
        self.expression = expression
        self.position = position
        where = "" if position is None else f" at position {position}"
        super().__init__(f"{reason}{where} in {_one_line(expression)}")

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce would call JuelError(message) and lose the attributes.
        return (type(self), (self.reason, self.expression, self.position))


class UnsafeCodeError(ValueError):
    """Python source that is not of the shape translate() produces (see check_generated).

    Deliberately not a JuelError: when translate() trips over its own self-check it is a bug in
    this module, and callers that handle JuelError must not mistake it for a designer's typo.
    """


def _one_line(text: str) -> str:
    """Escape line breaks and other invisible characters so that messages stay on one line."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


# ---------------------------------------------------------------------------------------------
# Runtime helpers called by translated code
# ---------------------------------------------------------------------------------------------


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def jget(container: Any, key: Any) -> Any:
    """Null-safe ``container[key]`` for dicts and lists/tuples only."""
    if isinstance(key, str) and key.startswith("_"):
        raise ValueError(f"property names starting with '_' are not readable: {key!r}")
    if container is None or key is None:
        return None
    if isinstance(container, dict):
        return container.get(key)
    if isinstance(container, list | tuple):
        if not _is_number(key) or isinstance(key, float):
            raise TypeError(f"a list index must be an integer, not {_type_name(key)}")
        return container[key] if 0 <= key < len(container) else None
    raise TypeError(f"cannot read property {key!r} of a {_type_name(container)}")


def jbool(value: Any) -> bool:
    """JUEL coercion to boolean."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    if _is_number(value):
        return value != 0
    if isinstance(value, list | tuple | dict | set | frozenset):
        return len(value) > 0
    raise TypeError(f"cannot use a {_type_name(value)} as a boolean")


def jempty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | tuple | dict | set | frozenset):
        return len(value) == 0
    return False


def jnum(value: Any) -> int | float:
    """The value itself when it is a number usable in arithmetic."""
    if not _is_number(value):
        raise TypeError(f"arithmetic needs numbers, not {_type_name(value)}")
    return value


def jstr(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return str(value)


def jcat(*parts: str) -> str:
    """Join the already-converted parts of a composite text.

    A flat call rather than a chain of ``+`` keeps Python's parse tree shallow however many
    expressions the text holds.
    """
    return "".join(parts)


def jeq(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        # Python says True == 1; a JUEL boolean is not a number.
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    return bool(left == right)


def _orderable(left: Any, right: Any, symbol: str) -> bool:
    """False when a side is None, True when the pair can be ordered, TypeError otherwise."""
    if left is None or right is None:
        return False
    if (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    ):
        return True
    raise TypeError(f"cannot compare {_type_name(left)} {symbol} {_type_name(right)}")


def jlt(left: Any, right: Any) -> bool:
    return _orderable(left, right, "<") and left < right


def jle(left: Any, right: Any) -> bool:
    return _orderable(left, right, "<=") and left <= right


def jgt(left: Any, right: Any) -> bool:
    return _orderable(left, right, ">") and left > right


def jge(left: Any, right: Any) -> bool:
    return _orderable(left, right, ">=") and left >= right


HELPERS: dict[str, Callable[..., Any]] = {
    "jget": jget,
    "jbool": jbool,
    "jempty": jempty,
    "jnum": jnum,
    "jstr": jstr,
    "jcat": jcat,
    "jeq": jeq,
    "jlt": jlt,
    "jle": jle,
    "jgt": jgt,
    "jge": jge,
}

# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

_DIGITS = "0123456789"

# JUEL word operators, mapped to the symbol the parser works with.
_WORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "empty": "empty",
}
_WORD_CONSTANTS = {"true": True, "false": False, "null": None}

_TWO_CHAR_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||")
_SINGLE_CHAR_OPERATORS = "<>!+-*/%()[].,?:"
# Operators of full EL 3.0 or of other languages that designers may try: named in the error.
_UNSUPPORTED_OPERATORS = {
    "=~": "unsupported operator '=~'",
    "->": "unsupported operator '->' (lambda expressions are not supported)",
    "+=": "unsupported operator '+=' (string concatenation is not supported)",
    "=": "unsupported operator '=' (assignment; use == to compare)",
    "&": "unsupported operator '&' (use && or and)",
    "|": "unsupported operator '|' (use || or or)",
    ";": "unsupported operator ';'",
    "{": "unsupported '{' (set and map literals are not supported)",
}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # 'num', 'str', 'const', 'ident', 'op', 'end'
    value: Any  # number, string, constant, identifier, normalised operator
    pos: int
    text: str  # as written, for messages


def _tokenize(text: str, start: int, opening: int) -> tuple[list[_Token], int]:
    """Tokens of the expression whose body starts at `start` (after the ``${`` at `opening`).

    The list ends with an 'end' token at the closing brace; also returns the index after it.
    """
    tokens: list[_Token] = []
    n = len(text)
    i = start
    while True:
        if i >= n:
            raise JuelError("missing '}' to close the expression", text, opening)
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "}":
            tokens.append(_Token("end", "}", i, "}"))
            return tokens, i + 1
        elif c in "'\"":
            value, i_next = _scan_string(text, i)
            tokens.append(_Token("str", value, i, text[i:i_next]))
            i = i_next
        elif c in _DIGITS:
            value, i_next = _scan_number(text, i)
            tokens.append(_Token("num", value, i, text[i:i_next]))
            i = i_next
        elif c == "." and i + 1 < n and text[i + 1] in _DIGITS:
            raise JuelError(
                "a number must start with a digit (write 0.5); use a[0] to index a list",
                text,
                i,
            )
        elif c.isidentifier():
            j = i + 1
            while j < n and ("a" + text[j]).isidentifier():
                j += 1
            word = text[i:j]
            if word in _WORD_OPERATORS:
                tokens.append(_Token("op", _WORD_OPERATORS[word], i, word))
            elif word in _WORD_CONSTANTS:
                tokens.append(_Token("const", _WORD_CONSTANTS[word], i, word))
            elif word == "instanceof":
                raise JuelError("unsupported operator 'instanceof'", text, i)
            else:
                tokens.append(_Token("ident", word, i, word))
            i = j
        elif c in "$#" and i + 1 < n and text[i + 1] == "{":
            raise JuelError("nested expressions are not supported", text, i)
        else:
            two = text[i : i + 2]
            if two in _UNSUPPORTED_OPERATORS:
                raise JuelError(_UNSUPPORTED_OPERATORS[two], text, i)
            if two in _TWO_CHAR_OPERATORS:
                tokens.append(_Token("op", two, i, two))
                i += 2
            elif c in _SINGLE_CHAR_OPERATORS:
                tokens.append(_Token("op", c, i, c))
                i += 1
            elif c in _UNSUPPORTED_OPERATORS:
                raise JuelError(_UNSUPPORTED_OPERATORS[c], text, i)
            else:
                raise JuelError(f"unexpected character {c!r}", text, i)


def _scan_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == quote:
            return "".join(chars), i + 1
        if c == "\\":
            if i + 1 >= n:
                break
            escaped = text[i + 1]
            if escaped not in "'\"\\":
                sequence = "\\" + escaped
                raise JuelError(
                    f"invalid escape sequence {sequence!r} (only \\' \\\" and \\\\ are allowed)",
                    text,
                    i,
                )
            chars.append(escaped)
            i += 2
        else:
            chars.append(c)
            i += 1
    raise JuelError("unterminated string literal", text, start)


def _scan_number(text: str, start: int) -> tuple[int | float, int]:
    n = len(text)
    i = start
    while i < n and text[i] in _DIGITS:
        i += 1
    is_float = False
    if i < n and text[i] == ".":
        if i + 1 < n and text[i + 1] in _DIGITS:
            i += 1
            while i < n and text[i] in _DIGITS:
                i += 1
            is_float = True
        else:
            raise JuelError("malformed number: digits must follow '.'", text, start)
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if not (j < n and text[j] in _DIGITS):
            raise JuelError("malformed number: digits must follow the exponent", text, start)
        while j < n and text[j] in _DIGITS:
            j += 1
        i = j
        is_float = True
    if i < n and ("a" + text[i]).isidentifier():
        raise JuelError(f"malformed number {text[start : i + 1]!r}", text, start)
    literal = text[start:i]
    if not is_float:
        try:
            return int(literal), i
        except ValueError:  # Python refuses to parse integers of more than 4300 digits
            raise JuelError("number literal too long", text, start) from None
    value = float(literal)
    if math.isinf(value):
        raise JuelError("number literal out of range", text, start)
    return value, i


# ---------------------------------------------------------------------------------------------
# Syntax tree and parser (shared by translate() and evaluate())
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    pos: int
    depth: int = field(init=False, default=1)

    def children(self) -> tuple[_Node, ...]:
        return ()


@dataclass(slots=True)
class _Const(_Node):
    value: Any = None


@dataclass(slots=True)
class _Var(_Node):
    name: str = ""


@dataclass(slots=True)
class _Get(_Node):
    obj: _Node = None  # type: ignore[assignment]
    key: _Node = None  # type: ignore[assignment]

    def children(self) -> tuple[_Node, ...]:
        return (self.obj, self.key)


@dataclass(slots=True)
class _Call(_Node):
    name: str = ""
    args: tuple[_Node, ...] = ()

    def children(self) -> tuple[_Node, ...]:
        return self.args


@dataclass(slots=True)
class _Unary(_Node):
    op: str = ""  # '-', '!', 'empty'
    operand: _Node = None  # type: ignore[assignment]

    def children(self) -> tuple[_Node, ...]:
        return (self.operand,)


@dataclass(slots=True)
class _Logical(_Node):
    op: str = ""  # '&&' or '||'
    operands: tuple[_Node, ...] = ()

    def children(self) -> tuple[_Node, ...]:
        return self.operands


@dataclass(slots=True)
class _Compare(_Node):
    op: str = ""  # '==', '!=', '<', '>', '<=', '>='
    left: _Node = None  # type: ignore[assignment]
    right: _Node = None  # type: ignore[assignment]

    def children(self) -> tuple[_Node, ...]:
        return (self.left, self.right)


@dataclass(slots=True)
class _Arith(_Node):
    """A left-associative chain ``first op1 x1 op2 x2 ...`` of one precedence level."""

    first: _Node = None  # type: ignore[assignment]
    rest: tuple[tuple[str, _Node], ...] = ()

    def children(self) -> tuple[_Node, ...]:
        return (self.first, *(node for _, node in self.rest))


@dataclass(slots=True)
class _Cond(_Node):
    test: _Node = None  # type: ignore[assignment]
    then: _Node = None  # type: ignore[assignment]
    other: _Node = None  # type: ignore[assignment]

    def children(self) -> tuple[_Node, ...]:
        return (self.test, self.then, self.other)


@dataclass(frozen=True, slots=True)
class _Template:
    """A parsed text: literal strings and expression trees in order."""

    parts: tuple[str | _Node, ...]

    @property
    def whole(self) -> _Node | None:
        """The single expression when the text is one expression plus surrounding whitespace."""
        nodes = [part for part in self.parts if isinstance(part, _Node)]
        if len(nodes) != 1:
            return None
        if all(isinstance(part, _Node) or not part.strip() for part in self.parts):
            return nodes[0]
        return None

    def nodes(self) -> list[_Node]:
        return [part for part in self.parts if isinstance(part, _Node)]


class _Parser:
    """Recursive descent over the tokens of one ``${...}``, with EL precedence."""

    def __init__(self, text: str, tokens: list[_Token], functions: frozenset[str] | None) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        # None means "any call target" (referenced_names() parses without a whitelist).
        self.functions = functions
        self.nesting = 0

    # -- token helpers --------------------------------------------------------------------------

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.value in ops

    def expect_op(self, op: str) -> _Token:
        if not self.at_op(op):
            raise self.unexpected(self.peek(), f"expected '{op}'")
        return self.advance()

    def error(self, reason: str, pos: int) -> JuelError:
        return JuelError(reason, self.text, pos)

    def unexpected(self, token: _Token, hint: str | None = None) -> JuelError:
        what = "end of expression" if token.kind == "end" else repr(token.text)
        reason = f"unexpected {what}"
        if hint:
            reason += f" ({hint})"
        return self.error(reason, token.pos)

    def node(self, node: _Node) -> _Node:
        """Compute the node's depth and refuse trees too deep for the interpreter or Python."""
        children = node.children()
        depth = 1 + max((child.depth for child in children), default=0)
        if isinstance(node, _Arith):
            # Python parses a chain as nested BinOps: each operator is one more level.
            depth += len(node.rest)
        node.depth = depth
        if depth > MAX_DEPTH:
            raise self.error(f"expression too deeply nested (limit {MAX_DEPTH})", node.pos)
        return node

    # -- grammar ----------------------------------------------------------------------------------

    def parse(self) -> _Node:
        if self.peek().kind == "end":
            raise self.error("empty expression", self.peek().pos)
        result = self.expression()
        token = self.peek()
        if token.kind != "end":
            raise self.unexpected(token)
        return result

    def expression(self) -> _Node:
        self.nesting += 1
        try:
            if self.nesting > MAX_NESTING:
                raise self.error(
                    f"expression too deeply nested (limit {MAX_NESTING})", self.peek().pos
                )
            return self.ternary()
        finally:
            self.nesting -= 1

    def ternary(self) -> _Node:
        test = self.logical("||", self.logical_and)
        if not self.at_op("?"):
            return test
        question = self.advance()
        then = self.expression()
        self.expect_op(":")
        other = self.expression()
        return self.node(_Cond(question.pos, test=test, then=then, other=other))

    def logical_and(self) -> _Node:
        return self.logical("&&", self.equality)

    def logical(self, op: str, operand: Callable[[], _Node]) -> _Node:
        first = operand()
        if not self.at_op(op):
            return first
        operator_pos = self.peek().pos
        operands = [first]
        while self.at_op(op):
            self.advance()
            operands.append(operand())
        return self.node(_Logical(operator_pos, op=op, operands=tuple(operands)))

    def equality(self) -> _Node:
        return self.comparison(("==", "!="), self.relational)

    def relational(self) -> _Node:
        return self.comparison(("<", ">", "<=", ">="), self.additive)

    def comparison(self, ops: tuple[str, ...], operand: Callable[[], _Node]) -> _Node:
        left = operand()
        while self.at_op(*ops):
            token = self.advance()
            right = operand()
            left = self.node(_Compare(token.pos, op=token.value, left=left, right=right))
        return left

    def additive(self) -> _Node:
        return self.arithmetic(("+", "-"), self.multiplicative)

    def multiplicative(self) -> _Node:
        return self.arithmetic(("*", "/", "%"), self.unary)

    def arithmetic(self, ops: tuple[str, ...], operand: Callable[[], _Node]) -> _Node:
        first = operand()
        if not self.at_op(*ops):
            return first
        operator_pos = self.peek().pos
        rest: list[tuple[str, _Node]] = []
        while self.at_op(*ops):
            token = self.advance()
            rest.append((token.value, operand()))
            if len(rest) >= MAX_DEPTH:
                raise self.error(f"expression too deeply nested (limit {MAX_DEPTH})", token.pos)
        return self.node(_Arith(operator_pos, first=first, rest=tuple(rest)))

    def unary(self) -> _Node:
        # Iterative, so that '!!!!...' cannot exhaust the Python stack before node() objects.
        prefixes: list[_Token] = []
        while self.at_op("-", "!", "empty"):
            prefixes.append(self.advance())
            if len(prefixes) > MAX_DEPTH:
                raise self.error(
                    f"expression too deeply nested (limit {MAX_DEPTH})", prefixes[-1].pos
                )
        result = self.postfix()
        for token in reversed(prefixes):
            result = self.node(_Unary(token.pos, op=token.value, operand=result))
        return result

    def postfix(self) -> _Node:
        result = self.primary()
        while True:
            token = self.peek()
            if self.at_op("."):
                self.advance()
                name = self.advance()
                if name.kind != "ident":
                    raise self.unexpected(name, "expected a property name after '.'")
                if name.value.startswith("_"):
                    raise self.error("property names starting with '_' are not allowed", name.pos)
                if self.at_op("("):
                    raise self.error(
                        f"method calls are not supported ('.{name.value}(...)')", name.pos
                    )
                key = self.node(_Const(name.pos, value=name.value))
                result = self.node(_Get(token.pos, obj=result, key=key))
            elif self.at_op("["):
                self.advance()
                key = self.expression()
                self.expect_op("]")
                if (
                    isinstance(key, _Const)
                    and isinstance(key.value, str)
                    and key.value.startswith("_")
                ):
                    raise self.error("property names starting with '_' are not allowed", key.pos)
                result = self.node(_Get(token.pos, obj=result, key=key))
            elif self.at_op("("):
                raise self.error("only whitelisted functions can be called, by name", token.pos)
            else:
                return result

    def primary(self) -> _Node:
        token = self.advance()
        if token.kind in ("num", "str", "const"):
            return self.node(_Const(token.pos, value=token.value))
        if token.kind == "ident":
            if self.at_op("("):
                return self.call(token)
            self.check_variable(token)
            return self.node(_Var(token.pos, name=token.value))
        if token.kind == "op" and token.value == "(":
            inner = self.expression()
            self.expect_op(")")
            return inner
        raise self.unexpected(token)

    def call(self, name: _Token) -> _Node:
        _check_identifier(name.value, self.text, name.pos, "function")
        if self.functions is not None and name.value not in self.functions:
            raise self.error(f"unknown function '{name.value}'", name.pos)
        self.expect_op("(")
        args: list[_Node] = []
        if not self.at_op(")"):
            args.append(self.expression())
            while self.at_op(","):
                self.advance()
                args.append(self.expression())
        self.expect_op(")")
        return self.node(_Call(name.pos, name=name.value, args=tuple(args)))

    def check_variable(self, token: _Token) -> None:
        _check_identifier(token.value, self.text, token.pos, "variable")
        if self.functions is not None and token.value in self.functions:
            raise self.error(
                f"'{token.value}' is a function; call it as {token.value}(...)", token.pos
            )


def _check_identifier(name: str, text: str, pos: int, what: str) -> None:
    """Refuse names that cannot be emitted as plain, safe Python (or RestrictedPython) names."""
    if name.startswith("_"):
        raise JuelError(f"{what} names starting with '_' are not allowed", text, pos)
    if keyword.iskeyword(name):
        raise JuelError(f"'{name}' is a Python keyword and cannot be a {what} name", text, pos)
    if name in _RESTRICTED_NAMES or name.endswith("__roles__"):
        raise JuelError(f"'{name}' is a reserved name", text, pos)
    if name in HELPERS:
        raise JuelError(f"'{name}' is reserved for the expression runtime", text, pos)
    if unicodedata.normalize("NFKC", name) != name:
        raise JuelError(f"{what} name {name!r} is not in Unicode NFKC form", text, pos)


def _parse(text: str, functions: frozenset[str] | None) -> _Template:
    if not isinstance(text, str):
        raise TypeError(f"expected a string, not {type(text).__name__}")
    parts: list[str | _Node] = []
    literal: list[str] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and text.startswith(("${", "#{"), i + 1):
            literal.append(text[i + 1 : i + 3])
            i += 3
        elif c in "$#" and i + 1 < n and text[i + 1] == "{":
            tokens, i_next = _tokenize(text, i + 2, i)
            if len(tokens) == 1:
                raise JuelError("empty expression", text, i)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_Parser(text, tokens, functions).parse())
            i = i_next
        else:
            literal.append(c)
            i += 1
    if literal:
        parts.append("".join(literal))
    return _Template(tuple(parts))


def _function_names(functions: Iterable[str]) -> frozenset[str]:
    names = frozenset(functions)
    for name in names:
        if (
            not isinstance(name, str)
            or not name.isidentifier()
            or name.startswith("_")
            or keyword.iskeyword(name)
            or name in HELPERS
            or name in _RESTRICTED_NAMES
            or unicodedata.normalize("NFKC", name) != name
        ):
            raise ValueError(f"cannot whitelist {name!r} as a JUEL function name")
    return names


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def is_juel(text: str | None) -> bool:
    """True when the text contains a ``${`` or ``#{`` expression (not escaped with ``\\``).

    Does not validate: malformed text such as ``${a`` counts, so that translate() reports it.
    """
    if not text:
        return False
    i = 0
    n = len(text)
    while i < n - 1:
        if text[i] == "\\" and text.startswith(("${", "#{"), i + 1):
            i += 3
        elif text[i] in "$#" and text[i + 1] == "{":
            return True
        else:
            i += 1
    return False


def translate(text: str, functions: frozenset[str] | set[str] = frozenset()) -> str:
    """Python source for a JUEL text (see the module docstring); JuelError outside the subset."""
    names = _function_names(functions)
    template = _parse(text, names)
    whole = template.whole
    if whole is not None:
        source = _emit(whole)
    elif not template.nodes():
        source = repr("".join(part for part in template.parts if isinstance(part, str)))
    else:
        pieces = [
            repr(part)
            if isinstance(part, str)
            else _emit(part)
            if _is_const_str(part)
            else f"jstr({_emit(part)})"
            for part in template.parts
        ]
        source = f"jcat({', '.join(pieces)})"
    check_generated(source, names)
    return source


def evaluate(
    text: str,
    variables: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """Interpret a JUEL text directly, with the same results as evaluating translate() output."""
    available = dict(functions or {})
    template = _parse(text, _function_names(available))
    interpreter = _Interpreter(variables, available)
    whole = template.whole
    if whole is not None:
        return interpreter.value(whole)
    pieces: list[str] = []
    for part in template.parts:
        pieces.append(part if isinstance(part, str) else _ref_text(interpreter.value(part)))
    return "".join(pieces)


def referenced_names(text: str) -> frozenset[str]:
    """Variables the text reads (not function names, not property names)."""
    names: set[str] = set()

    def walk(node: _Node) -> None:
        if isinstance(node, _Var):
            names.add(node.name)
        for child in node.children():
            walk(child)

    for node in _parse(text, None).nodes():
        walk(node)
    return frozenset(names)


# ---------------------------------------------------------------------------------------------
# Code generation
# ---------------------------------------------------------------------------------------------

_COMPARE_HELPERS = {"==": "jeq", "<": "jlt", "<=": "jle", ">": "jgt", ">=": "jge"}


def _is_const_str(node: _Node) -> bool:
    return isinstance(node, _Const) and isinstance(node.value, str)


def _is_boolean(node: _Node) -> bool:
    """Nodes whose value is always a bool, so jbool() would be a no-op."""
    if isinstance(node, _Const):
        return isinstance(node.value, bool)
    if isinstance(node, _Unary):
        return node.op in ("!", "empty")
    return isinstance(node, _Logical | _Compare)


def _is_numeric(node: _Node) -> bool:
    """Nodes whose value is always a number (or that raise), so jnum() would be a no-op."""
    if isinstance(node, _Const):
        return _is_number(node.value)
    if isinstance(node, _Unary):
        return node.op == "-"
    return isinstance(node, _Arith)


def _as_bool(node: _Node) -> str:
    return _emit(node) if _is_boolean(node) else f"jbool({_emit(node)})"


def _as_number(node: _Node) -> str:
    return _emit(node) if _is_numeric(node) else f"jnum({_emit(node)})"


def _emit(node: _Node) -> str:
    """Python source for one node; compound results are parenthesised so they nest safely."""
    if isinstance(node, _Const):
        return repr(node.value)
    if isinstance(node, _Var):
        return node.name
    if isinstance(node, _Get):
        return f"jget({_emit(node.obj)}, {_emit(node.key)})"
    if isinstance(node, _Call):
        return f"{node.name}({', '.join(_emit(arg) for arg in node.args)})"
    if isinstance(node, _Unary):
        if node.op == "-":
            return f"(-{_as_number(node.operand)})"
        if node.op == "!":
            return f"(not {_as_bool(node.operand)})"
        return f"jempty({_emit(node.operand)})"
    if isinstance(node, _Logical):
        joiner = " and " if node.op == "&&" else " or "
        return "(" + joiner.join(_as_bool(operand) for operand in node.operands) + ")"
    if isinstance(node, _Compare):
        if node.op == "!=":
            return f"(not jeq({_emit(node.left)}, {_emit(node.right)}))"
        return f"{_COMPARE_HELPERS[node.op]}({_emit(node.left)}, {_emit(node.right)})"
    if isinstance(node, _Arith):
        source = _as_number(node.first)
        for op, operand in node.rest:
            source += f" {op} {_as_number(operand)}"
        return f"({source})"
    if isinstance(node, _Cond):
        return f"({_emit(node.then)} if {_as_bool(node.test)} else {_emit(node.other)})"
    raise AssertionError(f"unknown node {node!r}")


# ---------------------------------------------------------------------------------------------
# Security check of generated code
# ---------------------------------------------------------------------------------------------

ALLOWED_AST_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.IfExp,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
)

_CONSTANT_TYPES = (str, int, float, bool, type(None))


def check_generated(source: str, functions: Iterable[str] = frozenset()) -> None:
    """Raise UnsafeCodeError unless `source` is an expression of the shape translate() emits.

    Allowed: names (not starting with '_', not keywords or reserved), constants of plain types,
    calls of HELPERS or whitelisted functions by name with positional arguments only, boolean
    operators, comparisons, ``not``, conditional expressions, unary minus, ``+ - * / %`` and
    parentheses. Helper and function names may appear only as call targets, so their objects
    can never become values.
    """
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError) as exc:
        # ValueError: null bytes; RecursionError: absurdly nested input from elsewhere.
        raise UnsafeCodeError(f"not a Python expression: {exc!r}") from None
    callables = set(HELPERS) | set(functions)
    call_targets: set[int] = set()
    # ast.walk yields a node before its children, so a call is seen before its target name.
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED_AST_NODES):
            raise UnsafeCodeError(f"{type(node).__name__} is not allowed in {source!r}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in callables:
                raise UnsafeCodeError(f"call of a non-whitelisted callable in {source!r}")
            if node.keywords:
                raise UnsafeCodeError(f"keyword arguments are not allowed in {source!r}")
            call_targets.add(id(node.func))
        elif isinstance(node, ast.Name):
            name = node.id
            if (
                name.startswith("_")
                or keyword.iskeyword(name)
                or name in _RESTRICTED_NAMES
                or name.endswith("__roles__")
                or not isinstance(node.ctx, ast.Load)
            ):
                raise UnsafeCodeError(f"name {name!r} is not allowed in {source!r}")
            if name in callables and id(node) not in call_targets:
                raise UnsafeCodeError(f"{name!r} may only be called, in {source!r}")
        elif isinstance(node, ast.Constant) and type(node.value) not in _CONSTANT_TYPES:
            raise UnsafeCodeError(f"constant {node.value!r} is not allowed in {source!r}")


# ---------------------------------------------------------------------------------------------
# Reference interpreter
#
# Written separately from the helpers above on purpose: the property tests compare it with the
# translated code, and two implementations of the same rules only catch mistakes if they do not
# share code. Keep the two in step with the module docstring, not with each other.
# ---------------------------------------------------------------------------------------------


def _ref_is_number(value: Any) -> bool:
    return type(value) is not bool and isinstance(value, int | float)


def _ref_truth(value: Any) -> bool:
    match value:
        case None:
            return False
        case bool():
            return value
        case str():
            return value.lower() == "true"
        case int() | float():
            return value != 0
        case list() | tuple() | dict() | set() | frozenset():
            return bool(value)
    raise TypeError(f"{type(value).__name__} has no boolean value in JUEL")


def _ref_is_empty(value: Any) -> bool:
    match value:
        case None:
            return True
        case str() | list() | tuple() | dict() | set() | frozenset():
            return not value
    return False


def _ref_number(value: Any) -> int | float:
    if _ref_is_number(value):
        return value
    raise TypeError(f"{type(value).__name__} is not a number")


def _ref_text(value: Any) -> str:
    match value:
        case None:
            return ""
        case True:
            return "true"
        case False:
            return "false"
        case str():
            return value
    return str(value)


def _ref_equal(left: Any, right: Any) -> bool:
    if left is None:
        return right is None
    if right is None:
        return False
    left_bool = type(left) is bool
    right_bool = type(right) is bool
    if left_bool != right_bool:
        return False
    if left_bool:
        return left == right
    return bool(left == right)


def _ref_order(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    both_numbers = _ref_is_number(left) and _ref_is_number(right)
    both_strings = isinstance(left, str) and isinstance(right, str)
    if not (both_numbers or both_strings):
        raise TypeError(f"'{op}' cannot order {type(left).__name__} and {type(right).__name__}")
    if op == "<":
        return left < right
    if op == ">":
        return right < left
    if op == "<=":
        return left <= right
    return right <= left


class _Interpreter:
    def __init__(
        self, variables: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]
    ) -> None:
        self.variables = variables
        self.functions = functions

    def value(self, node: _Node) -> Any:
        match node:
            case _Const(value=value):
                return value
            case _Var(name=name):
                if name not in self.variables:
                    raise NameError(f"Cannot resolve identifier '{name}'")
                return self.variables[name]
            case _Get(obj=obj, key=key):
                return self.navigate(self.value(obj), self.value(key))
            case _Call(name=name, args=args):
                values = [self.value(arg) for arg in args]
                return self.functions[name](*values)
            case _Unary(op="-", operand=operand):
                return -_ref_number(self.value(operand))
            case _Unary(op="!", operand=operand):
                return not _ref_truth(self.value(operand))
            case _Unary(op="empty", operand=operand):
                return _ref_is_empty(self.value(operand))
            case _Logical(op=op, operands=operands):
                # '&&' stops at the first false operand, '||' at the first true one.
                stop_at = op == "||"
                for operand in operands:
                    if _ref_truth(self.value(operand)) is stop_at:
                        return stop_at
                return not stop_at
            case _Compare(op=op, left=left, right=right):
                left_value = self.value(left)
                right_value = self.value(right)
                if op == "==":
                    return _ref_equal(left_value, right_value)
                if op == "!=":
                    return not _ref_equal(left_value, right_value)
                return _ref_order(op, left_value, right_value)
            case _Arith(first=first, rest=rest):
                total = _ref_number(self.value(first))
                for op, operand in rest:
                    total = self.arith(op, total, _ref_number(self.value(operand)))
                return total
            case _Cond(test=test, then=then, other=other):
                return self.value(then if _ref_truth(self.value(test)) else other)
        raise AssertionError(f"unknown node {node!r}")

    @staticmethod
    def arith(op: str, left: int | float, right: int | float) -> int | float:
        match op:
            case "+":
                return left + right
            case "-":
                return left - right
            case "*":
                return left * right
            case "/":
                return left / right
            case "%":
                return left % right
        raise AssertionError(op)

    @staticmethod
    def navigate(container: Any, key: Any) -> Any:
        if isinstance(key, str) and key.startswith("_"):
            raise ValueError(f"refusing to read the private property {key!r}")
        if container is None or key is None:
            return None
        match container:
            case dict():
                return container.get(key)
            case list() | tuple():
                if isinstance(key, bool) or not isinstance(key, int):
                    raise TypeError(f"list index must be an integer, not {type(key).__name__}")
                if key < 0 or key >= len(container):
                    return None
                return container[key]
        raise TypeError(f"{type(container).__name__} has no properties in JUEL")
