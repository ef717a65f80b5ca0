"""Candidate rows carry copies of their open task's columns; this keeps them equal.

The inbox pages and counts a user's tabs from the candidate rows alone (see
supervision.inbox), so whatever changes an open task's assignee, due date, priority or
region changes its candidate rows in the same transaction, through these functions.
"""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import OpenTask
from db.models import TaskCandidate


def new_rows(task: Mapping[str, Any], groups: list[str], users: list[str]) -> list[dict]:
    """The candidate rows of a new open task, given as the mapping of its inserted row."""
    copied = {
        "assigned": task["assignee"] is not None,
        "due_at": task["due_at"],
        "created_at": task["created_at"],
        "priority": task["priority"],
        "region_code": task["region_code"],
        # More than one row: a user may match the task twice (the inbox lists it once).
        "shared": len(groups) + len(users) > 1,
    }
    return [
        {"task_id": task["id"], "group_code": g, "username": None, **copied} for g in groups
    ] + [{"task_id": task["id"], "group_code": None, "username": u, **copied} for u in users]


def copy_task(session: Session, task: OpenTask) -> None:
    """After the task's assignee, due date or priority changed (flushed or not)."""
    session.execute(
        update(TaskCandidate)
        .where(TaskCandidate.task_id == task.id)
        .values(assigned=task.assignee is not None, due_at=task.due_at, priority=task.priority)
        .execution_options(synchronize_session=False)
    )


def set_assigned(session: Session, task_id: str, assigned: bool) -> None:
    """After a claim written as a conditional UPDATE of the open task."""
    session.execute(
        update(TaskCandidate)
        .where(TaskCandidate.task_id == task_id)
        .values(assigned=assigned)
        .execution_options(synchronize_session=False)
    )


def set_region(session: Session, task_ids: Collection[str], region_code: str | None) -> None:
    """After the case of these open tasks moved to another region."""
    if task_ids:
        session.execute(
            update(TaskCandidate)
            .where(TaskCandidate.task_id.in_(task_ids))
            .values(region_code=region_code)
            .execution_options(synchronize_session=False)
        )
