"""Memory: the peak resident set (VmHWM from /proc) of a web worker process after serving
a burst of REST traffic, and of a `supervision worker` process after firing 1,000 timers,
both on PostgreSQL (the http and worker benchmarks report the same for their longer runs).
"""

from __future__ import annotations

from bench import http
from bench import worker
from bench.common import Section
from bench.common import postgres_admin_url


def run(quick: bool = False) -> Section:
    section = Section("memory")
    if postgres_admin_url() is None:
        section.remarks.append("Memory benchmark skipped: it measures the PostgreSQL setup.")
        return section
    _, web_rss = http.measure((8,), 3 if quick else 6, workers=2)
    section.add(
        "peak RSS of a web worker process",
        web_rss,
        "MiB",
        note="gunicorn worker after start + claim/complete at 8 clients",
    )
    _, worker_rss, problems = worker.measure(300 if quick else 1000, 1)
    section.add(
        "peak RSS of a worker process",
        worker_rss,
        "MiB",
        note=f"after firing {300 if quick else 1000:,} timers",
    )
    section.remarks += [f"memory/worker: {p}" for p in problems]
    return section
