"""Deployments and versioned process definitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
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


class Deployment(Base):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str | None] = mapped_column(String(64))

    resources: Mapped[list[DeploymentResource]] = relationship(
        back_populates="deployment", cascade="all, delete-orphan"
    )
    definitions: Mapped[list[ProcessDefinition]] = relationship(back_populates="deployment")


class DeploymentResource(Base):
    __tablename__ = "deployment_resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(
        ForeignKey("deployments.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)

    deployment: Mapped[Deployment] = relationship(back_populates="resources")


class ProcessDefinition(Base):
    """One version of one executable process.

    `spec_json` is the SpiffWorkflow spec of this process and its embedded subprocesses,
    serialised once at deploy time so that starting or loading a case never re-parses XML.
    `called_keys` lists the processes its call activities need (bound at case start).
    """

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(200))
    resource_name: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), index=True)
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    called_keys: Mapped[list[Any]] = mapped_column(default=list)
    start_form: Mapped[dict[str, Any] | None] = mapped_column()
    version_tag: Mapped[str | None] = mapped_column(String(64))
    documentation: Mapped[str | None] = mapped_column(Text)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str | None] = mapped_column(String(64))

    deployment: Mapped[Deployment] = relationship(back_populates="definitions")
