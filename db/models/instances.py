"""Running cases (process instances), the open-task projection and incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from db.base import Base
from db.base import utcnow


class ProcessInstance(Base):
    """A case: one running (or finished) process instance and its serialised workflow.

    `version` is the optimistic lock: every save is `UPDATE ... WHERE version = :seen`, so of
    two concurrent changes one wins and the other fails cleanly instead of erasing the first.
    `variables` mirrors the case data so lists, the case page and statistics never need to
    deserialise the workflow. `region_code` decides visibility (see supervision.authz).
    """

    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_process_instances_status_started", "status", "started_at"),
        Index("ix_process_instances_region_status", "region_code", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(100), index=True)
    called_definition_ids: Mapped[list[Any]] = mapped_column(default=list)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    case_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="active")
    case_status: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [[message name, activity id], ...] the case waits for, mirroring event_subscriptions,
    # so a save knows without a query whether the subscriptions changed.
    subscriptions: Mapped[list[Any] | None] = mapped_column()
    region_code: Mapped[str | None] = mapped_column(String(12))
    owner_group_code: Mapped[str | None] = mapped_column(String(64), index=True)
    bureau_code: Mapped[str | None] = mapped_column(String(64), index=True)
    due_at: Mapped[datetime | None] = mapped_column()
    parent_instance_id: Mapped[str | None] = mapped_column(
        ForeignKey("process_instances.id"), index=True
    )
    relation: Mapped[str | None] = mapped_column(String(32))
    incident_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set by the worker when firing this case's timers failed outside the engine (a bug, a
    # broken state): the case is left alone until then, so one bad case is not hammered.
    timer_retry_at: Mapped[datetime | None] = mapped_column()
    timer_failures: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    definition = relationship("ProcessDefinition", lazy="select")

    __mapper_args__ = {"version_id_col": version}


class OpenTask(Base):
    """One row per ready user task, rebuilt on every save: the inbox reads only this."""

    __tablename__ = "open_tasks"
    __table_args__ = (
        Index("ix_open_tasks_assignee_due", "assignee", "due_at"),
        Index("ix_open_tasks_created", "created_at"),
        # A chief's team tab: region prefixes become range scans that carry the sort key
        # and the id, so paging and counting never visit the table rows.
        Index("ix_open_tasks_region_tab", "region_code", "due_at", "created_at", "priority", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    definition_id: Mapped[str] = mapped_column(String(120))
    definition_key: Mapped[str] = mapped_column(String(100), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    task_spec_id: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_groups: Mapped[list[Any]] = mapped_column(default=list)
    candidate_users: Mapped[list[Any]] = mapped_column(default=list)
    assignee: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(64))
    delegation_state: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    follow_up_at: Mapped[datetime | None] = mapped_column()
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form_key: Mapped[str | None] = mapped_column(String(300))
    alert_level: Mapped[str | None] = mapped_column(String(16))
    # The level people have been told about (the worker notifies when alert_level, set by
    # its sweep or by a diagram, is higher); reset when the due date moves.
    alert_notified: Mapped[str | None] = mapped_column(String(16))
    case_no: Mapped[str | None] = mapped_column(String(64), index=True)
    case_title: Mapped[str | None] = mapped_column(String(300))
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    bureau_code: Mapped[str | None] = mapped_column(String(64), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12))

    candidates: Mapped[list[TaskCandidate]] = relationship(
        back_populates="task", cascade="all, delete-orphan", passive_deletes=True
    )


class TaskCandidate(Base):
    """Who may claim an open task: one row per candidate group or user (indexed lookups).

    Like Camunda's identity links, these rows drive the candidate tabs of the inbox. They
    repeat what the lists filter and sort on (`assigned`, `due_at`, `created_at`,
    `priority`, `region_code`), kept equal to the open task's by the code that changes it
    (supervision.engine.projection, supervision.cases, supervision.deadlines_service), so a
    user's tab is a range of one index: paged and counted without reading open_tasks.
    """

    __tablename__ = "task_candidates"
    # Each index holds every column a tab reads (`id` too: the duplicate test compares it),
    # so PostgreSQL answers from the index alone, as SQLite does.
    __table_args__ = (
        Index(
            "ix_task_candidates_group_tab",
            "group_code",
            "assigned",
            "due_at",
            "created_at",
            "priority",
            "region_code",
            "shared",
            "task_id",
            "id",
        ),
        Index(
            "ix_task_candidates_user_tab",
            "username",
            "assigned",
            "due_at",
            "created_at",
            "priority",
            "shared",
            "task_id",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(
        ForeignKey("open_tasks.id", ondelete="CASCADE"), index=True
    )
    group_code: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    # Copies of the open task's columns (see the class docstring).
    assigned: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    priority: Mapped[int] = mapped_column(Integer, default=50)
    region_code: Mapped[str | None] = mapped_column(String(12))
    # The task has other candidate rows too, so a user may match it twice: only such rows
    # need the duplicate test that keeps a task offered to two of one's groups listed once.
    shared: Mapped[bool] = mapped_column(Boolean, default=False)

    task: Mapped[OpenTask] = relationship(back_populates="candidates")


class CaseParticipant(Base):
    """A group or user a case has been offered or shared to: it may read that case.

    Supervisors see cases by region; everyone else (bureaus, invited supervisors, evaluators,
    outside-organ liaisons) sees only cases they take part in. Shares may expire.
    """

    __tablename__ = "case_participants"
    __table_args__ = (
        UniqueConstraint("instance_id", "group_code", "username", "reason"),
        Index("ix_case_participants_group", "group_code", "instance_id"),
        Index("ix_case_participants_user", "username", "instance_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    group_code: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column()


class Incident(Base):
    """A step that failed (service handler, script, timer): shown on the case, retryable."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(String(36))
    activity_id: Mapped[str | None] = mapped_column(String(100))
    activity_name: Mapped[str | None] = mapped_column(String(300))
    incident_type: Mapped[str] = mapped_column(String(32), default="failedTask")
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    retries: Mapped[int] = mapped_column(Integer, default=0)

    instance = relationship("ProcessInstance")


class PendingMessage(Base):
    """A message from outside that no case was waiting for yet; kept until it can be delivered."""

    __tablename__ = "pending_messages"
    __table_args__ = (Index("ix_pending_messages_name_key", "name", "business_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    correlation_keys: Mapped[dict[str, Any]] = mapped_column(default=dict)
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sender: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None] = mapped_column()
    delivered_instance_id: Mapped[str | None] = mapped_column(String(36))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


class EventSubscription(Base):
    """What a case (or, for message start events, a process definition) is waiting for.

    Rebuilt on every save, like the open-task projection, so correlating a message never
    deserialises a workflow just to learn that it was not waiting.
    """

    __tablename__ = "event_subscriptions"
    __table_args__ = (Index("ix_event_subscriptions_name", "event_type", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    definition_id: Mapped[str | None] = mapped_column(
        ForeignKey("process_definitions.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    activity_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
