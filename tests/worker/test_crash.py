"""A worker killed (SIGKILL) in the middle of firing a case loses nothing and doubles
nothing: the half-done transaction vanishes with it and a restarted worker fires the
rest, each timer exactly once.

On PostgreSQL the moment is pinned: the test holds the audit-trail rows of the later
cases, so the worker fires the first twenty cases, claims the twenty-first, fires its
timer, and then waits inside that transaction for the row. That is where it is killed.
On SQLite the test takes the database's write lock after twenty cases, so the worker is
stuck at its next write, and is killed there.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.models import AuditStream
from db.models import Notification
from db.models import ProcessInstance
from tests.worker.test_many_workers import ROOT
from tests.worker.test_many_workers import assert_each_fired_once
from tests.worker.test_many_workers import start_cases
from tests.worker.test_many_workers import timer_counts
from tests.worker.test_many_workers import worker_command
from tests.worker.test_many_workers import worker_env

pytestmark = pytest.mark.slow
CASES = 100
FIRST = 20


def _spawn(rt, log):
    return subprocess.Popen(
        worker_command("--batch", "5", "--interval", "0.2"),
        cwd=ROOT,
        env=worker_env(rt.url),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )


def _until(condition, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _restart_and_finish(rt) -> None:
    finisher = subprocess.run(
        worker_command("--once", "--batch", "10"),
        cwd=ROOT,
        env=worker_env(rt.url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finisher.returncode == 0, finisher.stderr[-3000:]


def _waiting_backend(rt) -> int | None:
    with rt.db.connect() as conn:
        return conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE '%audit_streams%'"
            )
        ).scalar()


def _backend_alive(rt, pid: int) -> bool:
    with rt.db.connect() as conn:
        return bool(
            conn.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"), {"p": pid}).scalar()
        )


def test_sigkill_in_the_middle_of_firing_on_postgresql(deployed, tmp_path):
    rt = deployed
    if rt.backend != "postgresql":
        pytest.skip("see the SQLite variant")
    ids = start_cases(rt, CASES)
    victim = ids[FIRST]
    with rt.db.connect() as holder:
        hold = holder.begin()
        holder.execute(
            select(AuditStream.key)
            .where(AuditStream.key.in_([f"case:{i}" for i in ids[FIRST:]]))
            .with_for_update()
        ).all()
        with (tmp_path / "worker.log").open("w") as log:
            worker = _spawn(rt, log)
            try:
                backend = _until(lambda: _waiting_backend(rt), "the worker to wait in a firing")
                assert sorted(timer_counts(rt)) == sorted(ids[:FIRST])
            finally:
                _kill(worker)
        hold.rollback()
    # PostgreSQL rolls the dead worker's transaction back once it notices the client is gone.
    _until(lambda: not _backend_alive(rt, backend), "the dead worker's session to end")
    with rt.sessions() as s:
        case = s.get(ProcessInstance, victim)
        assert case.next_timer_at is not None  # still due: the half-done firing left no trace
        notices = s.scalars(select(Notification).where(Notification.instance_id == victim))
        assert notices.all() == []
    assert sorted(timer_counts(rt)) == sorted(ids[:FIRST])
    _restart_and_finish(rt)
    assert_each_fired_once(rt, ids)


def test_sigkill_while_firing_on_sqlite(deployed, tmp_path):
    rt = deployed
    if rt.backend != "sqlite":
        pytest.skip("see the PostgreSQL variant")
    ids = start_cases(rt, CASES)
    log = (tmp_path / "worker.log").open("w")
    worker = _spawn(rt, log)
    path = make_url(rt.url).database
    blocker = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        _until(lambda: len(timer_counts(rt)) >= FIRST, f"{FIRST} cases to fire")
        blocker.execute("BEGIN IMMEDIATE")  # granted between two of the worker's writes
        fired = set(timer_counts(rt))
        time.sleep(0.5)  # the worker runs into the lock with its next write and waits
        assert set(timer_counts(rt)) == fired
        _kill(worker)
    finally:
        if worker.poll() is None:
            _kill(worker)
        if blocker.in_transaction:
            blocker.rollback()
        blocker.close()
        log.close()
    assert FIRST <= len(fired) < CASES
    # The lock that allows one worker per SQLite database died with the process.
    _restart_and_finish(rt)
    assert_each_fired_once(rt, ids)
