"""An organisation and a one-task diagram whose task's candidates, assignee, due date,
priority, region and bureau come from the start variables: each test offers the tasks it
needs through the engine, so the candidate rows are the ones the projection writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OpenTask
from db.models import User
from supervision import cases
from supervision import clock
from supervision.engine import WorkflowEngine
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
DIAGRAM = Path(__file__).with_name("offered.bpmn")


@dataclass
class Desk:
    session: Session
    engine: WorkflowEngine

    def offer(
        self,
        *,
        groups: str = "",
        users: str = "",
        assignee: str = "",
        due: datetime | None = None,
        priority: int = 50,
        owner: str | None = None,
        bureau: str | None = None,
        case_no: str | None = None,
    ) -> OpenTask:
        """Start a case whose one task is offered as given (a minute after the last one,
        so creation order is the call order); `owner` sets the case's region."""
        clock.shift(timedelta(minutes=1))
        variables = {
            "groups": groups,
            "users": users,
            "assignee": assignee,
            "due": due.isoformat() if due else "",
            "priority": priority,
        }
        if owner:
            variables["owner_unit_id"] = owner
        if bureau:
            variables["target_agency_id"] = bureau
        if case_no:
            variables["case_no"] = case_no
        result = cases.start_case(
            self.session, self.engine, None, key="offered", variables=variables
        )
        self.session.flush()
        return self.session.scalars(
            select(OpenTask).where(OpenTask.instance_id == result.instance.id)
        ).one()

    def user(self, name: str) -> User:
        return user(self.session, name)


@pytest.fixture
def desk(runtime, session) -> Desk:
    clock.freeze(NOW)
    make_org(session)
    deploy(session, runtime.engine, (DIAGRAM.name, DIAGRAM.read_bytes()))
    session.flush()
    return Desk(session, runtime.engine)
