"""The background worker: timers, timer starts, alerts, expired messages and the outbox.

`supervision worker` runs `Worker.run()`: every `interval` seconds one tick that
1. fires due timers, one case per transaction (supervision.timers);
2. starts cases of due timer start events (supervision.timer_starts);
3. brings task alert levels up to date and notifies (supervision.alerts; once a minute);
4. drops early messages that expired (with an audit record);
5. delivers the outbox (supervision.outbox);
6. writes its heartbeat (what the operations page and /metrics show).
A tick that found more work than one batch is followed at once by another. A failing step
is logged, counted and recorded in the heartbeat; the other steps still run.

On PostgreSQL any number of workers may run (row locks with SKIP LOCKED divide the work).
On SQLite exactly one worker runs beside the web server: it holds an exclusive lock on
"<database file>.worker-lock", and a second worker refuses to start. `--once` runs ticks
until nothing more is due and exits (for cron); SIGTERM or Ctrl+C stop the loop after the
case in hand.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from db.models import WorkerHeartbeat
from supervision import alerts
from supervision import channels as channel_config
from supervision import clock
from supervision import maintenance
from supervision import outbox
from supervision import timer_starts
from supervision import timers
from supervision import uow
from supervision.calendar import calendar_cache
from supervision.channels import ChannelSet
from supervision.engine import WorkflowEngine

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = 3600.0
MAX_ONCE_TICKS = 10_000


class WorkerAlreadyRunning(RuntimeError):
    pass


@dataclass
class TickStats:
    timers_fired: int = 0
    timer_errors: int = 0
    cases_started: int = 0
    alerts_raised: int = 0
    messages_expired: int = 0
    outbox_sent: int = 0
    outbox_failed: int = 0
    errors: int = 0
    more: bool = False

    def add(self, other: TickStats) -> None:
        for f in fields(self):
            if f.name == "more":
                continue
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def summary(self) -> str:
        return ", ".join(
            f"{f.name}={getattr(self, f.name)}" for f in fields(self) if f.name != "more"
        )


# ---------------------------------------------------------------- the SQLite guard


def lock_path(database_url: str) -> Path | None:
    """Where a SQLite worker keeps its lock; None for server databases and :memory:."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(f"{url.database}.worker-lock")


