"""Worker: timers fired per second with 10,000 due, by 1 and by 4 `supervision worker`
processes on PostgreSQL (row locks with SKIP LOCKED share the work).

One timer_wait case (start -> 1-hour timer -> follow-up task) is started through the
service; 9,999 more are copied from it at the row level, each with fresh task ids in its
state (the ids are UUIDs, remapped consistently), so setting up takes seconds rather than
minutes. The workers run `--once --at <two hours later>`; the rate is counted from the
first case fired to the last (process start-up excluded), by polling the database. Every
case must end with exactly one follow-up task and no incident.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
import zlib
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

from bench.common import ROOT
from bench.common import Section
from bench.common import database
from bench.common import diagram
from bench.common import postgres_admin_url
from bench.common import prepare
from bench.common import runtime
from bench.server import environment
from bench.server import peak_rss_mib
from db.models import Incident
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import cases
from supervision import clock
from supervision import deployments
from supervision import identity

DUE = 10_000
WORKER_COUNTS = (1, 4)
TARGET = 300.0
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _fresh_ids(state: bytes) -> bytes:
    """The same workflow state with every task id replaced by a new one, consistently."""
    text = zlib.decompress(state)
    mapping: dict[bytes, bytes] = {}

    def swap(match: re.Match) -> bytes:
        old = match.group(0)
        if old not in mapping:
            mapping[old] = str(uuid.uuid4()).encode()
        return mapping[old]

    return zlib.compress(_UUID.sub(swap, text), 1)


def _populate(rt, count: int) -> None:
    clock.freeze(NOW)
    try:
        with rt.sessions.begin() as session:
            deployments.deploy(
                session,
                rt.engine,
                [("timer_wait.bpmn", diagram("timer_wait.bpmn"))],
                actor="designer",
            )
            actor = identity.require_user(session, "sup1")
            seed_id = cases.start_case(session, rt.engine, actor, key="timer_wait").instance.id
    finally:
        clock.reset()
    with rt.sessions() as session:
        seed = session.get(ProcessInstance, seed_id)
        columns = {
            c.key: getattr(seed, c.key)
            for c in ProcessInstance.__table__.columns
            if c.key not in ("id", "case_no")
        }
    assert seed.next_timer_at is not None
    with rt.db.begin() as conn:
        batch = []
        for _ in range(count - 1):
            batch.append({**columns, "id": str(uuid.uuid4()), "state": _fresh_ids(seed.state)})
            if len(batch) == 1000:
                conn.execute(insert(ProcessInstance), batch)
                batch = []
        if batch:
            conn.execute(insert(ProcessInstance), batch)


def _waiting(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(
            select(func.count(ProcessInstance.id)).where(ProcessInstance.next_timer_at.is_not(None))
        )


def _fire(url: str, rt, workers: int, count: int) -> tuple[float, float, list[str]]:
    """Run the workers; return (timers per second, peak RSS MiB, problems)."""
    at = (NOW + timedelta(hours=2)).isoformat()
    env = environment(url, str(ROOT / "instance"))
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker", "--once", "--batch", "200", "--at", at],
            cwd=str(ROOT),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    peaks: dict[int, float] = {}
    first = last = None
    deadline = time.monotonic() + 1200
    try:
        while time.monotonic() < deadline:
            for p in processes:
                peak = peak_rss_mib(p.pid)
                if peak:
                    peaks[p.pid] = max(peaks.get(p.pid, 0.0), peak)
            left = _waiting(rt)
            now = time.monotonic()
            if first is None and left < count:
                first = (now, left)
            if left == 0:
                last = now
                break
            if all(p.poll() is not None for p in processes):
                break
            time.sleep(0.05)
    finally:
        errors = []
        for p in processes:
            try:
                _, err = p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            if p.returncode != 0:
                errors.append(err.decode(errors="replace")[-800:])
    problems = list(errors)
    if first is None or last is None:
        problems.append(f"{_waiting(rt)} timers still waiting after the workers stopped")
        return 0.0, max(peaks.values(), default=0.0), problems
    # From the first poll that saw a case fired to the last: first[1] cases were left then.
    rate = first[1] / max(last - first[0], 1e-6)
    with rt.sessions() as session:
        tasks = session.scalar(select(func.count(OpenTask.id)))
        incidents = session.scalar(select(func.count(Incident.id)))
    if tasks != count or incidents:
        problems.append(f"{tasks} follow-up tasks for {count} cases, {incidents} incidents")
    return rate, max(peaks.values(), default=0.0), problems


def measure(count: int, workers: int) -> tuple[float, float, list[str]]:
    with database("postgresql") as url:
        prepare(url)
        with runtime(url) as rt:
            _populate(rt, count)
            return _fire(url, rt, workers, count)


def run(quick: bool = False) -> Section:
    section = Section("worker")
    if postgres_admin_url() is None:
        section.remarks.append("Worker benchmark skipped: it runs on PostgreSQL only.")
        return section
    count = 1000 if quick else DUE
    peak = 0.0
    rates: dict[int, float] = {}
    for workers in WORKER_COUNTS:
        rate, rss, problems = measure(count, workers)
        rates[workers] = rate
        peak = max(peak, rss)
        target, met = ("", None)
        if workers == 4:
            target, met = f">= {TARGET:.0f}/s", rate >= TARGET
            if not met:
                section.remarks.append(
                    f"Worker: {rate:.0f} timers/s with 4 workers (target {TARGET:.0f}/s). Why: "
                    "each timer is its own transaction (claim the case row with SKIP LOCKED, "
                    "load and run the workflow, write the open task, history, audit and case "
                    "row, commit with fdatasync); four processes on two cores share the CPU "
                    "with PostgreSQL, so beyond two workers the rate is CPU-bound. Batching "
                    "several cases per transaction would trade isolation for speed."
                )
            if rates.get(1) and rate < 1.3 * rates[1]:
                section.remarks.append(
                    f"Worker scaling: 4 workers fired {rate:.0f}/s against {rates[1]:.0f}/s for "
                    "one, so here they shared a bottleneck besides the CPU. Across runs on the "
                    "same machine the 4-worker rate has varied between about one and two times "
                    "the 1-worker rate. Suspected, not yet shown: each claim walks the "
                    "next_timer_at index past the entries of cases already fired (dead row "
                    "versions) until PostgreSQL marks or vacuums them away."
                )
        section.add(
            f"timers fired, {workers} worker(s), {count:,} due",
            rate,
            "per s",
            target=target,
            met=met,
            note="; ".join(problems)[:200],
        )
        section.remarks += [f"Worker run with {workers}: {p}" for p in problems]
    section.add("peak RSS of one worker process", peak, "MiB")
    return section
