"""Tests of the JUEL-to-Python translator and of the reference interpreter.

Every example runs twice: as translated Python (eval'd the way the engine does it, with no
builtins) and through juel.evaluate(). The Hypothesis tests then compare the two on random
expressions, check that arbitrary text either is refused or becomes code of the allowed shape,
and spy on what the generated code calls.
"""

from __future__ import annotations

import ast
import functools
import math
import pickle
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from RestrictedPython import compile_restricted_eval

from supervision.engine import juel
from supervision.engine.juel import HELPERS
from supervision.engine.juel import JuelError
from supervision.engine.juel import UnsafeCodeError
from supervision.engine.juel import check_generated
from supervision.engine.juel import evaluate
from supervision.engine.juel import is_juel
from supervision.engine.juel import referenced_names
from supervision.engine.juel import translate

# -- whitelisted test functions -------------------------------------------------------------------


def twice(value: Any) -> Any:
    return value * 2


def size(value: Any) -> int:
    return len(value)


def first(*values: Any) -> Any:
    return values[0] if values else None


FUNCTIONS: dict[str, Callable[..., Any]] = {"twice": twice, "size": size, "first": first}
FUNCTION_NAMES = frozenset(FUNCTIONS)


def run(text: str, variables: dict[str, Any]) -> Any:
    """Evaluate translated code the way the engine must: helpers last, no builtins."""
    source = translate(text, FUNCTION_NAMES)
    namespace = {**variables, **FUNCTIONS, **HELPERS, "__builtins__": {}}
    return eval(compile(source, "<juel>", "eval"), namespace)


def both(text: str, variables: dict[str, Any]) -> tuple[Any, Any]:
    return run(text, variables), evaluate(text, variables, FUNCTIONS)


def same(left: Any, right: Any) -> bool:
    """Equality that also distinguishes True from 1 and treats NaN as equal to NaN."""
    if left is right:
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        if math.isnan(left) and math.isnan(right):
            return True
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    return bool(left == right)


