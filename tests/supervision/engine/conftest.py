"""Fixtures for the Camunda compatibility corpus (tests/data/compat).

`compat` is a database with the test organisation, a handful of recording handlers
registered on the engine, and helpers that drive cases the way the services do: deploy
through supervision.deployments, start through supervision.cases, complete tasks, deliver
messages through supervision.messages, fire timers with the frozen clock. After every
step `check_round_trip` restores the stored state and serialises it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Incident
from db.models import OpenTask
from db.models import OutboxMessage
from db.models import ProcessInstance
from supervision import cases
from supervision import clock
from supervision import messages
from supervision.engine.projection import case_variables
from tests.conftest import DATA
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user

COMPAT = DATA / "compat"


def corpus_file(name: str) -> tuple[str, bytes]:
    path = COMPAT / name
    return path.name, path.read_bytes()


@dataclass
class Compat:
    """A runtime with the organisation and recording handlers, and case helpers."""

    rt: Any
    calls: list[tuple[str, dict, tuple]] = field(default_factory=list)

    # -- set-up ---------------------------------------------------------------------
    def handler(self, name: str, result: Callable[..., Any] | Any = None) -> None:
        """Register `name`; it records its parameters and arguments, then returns
        `result` (called with the context and arguments when it is callable)."""

        def run(ctx, *args):
            self.calls.append((name, dict(ctx.params), args))
            return result(ctx, *args) if callable(result) else result

        self.rt.engine.register_handler(name, run)

    def deploy(self, *names: str):
        with self.rt.sessions.begin() as s:
            return deploy(s, self.rt.engine, *(corpus_file(n) for n in names))

    # -- driving cases ----------------------------------------------------------------
    def start(self, key: str, variables: dict | None = None, who: str = "sup1", bk: str = "BK-1"):
        with self.rt.sessions.begin() as s:
            case_id = cases.start_case(
                s,
                self.rt.engine,
                user(s, who),
                key=key,
                business_key=bk,
                variables=variables or {},
            ).instance.id
        self.check_round_trip(case_id)
        return case_id

    def tasks(self, case_id: str) -> dict[str, OpenTask]:
        with self.rt.sessions() as s:
            rows = s.scalars(select(OpenTask).where(OpenTask.instance_id == case_id)).all()
            return {t.task_spec_id: t for t in rows}

    def task_list(self, case_id: str) -> list[OpenTask]:
        with self.rt.sessions() as s:
            return list(s.scalars(select(OpenTask).where(OpenTask.instance_id == case_id)))

    def complete(self, who: str, task: OpenTask | str, values: dict | None = None) -> None:
        task_id = task if isinstance(task, str) else task.id
        with self.rt.sessions.begin() as s:
            instance_id = s.get(OpenTask, task_id).instance_id
            cases.complete_task(s, self.rt.engine, user(s, who), task_id, values or {})
        self.check_round_trip(instance_id)

    def correlate(self, name: str, bk: str = "BK-1", who: str = "sup1", **variables):
        with self.rt.sessions.begin() as s:
            results = messages.correlate(
                s, self.rt.engine, user(s, who), name, business_key=bk, variables=variables
            )
            kinds = [r.result_type for r in results]
        return kinds

    def fire(self, case_id: str, at: datetime | None = None) -> None:
        if at is not None:
            clock.freeze(at)
        with self.rt.sessions.begin() as s:
            self.rt.engine.fire_timers(s, s.get(ProcessInstance, case_id), actor="timer")
        self.check_round_trip(case_id)

    # -- reading ----------------------------------------------------------------------
    def case(self, case_id: str) -> ProcessInstance:
        with self.rt.sessions() as s:
            instance = s.get(ProcessInstance, case_id)
            s.expunge(instance)
            return instance

    def variables(self, case_id: str) -> dict[str, Any]:
        return dict(self.case(case_id).variables or {})

    def incidents(self, case_id: str, open_only: bool = True) -> list[Incident]:
        with self.rt.sessions() as s:
            stmt = select(Incident).where(Incident.instance_id == case_id)
            if open_only:
                stmt = stmt.where(Incident.resolved_at.is_(None))
            rows = list(s.scalars(stmt.order_by(Incident.id)))
            for row in rows:
                s.expunge(row)
            return rows

    def outbox(self) -> list[dict]:
        with self.rt.sessions() as s:
            return [o.payload for o in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]

    def state(self, case_id: str) -> dict:
        """The stored workflow state, decoded (for round-trip and shape checks)."""
        with self.rt.sessions() as s:
            return self.rt.engine.decode_state(s.get(ProcessInstance, case_id))

    def check_round_trip(self, case_id: str) -> None:
        """Restore the stored workflow, serialise it again: same tasks, states and data."""
        with self.rt.sessions() as s:
            instance = s.get(ProcessInstance, case_id)
            before = self.rt.engine.decode_state(instance)
            workflow = self.rt.engine._load(s, instance)
            again = self.rt.engine.serializer.decode(self.rt.engine.serializer.dumps(workflow))
            assert case_variables(workflow) == (instance.variables or {})
        assert again["tasks"].keys() == before["tasks"].keys()
        for task_id, task in again["tasks"].items():
            old = before["tasks"][task_id]
            for key in ("state", "data", "delta", "internal_data", "children"):
                assert task[key] == old[key], (task_id, key)
        assert again["subprocesses"].keys() == before["subprocesses"].keys()


@pytest.fixture
def compat(runtime) -> Compat:
    with runtime.sessions.begin() as s:
        make_org(s)
    return Compat(runtime)


def path_of(name: str) -> Path:
    return COMPAT / name
