"""Service-task handlers: the Python behind `camunda:delegateExpression="${name}"`.

A handler is `handler(ctx: HandlerContext, *args) -> dict | value | None`. A dict result is
merged into the case variables (unless the task names a camunda:resultVariable). Handlers
run inside the case's transaction under a savepoint: if one raises, its database writes are
undone and the case gets an incident that an administrator can retry.

Handlers register themselves with @handler("name"); `all_handlers()` imports the modules of
this package so the registry is complete (the deploy-time linter rejects unknown names).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

HANDLERS: dict[str, Callable[..., Any]] = {}
DESCRIPTIONS: dict[str, str] = {}


def handler(name: str, description: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in HANDLERS and HANDLERS[name] is not fn:
            raise ValueError(f"handler {name!r} registered twice")
        HANDLERS[name] = fn
        doc = (fn.__doc__ or "").strip()
        DESCRIPTIONS[name] = description or (doc.splitlines()[0] if doc else "")
        return fn

    return register


def all_handlers() -> dict[str, Callable[..., Any]]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(HANDLERS)