def _outcome(action: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "value", action()
    except Exception as exc:  # the exception class is the outcome being compared
        return "error", type(exc)


class Secret:
    """An arbitrary object: its attributes must stay out of reach."""

    b = "attribute"

    def __repr__(self) -> str:
        return "Secret()"


VARS: dict[str, Any] = {
    "a": 1,
    "b": 2,
    "f": 1.5,
    "i": 1,
    "z": 0,
    "s": "abc",
    "t": "TRUE",
    "no": "no",
    "nothing": None,
    "yes": True,
    "no_flag": False,
    "lst": [10, 20, 30],
    "empty_list": [],
    "empty_obj": {},
    "tup": (1, 2),
    "obj": {"k": "v", "inner": {"x": 5}, "n": None, "list": [1, {"deep": "d"}]},
    "region": "east",
    "key": "k",
    "private": "__class__",
    "secret": Secret(),
    "案件": "c-1",
}

# -- examples -------------------------------------------------------------------------------------

EXAMPLES: list[tuple[str, Any]] = [
    # literals
    ("${1}", 1),
    ("${007}", 7),
    ("${1.5}", 1.5),
    ("${1e3}", 1000.0),
    ("${2.5E-1}", 0.25),
    ("${'it\\'s'}", "it's"),
    ('${"say \\"hi\\""}', 'say "hi"'),
    ("${'mixed \\\"'}", 'mixed "'),
    ("${'a\\\\b'}", "a\\b"),
    ("${'}'}", "}"),
    ('${"${x}"}', "${x}"),
    ("${'执法'}", "执法"),
    ("${true}", True),
    ("${false}", False),
    ("${null}", None),
    # variables and null-safe navigation
    ("${a}", 1),
    ("${案件}", "c-1"),
    ("${obj.k}", "v"),
    ("${obj['k']}", "v"),
    ('${obj["k"]}', "v"),
    ("${obj.inner.x}", 5),
    ("${obj.missing}", None),
    ("${obj.missing.deeper}", None),
    ("${obj.n}", None),
    ("${nothing.x}", None),
    ("${nothing[0]}", None),
    ("${lst[0]}", 10),
    ("${lst[i]}", 20),
    ("${lst[3]}", None),
    ("${lst[-1]}", None),
    ("${obj.list[1].deep}", "d"),
    ("${obj[key]}", "v"),
    ("${obj[null]}", None),
    ("${tup[1]}", 2),
    ("${(obj).k}", "v"),
    ("${obj.class}", None),
    # equality
    ("${a == 1}", True),
    ("${a == 1.0}", True),
    ("${a eq 1}", True),
    ("${a != 2}", True),
    ("${a ne 1}", False),
    ("${s == 'abc'}", True),
    ("${'1' == 1}", False),
    ("${yes == true}", True),
    ("${yes == 1}", False),
    ("${z == false}", False),
    ("${nothing == null}", True),
    ("${nothing != null}", False),
    ("${a == null}", False),
    ("${lst == lst}", True),
    ("${a == b == false}", True),
    # ordering
    ("${a < b}", True),
    ("${a lt b}", True),
    ("${b > a}", True),
    ("${b gt a}", True),
    ("${a <= 1}", True),
    ("${a le 0}", False),
    ("${b >= 2}", True),
    ("${b ge 3}", False),
    ("${'a' < 'b'}", True),
    ("${nothing < 1}", False),
    ("${1 > nothing}", False),
    ("${nothing >= nothing}", False),
    ("${f > a}", True),
    # logic and boolean coercion
    ("${yes && a == 1}", True),
    ("${yes and no_flag}", False),
    ("${no_flag || yes}", True),
    ("${no_flag or z}", False),
    ("${!yes}", False),
    ("${not no_flag}", True),
    ("${t && yes}", True),
    ("${no || false}", False),
    ("${!nothing}", True),
    ("${!empty_list}", True),
    ("${lst && 1}", True),
    ("${z || 0.0}", False),
    ("${1 && 'true'}", True),
    ("${s || ''}", False),
    ("${no_flag && missing}", False),
    ("${yes || missing}", True),
    ("${a > 0 && b > 1 && s == 'abc' || missing}", True),
    # empty
    ("${empty nothing}", True),
    ("${empty ''}", True),
    ("${empty empty_list}", True),
    ("${empty empty_obj}", True),
    ("${empty s}", False),
    ("${empty z}", False),
    ("${empty no_flag}", False),
    ("${not empty lst}", True),
    ("${!empty lst}", True),
    ("${empty obj.missing}", True),
    # arithmetic
    ("${a + b}", 3),
    ("${b - a}", 1),
    ("${b * f}", 3.0),
    ("${b / 4}", 0.5),
    ("${4 / 2}", 2.0),
    ("${7 div 2}", 3.5),
    ("${7 % 3}", 1),
    ("${7 mod 3}", 1),
    ("${-7 % 3}", 2),
    ("${-a}", -1),
    ("${- -a}", 1),
    ("${1 + 2 * 3}", 7),
    ("${(1 + 2) * 3}", 9),
    ("${10 - 2 - 3}", 5),
    ("${2 * 3 % 4}", 2),
    ("${a + b > 2}", True),
    ("${-obj.inner.x}", -5),
    # ternary
    ("${yes ? 'y' : 'n'}", "y"),
    ("${nothing ? 'y' : 'n'}", "n"),
    ("${t ? 1 : 2}", 1),
    ("${a > 0 ? a < 2 ? 'one' : 'big' : 'neg'}", "one"),
    ("${no_flag ? 1 : yes ? 2 : 3}", 2),
    ("${yes ? 1 : missing}", 1),
    ("${a || no_flag ? 'x' : 'y'}", "x"),
    # whitelisted functions
    ("${twice(a)}", 2),
    ("${size(lst)}", 3),
    ("${first()}", None),
    ("${first(a, b)}", 1),
    ("${twice(twice(b)) + 1}", 9),
    ("${first(obj).k}", "v"),
    # whitespace
    ("${ a  ==\n1 }", True),
    ("${a==1&&b==2}", True),
    # text forms
    ("county_${region}_sup", "county_east_sup"),
    ("${a}-${b}", "1-2"),
    ("n=${nothing}", "n="),
    ("${yes}/${no_flag}", "true/false"),
    ("${f}", 1.5),
    ("x${f}", "x1.5"),
    ("#{a}", 1),
    ("x#{a}y", "x1y"),
    ("plain", "plain"),
    ("", ""),
    ("\\${a}", "${a}"),
    ("cost \\#{a} ${a}", "cost #{a} 1"),
    (" ${a} ", 1),
    ("\n  ${yes}\n", True),
    ("a\\b", "a\\b"),
    ("$ {a}", "$ {a}"),
    ("price: $5 {x} }{", "price: $5 {x} }{"),
    ("${'lit'}${a}", "lit1"),
    ("${lst}", [10, 20, 30]),
    ("[${lst}]", "[[10, 20, 30]]"),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_examples(text: str, expected: Any) -> None:
    translated, interpreted = both(text, VARS)
    assert same(translated, expected), translate(text, FUNCTION_NAMES)
    assert same(interpreted, expected)


def test_whole_expression_returns_the_value_itself() -> None:
    translated, interpreted = both("${lst}", VARS)
    assert translated is VARS["lst"]
    assert interpreted is VARS["lst"]


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("${a && b}", "(jbool(a) and jbool(b))"),
        ("${a.b[0]}", "jget(jget(a, 'b'), 0)"),
        ("${-a + 2}", "((-jnum(a)) + 2)"),
        ("${a != b}", "(not jeq(a, b))"),
        ("${x ? 1 : 2}", "(1 if jbool(x) else 2)"),
        ("${!(a < b)}", "(not jlt(a, b))"),
        ("id_${n}", "jcat('id_', jstr(n))"),
        ("supervisors", "'supervisors'"),
        ("${twice(a)}", "twice(a)"),
    ],
)
def test_generated_source_shape(text: str, source: str) -> None:
    assert translate(text, FUNCTION_NAMES) == source


