"""Timer start events start their cases when due: once per occurrence, whatever the
number of workers, following redeployments and suspensions."""

from __future__ import annotations

import threading

from sqlalchemy import select

from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import TimerStartSchedule
from supervision import clock
from supervision.worker import Worker
from tests.factories import deploy
from tests.worker.conftest import diagram
from tests.worker.conftest import local
from tests.worker.conftest import open_tasks
from tests.worker.conftest import tick_at


def _deploy(rt, name, at):
    clock.freeze(at)
    with rt.sessions.begin() as s:
        return [d.id for d in deploy(s, rt.engine, diagram(name)).definitions]


def _cases(rt, key):
    with rt.sessions() as s:
        return list(
            s.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.definition_key == key)
                .order_by(ProcessInstance.started_at)
            )
        )


def _schedules(rt):
    with rt.sessions() as s:
        return list(s.scalars(select(TimerStartSchedule).order_by(TimerStartSchedule.id)))


def test_the_annual_evaluation_starts_each_first_of_april(org, worker):
    rt = org
    _deploy(rt, "annual_evaluation.bpmn", local(2026, 3, 1, 10, 0))
    tick_at(worker, local(2026, 3, 1, 10, 0))
    (schedule,) = _schedules(rt)
    assert (schedule.activity_id, schedule.kind) == ("start_yearly", "cycle")
    assert schedule.next_fire_at == local(2026, 4, 1, 9, 0)
    tick_at(worker, local(2026, 4, 1, 8, 59, 59))
    assert _cases(rt, "annual_evaluation") == []
    stats = tick_at(worker, local(2026, 4, 1, 9, 0))
    assert stats.cases_started == 1
    tick_at(worker, local(2026, 4, 1, 9, 5))
    (case,) = _cases(rt, "annual_evaluation")
    assert case.started_at == local(2026, 4, 1, 9, 0)
    assert set(open_tasks(rt, case.id)) == {"plan"}
    # The case does not keep a repeating start inside it.
    assert case.next_timer_at is None
    (schedule,) = _schedules(rt)
    assert schedule.fire_count == 1
    assert schedule.last_fired_at == local(2026, 4, 1, 9, 0)
    assert schedule.next_fire_at == local(2027, 4, 1, 9, 0)
    tick_at(worker, local(2027, 3, 31, 9, 0))
    assert len(_cases(rt, "annual_evaluation")) == 1
    tick_at(worker, local(2027, 4, 1, 9, 0))
    assert len(_cases(rt, "annual_evaluation")) == 2


def test_a_missed_occurrence_starts_one_late_case_not_a_backlog(org, worker):
    rt = org
    _deploy(rt, "annual_evaluation.bpmn", local(2026, 3, 1, 10, 0))
    tick_at(worker, local(2026, 3, 1, 10, 0))
    # No worker ran for two years.
    tick_at(worker, local(2028, 5, 2, 8, 0))
    assert len(_cases(rt, "annual_evaluation")) == 1
    assert _schedules(rt)[0].next_fire_at == local(2029, 4, 1, 9, 0)


def test_a_time_date_starts_once_even_when_deployed_after_it(org, worker):
    rt = org
    _deploy(rt, "one_off_campaign.bpmn", local(2026, 6, 1, 10, 0))
    tick_at(worker, local(2026, 6, 1, 10, 0))
    assert len(_cases(rt, "one_off_campaign")) == 1
    tick_at(worker, local(2026, 6, 2, 10, 0))
    assert len(_cases(rt, "one_off_campaign")) == 1
    (schedule,) = _schedules(rt)
    assert schedule.next_fire_at is None and schedule.fire_count == 1


def test_a_new_version_takes_over_the_schedule_and_suspension_pauses_it(org, worker):
    rt = org
    (v1,) = _deploy(rt, "annual_evaluation.bpmn", local(2026, 3, 1, 10, 0))
    tick_at(worker, local(2026, 3, 1, 10, 0))
    name, content = diagram("annual_evaluation.bpmn")
    changed = content.replace("拟定评估工作方案".encode(), "拟定年度评估工作方案".encode())
    clock.freeze(local(2026, 3, 10, 10, 0))
    with rt.sessions.begin() as s:
        (v2,) = [d.id for d in deploy(s, rt.engine, (name, changed)).definitions]
    tick_at(worker, local(2026, 3, 10, 10, 0))
    active = {r.definition_id: r.active for r in _schedules(rt)}
    assert active == {v1: False, v2: True}
    with rt.sessions.begin() as s:
        s.get(ProcessDefinition, v2).suspended = True
    tick_at(worker, local(2026, 4, 1, 9, 0))
    assert _cases(rt, "annual_evaluation") == []
    with rt.sessions.begin() as s:
        s.get(ProcessDefinition, v2).suspended = False
    tick_at(worker, local(2026, 4, 2, 9, 0))
    (case,) = _cases(rt, "annual_evaluation")
    assert case.definition_id == v2


def test_two_workers_at_the_same_moment_start_one_case(org, runtime):
    rt = org
    _deploy(rt, "one_off_campaign.bpmn", local(2026, 5, 6, 9, 0))
    workers = [
        Worker(rt.sessions, rt.engine, database_url=rt.url, alert_interval=3600) for _ in range(4)
    ]
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(w):
        barrier.wait()
        stats = w.tick()
        if stats.errors:
            errors.append(w._last_error)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_cases(rt, "one_off_campaign")) == 1
    assert sum(w.totals.cases_started for w in workers) == 1
