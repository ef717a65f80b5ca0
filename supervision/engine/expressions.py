"""Turn what designers write in Camunda Modeler into the Python the engine evaluates.

Three kinds of text appear in diagrams:
- *values* (candidateGroups, assignee, dueDate, input parameters): literal text unless it
  contains ${...}; 'supervisors' means the string, '${group}' the variable.
- *expressions* (conditions, completion conditions, timer expressions that are not ISO
  literals): JUEL when wrapped in ${...}, else a plain Python expression.
- *timer values*: an ISO-8601 literal (PT72H, P5D, 2026-12-01T09:00:00+08:00, R3/PT1H) is a
  constant, ${...} is JUEL, anything else is a Python expression.

Everything is translated once, at deploy time; the serialised spec holds only Python.
"""

from __future__ import annotations

import re

from supervision.engine import juel

# Functions designers may call in ${...} and in Python expressions (see scripting.py).
FUNCTION_NAMES = frozenset(
    {
        "workdays",
        "caldays",
        "hours",
        "before_workdays",
        "after_workdays",
        "statutory_days",
        "now",
        "today",
        "setting",
        "contains",
        "date_of",
    }
)

_ISO_TIMER = re.compile(
    r"^(R\d*/.+"
    r"|P(?=\d|T\d)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
    r"|\d{4}-?W\d{2}-?\d(T.*)?)$"
)


def is_iso_timer_literal(text: str) -> bool:
    return bool(_ISO_TIMER.match(text.strip()))


def value_to_python(text: str | None, functions: frozenset[str] = FUNCTION_NAMES) -> str | None:
    """A Camunda attribute value: literal unless it holds ${...}."""
    if text is None:
        return None
    return juel.translate(text, functions)


def expression_to_python(
    text: str | None, functions: frozenset[str] = FUNCTION_NAMES
) -> str | None:
    """A condition-like expression: JUEL in ${...}, otherwise Python source."""
    if text is None:
        return None
    stripped = text.strip()
    if not stripped:
        return None
    if juel.is_juel(stripped):
        return juel.translate(stripped, functions)
    return stripped


def timer_to_python(text: str | None, functions: frozenset[str] = FUNCTION_NAMES) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    # "R/P${days}D" is a composite JUEL string in Camunda, not a literal cycle.
    if is_iso_timer_literal(stripped) and not juel.is_juel(stripped):
        return repr(stripped)
    return expression_to_python(stripped, functions)


def collection_to_python(
    text: str | None, functions: frozenset[str] = FUNCTION_NAMES
) -> str | None:
    """A multi-instance collection: '${reviewers}', '${case.agencies}' or the plain name
    'reviewers' (Camunda reads a bare name as a variable)."""
    if text is None:
        return None
    stripped = text.strip()
    if not stripped:
        raise ValueError("camunda:collection is empty")
    if juel.is_juel(stripped):
        return juel.translate(stripped, functions)
    if not re.fullmatch(r"[^\W\d]\w*", stripped):
        raise ValueError(
            f"write the collection as ${{expression}} or a variable name, not {stripped!r}"
        )
    return juel.translate("${" + stripped + "}", functions)
