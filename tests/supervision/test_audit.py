"""The audit trail is tamper-evident: whoever edits, deletes or reorders records in the
database is caught by `audit verify`, which names the first broken record."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from db.models import AuditEvent
from db.models import AuditStream
from db.models import OpenTask
from supervision import audit
from supervision import cases
from supervision import clock
from supervision.cli import cli
from tests.conftest import read_workflow
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user

START = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def trail(runtime):
    """A deployment, two cases and a few completed tasks: several streams of records."""
    clock.freeze(START)
    with runtime.sessions.begin() as s:
        make_org(s)
        deploy(s, runtime.engine, ("review_parallel.bpmn", read_workflow("review_parallel.bpmn")))
    case_ids = []
    for n in range(2):
        with runtime.sessions.begin() as s:
            result = cases.start_case(
                s,
                runtime.engine,
                user(s, "sup1"),
                key="review_parallel",
                business_key=f"BK-{n}",
                variables={"bureau": "city_market"},
            )
            case_ids.append(result.instance.id)
    clock.shift(timedelta(minutes=5))
    with runtime.sessions.begin() as s:
        task = s.scalars(select(OpenTask).where(OpenTask.instance_id == case_ids[0])).one()
        cases.complete_task(
            s,
            runtime.engine,
            user(s, "sup1"),
            task.id,
            {"case_title": "某局执法检查", "category": "major", "affected": "3"},
        )
    with runtime.sessions.begin() as s:
        for n in range(3):
            audit.append(s, "note", actor="sup1", instance_id=case_ids[0], details={"n": n})
    runtime.case_ids = case_ids
    runtime.stream = audit.stream_for(case_ids[0])
    return runtime


def _records(rt, stream):
    with rt.sessions() as s:
        return s.execute(
            select(AuditEvent.id, AuditEvent.seq)
            .where(AuditEvent.stream_key == stream)
            .order_by(AuditEvent.seq)
        ).all()


def _verify(rt, anchor=None) -> audit.VerifyResult:
    with rt.sessions() as s:
        return audit.verify(s, anchor=anchor)


def _checkpoint(rt) -> dict:
    with rt.sessions() as s:
        return audit.checkpoint(s)


def test_an_untouched_trail_verifies(trail):
    result = _verify(trail)
    assert result.ok, result.describe()
    assert result.streams == 3  # system + two cases
    with trail.sessions() as s:
        assert result.records == s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    assert len(_records(trail, trail.stream)) >= 5


@pytest.mark.parametrize(
    "column, value",
    [
        ("details", {"n": 99}),
        ("actor", "intruder"),
        ("action", "complete"),
        ("at", START - timedelta(days=3)),
        ("task_id", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_an_edited_record_is_named(trail, column, value):
    records = _records(trail, trail.stream)
    victim_id, victim_seq = records[len(records) // 2]
    with trail.sessions.begin() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == victim_id).values({column: value}))

    result = _verify(trail)

    assert not result.ok
    assert (result.broken_id, result.broken_stream, result.broken_seq) == (
        victim_id,
        trail.stream,
        victim_seq,
    )
    assert "edited" in result.reason


def test_an_edit_with_a_recomputed_hash_breaks_the_link_to_the_next_record(trail):
    records = _records(trail, trail.stream)
    (victim_id, _), (next_id, next_seq) = records[1], records[2]
    with trail.sessions.begin() as s:
        event = s.get(AuditEvent, victim_id)
        event.details = {"values": {"decision": "approve"}}
        event.hash = audit.record_hash(event.prev_hash, event)

    result = _verify(trail)

    assert not result.ok
    assert (result.broken_id, result.broken_seq) == (next_id, next_seq)
    assert "does not link" in result.reason


def test_deleting_the_last_record_is_caught_by_the_stream_head(trail):
    records = _records(trail, trail.stream)
    last_id, last_seq = records[-1]
    with trail.sessions.begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == last_id))

    result = _verify(trail)

    assert not result.ok
    assert (result.broken_stream, result.broken_seq) == (trail.stream, last_seq)
    assert "records removed" in result.reason


def test_deleting_a_middle_record_names_the_gap(trail):
    records = _records(trail, trail.stream)
    (victim_id, victim_seq), (next_id, next_seq) = records[2], records[3]
    with trail.sessions.begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == victim_id))

    result = _verify(trail)

    assert not result.ok
    assert (result.broken_id, result.broken_seq) == (next_id, next_seq)
    assert f"record {victim_seq} is missing" in result.reason


def test_reordering_two_records_is_caught(trail):
    records = _records(trail, trail.stream)
    (a_id, a_seq), (b_id, b_seq) = records[1], records[2]
    with trail.sessions.begin() as s:
        # Through a free number: (stream_key, seq) is unique.
        s.execute(update(AuditEvent).where(AuditEvent.id == a_id).values(seq=-1))
        s.execute(update(AuditEvent).where(AuditEvent.id == b_id).values(seq=a_seq))
        s.execute(update(AuditEvent).where(AuditEvent.id == a_id).values(seq=b_seq))

    result = _verify(trail)

    assert not result.ok
    # b now stands first and does not link to the record before a.
    assert (result.broken_id, result.broken_seq) == (b_id, a_seq)


def test_deleting_a_whole_case_stream_is_caught(trail):
    victim = audit.stream_for(trail.case_ids[1])
    with trail.sessions.begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.stream_key == victim))
        s.execute(delete(AuditStream).where(AuditStream.key == victim))

    result = _verify(trail)

    assert not result.ok
    assert result.broken_stream == victim
    assert "audit stream is gone" in result.reason


def test_records_without_a_stream_head_are_caught(trail):
    with trail.sessions.begin() as s:
        s.execute(delete(AuditStream).where(AuditStream.key == audit.SYSTEM_STREAM))

    result = _verify(trail)

    assert not result.ok
    assert result.broken_stream == audit.SYSTEM_STREAM
    assert result.broken_seq == 1


def _truncate_and_rewind(rt, stream, keep):
    """What an insider with write access can do: drop the tail and fix the head to fit."""
    with rt.sessions.begin() as s:
        last = s.scalars(
            select(AuditEvent).where(AuditEvent.stream_key == stream, AuditEvent.seq == keep)
        ).one()
        s.execute(delete(AuditEvent).where(AuditEvent.stream_key == stream, AuditEvent.seq > keep))
        s.execute(
            update(AuditStream)
            .where(AuditStream.key == stream)
            .values(seq=keep, head_hash=last.hash)
        )


def test_a_consistent_rewrite_passes_the_chain_but_not_a_checkpoint(trail):
    anchor = _checkpoint(trail)
    _truncate_and_rewind(trail, trail.stream, keep=2)

    # The chain alone cannot tell: it is internally consistent again.
    assert _verify(trail).ok
    result = _verify(trail, anchor=anchor)

    assert not result.ok
    assert (result.broken_stream, result.broken_seq) == (trail.stream, 3)
    assert "checkpoint" in result.reason


def test_a_recomputed_chain_differs_from_the_checkpoint_at_the_edit(trail):
    anchor = _checkpoint(trail)
    records = _records(trail, trail.stream)
    with trail.sessions.begin() as s:
        prev = audit.GENESIS
        for event in s.scalars(
            select(AuditEvent).where(AuditEvent.stream_key == trail.stream).order_by(AuditEvent.seq)
        ):
            if event.seq == 2:
                event.actor = "intruder"
            event.prev_hash = prev
            event.hash = audit.record_hash(prev, event)
            prev = event.hash
        s.get(AuditStream, trail.stream).head_hash = prev
    assert _verify(trail).ok

    result = _verify(trail, anchor=anchor)

    assert not result.ok
    last_id, last_seq = records[-1]
    assert (result.broken_id, result.broken_seq) == (last_id, last_seq)


def test_a_checkpoint_allows_records_appended_after_it(trail):
    anchor = _checkpoint(trail)
    with trail.sessions.begin() as s:
        audit.append(s, "note", actor="sup2", instance_id=trail.case_ids[1])
        audit.append(s, "note", actor="admin")
    assert _verify(trail, anchor=anchor).ok


def test_a_damaged_checkpoint_is_refused(trail):
    anchor = _checkpoint(trail)
    anchor["streams"][trail.stream][0] -= 1
    with pytest.raises(audit.CheckpointError), trail.sessions() as s:
        audit.verify(s, anchor=anchor)


def test_a_record_stamped_in_local_time_verifies(trail):
    local = timezone(timedelta(hours=8))
    with trail.sessions.begin() as s:
        audit.append(s, "note", actor="sup1", at=datetime(2026, 3, 4, 10, 0, 0, 123456, local))
    assert _verify(trail).ok


# ---------------------------------------------------------------- the command line


@pytest.fixture
def run(trail, monkeypatch):
    monkeypatch.setenv("SUPERVISION_DATABASE_URL", trail.url)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_cli_verify_names_the_edited_record_and_exits_1(trail, run):
    assert run("audit", "verify").exit_code == 0
    records = _records(trail, trail.stream)
    victim_id, victim_seq = records[1]
    with trail.sessions.begin() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == victim_id).values(details={}))

    result = run("audit", "verify")

    assert result.exit_code == 1
    assert f"record id={victim_id}" in result.output
    assert f"stream {trail.stream}, seq {victim_seq}" in result.output


def test_cli_checkpoint_then_verify_with_the_anchor(trail, run, tmp_path):
    path = tmp_path / "checkpoint.json"
    written = run("audit", "checkpoint", "-o", str(path))
    assert written.exit_code == 0, written.output
    assert json.loads(path.read_text())["streams"][trail.stream][0] == len(
        _records(trail, trail.stream)
    )
    assert run("audit", "verify", "--anchor", str(path)).exit_code == 0

    _truncate_and_rewind(trail, trail.stream, keep=1)

    assert run("audit", "verify").exit_code == 0
    result = run("audit", "verify", "--anchor", str(path))
    assert result.exit_code == 1
    assert f"stream {trail.stream}, seq 2" in result.output


def test_cli_refuses_a_checkpoint_that_is_not_one(trail, run, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    result = run("audit", "verify", "--anchor", str(path))
    assert result.exit_code != 0
    assert "not JSON" in result.output
    path.write_text(json.dumps({"streams": {}, "digest": "0"}))
    result = run("audit", "verify", "--anchor", str(path))
    assert result.exit_code != 0
    assert "damaged" in result.output
