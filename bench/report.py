"""The table on the terminal and docs/benchmarks.md: machine, date, command, figures,
targets missed and why."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC
from datetime import datetime
from importlib import metadata
from pathlib import Path

from bench.common import Row
from bench.common import Section


def machine() -> dict[str, str]:
    """CPU model, cores and RAM from /proc (what the figures were measured on)."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "SpiffWorkflow": _version("SpiffWorkflow"),
        "SQLAlchemy": _version("SQLAlchemy"),
        "SQLite": _sqlite_version(),
        "PostgreSQL": _postgres_version(),
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _postgres_version() -> str:
    from sqlalchemy import text

    from bench.common import postgres_admin_url
    from db.session import make_engine

    url = postgres_admin_url()
    if url is None:
        return "not available"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()


def _status(row: Row) -> str:
    if row.met is None:
        return ""
    return "met" if row.met else "MISSED"


def table(sections: list[Section]) -> list[str]:
    header = ("benchmark", "figure", "value", "unit", "target", "status", "note")
    rows = [
        (r.group, r.name, r.formatted(), r.unit, r.target, _status(r), r.note)
        for s in sections
        for r in s.rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]

    def line(values) -> str:
        return "  ".join(str(v).ljust(w) for v, w in zip(values, widths, strict=False)).rstrip()

    return [line(header), line("-" * w for w in widths), *(line(r) for r in rows)]


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def markdown(
    sections: list[Section],
    command: str,
    started: datetime,
    seconds: float,
    loads: tuple[str, str] = ("unknown", "unknown"),
) -> str:
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); the figures below are what we publish.",
        "Each sub-benchmark can be run alone, e.g. `python -m bench engine growth`.",
        "How each figure is measured is described in the docstring of its module under",
        "`bench/`.",
        "",
        "## Machine and run",
        "",
        "| | |",
        "|---|---|",
    ]
    for key, value in machine().items():
        out.append(f"| {key} | {value} |")
    out += [
        f"| date | {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC |",
        f"| command | `{command}` |",
        f"| duration | {seconds:.0f} s |",
        f"| load average (1 min) at start / end | {loads[0]} / {loads[1]} |",
        "",
        "## Figures",
        "",
        "| benchmark | figure | value | unit | target | status | note |",
        "|---|---|---:|---|---|---|---|",
    ]
    for section in sections:
        for r in section.rows:
            out.append(
                f"| {r.group} | {r.name} | {r.formatted()} | {r.unit} | {r.target} | "
                f"{_status(r)} | {r.note} |"
            )
    out += [
        "",
        "Load average above the core count means other work shared the machine during the",
        "run (here: other engineers' test suites on the same 2-core VM); every figure was",
        "then measured with less CPU than the machine has, and is pessimistic.",
    ]
    missed = [r for s in sections for r in s.rows if r.met is False]
    remarks = [text for s in sections for text in s.remarks]
    out += ["", "## Targets missed and why", ""]
    if not missed:
        out.append("Every target was met in this run.")
    for r in missed:
        out.append(f"- **{r.group} / {r.name}**: {r.formatted()} {r.unit}, target {r.target}.")
    if remarks:
        out += ["", "Notes from the run:", ""]
        out += [f"- {text}" for text in remarks]
    for section in sections:
        if section.details:
            out += ["", f"## Details: {section.name}", "", *section.details]
    return "\n".join(out) + "\n"


def command_line() -> str:
    return " ".join(["python -m bench", *sys.argv[1:]])
