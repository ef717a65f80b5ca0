"""History and audit: completed tasks, activity instances, comments, the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.base import Base
from db.base import utcnow


class HistoricTask(Base):
    """A user task that has ended (completed or cancelled), with who ended it and the data."""

    __tablename__ = "historic_tasks"
    __table_args__ = (Index("ix_historic_tasks_completed_by_ended", "completed_by", "ended_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    definition_id: Mapped[str] = mapped_column(String(120))
    definition_key: Mapped[str] = mapped_column(String(100), index=True)
    task_spec_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    assignee: Mapped[str | None] = mapped_column(String(64))
    completed_by: Mapped[str | None] = mapped_column(String(64))
    candidate_groups: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(16), default="completed")
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_no: Mapped[str | None] = mapped_column(String(64))
    case_title: Mapped[str | None] = mapped_column(String(300))


class HistoricActivity(Base):
    """One executed BPMN flow node of a case (start, end, cancel): drives the diagram colours."""

    __tablename__ = "historic_activities"
    __table_args__ = (
        Index("ix_historic_activities_instance_started", "instance_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    process_key: Mapped[str] = mapped_column(String(100))
    activity_id: Mapped[str] = mapped_column(String(100))
    activity_type: Mapped[str] = mapped_column(String(64))
    activity_name: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    canceled: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee: Mapped[str | None] = mapped_column(String(64))


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    username: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditStream(Base):
    """The head of one hash chain: one per case, plus 'system' for deploys and admin acts.

    Appending locks this row, so a chain never forks; the head lets `audit verify` notice a
    record deleted from the end, which a chain alone cannot.
    """

    __tablename__ = "audit_streams"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """An append-only record of who did what when, chained by SHA-256 to its predecessor."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("stream_key", "seq"),
        Index("ix_audit_events_instance_at", "instance_id", "at"),
        Index("ix_audit_events_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream_key: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    activity_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