@contextlib.contextmanager
def single_worker(database_url: str):
    """Hold the SQLite worker lock for the life of the block (released by the OS on a crash)."""
    path = lock_path(database_url)
    if path is None:
        yield
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkerAlreadyRunning(
                f"another worker already runs on this SQLite database ({path}); on SQLite "
                "only one worker may run (use PostgreSQL for several)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{socket.gethostname()} {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


# ---------------------------------------------------------------- the worker


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        engine: WorkflowEngine,
        *,
        database_url: str,
        channels: ChannelSet | None = None,
        interval: float = 5.0,
        batch: int = 100,
        alert_interval: float = 60.0,
        worker_id: str | None = None,
    ) -> None:
        if interval <= 0 or batch <= 0:
            raise ValueError("interval and batch must be positive")
        self.sessions = sessions
        self.engine = engine
        self.database_url = database_url
        self.channels = channels if channels is not None else channel_config.configured()
        self.interval = interval
        self.batch = batch
        self.alert_interval = alert_interval
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.backend = make_url(database_url).get_backend_name()
        self.schedules = timer_starts.ScheduleKeeper(engine)
        self.totals = TickStats()
        self._stop = threading.Event()
        self._last_alerts = float("-inf")
        self._last_housekeeping = float("-inf")
        self._last_error: str | None = None

    # ------------------------------------------------------------ lifecycle
    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, *, once: bool = False) -> TickStats:
        """Run until stopped (or, with `once`, until nothing more is due)."""
        with single_worker(self.database_url):
            self._register()
            log.info("worker %s started (%s, every %.1fs)", self.id, self.backend, self.interval)
            try:
                ticks = 0
                while not self.stopping:
                    stats = self.tick(force_alerts=once and ticks == 0)
                    ticks += 1
                    if once and (not stats.more or ticks >= MAX_ONCE_TICKS):
                        break
                    if not stats.more:
                        self._stop.wait(self.interval)
            finally:
                self._unregister()
                log.info("worker %s stopped: %s", self.id, self.totals.summary())
        return self.totals

    # ------------------------------------------------------------ one tick
    def tick(self, *, force_alerts: bool = False) -> TickStats:
        started = time.monotonic()
        stats = TickStats()
        self._step(stats, "timers", self._fire_timers)
        self._step(stats, "timer starts", self._start_cases)
        if force_alerts or time.monotonic() - self._last_alerts >= self.alert_interval:
            self._last_alerts = time.monotonic()
            self._step(stats, "alerts", self._sweep_alerts)
        self._step(stats, "pending messages", self._expire_messages)
        self._step(stats, "outbox", self._deliver_outbox)
        if time.monotonic() - self._last_housekeeping >= HOUSEKEEPING_EVERY:
            self._last_housekeeping = time.monotonic()
            self._step(stats, "housekeeping", self._housekeeping)
        self.totals.add(stats)
        elapsed_ms = (time.monotonic() - started) * 1000
        self._step(stats, "heartbeat", lambda s: self._beat(elapsed_ms))
        return stats

    def _step(self, stats: TickStats, name: str, step) -> None:
        if self.stopping and name not in ("heartbeat",):
            return
        try:
            step(stats)
        except Exception as exc:
            stats.errors += 1
            self._last_error = f"{name}: {type(exc).__name__}: {exc}"[:2000]
            log.exception("worker step %s failed", name)

    def _fire_timers(self, stats: TickStats) -> None:
        result = timers.fire_due(
            self.sessions, self.engine, batch=self.batch, stopping=self._stop.is_set
        )
        stats.timers_fired += result.fired
        stats.timer_errors += result.errors
        stats.more |= result.more

    def _start_cases(self, stats: TickStats) -> None:
        uow.run(self.sessions, self.schedules.sync)
        for _ in range(self.batch):
            if self.stopping:
                return
            claimed: list[int] = []

            def work(session: Session, claimed=claimed):
                claimed.clear()
                row = timer_starts.claim_due(session)
                if row is None:
                    return None
                claimed.append(row.id)
                return timer_starts.start_due(session, self.engine, row)

            try:
                started = uow.run(self.sessions, work)
            except Exception as exc:
                if not claimed:
                    raise
                log.exception("timer start schedule %s failed", claimed[0])
                stats.errors += 1
                uow.run(
                    self.sessions,
                    lambda s, i=claimed[0], e=exc: timer_starts.record_failure(s, i, e),
                )
                continue
            if started is None:
                return
            stats.cases_started += 1
        stats.more = True

    def _sweep_alerts(self, stats: TickStats) -> None:
        def work(session: Session) -> alerts.SweepStats:
            return alerts.sweep(session, calendar_cache.get(session), batch=self.batch * 5)

        stats.alerts_raised += uow.run(self.sessions, work).notified

    def _expire_messages(self, stats: TickStats) -> None:
        expired = uow.run(
            self.sessions,
            lambda s: maintenance.expire_pending_messages(s, batch=self.batch),
        )
        stats.messages_expired += expired
        stats.more |= expired >= self.batch

    def _deliver_outbox(self, stats: TickStats) -> None:
        result = outbox.deliver(self.sessions, self.channels, worker_id=self.id, batch=self.batch)
        stats.outbox_sent += result.sent
        stats.outbox_failed += result.failed
        stats.more |= result.claimed >= self.batch

    def _housekeeping(self, stats: TickStats) -> None:
        days = int(os.environ.get("SUPERVISION_OUTBOX_RETENTION_DAYS") or 180)
        uow.run(self.sessions, lambda s: outbox.purge_sent(s, older_than=timedelta(days=days)))
        uow.run(self.sessions, maintenance.prune_heartbeats)

    # ------------------------------------------------------------ heartbeat
    def _new_heartbeat(self) -> WorkerHeartbeat:
        now = clock.now()
        return WorkerHeartbeat(
            id=self.id,
            hostname=socket.gethostname()[:200],
            pid=os.getpid(),
            backend=self.backend,
            interval_seconds=self.interval,
            started_at=now,
            beat_at=now,
        )

    def _register(self) -> None:
        uow.run(self.sessions, lambda s: s.merge(self._new_heartbeat()))

    def _beat(self, elapsed_ms: float) -> None:
        totals = self.totals

        def work(session: Session) -> None:
            # Gone if pruned while this worker hung for a week: it simply comes back.
            row = session.get(WorkerHeartbeat, self.id) or session.merge(self._new_heartbeat())
            row.beat_at = clock.now()
            row.ticks = (row.ticks or 0) + 1
            row.timers_fired = totals.timers_fired
            row.timer_errors = totals.timer_errors
            row.cases_started = totals.cases_started
            row.outbox_sent = totals.outbox_sent
            row.outbox_failed = totals.outbox_failed
            row.alerts_raised = totals.alerts_raised
            row.messages_expired = totals.messages_expired
            row.last_tick_ms = round(elapsed_ms, 1)
            if self._last_error:
                row.last_error = self._last_error
                row.last_error_at = clock.now()

        uow.run(self.sessions, work)
        self._last_error = None

    def _unregister(self) -> None:
        try:
            uow.run(self.sessions, self._mark_stopped)
        except Exception:
            log.exception("could not record that worker %s stopped", self.id)

    def _mark_stopped(self, session: Session) -> None:
        row = session.get(WorkerHeartbeat, self.id)
        if row is not None:
            row.stopped_at = clock.now()
