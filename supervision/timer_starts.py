"""Timer start events: processes that start themselves (the annual evaluation on 1 April).

For the newest version of every process, each timer start event has a schedule row with
the moment it next fires (supervision.engine.timer_starts computes it as Camunda would).
Redeploying moves the schedule to the new version; suspending a process pauses it. The
worker claims a due row with a row lock, starts the case and moves the row on to its next
occurrence in one transaction, so each occurrence starts exactly one case however many
workers run, and a crash before the commit starts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from db.models import ProcessDefinition
from db.models import TimerStartSchedule
from supervision import audit
from supervision import clock
from supervision.engine import WorkflowEngine
from supervision.engine.timer_starts import TimerStart
from supervision.engine.timer_starts import first_fire
from supervision.engine.timer_starts import next_fire
from supervision.engine.timer_starts import timer_starts
from supervision.outbox import is_postgres

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = timedelta(minutes=5)


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    newer = aliased(ProcessDefinition)
    newest = (
        select(func.max(newer.version)).where(newer.key == ProcessDefinition.key).scalar_subquery()
    )
    stmt = select(ProcessDefinition).where(ProcessDefinition.version == newest)
    return list(session.scalars(stmt))


class ScheduleKeeper:
    """Keeps the schedule rows in step with what is deployed (per worker process)."""

    def __init__(self, engine: WorkflowEngine) -> None:
        self.engine = engine
        self._inspected: set[str] = set()

    def sync(self, session: Session) -> int:
        """Create rows for new versions, retire rows of old or suspended ones."""
        latest = {d.id: d for d in latest_definitions(session) if not d.suspended}
        rows = session.scalars(select(TimerStartSchedule)).all()
        scheduled = {r.definition_id for r in rows}
        for row in rows:
            if row.active and row.definition_id not in latest:
                row.active = False
            elif not row.active and row.definition_id in latest and row.next_fire_at is not None:
                row.active = True  # resumed after a suspension
        created = 0
        for definition_id, definition in latest.items():
            if definition_id in scheduled or definition_id in self._inspected:
                continue
            self._inspected.add(definition_id)
            for start in timer_starts(self.engine, session, definition_id):
                created += self._create(session, definition, start)
        return created

    def _create(self, session: Session, definition: ProcessDefinition, start: TimerStart) -> int:
        row = TimerStartSchedule(
            definition_id=definition.id,
            definition_key=definition.key,
            activity_id=start.activity_id,
            activity_name=start.name,
            kind=start.kind,
            expression=start.expression,
            created_at=clock.now(),
        )
        try:
            row.next_fire_at = first_fire(
                self.engine, session, start, deployed_at=definition.deployed_at
            )
        except Exception as exc:  # a bad expression must be seen, not crash the worker
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("timer start %s of %s: %s", start.activity_id, definition.id, exc)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return 0  # another worker made it first
        return 1


@dataclass
class Started:
    schedule_id: int
    instance_id: str


def claim_due(session: Session) -> TimerStartSchedule | None:
    stmt = (
        select(TimerStartSchedule)
        .where(
            TimerStartSchedule.active.is_(True),
            TimerStartSchedule.next_fire_at <= clock.now(),
        )
        .order_by(TimerStartSchedule.next_fire_at)
        .limit(1)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


def start_due(session: Session, engine: WorkflowEngine, row: TimerStartSchedule) -> Started:
    """Start the case of one due occurrence and move the row on (caller's transaction)."""
    definition = session.get(ProcessDefinition, row.definition_id)
    occurrence = row.next_fire_at
    result = engine.start(
        session,
        definition,
        actor=None,
        start_event_id=row.activity_id,
        timer_fired=True,
    )
    from supervision.cases import route_events

    route_events(session, engine, result, None)
    now = clock.now()
    start = TimerStart(row.activity_id, row.activity_name, row.kind, row.expression)
    row.last_fired_at = occurrence
    row.fire_count = (row.fire_count or 0) + 1
    row.last_error = None
    row.next_fire_at = next_fire(
        engine, session, start, deployed_at=definition.deployed_at, fired=occurrence, now=now
    )
    audit.append(
        session,
        "timer_start",
        actor="timer",
        instance_id=result.instance.id,
        activity_id=row.activity_id,
        details={
            "definition_id": definition.id,
            "occurrence": occurrence,
            "next": row.next_fire_at,
        },
        at=now,
    )
    return Started(row.id, result.instance.id)


def record_failure(session: Session, schedule_id: int, exc: BaseException) -> None:
    row = session.get(TimerStartSchedule, schedule_id)
    if row is None:
        return
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    # The occurrence is kept and tried again later; it starts one case once it works.
    row.next_fire_at = max(row.next_fire_at or clock.now(), clock.now() + RETRY_AFTER_FAILURE)
