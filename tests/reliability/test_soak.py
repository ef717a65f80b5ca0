"""A soak: several users work the same set of cases at once, each in its own thread and
transaction, racing for the same tasks. Afterwards every case is finished or has exactly
the open tasks its history implies, the audit trail is complete and verifies, and numbers
taken meanwhile are unique and gap-free."""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import select

from db.models import OpenTask
from db.models import ProcessInstance
from db.models import TaskCandidate
from supervision import cases
from supervision import numbering
from supervision import uow
from supervision.errors import NotFoundError
from supervision.errors import StaleCaseError
from supervision.errors import TaskAlreadyClaimedError
from supervision.errors import TaskNotOpenError
from tests.factories import user
from tests.reliability import invariants

pytestmark = pytest.mark.slow

CASES = 24
SECONDS = 6.0
# Who works which tasks: candidate groups of review_parallel (legal_review goes to the
# bureau named in the case, city_market here).
WORKERS = {
    "sup1": ("city_supervisors",),
    "sup2": ("city_supervisors",),
    "chief": ("city_chiefs", "city_supervisors"),
    "market1": ("city_market",),
}
# Races a real user meets and is told about: not failures.
EXPECTED_RACES = (TaskNotOpenError, TaskAlreadyClaimedError, NotFoundError, StaleCaseError)


def _values(task_spec_id: str, rng: random.Random) -> dict:
    if task_spec_id == "register":
        return {
            "case_title": f"执法检查 {rng.randint(1, 999)}",
            "category": rng.choice(["major", "minor"]),
            "affected": str(rng.randint(0, 50)),
        }
    if task_spec_id == "legal_review":
        return {"legal_ok": "true"}
    if task_spec_id == "finance_review":
        return {"finance_ok": rng.choice(["true", "false"])}
    if task_spec_id == "approve":
        return {"decision": rng.choice(["approve", "reject"])}
    return {}


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.completed = 0
        self.races = 0
        self.busy = 0
        self.failures: list[str] = []
        self.numbers: list[int] = []

    def add(self, **counts) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


def _work(rt, username: str, groups: tuple[str, ...], seed: int, deadline: float, tally: Tally):
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        with rt.sessions() as session:
            candidates = session.execute(
                select(OpenTask.id, OpenTask.task_spec_id)
                .join(TaskCandidate, TaskCandidate.task_id == OpenTask.id)
                .where(TaskCandidate.group_code.in_(groups), OpenTask.assignee.is_(None))
            ).all()
        if not candidates:
            time.sleep(0.02)
            with rt.sessions() as session:
                if not session.scalar(select(OpenTask.id).limit(1)):
                    return  # every case finished
            continue
        task_id, spec_id = rng.choice(candidates)
        values = _values(spec_id, rng)

        def claim_and_complete(session, task_id=task_id, values=values):
            actor = user(session, username)
            cases.claim_task(session, actor, task_id)
            cases.complete_task(session, rt.engine, actor, task_id, values)

        try:
            uow.run(rt.sessions, claim_and_complete, retries=8)
            tally.add(completed=1)
        except EXPECTED_RACES:
            tally.add(races=1)
        except Exception as exc:  # anything else is a defect the test reports
            if uow.is_retryable(exc):
                # Still colliding after every retry (SQLite's single writer under this
                # load): the request fails whole and the user tries again.
                tally.add(busy=1)
                continue
            with tally.lock:
                tally.failures.append(f"{username} on {spec_id}: {type(exc).__name__}: {exc}")


def _take_numbers(rt, seed: int, deadline: float, tally: Tally) -> None:
    """Take document numbers meanwhile; every fifth transaction fails and gives its back."""
    rng = random.Random(seed)

    class GiveBack(Exception):
        pass

    while time.monotonic() < deadline:
        try:
            with rt.sessions.begin() as session:
                value = numbering.next_value(session, "soak:广司监意", 2026)
                if rng.random() < 0.2:
                    raise GiveBack
            with tally.lock:
                tally.numbers.append(value)
        except GiveBack:
            pass
        except Exception as exc:
            if not uow.is_retryable(exc):
                with tally.lock:
                    tally.failures.append(f"numbering: {type(exc).__name__}: {exc}")
        time.sleep(rng.uniform(0, 0.02))


def test_concurrent_users_leave_every_case_consistent(deployed):
    rt = deployed
    with rt.sessions.begin() as session:
        sup1 = user(session, "sup1")
        for n in range(CASES):
            cases.start_case(
                session,
                rt.engine,
                sup1,
                key="review_parallel",
                business_key=f"SOAK-{n}",
                variables={"bureau": "city_market"},
            )
    tally = Tally()
    deadline = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=_work, args=(rt, name, groups, seed, deadline, tally))
        for seed, (name, groups) in enumerate(
            list(WORKERS.items()) + [("sup1", WORKERS["sup1"]), ("sup2", WORKERS["sup2"])]
        )
    ]
    threads.append(threading.Thread(target=_take_numbers, args=(rt, 99, deadline, tally)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"

    assert tally.failures == []
    assert tally.completed >= CASES, f"too little work done: {tally.completed}"
    assert tally.busy <= tally.completed // 5, f"{tally.busy} gave up on a busy database"
    with rt.sessions() as session:
        assert invariants.problems(session) == []
        assert session.scalar(select(ProcessInstance.id).limit(1)) is not None
    # Numbers: what committed is exactly 1..n, each once.
    assert sorted(tally.numbers) == list(range(1, len(tally.numbers) + 1))
