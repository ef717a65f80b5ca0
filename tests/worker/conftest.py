"""Fixtures for the worker tests: the organisation, the test diagrams, a worker whose
outside channels record what they would send, and a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import AuditEvent
from db.models import OpenTask
from supervision import cases
from supervision import channels
from supervision import clock
from supervision import identity
from supervision.channels import ChannelSet
from supervision.channels import DeliveryError
from supervision.worker import Worker
from tests.factories import PASSWORD
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user

DATA = Path(__file__).resolve().parent / "data"
LOCAL = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    """A Guangyuan wall-clock moment as aware UTC, e.g. local(2026, 4, 29, 0, 0)."""
    return datetime(*args, tzinfo=LOCAL).astimezone(UTC)


def diagram(name: str) -> tuple[str, bytes]:
    return name, (DATA / name).read_bytes()


class Recorder:
    """A channel that keeps what it is given; `fail_with` makes the next sends fail."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list = []
        self.fail_with: DeliveryError | None = None

    def send(self, message) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)


@pytest.fixture
def recorders() -> Iterator[dict[str, Recorder]]:
    found = {"email": Recorder("email"), "sms": Recorder("sms")}
    channels.use(ChannelSet(senders=dict(found), sms_kinds=frozenset({"overdue", "escalated"})))
    yield found
    channels.use(None)


@pytest.fixture
def org(runtime):
    with runtime.sessions.begin() as s:
        make_org(s)
        identity.create_user(
            s,
            "market_head",
            password=PASSWORD,
            roles=("bureau_head",),
            groups=("city_market",),
            email="head@market.example",
        )
        user(s, "sup1").email = "sup1@sfj.example"
        user(s, "chief").phone = "13900000001"
    return runtime


@pytest.fixture
def deployed(org):
    with org.sessions.begin() as s:
        deploy(s, org.engine, *(diagram(p.name) for p in sorted(DATA.glob("*.bpmn"))))
    return org


@pytest.fixture
def worker(runtime, recorders) -> Worker:
    return Worker(
        runtime.sessions,
        runtime.engine,
        database_url=runtime.url,
        channels=channels.configured(),
        alert_interval=0,
        batch=50,
    )


def tick_at(worker: Worker, moment: datetime):
    clock.freeze(moment)
    stats = worker.tick()
    assert stats.errors == 0, worker._last_error
    return stats


def start(rt, key: str, username: str = "sup1", **variables) -> str:
    with rt.sessions.begin() as s:
        return cases.start_case(
            s, rt.engine, user(s, username), key=key, variables=variables
        ).instance.id


def open_tasks(rt, case_id: str) -> dict[str, OpenTask]:
    with rt.sessions() as s:
        return {
            t.task_spec_id: t
            for t in s.scalars(select(OpenTask).where(OpenTask.instance_id == case_id))
        }


def timer_records(rt, case_id: str) -> list[tuple[str, datetime]]:
    """(activity, moment) of every timer that fired in the case, oldest first."""
    with rt.sessions() as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.instance_id == case_id, AuditEvent.action == "timer")
            .order_by(AuditEvent.seq)
        )
        return [(r.activity_id, r.at) for r in rows]


def count(rt, model, *where) -> int:
    with rt.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0
