"""Firing due timers: one case per transaction, safe with any number of workers.

A case is due when its `next_timer_at` (indexed; the engine sets it on every save from
the case's waiting timers) has passed. The worker claims the earliest due case with a row
lock; on PostgreSQL the claim skips rows another worker or a web request holds (FOR UPDATE
SKIP LOCKED), so several workers share the work and no timer fires twice. The engine fires
the case's due timers, runs its steps and saves in the same transaction; a step that fails
becomes an incident on the case (the engine does that) and the case is saved as usual.

What the engine cannot handle (a broken state, a bug) rolls the transaction back; the
case is then parked with a growing delay (`timer_retry_at`) and an incident, so one bad
case is neither hammered nor able to stop the others. A case whose due timer does not
move after firing is parked the same way.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from db.models import ProcessInstance
from supervision import clock
from supervision import uow
from supervision.engine import WorkflowEngine
from supervision.engine.projection import record_incident
from supervision.outbox import is_postgres

log = logging.getLogger(__name__)

TIMER_ACTOR = "timer"
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(failures: int) -> timedelta:
    """1, 2, 4, ... minutes, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(failures - 1, 0)), LONGEST_RETRY)


def due_condition(now: datetime):
    return (
        ProcessInstance.status == "active",
        ProcessInstance.next_timer_at <= now,
        or_(ProcessInstance.timer_retry_at.is_(None), ProcessInstance.timer_retry_at <= now),
    )


def claim_due_case(session: Session, now: datetime) -> ProcessInstance | None:
    """Lock and return the case whose timer has been due longest (None: nothing due)."""
    stmt = (
        select(ProcessInstance)
        .where(*due_condition(now))
        .order_by(ProcessInstance.next_timer_at)
        .limit(1)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalars(stmt).first()


@dataclass
class Fired:
    instance_id: str
    incidents: int
    parked: bool = False


def fire_case(session: Session, engine: WorkflowEngine, instance: ProcessInstance) -> Fired:
    """Fire the due timers of a claimed case, in the caller's transaction."""
    now = clock.now()
    due_before = instance.next_timer_at
    result = engine.fire_timers(session, instance, actor=TIMER_ACTOR)
    from supervision.cases import route_events

    route_events(session, engine, result, None)
    fired = Fired(instance.id, len(result.incidents))
    if instance.next_timer_at is not None and instance.next_timer_at == due_before:
        # Fired, yet the same timer is still the next one and still due: it cannot fire.
        _park(session, instance, now, f"timer due at {due_before.isoformat()} did not fire")
        fired.parked = True
    else:
        instance.timer_failures = 0
        instance.timer_retry_at = None
    return fired


def _park(session: Session, instance: ProcessInstance, now: datetime, message: str) -> None:
    instance.timer_failures = (instance.timer_failures or 0) + 1
    instance.timer_retry_at = now + retry_delay(instance.timer_failures)
    record_incident(
        session,
        instance,
        task_id=None,
        activity_id=None,
        activity_name=None,
        message=f"定时器无法触发 (timer could not fire): {message}",
        details=None,
        now=now,
        incident_type="timer",
    )
    log.warning(
        "case %s parked until %s: %s", instance.id, instance.timer_retry_at.isoformat(), message
    )


def record_failure(session: Session, instance_id: str, exc: BaseException) -> None:
    """After a rolled-back firing: park the case and open an incident (own transaction)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        return
    text = f"{type(exc).__name__}: {exc}"[:1500]
    _park(session, instance, clock.now(), text)
    details = "".join(traceback.format_exception(exc))[-8000:]
    from db.models import Incident

    incident = session.scalars(
        select(Incident).where(
            Incident.instance_id == instance.id,
            Incident.task_id.is_(None),
            Incident.resolved_at.is_(None),
        )
    ).first()
    if incident is not None:
        incident.details = details


@dataclass
class FireStats:
    fired: int = 0
    errors: int = 0
    incidents: int = 0
    more: bool = False


def fire_due(
    sessions: sessionmaker[Session],
    engine: WorkflowEngine,
    *,
    batch: int = 100,
    stopping: Callable[[], bool] = lambda: False,
) -> FireStats:
    """Fire up to `batch` due cases, each in its own transaction (until `stopping()`)."""
    stats = FireStats()
    claimed: list[str] = []

    def work(session: Session) -> Fired | None:
        claimed.clear()
        instance = claim_due_case(session, clock.now())
        if instance is None:
            return None
        claimed.append(instance.id)
        return fire_case(session, engine, instance)

    for _ in range(batch):
        if stopping():
            return stats
        try:
            fired = uow.run(sessions, work)
        except Exception as exc:
            stats.errors += 1
            if not claimed or uow.is_retryable(exc):
                # Nothing claimed (the database is unwell) or still colliding after the
                # retries: nothing to blame on a case; the next tick, after the interval,
                # tries again.
                log.warning("timer firing failed: %s", exc)
                return stats
            log.exception("firing the timers of case %s failed", claimed[0])
            uow.run(sessions, lambda s, i=claimed[0], e=exc: record_failure(s, i, e))
            continue
        if fired is None:
            return stats
        stats.fired += 1
        stats.incidents += fired.incidents
    stats.more = True
    return stats
