"""Breakout attempts against the script sandbox: each must fail.

A script or expression from a diagram must not import, open files, evaluate code, walk to
classes, modules, frames or globals, allocate without bound, or run forever. These tests
run the attempts the way the engine runs designers' code (RestrictedEnvironment) and, for
the compile-time refusals, through a deployment. The Hypothesis test generates attribute
walks from every object a script can name and checks that none reaches anything that
would let it out.
"""

from __future__ import annotations

import builtins
import time
import types

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from supervision.calendar import calendar_from_chinese_calendar
from supervision.engine.functions import LIBRARY
from supervision.engine.sandbox import ScriptCompileError
from supervision.engine.sandbox import ScriptTimeout
from supervision.engine.sandbox import compile_expression
from supervision.engine.scripting import EvaluationContext
from supervision.engine.scripting import RestrictedEnvironment
from supervision.engine.scripting import ScriptError
from supervision.engine.scripting import evaluation_context


@pytest.fixture
def env():
    return RestrictedEnvironment(LIBRARY, time_limit_seconds=0.3)


def run(env, script: str, **variables):
    context = dict(variables)
    env.execute(script, context, {})
    return context


def refused(env, script: str, **variables) -> str:
    """The error a script fails with; the test fails if the script runs."""
    with pytest.raises((ScriptCompileError, ScriptError)) as caught:
        run(env, script, **variables)
    return str(caught.value)


# ---------------------------------------------------------------- named attempts

COMPILE_TIME = {
    "import": "import os",
    "from_import": "from os import path",
    "dunder_walk": "x = ().__class__.__base__.__subclasses__()",
    "function_globals": "g = workdays.__globals__",
    "generator_frame": "g = (i for i in [1])\nf = g.gi_frame",
    "eval": "x = eval('1 + 1')",
    "exec": "exec('x = 1')",
    "bare_except": "try:\n    x = 1\nexcept:\n    pass",
    "except_base": "try:\n    x = 1\nexcept BaseException:\n    pass",
    "except_expression": "try:\n    x = 1\nexcept (lambda: Exception)():\n    pass",
    "finally": "try:\n    x = 1\nfinally:\n    y = 2",
    "with": "with x as y:\n    pass",
    "underscore_name": "_getattr_ = 1",
    "fstring_dunder": "x = f'{workdays.__globals__}'",
}


@pytest.mark.parametrize("script", COMPILE_TIME.values(), ids=COMPILE_TIME.keys())
def test_refused_when_compiled(env, script):
    with pytest.raises(ScriptCompileError):
        run(env, script, x={})


RUN_TIME = {
    "dunder_import": ("x = __import__('os')", "__import__"),
    "open": ("x = open('/etc/passwd').read()", "open"),
    "compile": ("x = compile('1', 'f', 'eval')", "compile"),
    "getattr_dunder": ("x = getattr((), '__class__')", "getattr"),
    "type": ("x = type(1)", "type"),
    "vars": ("x = vars()", "vars"),
    "globals": ("x = globals()", "globals"),
    "format_attribute": ("x = '{0.__class__}'.format(1)", "format"),
    "format_globals": ("x = '{0.__globals__}'.format(workdays)", "format"),
    "format_map": ("x = '{a.__class__}'.format_map({'a': 1})", "format"),
    "format_on_the_type": ("x = str.format('{0.__class__}', 1)", "object is not callable"),
    "jget_dunder": ("x = jget({}, '__class__')", "starting with '_'"),
    "mro_to_base_exception": ("x = Exception.mro()", "mro"),
    "print": ("print('x')", "print"),
}


@pytest.mark.parametrize(("script", "why"), RUN_TIME.values(), ids=RUN_TIME.keys())
def test_refused_when_run(env, script, why):
    assert why in refused(env, script)


ALLOCATIONS = {
    "text_times": "x = 'a' * 10**9",
    "list_times": "x = [0] * 10**9",
    "nested_times": "a = [0] * 900000\nb = [a] * 900000",
    "power": "x = (2**4096)**4096",
    "big_product": "x = 10**20000\ny = x * x * x * x",
    "shift": "x = 1 << 10**9",
    "ljust": "x = 'a'.ljust(10**9)",
    "zfill": "x = '1'.zfill(10**9)",
    "replace": "x = ('a' * 500000).replace('a', 'aaaa')",
    "join": "x = '-'.join(['a' * 400000, 'b' * 400000, 'c' * 400000])",
    "concatenation": "x = 'a' * 600000\nx = x + x",
    "augmented": "x = 'a' * 600000\nx += x",
    "extend": "a = [0] * 600000\na.extend(a)",
    "str_of_shared_lists": (
        "a = [0] * 900000\nb = []\nfor i in range(999):\n    b.append(a)\nx = str(b)"
    ),
    "fstring_of_shared_lists": "a = [0] * 600000\nb = [a, a]\nx = f'{b}'",
    "percent_format": "a = [0] * 600000\nx = '%s %s' % (a, a)",
    "sum_of_lists": "x = sum([[1] * 500] * 500, [])",
    "round_precision": "x = round(5, -10**9)",
    "left_in_the_case": "x = [[i] for i in range(999)]\ny = [x] * 999",
}


@pytest.mark.parametrize("script", ALLOCATIONS.values(), ids=ALLOCATIONS.keys())
def test_huge_allocations_are_refused_before_they_happen(script):
    env = RestrictedEnvironment(LIBRARY)  # the engine's own time limit
    started = time.monotonic()
    message = refused(env, script)
    reasons = ("too large", "too much data", "not supported", "adds numbers only")
    assert any(reason in message for reason in reasons), message
    assert time.monotonic() - started < 5


