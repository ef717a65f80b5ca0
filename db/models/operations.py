"""What the background workers need to run and to be watched: heartbeats and timer starts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.base import Base
from db.base import utcnow


class WorkerHeartbeat(Base):
    """One row per worker process, refreshed every tick: who runs, how far behind, what failed.

    The counters are cumulative for the life of the process, so the operations page and
    /metrics can show totals without every web process keeping its own counters.
    """

    __tablename__ = "worker_heartbeats"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    backend: Mapped[str] = mapped_column(String(16))
    interval_seconds: Mapped[float] = mapped_column(Float, default=5.0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    stopped_at: Mapped[datetime | None] = mapped_column()
    ticks: Mapped[int] = mapped_column(Integer, default=0)
    timers_fired: Mapped[int] = mapped_column(Integer, default=0)
    timer_errors: Mapped[int] = mapped_column(Integer, default=0)
    cases_started: Mapped[int] = mapped_column(Integer, default=0)
    outbox_sent: Mapped[int] = mapped_column(Integer, default=0)
    outbox_failed: Mapped[int] = mapped_column(Integer, default=0)
    alerts_raised: Mapped[int] = mapped_column(Integer, default=0)
    messages_expired: Mapped[int] = mapped_column(Integer, default=0)
    last_tick_ms: Mapped[float] = mapped_column(Float, default=0.0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column()


class TimerStartSchedule(Base):
    """A timer start event of the newest version of a process: when it next starts a case.

    Kept by the worker (supervision.timer_starts). A row is claimed with a row lock and
    moved to its next occurrence in the same transaction that starts the case, so each
    occurrence starts exactly one case however many workers run.
    """

    __tablename__ = "timer_start_schedules"
    __table_args__ = (UniqueConstraint("definition_id", "activity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[str] = mapped_column(
        ForeignKey("process_definitions.id", ondelete="CASCADE"), index=True
    )
    definition_key: Mapped[str] = mapped_column(String(100), index=True)
    activity_id: Mapped[str] = mapped_column(String(100))
    activity_name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    expression: Mapped[str] = mapped_column(Text)
    next_fire_at: Mapped[datetime | None] = mapped_column(index=True)
    last_fired_at: Mapped[datetime | None] = mapped_column()
    fire_count: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