# -- refused text ---------------------------------------------------------------------------------

TOO_DEEP_PARENS = "${" + "(" * 40 + "a" + ")" * 40 + "}"
TOO_LONG_CHAIN = "${" + " + ".join(["a"] * 100) + "}"
TOO_MANY_PREFIXES = "${" + "!" * 100 + "a}"

ERRORS: list[tuple[str, int, str]] = [
    ("${a =~ b}", 4, "unsupported operator '=~'"),
    ("${a = 1}", 4, "assignment"),
    ("${x -> x}", 4, "lambda"),
    ("${a += b}", 4, "'+='"),
    ("${a; b}", 3, "';'"),
    ("${a & b}", 4, "'&'"),
    ("${a | b}", 4, "'|'"),
    ("${a instanceof b}", 4, "instanceof"),
    ("${x.y()}", 4, "method calls"),
    ("${obj.k.size()}", 8, "method calls"),
    ("${unknown(1)}", 2, "unknown function 'unknown'"),
    ("${(a)(1)}", 5, "only whitelisted functions"),
    ("${lst[0](1)}", 8, "only whitelisted functions"),
    ("${a #{b}}", 4, "nested expressions"),
    ("${a ${b}}", 4, "nested expressions"),
    ("${a", 0, "missing '}'"),
    ("x ${a", 2, "missing '}'"),
    ("${'abc}", 2, "unterminated string"),
    ("${'abc\\'}", 2, "unterminated string"),
    ("${}", 0, "empty expression"),
    ("ok ${   }", 3, "empty expression"),
    ("${a b}", 4, "unexpected 'b'"),
    ("${(a}", 4, "unexpected end of expression (expected ')')"),
    ("${a +}", 5, "unexpected end of expression"),
    ("${a ? b}", 7, "expected ':'"),
    ("${{1, 2}}", 2, "'{'"),
    ("${[1]}", 2, "unexpected '['"),
    ("${from}", 2, "Python keyword"),
    ("${None}", 2, "Python keyword"),
    ("${True}", 2, "Python keyword"),
    ("${a.b + class}", 8, "Python keyword"),
    ("${_a}", 2, "starting with '_'"),
    ("${__import__('os')}", 2, "starting with '_'"),
    ("${a._b}", 4, "starting with '_'"),
    ("${a['_b']}", 4, "starting with '_'"),
    ("${''.__class__}", 5, "starting with '_'"),
    ("${a.__class__}", 4, "starting with '_'"),
    ("${jget}", 2, "reserved"),
    ("${jbool(a)}", 2, "reserved"),
    ("${printed}", 2, "reserved"),
    ("${a__roles__}", 2, "reserved"),
    ("${twice}", 2, "is a function"),
    ("${a.1}", 3, "must start with a digit"),
    ("${.5}", 2, "must start with a digit"),
    ("${1.}", 2, "malformed number"),
    ("${1e}", 2, "malformed number"),
    ("${1e+x}", 2, "malformed number"),
    ("${12abc}", 2, "malformed number"),
    ("${0x1F}", 2, "malformed number"),
    ("${1e999}", 2, "out of range"),
    ("${" + "9" * 5000 + "}", 2, "too long"),
    ("${'\\n'}", 3, "invalid escape"),
    ("${a.}", 4, "expected a property name"),
    ("${a.true}", 4, "expected a property name"),
    ("${@}", 2, "unexpected character '@'"),
    ("${a $ b}", 4, "unexpected character '$'"),
    ("${ﬁ}", 2, "NFKC"),
    ("${fn:upper(a)}", 4, "unexpected ':'"),
    (TOO_DEEP_PARENS, 34, "too deeply nested"),
    (TOO_LONG_CHAIN, 256, "too deeply nested"),
    (TOO_MANY_PREFIXES, 66, "too deeply nested"),
]


