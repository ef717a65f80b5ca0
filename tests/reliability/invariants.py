"""What must hold after any load, crash or refused input: the checks every reliability test
ends with.

- Each case of review_parallel or timer_wait is finished, or has exactly the open tasks its
  completed history implies (no task lost, none doubled, none left behind).
- The audit trail is complete (a 'start' per case, a 'complete' per completed task, an
  'end' per finished case) and its hash chains verify.
- Case and document numbers are unique.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func
from sqlalchemy import select

from db.models import AuditEvent
from db.models import Document
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import audit


def expected_open(instance: ProcessInstance, completed: set[str]) -> Counter:
    """The open user tasks the case must have, given the tasks completed so far."""
    if instance.definition_key == "timer_wait":
        if "follow_up" in completed:
            return Counter()
        fired = instance.next_timer_at is None
        return Counter({"follow_up": 1}) if fired else Counter()
    if instance.definition_key != "review_parallel":
        raise AssertionError(f"no invariant for process {instance.definition_key}")
    if "register" not in completed:
        return Counter({"register": 1})
    if (instance.variables or {}).get("category") == "major":
        if "approve" in completed:
            return Counter()
        reviews = {"legal_review", "finance_review"}
        if reviews <= completed:
            return Counter({"approve": 1})
        return Counter(reviews - completed)
    return Counter() if "simple_review" in completed else Counter({"simple_review": 1})


def problems(session) -> list[str]:
    """Every violation found, as readable lines (empty when all holds)."""
    found: list[str] = []
    instances = session.scalars(select(ProcessInstance)).all()
    for instance in instances:
        completed_rows = session.scalars(
            select(HistoricTask.task_spec_id).where(
                HistoricTask.instance_id == instance.id, HistoricTask.outcome == "completed"
            )
        ).all()
        completed = set(completed_rows)
        if len(completed_rows) != len(completed):
            found.append(f"case {instance.id}: a task completed twice {sorted(completed_rows)}")
        open_tasks = Counter(
            session.scalars(
                select(OpenTask.task_spec_id).where(OpenTask.instance_id == instance.id)
            ).all()
        )
        expected = expected_open(instance, completed)
        finished = instance.status == "completed"
        if finished and open_tasks:
            found.append(f"case {instance.id} finished but has open tasks {dict(open_tasks)}")
        if not finished and instance.status != "active":
            found.append(f"case {instance.id} is {instance.status}")
        if not finished and open_tasks != expected:
            found.append(
                f"case {instance.id}: open {dict(open_tasks)}, expected {dict(expected)} "
                f"after {sorted(completed)}"
            )
        if finished and expected:
            found.append(f"case {instance.id} finished before {dict(expected)}")
        found += _audit_of(session, instance, len(completed_rows), finished)
    found += _duplicates(session)
    result = audit.verify(session)
    if not result.ok:
        found.append(result.describe())
    return found


def _audit_of(session, instance: ProcessInstance, completions: int, finished: bool) -> list[str]:
    actions = Counter(
        session.scalars(
            select(AuditEvent.action).where(AuditEvent.instance_id == instance.id)
        ).all()
    )
    found = []
    if actions["start"] != 1:
        found.append(f"case {instance.id}: {actions['start']} 'start' audit records")
    if actions["complete"] != completions:
        found.append(
            f"case {instance.id}: {actions['complete']} 'complete' audit records for "
            f"{completions} completed tasks"
        )
    if actions["end"] != (1 if finished else 0):
        found.append(f"case {instance.id}: {actions['end']} 'end' audit records")
    return found


def _duplicates(session) -> list[str]:
    found = []
    for column, label in ((ProcessInstance.case_no, "case"), (Document.doc_no, "document")):
        doubled = session.execute(
            select(column, func.count())
            .where(column.is_not(None))
            .group_by(column)
            .having(func.count() > 1)
        ).all()
        found += [f"{label} number {value} used {n} times" for value, n in doubled]
    return found


def table_counts(session) -> dict[str, int]:
    """Rows per table: what 'no change to the database' compares."""
    from db.base import Base

    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }
