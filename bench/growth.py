"""Growth: what a task completion costs in a long-lived case, and how big its state gets.

Three `review_loop` cases (user task -> script -> gateway -> the same user task) are driven
to 1, 100 and 1,000 completed steps; then their next round trips through
cases.complete_task are timed in turn (median; taking turns spreads any busy moment of the
machine over all three) and the stored ProcessInstance.state is measured. The case data
stays the same size, so what grows is only the engine's history.
Stock SpiffWorkflow keeps every finished task, so its round trip grows with the history;
our engine compacts what the case can no longer reach (serializer.compact), while the
history tables and the audit trail keep every step. The run checks that they do.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from bench import raw
from bench.common import NO_POSTGRES
from bench.common import Section
from bench.common import database
from bench.common import diagram
from bench.common import median
from bench.common import postgres_admin_url
from bench.common import prepare
from bench.common import runtime
from bench.common import timed
from db.models import AuditEvent
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import audit
from supervision import cases
from supervision import deployments
from supervision import identity

PROCESS = "review_loop"
DIAGRAM = "review_loop.bpmn"
POINTS = (1, 100, 1000)
TARGET = 1.5


def _deploy(rt) -> bool:
    with rt.sessions.begin() as session:
        result = deployments.deploy(
            session, rt.engine, [(DIAGRAM, diagram(DIAGRAM))], actor="designer"
        )
        return bool(result.definitions)


class _Case:
    def __init__(self, rt) -> None:
        self.rt = rt
        with rt.sessions.begin() as session:
            actor = identity.require_user(session, "sup1")
            result = cases.start_case(
                session, rt.engine, actor, key=PROCESS, variables={"max_rounds": 10**6}
            )
            self.id = result.instance.id
        self.steps = 0

    def step(self) -> None:
        with self.rt.sessions.begin() as session:
            task_id = session.scalars(
                select(OpenTask.id).where(OpenTask.instance_id == self.id)
            ).one()
            actor = identity.require_user(session, "sup1")
            cases.complete_task(session, self.rt.engine, actor, task_id, {})
        self.steps += 1

    def state_bytes(self) -> int:
        with self.rt.sessions() as session:
            return len(session.get(ProcessInstance, self.id).state)

    def history_complete(self) -> bool:
        with self.rt.sessions() as session:
            historic = session.scalar(
                select(func.count(HistoricTask.id)).where(HistoricTask.instance_id == self.id)
            )
            completions = session.scalar(
                select(func.count(AuditEvent.id)).where(
                    AuditEvent.instance_id == self.id, AuditEvent.action == "complete"
                )
            )
            intact = audit.verify(session).ok
        return historic == self.steps and completions == self.steps and intact


def _ours(section: Section, backend: str, quick: bool) -> None:
    repeat = 7 if quick else 25
    with database(backend) as url:
        prepare(url)
        with runtime(url) as rt:
            deployments_done = _deploy(rt)
            assert deployments_done
            loops = {prior: _Case(rt) for prior in POINTS}
            for prior, case in loops.items():
                while case.steps < prior:
                    case.step()
            sizes = {prior: case.state_bytes() for prior, case in loops.items()}
            # Round-robin, so a busy moment on the machine hits every point alike.
            samples: dict[int, list[float]] = {prior: [] for prior in POINTS}
            for _ in range(repeat):
                for prior, case in loops.items():
                    samples[prior].extend(timed(case.step, 1, warmup=0))
            complete = all(case.history_complete() for case in loops.values())
    figures = {prior: (median(samples[prior]), sizes[prior]) for prior in POINTS}
    first = figures[POINTS[0]][0]
    for prior, (ms, size) in figures.items():
        section.add(f"our layer, {backend}: round trip after {prior} steps", ms, "ms (median)")
        section.add(
            f"our layer, {backend}: stored state after {prior} steps",
            size / 1024,
            "KiB (compressed)",
        )
    ratio = figures[POINTS[-1]][0] / first
    row = section.add(
        f"our layer, {backend}: after {POINTS[-1]} / after {POINTS[0]}",
        ratio,
        "x",
        target=f"<= {TARGET}x",
        met=ratio <= TARGET,
    )
    if not row.met:
        section.remarks.append(
            f"Growth on {backend}: the round trip after {POINTS[-1]} steps costs {ratio:.2f}x "
            "the first."
        )
    section.add(
        f"our layer, {backend}: history and audit complete",
        1.0 if complete else 0.0,
        "yes=1",
        target="every step kept",
        met=complete,
    )


def _stock(section: Section, quick: bool) -> None:
    points = (1, 100) if quick else (1, 100, 300)
    figures = raw.measure(
        {
            "kind": "growth",
            "bpmn": diagram(DIAGRAM).decode("utf-8"),
            "process": PROCESS,
            "variables": {"max_rounds": 10**6},
            "task": "review",
            "values": {},
            "points": list(points),
            "repeat": 5 if quick else 15,
        }
    )
    for prior in points:
        point = figures[str(prior)]
        section.add(
            f"stock SpiffWorkflow: round trip after {prior} steps", point["round trip"], "ms"
        )
        section.add(
            f"stock SpiffWorkflow: state after {prior} steps",
            point["state bytes"] / 1024,
            "KiB (JSON)",
        )
    section.remarks.append(
        f"Stock SpiffWorkflow is shown up to {points[-1]} steps only: its cost is linear in the "
        "history (the guide measured 21.7 ms at 300), and past about 1,000 steps it stalls "
        "without our depth-limit patch (guide §9, pitfall 1)."
    )


def run(quick: bool = False) -> Section:
    section = Section("growth")
    _stock(section, quick)
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql" and postgres_admin_url() is None:
            section.remarks.append(NO_POSTGRES)
            continue
        _ours(section, backend, quick)
    return section