@pytest.mark.parametrize(("text", "position", "reason"), ERRORS)
def test_refused_text(text: str, position: int, reason: str) -> None:
    with pytest.raises(JuelError) as translated:
        translate(text, FUNCTION_NAMES)
    with pytest.raises(JuelError) as interpreted:
        evaluate(text, VARS, FUNCTIONS)
    for error in (translated.value, interpreted.value):
        assert error.position == position, error
        assert reason in error.reason
        assert error.expression == text
        assert "\n" not in str(error)


def test_error_message_shows_the_expression_on_one_line() -> None:
    with pytest.raises(JuelError) as caught:
        translate("${a\n =~ b}")
    error = caught.value
    assert isinstance(error, ValueError)
    assert str(error) == "unsupported operator '=~' at position 5 in ${a\\n =~ b}"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.expression, copy.position) == (
        "unsupported operator '=~'",
        error.expression,
        5,
    )


def test_functions_must_be_plain_names() -> None:
    for bad in ("_private", "jget", "class", "print", "a.b"):
        with pytest.raises(ValueError, match="cannot whitelist"):
            translate("${a}", {bad})


# -- run-time errors ------------------------------------------------------------------------------

RUNTIME_ERRORS: list[tuple[str, type[Exception]]] = [
    ("${missing}", NameError),
    ("${missing.x}", NameError),
    ("x${missing}", NameError),
    ("${a + s}", TypeError),
    ("${a + nothing}", TypeError),
    ("${yes + 1}", TypeError),
    ("${'1' + 1}", TypeError),
    ("${-s}", TypeError),
    ("${a / z}", ZeroDivisionError),
    ("${a div 0.0}", ZeroDivisionError),
    ("${a % 0}", ZeroDivisionError),
    ("${a < s}", TypeError),
    ("${yes < no_flag}", TypeError),
    ("${lst < lst}", TypeError),
    ("${s.x}", TypeError),
    ("${a.x}", TypeError),
    ("${lst.x}", TypeError),
    ("${lst[f]}", TypeError),
    ("${lst[yes]}", TypeError),
    ("${obj[private]}", ValueError),
    ("${nothing[private]}", ValueError),
    ("${obj[lst]}", TypeError),
    ("${secret.b}", TypeError),
    ("${secret['b']}", TypeError),
    ("${1 && secret}", TypeError),
    ("${size(a)}", TypeError),
]


@pytest.mark.parametrize(("text", "exception"), RUNTIME_ERRORS)
def test_runtime_errors(text: str, exception: type[Exception]) -> None:
    with pytest.raises(exception) as translated:
        run(text, VARS)
    with pytest.raises(exception) as interpreted:
        evaluate(text, VARS, FUNCTIONS)
    # Runtime failures are not JuelErrors: the text itself was fine.
    assert not isinstance(translated.value, JuelError)
    assert not isinstance(interpreted.value, JuelError)


# -- small API functions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, False),
        ("", False),
        ("supervisors", False),
        ("${a}", True),
        ("#{a}", True),
        ("x ${", True),
        ("county_${region}", True),
        ("\\${a}", False),
        ("\\${a} ${b}", True),
        ("$a {a}", False),
        ("{a}", False),
    ],
)
def test_is_juel(text: str | None, expected: bool) -> None:
    assert is_juel(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("supervisors", set()),
        ("${a.b[c] + twice(d)}", {"a", "c", "d"}),
        ("${obj.k} and ${e ? f : g}", {"obj", "e", "f", "g"}),
        ("${not empty x}", {"x"}),
        ("${whatever(y)}", {"y"}),
    ],
)
def test_referenced_names(text: str, expected: set[str]) -> None:
    assert referenced_names(text) == expected


def test_referenced_names_refuses_bad_text() -> None:
    with pytest.raises(JuelError):
        referenced_names("${a.b()}")


# -- security -------------------------------------------------------------------------------------

ATTACKS = [
    "${''.__class__}",
    "${a.__class__}",
    "${__import__('os')}",
    "${a['__class__']}",
    '${a["__globals__"]}',
    "${x.y()}",
    "${open('/etc/passwd')}",
    "${eval('1')}",
    "${twice.__code__}",
    "${(twice)(1)}",
    "${lst.pop()}",
    "${jget(a, '_x')}",
    "${a #{b}}",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_attacks_are_refused_at_translate_time(text: str) -> None:
    with pytest.raises(JuelError):
        translate(text, FUNCTION_NAMES)


def test_private_keys_are_refused_at_run_time() -> None:
    variables = {"obj": {"__class__": "hidden"}, "k": "__class__"}
    with pytest.raises(ValueError, match="_"):
        run("${obj[k]}", variables)
    with pytest.raises(ValueError, match="_"):
        evaluate("${obj[k]}", variables)


@pytest.mark.parametrize(
    "text", ["${secret.b}", "${secret['b']}", "${lst['append']}", "${s.upper}"]
)
def test_objects_are_not_navigable(text: str) -> None:
    """Attribute access on arbitrary objects would be a sandbox escape; it must not happen."""
    with pytest.raises(TypeError):
        run(text, VARS)
    with pytest.raises(TypeError):
        evaluate(text, VARS, FUNCTIONS)


def test_evaluate_without_functions_refuses_calls() -> None:
    with pytest.raises(JuelError, match="unknown function 'twice'"):
        evaluate("${twice(1)}", {})
    assert evaluate("${twice(2)}", {}, {"twice": twice}) == 4


@pytest.mark.parametrize(
    "source",
    [
        "a.b",
        "a[0]",
        "(lambda: 1)()",
        "[x for x in y]",
        "{}",
        "__import__('os')",
        "_x",
        "open('x')",
        "jget",
        "twice",
        "jget(a, 'b', c=1)",
        "(a := 1)",
        "b'x'",
        "...",
        "a is b",
        "a in b",
        "a ** 2",
        "~a",
        "a // b",
        "f'{a}'",
        "print",
        "jget(a, 'b'",
        "x = 1",
        "a\x00",
        "(" * 300 + "a" + ")" * 300,
    ],
)
def test_check_generated_rejects(source: str) -> None:
    with pytest.raises(UnsafeCodeError):
        check_generated(source, FUNCTION_NAMES)


def test_check_generated_accepts_the_allowed_shapes() -> None:
    check_generated(
        "(jbool(a) and not jeq(b, 1.5)) or (x if a < b <= c else -twice(-1 + y * 2 / z % 3))",
        FUNCTION_NAMES,
    )


def test_allowed_nodes_exclude_attribute_and_subscript() -> None:
    assert ast.Attribute not in juel.ALLOWED_AST_NODES
    assert ast.Subscript not in juel.ALLOWED_AST_NODES
    assert all(not name.startswith("_") for name in HELPERS)


BINARY_OPERATORS = [
    "==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge",
    "&&", "||", "and", "or", "+", "-", "*", "/", "%", "div", "mod",
]  # fmt: skip
PREFIXES = ["-", "!", "not ", "empty ", "not empty ", "!empty ", "- "]


# -- every operator against every kind of value ---------------------------------------------------

# Values where JUEL and Python disagree or the rules have edges: bools next to numbers, 'true'
# strings, empty containers, negative zero, NaN, private keys, an arbitrary object.
POOL: list[Any] = [
    None, True, False, 0, 1, -1, 2, 1.0, 0.0, -0.0, 2.5, float("nan"), float("inf"),
    "", "true", "TRUE", "false", "k", "_x", "1", [], [1], [True], (), (1, 2), {}, {"k": 1},
    {"_x": 1}, {"k": None}, {1: "one"}, Secret(),
]  # fmt: skip

PAIR_TEXTS = [f"${{x {op} y}}" for op in BINARY_OPERATORS] + [
    "${x[y]}",
    "${x ? y : 0}",
    "${first(x, y)}",
    "${x}|${y}",
]
SINGLE_TEXTS = [f"${{{prefix}x}}" for prefix in PREFIXES] + [
    "${x.k}",
    "${x[0]}",
    "${x[-1]}",
    "${x[1]}",
    "${x}",
    "<${x}>",
    "${twice(x)}",
]


def _assert_agree(text: str, source: str, variables: dict[str, Any]) -> None:
    namespace = {**variables, **FUNCTIONS, **HELPERS, "__builtins__": {}}
    translated = _outcome(lambda: eval(source, namespace))
    interpreted = _outcome(lambda: evaluate(text, variables, FUNCTIONS))
    if translated[0] == "error" or interpreted[0] == "error":
        assert translated == interpreted, (text, variables, translated, interpreted)
    else:
        assert same(translated[1], interpreted[1]), (text, variables, translated, interpreted)


@pytest.mark.parametrize("text", PAIR_TEXTS)
def test_operators_agree_on_every_pair_of_values(text: str) -> None:
    source = translate(text, FUNCTION_NAMES)
    for x in POOL:
        for y in POOL:
            _assert_agree(text, source, {"x": x, "y": y})


@pytest.mark.parametrize("text", SINGLE_TEXTS)
def test_unary_forms_agree_on_every_value(text: str) -> None:
    source = translate(text, FUNCTION_NAMES)
    for x in POOL:
        _assert_agree(text, source, {"x": x})


# -- Hypothesis -----------------------------------------------------------------------------------

VARIABLE_NAMES = ["a", "b", "n", "s", "lst", "obj", "flag"]
# Never bound, so that NameError paths are exercised too.
UNBOUND_NAMES = ["missing"]
KEYS = ["k", "x", "a", "true", "_x"]
PROPERTY_NAMES = ["k", "x", "a", "_x"]


def _quote(value: str, quote: str) -> str:
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return quote + escaped + quote


string_literals = st.builds(
    _quote,
    st.text(alphabet=st.sampled_from("ab _'\"\\}{$#.执"), max_size=6),
    st.sampled_from(["'", '"']),
)
number_literals = st.one_of(
    st.integers(0, 10**6).map(str),
    st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]}"),
    st.tuples(st.integers(0, 99), st.sampled_from(["e", "E", "e-", "e+"]), st.integers(0, 30)).map(
        lambda t: f"{t[0]}{t[1]}{t[2]}"
    ),
    st.sampled_from(["0", "0.0", "1", "2"]),
)
leaves = st.one_of(
    number_literals,
    st.sampled_from(["n", "n", "flag", "s"]),
    string_literals,
    st.sampled_from(["true", "false", "null"]),
    st.sampled_from(VARIABLE_NAMES + UNBOUND_NAMES),
    st.sampled_from(["obj.k", "obj.x.k", "lst[0]", "lst[n]", "obj['k']", 'obj["a"]', "first()"]),
)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def binary(parts: tuple[str, str, str, bool]) -> str:
        left, op, right, parenthesise = parts
        text = f"{left} {op} {right}"
        return f"({text})" if parenthesise else text

    return st.one_of(
        st.builds(lambda p, e: p + e, st.sampled_from(PREFIXES), children),
        st.tuples(children, st.sampled_from(BINARY_OPERATORS), children, st.booleans()).map(binary),
        st.builds(lambda c, a, b: f"{c} ? {a} : {b}", children, children, children),
        children.map(lambda e: f"({e})"),
        st.builds(lambda e, k: f"({e}).{k}", children, st.sampled_from(PROPERTY_NAMES)),
        st.builds(lambda e, k: f"({e})[{k}]", children, children),
        st.builds(
            lambda name, args: f"{name}({', '.join(args)})",
            st.sampled_from(sorted(FUNCTIONS)),
            st.lists(children, max_size=2),
        ),
    )


# Untyped: any operator over any operand. Broad, but most such expressions end in a TypeError.
untyped_expressions = st.recursive(leaves, _extend, max_leaves=12)

ARITHMETIC_OPERATORS = ["+", "-", "*", "/", "%", "div", "mod"]
ORDER_OPERATORS = ["<", ">", "<=", ">=", "lt", "gt", "le", "ge"]
EQUALITY_OPERATORS = ["==", "!=", "eq", "ne"]
LOGICAL_OPERATORS = ["&&", "||", "and", "or"]
TYPED_LEAVES: dict[str, st.SearchStrategy[str]] = {
    "num": st.one_of(number_literals, st.sampled_from(["n", "n", "-1", "obj.n"])),
    "bool": st.sampled_from(["true", "false", "flag", "'TRUE'", "s", "n", "lst", "null"]),
    "str": st.one_of(string_literals, st.sampled_from(["s", "obj.k"])),
    "any": st.sampled_from(["a", "b", "null", "lst", "obj", "obj.k", "lst[0]", "a.k", "missing"]),
}


def _paren(draw: st.DrawFn, text: str) -> str:
    # Optional parentheses: without them the parser may regroup operands, which exercises
    # precedence; with them, nesting the flat text could not express.
    return f"({text})" if draw(st.booleans()) else text


