"""SIGKILL under load: the web server and the worker die mid-request, mid-transaction, and
come back; nothing is lost, doubled or half-written.

Real processes: gunicorn (2 workers) and `supervision worker`, each in its own process
group, on the test's database. Client threads claim and complete tasks over HTTP while the
worker fires the timers of other cases. Both groups are killed with SIGKILL, restarted,
and the load goes on; then the worker finishes the remaining timers and the invariants
(tests/reliability/invariants.py) must hold. Traffic goes to 127.0.0.1 only, and every
loop is bounded in time.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from db.models import Incident
from db.models import OpenTask
from db.models import ProcessInstance
from db.models import TaskCandidate
from supervision import cases
from supervision import clock
from supervision import identity
from tests.factories import user
from tests.reliability import invariants
from tests.reliability.conftest import NOW

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REVIEW_CASES = 16
TIMER_CASES = 30
USERS = {
    "sup1": ("city_supervisors",),
    "sup2": ("city_supervisors",),
    "chief": ("city_chiefs", "city_supervisors"),
    "market1": ("city_market",),
}
VALUES = {
    "register": {
        "case_title": {"value": "执法检查"},
        "category": {"value": "major"},
        "affected": {"value": 3, "type": "Long"},
    },
    "legal_review": {"legal_ok": {"value": True, "type": "Boolean"}},
    "finance_review": {"finance_ok": {"value": True, "type": "Boolean"}},
    "approve": {"decision": {"value": "approve"}},
    "follow_up": {},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """The server and the worker, each started in a new process group we can kill whole."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.env = {
            **os.environ,
            "SUPERVISION_DATABASE_URL": url,
            "SUPERVISION_INSTANCE_DIR": str(tmp),
            "SUPERVISION_SECRET_KEY": "crash-tests",
            "PYTHONPATH": str(ROOT),
        }
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/engine-rest"
        self.tmp = tmp
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen:
        with (self.tmp / log).open("ab") as out:  # the child keeps its own descriptor
            return subprocess.Popen(
                [sys.executable, "-m", *args],
                cwd=str(ROOT),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_server(self) -> None:
        self.server = self._spawn(
            [
                "gunicorn",
                "web.wsgi:app",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "2",
            ],
            "gunicorn.log",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.tmp / "gunicorn.log").read_text()[-2000:]
            try:
                requests.get(f"{self.base}/version", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("the server did not come up")

    def start_worker(self, *extra: str) -> subprocess.Popen:
        self.worker = self._spawn(["web.cli", "worker", "--batch", "5", *extra], "worker.log")
        return self.worker

    @staticmethod
    def kill(process: subprocess.Popen | None) -> None:
        """SIGKILL the process group we created (gunicorn's workers die with the master)."""
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in (self.server, self.worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.kill(process)


class Load:
    """Client threads claiming and completing whatever their user may, over HTTP."""

    def __init__(self, rt, base: str, tokens: dict[str, str]) -> None:
        self.rt, self.base, self.tokens = rt, base, tokens
        self.stop_at = 0.0
        self.done = 0
        self.interrupted = 0
        self.unexpected: list[str] = []
        self.lock = threading.Lock()

    def _pick(self, rng: random.Random, groups: tuple[str, ...]):
        with self.rt.sessions() as session:
            rows = session.execute(
                select(OpenTask.id, OpenTask.task_spec_id)
                .join(TaskCandidate, TaskCandidate.task_id == OpenTask.id)
                .where(TaskCandidate.group_code.in_(groups), OpenTask.assignee.is_(None))
                .limit(50)
            ).all()
        return rng.choice(rows) if rows else None

    def client(self, name: str, seed: int) -> None:
        rng = random.Random(seed)
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.tokens[name]}"
        while time.monotonic() < self.stop_at:
            picked = self._pick(rng, USERS[name])
            if picked is None:
                time.sleep(0.05)
                continue
            task_id, spec_id = picked
            try:
                claim = http.post(
                    f"{self.base}/task/{task_id}/claim", json={"userId": name}, timeout=20
                )
                if claim.status_code != 204:
                    self._check_race(claim)
                    continue
                done = http.post(
                    f"{self.base}/task/{task_id}/complete",
                    json={"variables": VALUES[spec_id]},
                    timeout=20,
                )
                if done.status_code in (200, 204):
                    with self.lock:
                        self.done += 1
                else:
                    self._check_race(done)
            except requests.RequestException:
                with self.lock:  # the server died under us: the user would retry
                    self.interrupted += 1
                time.sleep(0.05)

    def _check_race(self, response) -> None:
        # Losing a race is a 4xx with a message (claimed or completed by someone else).
        if not (400 <= response.status_code < 500) or "message" not in response.json():
            with self.lock:
                self.unexpected.append(f"{response.status_code}: {response.text[:200]}")

    def run_for(self, seconds: float) -> None:
        self.stop_at = time.monotonic() + seconds
        threads = [
            threading.Thread(target=self.client, args=(name, seed))
            for seed, name in enumerate([*USERS, "sup1", "sup2"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)


def _start_cases(rt) -> None:
    clock.freeze(NOW)  # the timers fall due at NOW + 1 h, long past in real time
    try:
        with rt.sessions.begin() as session:
            sup1 = user(session, "sup1")
            for n in range(REVIEW_CASES):
                cases.start_case(
                    session,
                    rt.engine,
                    sup1,
                    key="review_parallel",
                    business_key=f"CRASH-{n}",
                    variables={"bureau": "city_market"},
                )
            for _ in range(TIMER_CASES):
                cases.start_case(session, rt.engine, sup1, key="timer_wait")
    finally:
        clock.reset()


def _tokens(rt) -> dict[str, str]:
    out = {}
    with rt.sessions.begin() as session:
        for name in USERS:
            _, out[name] = identity.create_token(session, user(session, name), "crash", None)
    return out


def _fired(rt) -> int:
    with rt.sessions() as session:
        return session.scalar(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.definition_key == "timer_wait",
                ProcessInstance.next_timer_at.is_(None),
            )
        )


def _first_traceback(log: Path) -> str:
    text = log.read_text(errors="replace")
    start = text.find("Traceback")
    return text[start : start + 6000] if start >= 0 else text[-3000:]


def test_killing_the_server_and_the_worker_loses_nothing(deployed, tmp_path):
    rt = deployed
    _start_cases(rt)
    procs = Processes(rt.url, tmp_path)
    load = Load(rt, procs.base, _tokens(rt))
    try:
        procs.start_server()
        procs.start_worker("--interval", "0.2")
        load.run_for(2.5)
        procs.kill(procs.server)
        procs.kill(procs.worker)
        assert load.done > 0, (tmp_path / "gunicorn.log").read_text()[-2000:]

        procs.start_server()
        procs.start_worker("--interval", "0.2")
        load.run_for(2.5)
        procs.kill(procs.worker)  # and once more, alone, to catch it mid-batch
        procs.start_worker("--once").wait(timeout=120)
    finally:
        procs.stop()

    assert load.unexpected == [], _first_traceback(tmp_path / "gunicorn.log")
    assert _fired(rt) == TIMER_CASES, (tmp_path / "worker.log").read_text()[-3000:]
    with rt.sessions() as session:
        assert invariants.problems(session) == []
        assert session.scalar(select(func.count(Incident.id))) == 0
