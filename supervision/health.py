"""How the background work is doing: the figures of the operations page and /metrics.

Everything is read from the database (heartbeats, the indexed timer column, incidents, the
outbox), so any web process answers for every worker, wherever it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Incident
from db.models import OpenTask
from db.models import OutboxMessage
from db.models import PendingMessage
from db.models import ProcessInstance
from db.models import TimerStartSchedule
from db.models import WorkerHeartbeat
from supervision import calendar
from supervision import clock

# A worker is taken for lost after missing this many ticks (and at least a minute).
MISSED_TICKS = 3
MIN_SILENCE = timedelta(seconds=60)
# Timers due longer than this with no worker catching up: something is wrong.
LAG_WARNING = timedelta(minutes=5)
LAG_CRITICAL = timedelta(minutes=15)
LIST_LIMIT = 20


@dataclass
class WorkerState:
    row: WorkerHeartbeat
    alive: bool
    silent_seconds: float


@dataclass
class ChannelBacklog:
    channel: str
    pending: int = 0
    failing: int = 0
    dead: int = 0
    oldest_pending_at: datetime | None = None


@dataclass
class Report:
    now: datetime
    timers_due: int
    oldest_due_at: datetime | None
    timers_parked: int
    next_timer_at: datetime | None
    incidents_open: int
    incidents: list[tuple[Incident, ProcessInstance]]
    outbox: list[ChannelBacklog]
    outbox_problems: list[OutboxMessage]
    pending_messages: int
    pending_expiring: int
    workers: list[WorkerState]
    schedules: list[TimerStartSchedule]
    alert_levels: dict[str, int]
    calendar_warning: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def lag(self) -> timedelta:
        return self.now - self.oldest_due_at if self.oldest_due_at else timedelta(0)

    @property
    def workers_alive(self) -> int:
        return sum(1 for w in self.workers if w.alive)

    @property
    def status(self) -> str:
        """ok | warning | critical, for the page header and monitoring."""
        if self.timers_due and (self.lag >= LAG_CRITICAL or not self.workers_alive):
            return "critical"
        if self.problems:
            return "warning"
        return "ok"


def _workers(session: Session, now: datetime) -> list[WorkerState]:
    states = []
    for row in session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.started_at.desc())):
        silence = now - row.beat_at
        allowed = max(timedelta(seconds=row.interval_seconds * MISSED_TICKS), MIN_SILENCE)
        alive = row.stopped_at is None and silence <= allowed
        states.append(WorkerState(row, alive, max(silence.total_seconds(), 0.0)))
    return states


def _outbox(session: Session) -> list[ChannelBacklog]:
    unsent = OutboxMessage.sent_at.is_(None)
    rows = session.execute(
        select(
            OutboxMessage.channel,
            func.count().filter(OutboxMessage.dead_at.is_(None)),
            func.count().filter(OutboxMessage.dead_at.is_(None), OutboxMessage.attempts > 0),
            func.count().filter(OutboxMessage.dead_at.is_not(None)),
            func.min(OutboxMessage.created_at).filter(OutboxMessage.dead_at.is_(None)),
        )
        .where(unsent)
        .group_by(OutboxMessage.channel)
        .order_by(OutboxMessage.channel)
    ).all()
    return [ChannelBacklog(c, p, f, d, oldest) for c, p, f, d, oldest in rows]


def report(session: Session) -> Report:
    now = clock.now()
    active = ProcessInstance.status == "active"
    due = (active, ProcessInstance.next_timer_at <= now)
    not_parked = ProcessInstance.timer_retry_at.is_(None) | (ProcessInstance.timer_retry_at <= now)
    timers_due = session.scalar(select(func.count()).where(*due)) or 0
    oldest_due = session.scalar(
        select(func.min(ProcessInstance.next_timer_at)).where(*due, not_parked)
    )
    parked = (
        session.scalar(select(func.count()).where(active, ProcessInstance.timer_retry_at > now))
        or 0
    )
    next_timer = session.scalar(
        select(func.min(ProcessInstance.next_timer_at)).where(
            active, ProcessInstance.next_timer_at > now
        )
    )
    open_incident = Incident.resolved_at.is_(None)
    incidents_open = session.scalar(select(func.count()).where(open_incident)) or 0
    incidents = list(
        session.execute(
            select(Incident, ProcessInstance)
            .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
            .where(open_incident)
            .order_by(Incident.created_at.desc())
            .limit(LIST_LIMIT)
        ).all()
    )
    problems_stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            (OutboxMessage.dead_at.is_not(None)) | (OutboxMessage.attempts > 1),
        )
        .order_by(OutboxMessage.dead_at.is_(None), OutboxMessage.created_at.desc())
        .limit(LIST_LIMIT)
    )
    pending = PendingMessage.active.is_(True)
    expiring = pending & (PendingMessage.expires_at <= now + timedelta(days=7))
    levels = dict(
        session.execute(
            select(OpenTask.alert_level, func.count())
            .where(OpenTask.alert_level.is_not(None))
            .group_by(OpenTask.alert_level)
        ).all()
    )
    result = Report(
        now=now,
        timers_due=timers_due,
        oldest_due_at=oldest_due,
        timers_parked=parked,
        next_timer_at=next_timer,
        incidents_open=incidents_open,
        incidents=incidents,
        outbox=_outbox(session),
        outbox_problems=list(session.scalars(problems_stmt)),
        pending_messages=session.scalar(select(func.count()).where(pending)) or 0,
        pending_expiring=session.scalar(select(func.count()).where(expiring)) or 0,
        workers=_workers(session, now),
        schedules=list(
            session.scalars(
                select(TimerStartSchedule)
                .where(TimerStartSchedule.active.is_(True))
                .order_by(TimerStartSchedule.next_fire_at)
            )
        ),
        alert_levels=levels,
        calendar_warning=calendar.missing_year_warning(session, clock.local_now().date()),
    )
    result.problems = _problems(result)
    return result


def _problems(r: Report) -> list[str]:
    """What needs an administrator, in plain words (shown on the page, kept short)."""
    found = []
    if r.timers_due and not r.workers_alive:
        found.append("no_worker")
    elif r.lag >= LAG_WARNING:
        found.append("lagging")
    if r.timers_parked:
        found.append("parked")
    if r.incidents_open:
        found.append("incidents")
    if any(c.dead for c in r.outbox):
        found.append("outbox_dead")
    if any(s.last_error for s in r.schedules):
        found.append("timer_start_error")
    if r.calendar_warning:
        found.append("calendar")
    return found