def _binary(draw: st.DrawFn, depth: int, left: str, ops: list[str], right: str) -> str:
    a = draw(typed_expressions(left, depth - 1))
    b = draw(typed_expressions(right, depth - 1))
    return _paren(draw, f"{a} {draw(st.sampled_from(ops))} {b}")


def _ternary(draw: st.DrawFn, depth: int, kind: str) -> str:
    test = draw(typed_expressions("bool", depth - 1))
    then = draw(typed_expressions(kind, depth - 1))
    other = draw(typed_expressions(kind, depth - 1))
    return _paren(draw, f"{test} ? {then} : {other}")


def _num_rules(draw: st.DrawFn, depth: int) -> list[tuple[int, Callable[[], str]]]:
    def unary() -> str:
        operand = draw(typed_expressions("num", depth - 1))
        return draw(st.sampled_from([f"-({operand})", f"-{operand}", f"twice({operand})"]))

    return [
        (5, lambda: _binary(draw, depth, "num", ARITHMETIC_OPERATORS, "num")),
        (2, unary),
        (1, lambda: _ternary(draw, depth, "num")),
    ]


def _bool_rules(draw: st.DrawFn, depth: int) -> list[tuple[int, Callable[[], str]]]:
    def prefix() -> str:
        operand = draw(typed_expressions("bool", depth - 1))
        return draw(st.sampled_from(["!", "not ", "!empty ", "empty "])) + operand

    compare = ORDER_OPERATORS + EQUALITY_OPERATORS
    return [
        (3, lambda: _binary(draw, depth, "bool", LOGICAL_OPERATORS, "bool")),
        (3, lambda: _binary(draw, depth, "num", compare, "num")),
        (1, lambda: _binary(draw, depth, "str", compare, "str")),
        (1, lambda: _binary(draw, depth, "any", EQUALITY_OPERATORS, "any")),
        (1, prefix),
        (1, lambda: "empty " + draw(typed_expressions("any", depth - 1))),
        (1, lambda: _ternary(draw, depth, "bool")),
    ]


def _str_rules(draw: st.DrawFn, depth: int) -> list[tuple[int, Callable[[], str]]]:
    return [
        (1, lambda: f"first({draw(typed_expressions('str', depth - 1))}, 1)"),
        (2, lambda: _ternary(draw, depth, "str")),
    ]


def _any_rules(draw: st.DrawFn, depth: int) -> list[tuple[int, Callable[[], str]]]:
    def sub(kind: str) -> str:
        return draw(typed_expressions(kind, depth - 1))

    return [
        (2, lambda: f"({sub('any')}).{draw(st.sampled_from(PROPERTY_NAMES))}"),
        (1, lambda: f"({sub('any')})[{sub('num')}]"),
        (1, lambda: f"({sub('any')})[{sub('str')}]"),
        (1, lambda: sub("num")),
        (1, lambda: sub("bool")),
        (1, lambda: sub("str")),
    ]


TYPED_RULES = {"num": _num_rules, "bool": _bool_rules, "str": _str_rules, "any": _any_rules}


@st.composite
def _typed(draw: st.DrawFn, kind: str, depth: int) -> str:
    # Weighted choices drawn as one integer: st.one_of would favour its first and last branch
    # (Hypothesis likes boundary values), which starves the binary operators of depth.
    if depth == 0 or draw(st.integers(0, 9)) < 2:
        return draw(TYPED_LEAVES[kind])
    rules = TYPED_RULES[kind](draw, depth)
    pick = draw(st.integers(0, sum(weight for weight, _ in rules) - 1))
    for weight, build in rules:
        if pick < weight:
            return build()
        pick -= weight
    raise AssertionError("unreachable")


@functools.cache
def typed_expressions(kind: str, depth: int) -> st.SearchStrategy[str]:
    """Expressions whose value usually has the given kind, so that evaluation mostly succeeds."""
    return _typed(kind, depth)


