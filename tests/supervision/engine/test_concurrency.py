"""Two processes complete the two parallel branches of one case at the same moment.

Each save is `UPDATE ... WHERE version = :seen`: the loser of a race gets StaleCaseError
(or SQLite's busy snapshot), starts over on the fresh state, and its completion is kept.
Without the version check the second save would erase the first completion and the join
would wait forever.
"""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select

from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from db.session import make_engine
from db.session import make_sessionmaker
from supervision import cases
from supervision import identity
from supervision.bootstrap import build_engine
from supervision.errors import StaleCaseError
from supervision.uow import is_retryable
from tests.conftest import read_workflow
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user

ROUNDS = 12


def _complete_all(url: str, username: str, task_ids: list[str], barrier, queue) -> None:
    """Child process: for each case, wait for the other process, then complete our branch."""
    db = make_engine(url)
    sessions = make_sessionmaker(db)
    engine = build_engine()
    conflicts = 0
    for task_id in task_ids:
        barrier.wait(timeout=60)
        for _attempt in range(50):
            try:
                with sessions.begin() as session:
                    actor = identity.get_user(session, username)
                    cases.complete_task(session, engine, actor, task_id, {})
                break
            except Exception as exc:  # noqa: BLE001 - only conflicts are retried
                if not is_retryable(exc):
                    queue.put(("error", f"{type(exc).__name__}: {exc}"))
                    raise
                conflicts += 1
        else:
            queue.put(("error", f"gave up on {task_id}"))
    queue.put(("conflicts", conflicts))
    db.dispose()


@pytest.mark.slow
def test_parallel_branches_completed_at_once_lose_nothing(runtime):
    with runtime.sessions.begin() as s:
        make_org(s)
        deploy(s, runtime.engine, ("review_parallel.bpmn", read_workflow("review_parallel.bpmn")))
    legal, finance, case_ids = [], [], []
    for i in range(ROUNDS):
        with runtime.sessions.begin() as s:
            case = cases.start_case(
                s,
                runtime.engine,
                user(s, "sup1"),
                key="review_parallel",
                variables={"bureau": "city_market"},
            ).instance
            register = s.scalars(select(OpenTask).where(OpenTask.instance_id == case.id)).one()
            cases.complete_task(
                s,
                runtime.engine,
                user(s, "sup1"),
                register.id,
                {"case_title": f"并发 {i}", "category": "major", "affected": 1},
            )
            tasks = {
                t.task_spec_id: t.id
                for t in s.scalars(select(OpenTask).where(OpenTask.instance_id == case.id))
            }
            legal.append(tasks["legal_review"])
            finance.append(tasks["finance_review"])
            case_ids.append(case.id)
    runtime.db.dispose()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_complete_all, args=(runtime.url, "market1", legal, barrier, queue)),
        ctx.Process(target=_complete_all, args=(runtime.url, "sup2", finance, barrier, queue)),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=240)
        assert w.exitcode == 0
    reports = [queue.get(timeout=5) for _ in workers]
    assert [r for r in reports if r[0] == "error"] == []
    conflicts = sum(r[1] for r in reports)

    with runtime.sessions() as s:
        for case_id in case_ids:
            instance = s.get(ProcessInstance, case_id)
            open_now = {
                t.task_spec_id
                for t in s.scalars(select(OpenTask).where(OpenTask.instance_id == case_id))
            }
            # Both branches arrived at the join: the approval is the only open task.
            assert open_now == {"approve"}, (case_id, open_now)
            done = {
                t.task_spec_id: t.completed_by
                for t in s.scalars(select(HistoricTask).where(HistoricTask.instance_id == case_id))
            }
            assert done == {"register": "sup1", "legal_review": "market1", "finance_review": "sup2"}
            assert instance.version >= 4
    # The race really happened: some saves collided and were redone.
    assert conflicts >= 1


def test_stale_save_raises_a_conflict_and_writes_nothing(runtime):
    """The loser of a race sees StaleCaseError; its transaction leaves no trace."""
    with runtime.sessions.begin() as s:
        make_org(s)
        deploy(s, runtime.engine, ("review_parallel.bpmn", read_workflow("review_parallel.bpmn")))
        case = cases.start_case(
            s,
            runtime.engine,
            user(s, "sup1"),
            key="review_parallel",
            variables={"bureau": "city_market"},
        ).instance
        register = s.scalars(select(OpenTask).where(OpenTask.instance_id == case.id)).one()
        cases.complete_task(
            s,
            runtime.engine,
            user(s, "sup1"),
            register.id,
            {"case_title": "x", "category": "major", "affected": 1},
        )
        tasks = {
            t.task_spec_id: t.id
            for t in s.scalars(select(OpenTask).where(OpenTask.instance_id == case.id))
        }
    first = runtime.sessions()
    second = runtime.sessions()
    try:
        a = first.get(ProcessInstance, case.id)
        b = second.get(ProcessInstance, case.id)
        assert a.version == b.version
        runtime.engine.complete_task(first, a, tasks["legal_review"], {}, actor="market1")
        first.commit()
        with pytest.raises((StaleCaseError, Exception)) as caught:
            runtime.engine.complete_task(second, b, tasks["finance_review"], {}, actor="sup2")
            second.commit()
        assert is_retryable(caught.value)
        second.rollback()
    finally:
        first.close()
        second.close()
    with runtime.sessions() as s:
        open_now = {
            t.task_spec_id
            for t in s.scalars(select(OpenTask).where(OpenTask.instance_id == case.id))
        }
        assert open_now == {"finance_review"}
        assert s.get(HistoricTask, tasks["finance_review"]) is None
