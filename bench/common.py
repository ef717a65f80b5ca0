"""What every benchmark shares: result rows, timing statistics, throw-away databases and a
ready runtime (schema, calendar, organisation)."""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base
from db.session import make_engine
from db.session import make_sessionmaker
from supervision import identity
from supervision.bootstrap import Runtime
from supervision.bootstrap import build_engine
from supervision.calendar import seed_from_chinese_calendar

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = Path(__file__).resolve().parent / "diagrams"
WORKFLOWS = ROOT / "workflows"
CALENDAR_YEARS = (2025, 2026)
PASSWORD = "bench-password-42"

# The organisation every benchmark works in (the same shape as the test factories).
GROUPS = [
    ("city_supervisors", "市司法局行政执法协调监督科", "city", "510800", "supervision"),
    ("city_chiefs", "市司法局科长", "city", "510800", "supervision"),
    ("city_market", "市市场监管局", "city", "510800", "bureau"),
    ("lizhou_supervisors", "利州区司法局", "county", "510802", "supervision"),
    ("hotline", "12345热线中心", "city", "510800", "hotline"),
]
USERS = [
    ("sup1", ("supervisor",), ("city_supervisors",)),
    ("sup2", ("supervisor",), ("city_supervisors",)),
    ("chief", ("section_chief",), ("city_chiefs", "city_supervisors")),
    ("market1", ("bureau_handler",), ("city_market",)),
    ("lizhou1", ("supervisor",), ("lizhou_supervisors",)),
    ("operator", ("hotline_operator",), ("hotline",)),
    ("designer", ("designer",), ()),
    ("admin", ("admin",), ()),
]


@dataclass
class Row:
    """One published figure."""

    group: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None  # None: no target for this figure
    note: str = ""

    def formatted(self) -> str:
        if self.value is None:
            return "n/a"
        if abs(self.value) >= 100:
            return f"{self.value:,.0f}"
        if abs(self.value) >= 10:
            return f"{self.value:.1f}"
        return f"{self.value:.3g}" if abs(self.value) < 1 else f"{self.value:.2f}"


@dataclass
class Section:
    """What one sub-benchmark reports: rows, plus remarks for the 'targets missed' part."""

    name: str
    rows: list[Row] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # free text (profiles) for the docs

    def add(self, *args, **kwargs) -> Row:
        row = Row(self.name, *args, **kwargs)
        self.rows.append(row)
        return row


# ---------------------------------------------------------------- timing


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (what load testers report)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object], repeat: int, *, warmup: int = 3) -> list[float]:
    """Run `fn` `repeat` times; return each run in milliseconds (GC off while timing)."""
    for _ in range(warmup):
        fn()
    samples = []
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
    finally:
        if gc_was_on:
            gc.enable()
    return samples


# ---------------------------------------------------------------- databases


def postgres_admin_url() -> str | None:
    """The maintenance URL of a PostgreSQL server to create throw-away databases on."""
    url = os.environ.get("SUPERVISION_BENCH_POSTGRES_URL") or os.environ.get(
        "SUPERVISION_TEST_POSTGRES_URL"
    )
    if not url:
        return None
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception:
        return None
    return url


NO_POSTGRES = (
    "PostgreSQL rows skipped: set SUPERVISION_BENCH_POSTGRES_URL (or "
    "SUPERVISION_TEST_POSTGRES_URL) to a server's maintenance database"
)


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        yield f"sqlite:///{tmp}/bench.db"


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one benchmark, dropped afterwards."""
    name = f"sv_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with sqlite_database() as url:
            yield url
        return
    admin = postgres_admin_url()
    if admin is None:
        raise RuntimeError(NO_POSTGRES)
    with postgres_database(admin) as url:
        yield url


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_admin_url() else ["sqlite"]


def prepare(url: str, *, org: bool = True) -> None:
    """Schema, working-day calendar and (optionally) the benchmark organisation."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_from_chinese_calendar(session, CALENDAR_YEARS)
        if org:
            for code, name, level, region, kind in GROUPS:
                identity.create_group(
                    session, code, name=name, level=level, region=region, kind=kind
                )
            for username, roles, member_of in USERS:
                identity.create_user(
                    session, username, password=PASSWORD, roles=roles, groups=member_of
                )
    engine.dispose()


@contextlib.contextmanager
def runtime(url: str, **engine_kwargs) -> Iterator[Runtime]:
    engine = make_engine(url, **engine_kwargs)
    try:
        yield Runtime(db=engine, sessions=make_sessionmaker(engine), engine=build_engine())
    finally:
        engine.dispose()


def diagram(name: str) -> bytes:
    return (DIAGRAMS / name).read_bytes()