expressions = st.one_of(
    untyped_expressions,
    *(typed_expressions(kind, 4) for kind in ("str", "any", "bool", "num")),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(),
    st.floats(),
    st.text(max_size=4),
    st.sampled_from(["true", "TRUE", "false", "", "0", "k", "_x", [], {}, ()]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    ),
    max_leaves=8,
)
# Every name is bound (UNBOUND_NAMES covers NameError) and most are typed, so that random
# expressions usually get past their first operator; otherwise little but error paths would be
# compared. a and b can hold anything.
numbers = st.one_of(st.integers(-3, 3), st.integers(), st.floats(), st.sampled_from([0, 1, 2.5]))
variable_dicts = st.fixed_dictionaries(
    {
        "a": values,
        "b": values,
        "n": numbers,
        "s": st.one_of(st.text(max_size=3), st.sampled_from(["true", "False", "k", "_x"])),
        "lst": st.lists(st.one_of(numbers, values), max_size=3),
        "obj": st.dictionaries(st.sampled_from(KEYS), st.one_of(numbers, values), max_size=3),
        "flag": st.one_of(st.booleans(), st.none()),
    }
)

# Texts around expressions: composite text, whitespace, escapes.
templates = st.one_of(
    expressions.map(lambda e: "${" + e + "}"),
    expressions.map(lambda e: " #{" + e + "}\n"),
    st.tuples(st.text(alphabet="ab $#\\{}", max_size=4), expressions, expressions).map(
        lambda t: t[0] + "${" + t[1] + "}-${" + t[2] + "}"
    ),
)

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(text=templates, variables=variable_dicts)
def test_translated_code_agrees_with_the_interpreter(text: str, variables: dict[str, Any]) -> None:
    translated = _outcome(lambda: run(text, variables))
    interpreted = _outcome(lambda: evaluate(text, variables, FUNCTIONS))
    assert translated[0] == interpreted[0], (translated, interpreted)
    if translated[0] == "error":
        assert translated[1] is interpreted[1]
    else:
        assert same(translated[1], interpreted[1]), (translated, interpreted)


MUTATION_ALPHABET = "${}#'\"\\.()[]=!&|<>?:-+*/%_ a1e;~@,\n"


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    text = draw(templates)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:position] + draw(st.sampled_from(MUTATION_ALPHABET)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 3)) :]
        else:
            end = draw(st.integers(position, len(text)))
            text = text[:end] + text[position:end] + text[end:]
    return text


@PROPERTY_SETTINGS
@given(text=st.one_of(st.text(), mutated_texts()))
def test_any_text_is_refused_or_becomes_allowed_code(text: str) -> None:
    try:
        source = translate(text, FUNCTION_NAMES)
    except JuelError as error:
        assert error.position is None or 0 <= error.position <= len(text)
        assert "\n" not in str(error)
        # The interpreter uses the same parser, so it refuses the same texts.
        with pytest.raises(JuelError):
            evaluate(text, {}, FUNCTIONS)
        return
    check_generated(source, FUNCTION_NAMES)
    restricted = compile_restricted_eval(source)
    assert restricted.errors == (), restricted.errors
    outcome = _outcome(lambda: evaluate(text, {}, FUNCTIONS))
    assert outcome[0] == "value" or not issubclass(outcome[1], JuelError)


def _spy_calls(source: str, variables: dict[str, Any]) -> set[str]:
    """Names of everything the generated code itself calls (Python and C functions)."""
    code = compile(source, "<juel>", "eval")
    called: set[str] = set()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_back is not None:
            if frame.f_back.f_code.co_filename == "<juel>":
                called.add(frame.f_code.co_name)
        elif event == "c_call" and frame.f_code.co_filename == "<juel>":
            called.add(getattr(arg, "__name__", repr(arg)))

    namespace = {**variables, **FUNCTIONS, **HELPERS, "__builtins__": {}}
    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        eval(code, namespace)
    except Exception:  # only the calls matter here, not the outcome
        pass
    finally:
        sys.setprofile(previous)
    return called


@PROPERTY_SETTINGS
@given(text=templates, variables=variable_dicts)
def test_generated_code_calls_only_helpers_and_whitelisted_functions(
    text: str, variables: dict[str, Any]
) -> None:
    try:
        source = translate(text, FUNCTION_NAMES)
    except JuelError:
        return
    assert _spy_calls(source, variables) <= set(HELPERS) | FUNCTION_NAMES


def test_spy_sees_calls() -> None:
    """The spy itself works: it reports the helpers a known expression uses."""
    source = translate("${twice(a) > 1 && obj.k == 'v' && s}", FUNCTION_NAMES)
    assert _spy_calls(source, VARS) == {"twice", "jgt", "jbool", "jeq", "jget"}
