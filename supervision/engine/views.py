"""Frozen views: the only engine types code outside supervision/engine sees."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from supervision.forms import FormView


@dataclass(frozen=True)
class MessageEvent:
    """A message thrown by a case that no task inside it caught."""

    name: str
    payload: Any
    variables: dict[str, Any] | None
    instance_id: str
    business_key: str | None


@dataclass
class OperationResult:
    """What one engine operation did (for the service layer to route and report)."""

    instance: Any
    events: list[MessageEvent] = field(default_factory=list)
    incidents: list[Any] = field(default_factory=list)
    created_task_ids: list[str] = field(default_factory=list)
    ended: bool = False


@dataclass(frozen=True)
class TaskFormView:
    task_spec_id: str
    process_key: str
    name: str
    documentation: str | None
    form: FormView


@dataclass(frozen=True)
class ActivityState:
    """Element ids by state, for drawing a case's diagram."""

    completed: frozenset[str] = frozenset()
    active: frozenset[str] = frozenset()
    incident: frozenset[str] = frozenset()
    cancelled: frozenset[str] = frozenset()
    details: dict[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
