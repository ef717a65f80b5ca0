"""Attachments, supervision documents, number sequences, hotline tickets and observations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.base import Base
from db.base import utcnow


class Attachment(Base):
    """An uploaded or generated file. The bytes live under the attachment store, by id."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="upload")
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Document(Base):
    """A supervision document (督办函, 意见书, 转办函 ...) issued on a case."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    doc_type: Mapped[str] = mapped_column(String(32))
    doc_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    year: Mapped[int | None] = mapped_column(Integer)
    serial: Mapped[int | None] = mapped_column(Integer)
    addressee: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attachment_id: Mapped[str | None] = mapped_column(ForeignKey("attachments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    signed_by: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime | None] = mapped_column()
    served_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()


class NumberSequence(Base):
    """A gap-free counter per scope and year (document numbers, case numbers).

    Allocation increments the row inside the caller's transaction: the row lock serialises
    concurrent callers and a rollback gives the number back, so there are neither gaps nor
    duplicates.
    """

    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("scope", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer, default=0)


class HotlineTicket(Base):
    """A 12345 ticket and the case it opened. The primary key makes intake idempotent."""

    __tablename__ = "hotline_tickets"

    ticket_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Set once the case exists; the row is inserted first so that it locks the number.
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instances.id"), unique=True)
    request_type: Mapped[str | None] = mapped_column(String(16))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    respondent_code: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Observation(Base):
    """An observation filed by a special invited supervisor (特邀行政执法监督员)."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filed_by: Mapped[str] = mapped_column(String(64), index=True)
    about_instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instances.id"))
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(64))
    observed_at: Mapped[datetime | None] = mapped_column()
    location: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
