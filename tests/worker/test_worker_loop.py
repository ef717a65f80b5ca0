"""The worker loop: failing cases become incidents and do not stop the others, nothing is
hammered, SQLite allows one worker, heartbeats and `supervision worker --once`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.models import Incident
from db.models import ProcessInstance
from db.models import WorkerHeartbeat
from supervision import clock
from supervision import worker as worker_module
from supervision.worker import Worker
from supervision.worker import WorkerAlreadyRunning
from tests.worker.conftest import local
from tests.worker.conftest import open_tasks
from tests.worker.conftest import start
from tests.worker.conftest import tick_at
from tests.worker.conftest import timer_records

NOON = local(2026, 3, 2, 12, 0)


def _incidents(rt, case_id):
    with rt.sessions() as s:
        return list(
            s.scalars(
                select(Incident).where(
                    Incident.instance_id == case_id, Incident.resolved_at.is_(None)
                )
            )
        )


def test_a_failing_path_becomes_an_incident_and_the_others_go_on(deployed, worker):
    rt = deployed
    tick_at(worker, NOON)
    bad = start(rt, "failing_timer")
    good = start(rt, "wake_up", wake_at="2026-03-02T13:00:00+08:00", case_title="正常")
    stats = tick_at(worker, NOON + timedelta(hours=1))
    assert stats.timers_fired == 2
    (incident,) = _incidents(rt, bad)
    assert "no_such_group" in incident.message
    assert set(open_tasks(rt, good)) == {"follow_up"}
    with rt.sessions() as s:
        # The failed case is saved as it stands, with no timer left to fire: not retried
        # by the worker until an administrator retries the incident.
        assert s.get(ProcessInstance, bad).next_timer_at is None
    assert tick_at(worker, NOON + timedelta(hours=2)).timers_fired == 0


def test_a_case_that_cannot_be_fired_is_parked_not_hammered(deployed, worker, monkeypatch):
    rt = deployed
    tick_at(worker, NOON)
    broken = start(rt, "wake_up", wake_at="2026-03-02T13:00:00+08:00", case_title="坏")
    fine = start(rt, "wake_up", wake_at="2026-03-02T13:00:00+08:00", case_title="好")
    real_fire = rt.engine.fire_timers
    calls = []

    def fire(session, instance, **kwargs):
        calls.append(instance.id)
        if instance.id == broken:
            raise RuntimeError("state cannot be read")
        return real_fire(session, instance, **kwargs)

    monkeypatch.setattr(rt.engine, "fire_timers", fire)
    clock.freeze(NOON + timedelta(hours=1))
    stats = worker.tick()
    assert (stats.timers_fired, stats.timer_errors) == (1, 1)
    assert set(open_tasks(rt, fine)) == {"follow_up"}
    (incident,) = _incidents(rt, broken)
    assert incident.incident_type == "timer" and "state cannot be read" in incident.message
    assert "RuntimeError" in incident.details
    with rt.sessions() as s:
        parked = s.get(ProcessInstance, broken)
        assert parked.timer_failures == 1
        assert parked.timer_retry_at == NOON + timedelta(hours=1, minutes=1)
    # Ticks within the minute leave it alone; then it is tried again, and waits longer.
    calls.clear()
    for seconds in (5, 30, 59):
        clock.freeze(NOON + timedelta(hours=1, seconds=seconds))
        worker.tick()
    assert calls == []
    clock.freeze(NOON + timedelta(hours=1, minutes=1))
    worker.tick()
    assert calls == [broken]
    with rt.sessions() as s:
        parked = s.get(ProcessInstance, broken)
        assert parked.timer_failures == 2
        assert parked.timer_retry_at == NOON + timedelta(hours=1, minutes=3)
    assert len(_incidents(rt, broken)) == 1  # the same incident, not a new one per try
    # Once fixed, the next try fires it and clears the backoff.
    monkeypatch.setattr(rt.engine, "fire_timers", real_fire)
    clock.freeze(NOON + timedelta(hours=1, minutes=3))
    worker.tick()
    assert set(open_tasks(rt, broken)) == {"follow_up"}
    with rt.sessions() as s:
        assert s.get(ProcessInstance, broken).timer_failures == 0
        assert s.get(ProcessInstance, broken).timer_retry_at is None


def test_only_one_worker_runs_on_a_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    with (
        worker_module.single_worker(url),
        pytest.raises(WorkerAlreadyRunning, match="only one worker"),
        worker_module.single_worker(url),
    ):
        pass
    with worker_module.single_worker(url):  # released when the first one stopped
        pass
    assert worker_module.lock_path("postgresql://u@h/db") is None
    assert worker_module.lock_path("sqlite://") is None


def test_run_once_works_until_nothing_is_due_and_leaves_a_heartbeat(deployed, recorders):
    rt = deployed
    clock.freeze(NOON)
    ids = [
        start(rt, "wake_up", wake_at="2026-03-02T13:00:00+08:00", case_title=f"第{i}件")
        for i in range(7)
    ]
    clock.freeze(NOON + timedelta(hours=2))
    runner = Worker(rt.sessions, rt.engine, database_url=rt.url, batch=3, worker_id="w-once")
    totals = runner.run(once=True)
    assert totals.timers_fired == 7
    assert all(set(open_tasks(rt, i)) == {"follow_up"} for i in ids)
    assert [a for i in ids for a, _ in timer_records(rt, i)] == ["wait"] * 7
    # sup1 has an e-mail address: one reminder mail per case, sent.
    assert len(recorders["email"].sent) == 7
    with rt.sessions() as s:
        beat = s.get(WorkerHeartbeat, "w-once")
        assert beat.timers_fired == 7 and beat.outbox_sent == 7
        assert beat.stopped_at is not None and beat.ticks >= 3


def test_the_worker_command(deployed, monkeypatch):
    rt = deployed
    clock.freeze(NOON)
    case_id = start(rt, "wake_up", wake_at="2026-03-02T13:00:00+08:00", case_title="命令行")
    clock.reset()
    monkeypatch.setenv("SUPERVISION_DATABASE_URL", rt.url)
    from web.cli import cli

    result = CliRunner().invoke(cli, ["worker", "--once", "--at", "2026-03-02T14:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "timers_fired=1" in result.output
    assert set(open_tasks(rt, case_id)) == {"follow_up"}
    bad = CliRunner().invoke(cli, ["worker", "--once", "--at", "2026-03-02T14:00:00"])
    assert bad.exit_code != 0 and "offset" in bad.output
    assert CliRunner().invoke(cli, ["worker", "--batch", "0"]).exit_code != 0


def test_a_stop_request_ends_the_work_after_the_case_in_hand(deployed):
    rt = deployed
    clock.freeze(NOON)
    ids = [start(rt, "wake_up", wake_at="2026-03-02T13:00:00+08:00") for _ in range(3)]
    clock.freeze(NOON + timedelta(hours=2))
    runner = Worker(rt.sessions, rt.engine, database_url=rt.url, batch=10)
    fired = []
    real_fire = rt.engine.fire_timers

    def fire_and_stop(session, instance, **kwargs):
        fired.append(instance.id)
        runner.request_stop()  # SIGTERM arrives while this case is being fired
        return real_fire(session, instance, **kwargs)

    rt.engine.fire_timers = fire_and_stop
    try:
        runner.run()
    finally:
        del rt.engine.fire_timers
    assert len(fired) == 1
    assert [bool(open_tasks(rt, i)) for i in ids].count(True) == 1


def test_a_wrong_channel_configuration_stops_the_worker_before_it_starts(deployed, monkeypatch):
    monkeypatch.setenv("SUPERVISION_DATABASE_URL", deployed.url)
    monkeypatch.setenv("SUPERVISION_SMTP_HOST", "mail.example")
    monkeypatch.delenv("SUPERVISION_SMTP_FROM", raising=False)
    from supervision import channels
    from web.cli import cli

    channels.use(None)
    try:
        result = CliRunner().invoke(cli, ["worker", "--once"])
    finally:
        channels.use(None)
    assert result.exit_code == 1
    assert "SUPERVISION_SMTP_FROM" in result.output
    with deployed.sessions() as s:
        assert s.scalars(select(WorkerHeartbeat)).all() == []
