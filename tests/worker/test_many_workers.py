"""Several worker processes on PostgreSQL share hundreds of due timers: each fires once.

Four `supervision worker --once` processes start together on 240 cases whose timers are
all due. Row locks with SKIP LOCKED hand each case to exactly one of them; the test counts
the audit trail's 'timer' records, the notices the timer path sends and the cases' states.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import AuditEvent
from db.models import Notification
from db.models import OpenTask
from db.models import WorkerHeartbeat
from supervision import audit
from supervision import cases
from supervision import clock
from tests.factories import user
from tests.worker.conftest import local

ROOT = Path(__file__).resolve().parents[2]
CASES = 240
WORKERS = 4
RUN_AT = "2026-03-02T12:00:00+08:00"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def start_cases(rt, count: int) -> list[str]:
    """`count` wake_up cases whose timers fall due between 10:00 and 11:00."""
    clock.freeze(local(2026, 3, 2, 9, 0))
    ids = []
    with rt.sessions.begin() as s:
        sup1 = user(s, "sup1")
        for i in range(count):
            minute = i * 60 // count
            ids.append(
                cases.start_case(
                    s,
                    rt.engine,
                    sup1,
                    key="wake_up",
                    variables={
                        "wake_at": f"2026-03-02T10:{minute:02d}:00+08:00",
                        "case_title": f"第{i}件",
                    },
                ).instance.id
            )
    clock.reset()
    return ids


def worker_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "web.cli", "worker", "--at", RUN_AT, *extra]


def worker_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERVISION_")}
    env["SUPERVISION_DATABASE_URL"] = url
    return env


def timer_counts(rt) -> dict[str, int]:
    with rt.sessions() as s:
        rows = s.execute(
            select(AuditEvent.instance_id, func.count())
            .where(AuditEvent.action == "timer")
            .group_by(AuditEvent.instance_id)
        ).all()
    return dict(rows)


def assert_each_fired_once(rt, ids: list[str]) -> None:
    assert timer_counts(rt) == dict.fromkeys(ids, 1)
    with rt.sessions() as s:
        follow_ups = s.scalar(
            select(func.count()).select_from(OpenTask).where(OpenTask.task_spec_id == "follow_up")
        )
        notices = s.execute(
            select(Notification.instance_id, func.count()).group_by(Notification.instance_id)
        ).all()
        assert follow_ups == len(ids)
        # The timer path tells city_supervisors (sup1, sup2, chief): three notices per case.
        assert dict(notices) == dict.fromkeys(ids, 3)
        assert audit.verify(s).ok


def test_four_worker_processes_fire_hundreds_of_timers_each_exactly_once(deployed):
    rt = deployed
    if rt.backend != "postgresql":
        pytest.skip("several workers run on PostgreSQL only (SQLite allows one)")
    ids = start_cases(rt, CASES)
    processes = [
        subprocess.Popen(
            worker_command("--once", "--batch", "10"),
            cwd=ROOT,
            env=worker_env(rt.url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    assert_each_fired_once(rt, ids)
    with rt.sessions() as s:
        beats = s.scalars(select(WorkerHeartbeat)).all()
    assert len(beats) == WORKERS
    assert sum(b.timers_fired for b in beats) == CASES
    assert all(b.timer_errors == 0 for b in beats)
    # The work really was shared: more than one process fired timers.
    assert sum(1 for b in beats if b.timers_fired) >= 2, [b.timers_fired for b in beats]
