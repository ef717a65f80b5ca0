"""Fixtures for driving the supervision flows through the services the web app uses, and
the BPMN element coverage report of the whole tests/flows run.

Every flow node of every diagram in workflows/ must be reached by some test: the
activities recorded in HistoricActivity are collected after each test, and when the whole
tests/flows directory ran, the session fails if any node was never reached (the list is
printed in the terminal summary either way).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from db.models import Document
from db.models import HistoricActivity
from db.models import OpenTask
from db.models import OutboxMessage
from db.models import ProcessInstance
from supervision import cases
from supervision import clock
from supervision import demo
from supervision import deployments
from supervision import intake
from supervision import messages
from supervision.errors import FormInvalidError
from supervision.identity import get_user
from tests.conftest import WORKFLOWS

FLOWS_DIR = Path(__file__).resolve().parent
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODE_TAGS = {
    "task",
    "userTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "manualTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
}
REACHED: set[tuple[str, str]] = set()
RAN_MODULES: set[str] = set()


def all_flow_nodes() -> dict[tuple[str, str], str]:
    """(process id, element id) -> element name, for every flow node in workflows/."""
    nodes: dict[tuple[str, str], str] = {}
    for path in sorted(WORKFLOWS.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for process in root.iter(f"{{{BPMN}}}process"):
            for element in process.iter():
                if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN}}}"):
                    continue
                if element.tag.split("}")[1] in FLOW_NODE_TAGS:
                    nodes[(process.get("id"), element.get("id"))] = element.get("name") or ""
    return nodes


def embedded_owners() -> dict[str, str]:
    """Embedded subprocess id -> the process it belongs to (history records its own id)."""
    owners: dict[str, str] = {}
    for path in sorted(WORKFLOWS.glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for process in root.iter(f"{{{BPMN}}}process"):
            for sub in process.iter(f"{{{BPMN}}}subProcess"):
                owners[sub.get("id")] = process.get("id")
    return owners


def pytest_runtest_setup(item) -> None:
    RAN_MODULES.add(Path(str(item.fspath)).name)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not REACHED:
        return
    nodes = all_flow_nodes()
    missing = sorted(set(nodes) - REACHED)
    terminalreporter.section("BPMN element coverage (tests/flows)")
    terminalreporter.write_line(
        f"{len(nodes) - len(missing)} of {len(nodes)} flow nodes reached by some test"
    )
    for process_id, element_id in missing:
        terminalreporter.write_line(
            f"  unreached: {process_id}/{element_id} {nodes[(process_id, element_id)]}"
        )


def pytest_sessionfinish(session, exitstatus) -> None:
    modules = {p.name for p in FLOWS_DIR.glob("test_*.py")}
    if not REACHED or not modules <= RAN_MODULES or session.config.option.keyword:
        return  # only a full run of tests/flows can judge coverage
    missing = set(all_flow_nodes()) - REACHED
    if missing and session.exitstatus == 0:
        session.exitstatus = 1


# ---------------------------------------------------------------- the flows fixture


def local(*args: int) -> datetime:
    """A Guangyuan wall-clock time."""
    return datetime(*args, tzinfo=clock.LOCAL_TZ)


@dataclass
class Flows:
    """Drives cases through the service layer: intake, tasks, messages, timers."""

    runtime: Any

    @property
    def engine(self):
        return self.runtime.engine

    def at(self, *moment: int) -> None:
        clock.freeze(local(*moment))

    def later(self, **delta: float) -> None:
        clock.shift(timedelta(**delta))

    # -- starting cases --------------------------------------------------------
    def ticket(self, data: dict[str, Any], operator: str = "hotline_operator") -> str:
        with self.runtime.sessions.begin() as s:
            result = intake.register_ticket(s, self.engine, get_user(s, operator), data)
            return result.instance.id

    def start(self, key: str, username: str, variables: dict | None = None, **kw) -> str:
        with self.runtime.sessions.begin() as s:
            return cases.start_case(
                s, self.engine, get_user(s, username), key=key, variables=variables, **kw
            ).instance.id

    def start_form(self, key: str, username: str, form: dict[str, Any]) -> str:
        with self.runtime.sessions.begin() as s:
            return cases.start_case(
                s, self.engine, get_user(s, username), key=key, start_form=form
            ).instance.id

    # -- reading -----------------------------------------------------------------
    def case(self, case_id: str) -> ProcessInstance:
        with self.runtime.sessions() as s:
            instance = s.get(ProcessInstance, case_id)
            s.expunge(instance)
            return instance

    def var(self, case_id: str, name: str) -> Any:
        return (self.case(case_id).variables or {}).get(name)

    def tasks(self, case_id: str) -> dict[str, OpenTask]:
        with self.runtime.sessions() as s:
            rows = s.scalars(select(OpenTask).where(OpenTask.instance_id == case_id)).all()
            for row in rows:
                s.expunge(row)
            return {row.task_spec_id: row for row in rows}

    def task(self, case_id: str, spec_id: str) -> OpenTask:
        tasks = self.tasks(case_id)
        assert spec_id in tasks, f"{spec_id} is not open; open tasks: {sorted(tasks)}"
        return tasks[spec_id]

    def children(self, case_id: str) -> list[ProcessInstance]:
        with self.runtime.sessions() as s:
            rows = s.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.parent_instance_id == case_id)
                .order_by(ProcessInstance.started_at)
            ).all()
            for row in rows:
                s.expunge(row)
            return list(rows)

    def documents(self, case_id: str) -> list[Document]:
        with self.runtime.sessions() as s:
            rows = s.scalars(
                select(Document).where(Document.instance_id == case_id).order_by(Document.doc_no)
            ).all()
            for row in rows:
                s.expunge(row)
            return list(rows)

    def outbox(self, name: str) -> list[dict]:
        with self.runtime.sessions() as s:
            return [
                row.payload
                for row in s.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.recipient == name)
                    .order_by(OutboxMessage.id)
                )
            ]

    def activities(self, case_id: str) -> list[str]:
        with self.runtime.sessions() as s:
            return list(
                s.scalars(
                    select(HistoricActivity.activity_id)
                    .where(HistoricActivity.instance_id == case_id)
                    .order_by(HistoricActivity.id)
                )
            )

    # -- acting ------------------------------------------------------------------
    def complete(self, username: str, case_id: str, spec_id: str, values: dict | None = None):
        task = self.task(case_id, spec_id)
        try:
            with self.runtime.sessions.begin() as s:
                cases.complete_task(s, self.engine, get_user(s, username), task.id, values or {})
        except FormInvalidError as exc:
            raise AssertionError(f"{spec_id}: {exc.errors}") from exc
        self.round_trip(case_id)

    def issue_document(
        self,
        case_id: str,
        draft: dict[str, Any],
        *,
        served_at: str,
        prefix: str = "",
        service_method: str = "system",
    ) -> None:
        """The document subprocess's plain path: draft, approve, sign, serve, by the
        supervisor, section chief and bureau leader whose user names start with `prefix`."""
        self.complete(f"{prefix}supervisor", case_id, "draft", draft)
        self.complete(f"{prefix}section_chief", case_id, "review", {"review_approved": True})
        self.complete(f"{prefix}bureau_leader", case_id, "sign", {"sign_approved": True})
        self.complete(
            f"{prefix}supervisor",
            case_id,
            "serve",
            {"service_method": service_method, "served_at": served_at},
        )

    def message(
        self, name: str, case_id: str, variables: dict[str, Any], sender: str = "hotline_operator"
    ) -> None:
        with self.runtime.sessions.begin() as s:
            messages.correlate(
                s, self.engine, get_user(s, sender), name, instance_id=case_id, variables=variables
            )
        self.round_trip(case_id)

    def fire_timers(self) -> int:
        """What the worker does: fire every case whose next timer is due now."""
        fired = 0
        with self.runtime.sessions() as s:
            due = s.scalars(
                select(ProcessInstance.id).where(
                    ProcessInstance.next_timer_at <= clock.now(),
                    ProcessInstance.status == "active",
                )
            ).all()
        for case_id in due:
            with self.runtime.sessions.begin() as s:
                result = self.engine.fire_timers(s, s.get(ProcessInstance, case_id))
                cases.route_events(s, self.engine, result, None)
            fired += 1
        return fired

    def round_trip(self, case_id: str) -> None:
        """Restore the stored workflow and serialise it again: same tasks, same states."""
        with self.runtime.sessions() as s:
            instance = s.get(ProcessInstance, case_id)
            if instance is None or instance.status != "active":
                return
            before = self.engine.decode_state(instance)
            workflow = self.engine._load(s, instance)
            again = self.engine.serializer.decode(self.engine.serializer.dumps(workflow))
            assert {k: v["state"] for k, v in again["tasks"].items()} == {
                k: v["state"] for k, v in before["tasks"].items()
            }


@pytest.fixture
def flows(runtime, tmp_path, monkeypatch) -> Iterator[Flows]:
    """The demo organisation and every diagram of workflows/, deployed together."""
    monkeypatch.setenv("SUPERVISION_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    with runtime.sessions.begin() as s:
        demo.seed_demo(s)
        files = sorted(WORKFLOWS.glob("*.bpmn"))
        result = deployments.deploy(
            s, runtime.engine, [(f.name, f.read_bytes()) for f in files], actor="designer"
        )
        assert not result.warnings, [str(w) for w in result.warnings]
    yield Flows(runtime)
    owners = embedded_owners()
    with runtime.sessions() as s:
        REACHED.update(
            (owners.get(row.process_key, row.process_key), row.activity_id)
            for row in s.execute(select(HistoricActivity.process_key, HistoricActivity.activity_id))
        )
