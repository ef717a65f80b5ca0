"""Inbox: task lists and tab counts over a province-sized database.

Synthetic rows are bulk-inserted with SQLAlchemy Core: 20,000 cases with 100,000 open tasks
(one candidate row each, a fifth claimed), and 1,000,000 history rows (500,000 finished
tasks, 500,000 audit records). The tasks are spread over 21 cities and 200 groups the way a
province-wide deployment would be; the users measured are the benchmark organisation's
(a city supervisor, a city chief who may reassign the whole city, a bureau handler, a
county supervisor). Statistics and PostgreSQL's visibility map are refreshed first
(VACUUM ANALYZE on PostgreSQL, ANALYZE on SQLite), as autovacuum does after bulk inserts, so
index-only scans can skip the table; each query is then timed through supervision.inbox,
p50 and p95.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from bench.common import NO_POSTGRES
from bench.common import Section
from bench.common import database
from bench.common import diagram
from bench.common import percentile
from bench.common import postgres_admin_url
from bench.common import prepare
from bench.common import runtime
from bench.common import timed
from db.models import AuditEvent
from db.models import AuditStream
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import TaskCandidate
from supervision import clock
from supervision import deployments
from supervision import identity
from supervision import inbox

OPEN_TASKS = 100_000
CASES = 20_000
HISTORIC_TASKS = 500_000
AUDIT_EVENTS = 500_000
TARGET_MS = 20.0
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CITIES = [f"51{n:02d}00" for n in range(1, 22)]  # 21 cities, Guangyuan is 510800
OWN_GROUPS = {  # share of the open tasks offered to the benchmark users' groups
    "city_supervisors": 0.06,
    "city_chiefs": 0.01,
    "city_market": 0.03,
    "lizhou_supervisors": 0.02,
}
OTHER_GROUPS = [f"g{n:03d}" for n in range(200)]
USERS = ("sup1", "chief", "market1", "lizhou1")
BATCH = 10_000


def _chunks(rows, size=BATCH):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _group_for(rng: random.Random) -> str:
    pick = rng.random()
    for code, share in OWN_GROUPS.items():
        if pick < share:
            return code
        pick -= share
    return rng.choice(OTHER_GROUPS)


def _region_for(group: str, rng: random.Random) -> str:
    if group == "lizhou_supervisors":
        return "510802"
    if group in OWN_GROUPS:
        return "510800"
    return rng.choice(CITIES)[:4] + rng.choice(["00", "02", "11", "21"])


def _fill(rt, definition: ProcessDefinition, scale: int = 1) -> None:
    """Insert the synthetic rows; `scale` divides every count (quick runs)."""
    cases_n, open_n = CASES // scale, OPEN_TASKS // scale
    historic_n, audit_n = HISTORIC_TASKS // scale, AUDIT_EVENTS // scale
    rng = random.Random(8)
    assignees = [f"u{n:04d}" for n in range(2000)] + ["sup1"] * 8 + ["market1"] * 4
    with rt.db.begin() as conn:
        case_ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(cases_n)]
        for chunk in _chunks(range(cases_n)):
            conn.execute(
                insert(ProcessInstance),
                [
                    {
                        "id": case_ids[i],
                        "definition_id": definition.id,
                        "definition_key": definition.key,
                        "called_definition_ids": [],
                        "case_no": f"广司监〔2026〕{i + 1:06d}号",
                        "title": f"案件 {i}",
                        "status": "active",
                        "state": b"",
                        "serializer_version": "1",
                        "version": 1,
                        "variables": {},
                        "region_code": rng.choice(CITIES),
                        "started_at": NOW - timedelta(days=rng.randint(0, 400)),
                        "updated_at": NOW,
                    }
                    for i in chunk
                ],
            )
        tasks, candidates = [], []
        for n in range(open_n):
            task_id = str(uuid.UUID(int=rng.getrandbits(128)))
            group = _group_for(rng)
            assignee = rng.choice(assignees) if rng.random() < 0.2 else None
            case = n % cases_n
            tasks.append(
                {
                    "id": task_id,
                    "instance_id": case_ids[case],
                    "definition_id": definition.id,
                    "definition_key": definition.key,
                    "process_key": definition.key,
                    "task_spec_id": rng.choice(["register", "legal_review", "approve"]),
                    "name": "审查",
                    "candidate_groups": [group],
                    "candidate_users": [],
                    "assignee": assignee,
                    "created_at": NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 90)),
                    "due_at": NOW + timedelta(hours=rng.randint(-24 * 20, 24 * 40)),
                    "priority": 50,
                    "case_no": f"广司监〔2026〕{case + 1:06d}号",
                    "case_title": f"案件 {case}",
                    "region_code": _region_for(group, rng),
                    "bureau_code": "city_market" if group == "city_market" else None,
                }
            )
            task = tasks[-1]  # candidate rows repeat what the inbox sorts and filters on
            candidates.append(
                {
                    "task_id": task_id,
                    "group_code": group,
                    "assigned": assignee is not None,
                    "due_at": task["due_at"],
                    "created_at": task["created_at"],
                    "priority": task["priority"],
                    "region_code": task["region_code"],
                    "shared": False,
                }
            )
        for chunk in _chunks(tasks):
            conn.execute(insert(OpenTask), chunk)
        for chunk in _chunks(candidates):
            conn.execute(insert(TaskCandidate), chunk)
        done_by = [f"u{n:04d}" for n in range(2000)] + ["sup1"] * 10 + ["chief"] * 5
        historic = (
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "instance_id": case_ids[n % cases_n],
                "definition_id": definition.id,
                "definition_key": definition.key,
                "task_spec_id": "register",
                "name": "登记",
                "completed_by": rng.choice(done_by),
                "candidate_groups": ["city_supervisors"],
                "created_at": NOW - timedelta(days=rng.randint(1, 400)),
                "ended_at": NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 400)),
                "outcome": "completed",
                "variables": {"decision": "approve"},
                "case_no": f"广司监〔2026〕{n % cases_n + 1:06d}号",
                "case_title": f"案件 {n % cases_n}",
            }
            for n in range(historic_n)
        )
        for chunk in _chunks(historic):
            conn.execute(insert(HistoricTask), chunk)
        # Synthetic audit rows live in their own streams (no hashes are checked here).
        per_stream = audit_n // cases_n
        conn.execute(
            insert(AuditStream),
            [
                {"key": f"bench:{i}", "seq": per_stream, "head_hash": "0" * 64, "updated_at": NOW}
                for i in range(cases_n)
            ],
        )
        events = (
            {
                "stream_key": f"bench:{n // per_stream}",
                "seq": n % per_stream + 1,
                "at": NOW - timedelta(minutes=n),
                "actor": rng.choice(done_by),
                "action": "complete",
                "instance_id": case_ids[n // per_stream],
                "details": {"values": {"decision": "approve"}},
                "prev_hash": "0" * 64,
                "hash": "0" * 64,
            }
            for n in range(audit_n)
        )
        for chunk in _chunks(events):
            conn.execute(insert(AuditEvent), chunk)
    with rt.db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Autovacuum runs VACUUM ANALYZE after bulk inserts (autovacuum_vacuum_insert_threshold,
        # PostgreSQL 13+); without the visibility map every index entry costs a heap visit.
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


WHY_SLOW = (
    "How the tabs are read (supervision.inbox): each tab is a union of index ranges whose "
    "entries carry the sort columns (open_tasks by assignee; task_candidates by group or "
    "user name, with the task's due date, creation time, priority, region and claimed flag "
    "copied onto the candidate row; open_tasks by region for a chief's team), so a page and "
    "its count read the user's own index entries, never every open task. A figure over the "
    "target here is the count of a tab holding many thousands of tasks (it reads all of "
    "that tab's index entries) or a filter on a column only open_tasks has, which joins it."
)

QUERIES = [
    ("list: all tabs, by due date", "list", {"tab": "all"}),
    ("list: group (unclaimed)", "list", {"tab": "group"}),
    ("list: mine", "list", {"tab": "mine"}),
    ("list: done (history)", "list", {"tab": "done"}),
    ("list: team (chief)", "list", {"tab": "team"}),
    ("tab counts", "counts", {}),
]


def _measure(section: Section, backend: str, quick: bool) -> None:
    repeat = 10 if quick else 40
    with database(backend) as url:
        prepare(url)
        with runtime(url) as rt:
            with rt.sessions.begin() as session:
                deployments.deploy(
                    session,
                    rt.engine,
                    [("review_parallel.bpmn", diagram("review_parallel.bpmn"))],
                    actor="designer",
                )
                for code in OTHER_GROUPS:
                    identity.create_group(
                        session, code, name=f"单位{code}", level="county", region="510100"
                    )
            with rt.sessions() as session:
                definition = session.scalars(select(ProcessDefinition)).one()
                _fill(rt, definition, scale=10 if quick else 1)
            clock.freeze(NOW)
            try:
                samples = _run_queries(rt, repeat)
            finally:
                clock.reset()
    worst = 0.0
    for label, values in samples.items():
        p95 = percentile(values, 95)
        worst = max(worst, p95)
        section.add(
            f"{backend}: {label}",
            p95,
            "ms p95",
            note=f"p50 {percentile(values, 50):.2f} ms",
            target=f"< {TARGET_MS:.0f} ms",
            met=p95 < TARGET_MS,
        )
    if worst >= TARGET_MS:
        slow = [k for k, v in samples.items() if percentile(v, 95) >= TARGET_MS]
        section.remarks.append(
            f"Inbox on {backend}: p95 over {TARGET_MS:.0f} ms for {', '.join(slow)}. " + WHY_SLOW
        )


def _run_queries(rt, repeat: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {label: [] for label, _, _ in QUERIES}
    with rt.sessions() as session:
        users = [identity.require_user(session, name) for name in USERS]
        for user in users:  # load the groups and roles once, as a logged-in request has them
            _ = user.group_codes, user.roles
        for label, kind, kwargs in QUERIES:
            for user in users:
                if kwargs.get("tab") == "team" and user.username != "chief":
                    continue
                if kind == "list":

                    def work(user=user, kwargs=kwargs):
                        return inbox.list_tasks(session, user, **kwargs)
                else:

                    def work(user=user):
                        return inbox.counts(session, user)

                samples[label].extend(_budgeted(work, repeat))
    return samples


def _budgeted(work, repeat: int, budget: float = 4.0) -> list[float]:
    """Up to `repeat` timings, but no more than `budget` seconds (at least 5) for a query
    that turns out slow: its figure is plain after a few runs."""
    work()  # warm up (plan cache, connection)
    out: list[float] = []
    spent = 0.0
    while len(out) < repeat and (spent < budget or len(out) < 5):
        ms = timed(work, 1, warmup=0)[0]
        out.append(ms)
        spent += ms / 1000
    return out


def run(quick: bool = False) -> Section:
    section = Section("inbox")
    for backend in ("sqlite", "postgresql"):
        if backend == "postgresql" and postgres_admin_url() is None:
            section.remarks.append(NO_POSTGRES)
            continue
        _measure(section, backend, quick)
    return section
