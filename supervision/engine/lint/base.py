"""What every lint rule shares: namespaces, the context, reporting, expression checks."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from supervision.engine import expressions
from supervision.engine import juel
from supervision.engine.sandbox import SAFE_BUILTINS
from supervision.engine.sandbox import check_expression
from supervision.engine.sandbox import check_script
from supervision.errors import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "camunda": CAMUNDA_NS}
B = f"{{{BPMN_NS}}}"
C = f"{{{CAMUNDA_NS}}}"

# Names the engine puts into every expression's scope besides the variables.
RESERVED_VARIABLES = (
    frozenset({"typename", "handler_args", "result"})
    | frozenset(juel.HELPERS)
    | expressions.FUNCTION_NAMES
)
_SCRIPT_LINE = re.compile(r"^Line (\d+):\s*")
_PYTHON_BUILTINS = frozenset(dir(builtins))


@dataclass
class LintContext:
    resource: str
    known_groups: frozenset[str] | None  # None: do not check group codes
    known_group_names: dict[str, str]  # Chinese name -> code (lanes may use names)
    handler_names: frozenset[str]
    functions: frozenset[str] = expressions.FUNCTION_NAMES


class LintBase:
    """Reporting and the checks of expressions and scripts used by all rules."""

    def __init__(self, tree: etree._ElementTree, ctx: LintContext) -> None:
        self.root = tree.getroot() if hasattr(tree, "getroot") else tree
        self.ctx = ctx
        self.problems: list[Problem] = []

    # -- reporting ------------------------------------------------------------
    def error(self, node, message: str, code: str, line: int | None = None) -> None:
        self._add(node, message, "error", code, line)

    def warning(self, node, message: str, code: str, line: int | None = None) -> None:
        self._add(node, message, "warning", code, line)

    def _add(self, node, message: str, severity: str, code: str, line: int | None) -> None:
        # The element a designer clicks on: an event definition's event, a condition's flow.
        element = node
        while element is not None and (
            element.get("id") is None or _local(element).endswith("EventDefinition")
        ):
            element = element.getparent()
        element_id = element.get("id") if element is not None else None
        self.problems.append(
            Problem(
                message=message,
                resource=self.ctx.resource,
                element_id=element_id,
                line=line or getattr(node, "sourceline", None),
                severity=severity,
                element_ids=[element_id] if element_id else [],
                code=code,
            )
        )

    def xpath(self, node, path: str) -> list:
        return node.xpath(path, namespaces=NS)

    # -- expressions -----------------------------------------------------------
    def check_translation(self, node, kind: str, text: str | None, what: str) -> str | None:
        """Translate a diagram text like the parser does; report what fails. Returns Python."""
        if text is None:
            return None
        convert: Callable[..., str | None] = {
            "value": expressions.value_to_python,
            "expression": expressions.expression_to_python,
            "timer": expressions.timer_to_python,
            "collection": expressions.collection_to_python,
        }[kind]
        try:
            python = convert(text, self.ctx.functions)
        except ValueError as exc:  # JuelError is a ValueError
            self.error(node, f"{what}: {exc}", "expression-invalid")
            return None
        if python is None:
            return None
        problem = check_expression(python)
        if problem:
            self.error(
                node,
                f"{what} is not a valid expression ({problem}): {text.strip()!r}",
                "expression-invalid",
            )
            return None
        if not juel.is_juel(text):
            # A plain Python expression: JUEL calls were checked by the translator already.
            self.check_calls(node, python, what, frozenset())
        return python

    def check_calls(self, node, source: str, what: str, defined: frozenset[str]) -> None:
        """Calls of names that do not exist at run time (dir(), open(), a typo)."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return  # reported by the compile check
        available = self.ctx.functions | frozenset(SAFE_BUILTINS) | frozenset(juel.HELPERS)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if not isinstance(call.func, ast.Name):
                continue
            name = call.func.id
            if name in available or name in defined:
                continue
            hint = (
                "a Python built-in that diagrams may not use"
                if name in _PYTHON_BUILTINS
                else "not a function the engine provides"
            )
            self.error(
                node,
                f"{what} calls {name}(), {hint} (available: "
                f"{', '.join(sorted(self.ctx.functions))} and the safe built-ins)",
                "unknown-function",
            )

    def check_script_text(self, script_node, text: str, what: str) -> None:
        """Compile a script as the engine will and point errors at the file's lines."""
        first_line = script_node.sourceline or 0
        problem = check_script(text)
        if problem:
            for part in problem.split("; "):
                match = _SCRIPT_LINE.match(part)
                line = first_line + int(match.group(1)) - 1 if match else first_line
                self.error(
                    script_node,
                    f"{what} does not compile: {_SCRIPT_LINE.sub('', part)}",
                    "script-invalid",
                    line=line,
                )
            return
        self.check_calls(script_node, text, what, _defined_names(text))


def _local(node) -> str:
    return node.tag.split("}")[-1] if isinstance(node.tag, str) else ""


def _defined_names(source: str) -> frozenset[str]:
    """Functions and variables a script defines itself (they may be called)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return frozenset(names)


def element_lines(tree) -> dict[str, int]:
    """id -> source line, so problems found on specs can point into the file."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    return {
        el.get("id"): el.sourceline
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("id")
    }