LOOPS = {
    "while": "while True:\n    x = 1",
    "one_line": "while True: pass",
    "swallowed": (
        "while True:\n    try:\n        while True:\n            pass\n"
        "    except Exception:\n        pass"
    ),
    "generator": "def g():\n    while True:\n        yield 1\nx = list(g())",
    "recursion_in_loop": "def f(n):\n    return f(n + 1) if n < 500 else 0\nwhile True:\n    f(0)",
    "named_handler": (
        "E = Exception\nwhile True:\n    try:\n        while True: pass\n"
        "    except E:\n        pass"
    ),
}


@pytest.mark.parametrize("script", LOOPS.values(), ids=LOOPS.keys())
def test_endless_loops_are_stopped(env, script):
    started = time.monotonic()
    assert "ScriptTimeout" in refused(env, script)
    assert time.monotonic() - started < 5


def test_an_endless_comprehension_in_an_expression_is_stopped(env):
    source = "len([1 for a in range(999) for b in range(999) for c in range(999)])"
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.evaluate(source, {})
    assert time.monotonic() - started < 5


def test_variables_cannot_replace_the_guards(env):
    context = {"_getattr_": "x", "__builtins__": {"open": "x"}, "v": {"a": 1}}
    assert env.evaluate("v['a'] + 1", context) == 2
    assert "open" in refused(env, "x = open('f')", _getattr_=None)


def test_ordinary_scripts_still_work(env):
    calendar = calendar_from_chinese_calendar([2026])
    with evaluation_context(EvaluationContext(calendar_loader=lambda: calendar)):
        result = run(
            env,
            "total = sum(x['n'] for x in items)\n"
            "names = sorted({x['name'] for x in items})\n"
            "label = f'{len(items)} 项：' + '，'.join(names)\n"
            "try:\n    bad = int('x')\nexcept ValueError:\n    bad = None\n"
            "due = workdays(2, '2026-03-02')",
            items=[{"n": 2, "name": "乙"}, {"n": 3, "name": "甲"}],
        )
    assert result["total"] == 5
    assert result["names"] == sorted(["乙", "甲"])
    assert result["label"] == "2 项：" + "，".join(sorted(["乙", "甲"]))
    assert result["bad"] is None
    assert result["due"] == "2026-03-04T23:59:59+08:00"


# ---------------------------------------------------------------- generated walks

ATTACK_NAMES = [
    "__class__",
    "__base__",
    "__bases__",
    "__mro__",
    "mro",
    "__subclasses__",
    "__globals__",
    "__builtins__",
    "__dict__",
    "__code__",
    "__closure__",
    "__self__",
    "__func__",
    "__init__",
    "__getattribute__",
    "__reduce_ex__",
    "__import__",
    "gi_frame",
    "gi_code",
    "f_globals",
    "f_back",
    "tb_frame",
    "co_consts",
    "format",
    "format_map",
    "func_globals",
    "im_func",
    "with_traceback",
    "args",
    "keys",
    "get",
]
BASES = [
    "()",
    "[]",
    "{}",
    "''",
    "0",
    "x",
    "workdays",
    "jget",
    "str",
    "len",
    "dict",
    "Exception",
    "ValueError",
    "(lambda: 0)",
    "(i for i in [1])",
    "range(3)",
]


def _step(name: str, form: str, chain: str) -> str:
    return {
        "attribute": f"{chain}.{name}",
        "item": f"{chain}[{name!r}]",
        "call": f"{chain}()",
        "getattr": f"getattr({chain}, {name!r})",
        "jget": f"jget({chain}, {name!r})",
        "format": f"'{{0.{name}}}'.format({chain})",
        "fstring": f"f'{{{chain}.{name}}}'",
    }[form]


FORMS = ["attribute", "item", "call", "getattr", "jget", "format", "fstring"]
SAFE_TYPES = (str, int, float, bool, type(None), list, tuple, dict, set, range)
FORBIDDEN_OBJECTS = (
    object,
    type,
    BaseException,
    builtins.__import__,
    builtins.open,
    builtins.eval,
    builtins.exec,
    builtins.compile,
    builtins.getattr,
    builtins.globals,
    builtins.vars,
)


def _escaped(value) -> bool:
    if isinstance(value, types.ModuleType | types.FrameType | types.CodeType | types.TracebackType):
        return True
    if any(value is forbidden for forbidden in FORBIDDEN_OBJECTS):
        return True
    if isinstance(value, dict) and ("__builtins__" in value or "__import__" in value):
        return True
    return isinstance(value, types.CellType | types.MappingProxyType)


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(BASES),
    steps=st.lists(st.tuples(st.sampled_from(ATTACK_NAMES), st.sampled_from(FORMS)), max_size=5),
)
def test_generated_attribute_walks_never_reach_a_way_out(base, steps):
    env = RestrictedEnvironment(LIBRARY, time_limit_seconds=0.3)
    chain = base
    for name, form in steps:
        chain = _step(name, form, chain)
    try:
        compile_expression(chain)
    except SyntaxError:
        return  # refused when compiled: nothing ran
    scope = env._globals({"x": {"a": 1}}, None)
    try:
        value = eval(compile_expression(chain), scope)  # noqa: S307 - the sandbox under test
    except Exception:
        return  # refused when run
    assert not _escaped(value), (chain, value)
    # Whatever a walk returns, a script cannot keep it in the case unless it is data.
    if not isinstance(value, SAFE_TYPES):
        context = {"x": {"a": 1}}
        try:
            env.execute(f"kept = {chain}", context, {})
        except ScriptError:
            return
        assert callable(value) and "kept" not in context, (chain, value)
