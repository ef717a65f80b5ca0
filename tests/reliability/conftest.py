"""Fixtures for the reliability suite: the organisation and the two processes whose
invariants tests/reliability/invariants.py knows (review_parallel and timer_wait)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from supervision import clock
from tests.conftest import read_workflow
from tests.factories import deploy
from tests.factories import make_org

DATA = Path(__file__).resolve().parent / "data"
# Thursday 2026-11-26 10:00 in Guangyuan.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def reliability_file(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def deployed(runtime):
    """The runtime with the organisation and both processes deployed."""
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        make_org(session)
        deploy(
            session,
            runtime.engine,
            ("review_parallel.bpmn", read_workflow("review_parallel.bpmn")),
            ("timer_wait.bpmn", reliability_file("timer_wait.bpmn")),
        )
    clock.reset()
    return runtime
