"""What process designers see of deployed definitions: processes, versions, the cases
running on each version, and test starts.

Designers do not read case content (domain.md R9): the case lists here carry ids, states,
dates and the names of the steps a case waits in (which are part of the diagram), plus a
flag saying whether this user may open the case page at all (supervision.authz decides).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import undefer

from db.models import CaseParticipant
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import User
from supervision import authz
from supervision import cases
from supervision.engine import OperationResult
from supervision.engine import WorkflowEngine
from supervision.errors import DefinitionNotFoundError
from supervision.errors import InvalidInputError
from supervision.permissions import Permission
from supervision.statistics import TEST_RUN

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
STATES = ("active", "completed", "cancelled")


def _counts(session: Session, column, keys) -> dict[Any, dict[str, int]]:
    """{key: {status: n}} for the cases grouped by `column` (one query)."""
    result: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    if not keys:
        return result
    rows = session.execute(
        select(column, ProcessInstance.status, func.count(ProcessInstance.id))
        .where(column.in_(list(keys)))
        .group_by(column, ProcessInstance.status)
    ).all()
    for key, status, n in rows:
        result[key][status] = result[key].get(status, 0) + n
    return result


@dataclass(frozen=True)
class ProcessSummary:
    key: str
    name: str | None
    latest: ProcessDefinition
    versions: int
    counts: Mapping[str, int]


def processes(session: Session, actor: User) -> list[ProcessSummary]:
    """Every deployed process with its newest version and its cases by state."""
    authz.require(actor, Permission.DEFINITION_READ)
    per_key = (
        select(
            ProcessDefinition.key,
            func.max(ProcessDefinition.version).label("latest"),
            func.count(ProcessDefinition.id).label("versions"),
        )
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = session.execute(
        select(ProcessDefinition, per_key.c.versions)
        .join(
            per_key,
            (ProcessDefinition.key == per_key.c.key)
            & (ProcessDefinition.version == per_key.c.latest),
        )
        .order_by(ProcessDefinition.key)
    ).all()
    counts = _counts(session, ProcessInstance.definition_key, [d.key for d, _ in rows])
    return [ProcessSummary(d.key, d.name, d, int(n), dict(counts[d.key])) for d, n in rows]


@dataclass(frozen=True)
class VersionSummary:
    definition: ProcessDefinition
    counts: Mapping[str, int]


def versions(session: Session, actor: User, key: str) -> list[VersionSummary]:
    """The versions of one process, newest first, with their cases by state."""
    authz.require(actor, Permission.DEFINITION_READ)
    rows = list(
        session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        )
    )
    if not rows:
        raise DefinitionNotFoundError(f"流程 {key} 不存在 (no such process)")
    counts = _counts(session, ProcessInstance.definition_id, [d.id for d in rows])
    return [VersionSummary(d, dict(counts[d.id])) for d in rows]


def definition(session: Session, actor: User, definition_id: str) -> ProcessDefinition:
    """One version, with its XML loaded."""
    authz.require(actor, Permission.DEFINITION_READ)
    row = session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.id == definition_id)
        .options(undefer(ProcessDefinition.bpmn_xml))
    )
    if row is None:
        raise DefinitionNotFoundError("流程版本不存在 (no such process version)")
    return row


@dataclass(frozen=True)
class CaseRow:
    """A case of one version, as far as a designer may know it."""

    id: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    waiting_in: tuple[str, ...]
    incidents: int
    readable: bool
    test_run: bool
    case_no: str | None  # these three only when the user may read the case
    title: str | None
    business_key: str | None


@dataclass
class CasePage:
    items: list[CaseRow]
    total: int
    page: int
    per_page: int
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def cases_of(
    session: Session,
    actor: User,
    definition_id: str,
    *,
    status: str | None = "active",
    page: int = 1,
    per_page: int = 25,
) -> CasePage:
    """The cases running on (or finished with) one version, newest first, 4 queries."""
    row = definition(session, actor, definition_id)
    stmt = select(ProcessInstance).where(ProcessInstance.definition_id == row.id)
    if status in STATES:
        stmt = stmt.where(ProcessInstance.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    instances = list(
        session.scalars(
            stmt.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )
    ids = [i.id for i in instances]
    readable: set[str] = set()
    waiting: dict[str, list[str]] = defaultdict(list)
    tests: set[str] = set()
    if ids:
        readable = set(
            session.scalars(
                select(ProcessInstance.id).where(
                    ProcessInstance.id.in_(ids), authz.case_filter(actor)
                )
            )
        )
        for instance_id, name in session.execute(
            select(OpenTask.instance_id, OpenTask.name)
            .where(OpenTask.instance_id.in_(ids))
            .order_by(OpenTask.created_at)
        ):
            waiting[instance_id].append(name)
        tests = set(
            session.scalars(
                select(CaseParticipant.instance_id).where(
                    CaseParticipant.instance_id.in_(ids), CaseParticipant.reason == TEST_RUN
                )
            )
        )
    items = [
        CaseRow(
            id=i.id,
            status=i.status,
            started_at=i.started_at,
            ended_at=i.ended_at,
            waiting_in=tuple(waiting[i.id]),
            incidents=i.incident_count or 0,
            readable=i.id in readable,
            test_run=i.id in tests,
            case_no=i.case_no if i.id in readable else None,
            title=i.title if i.id in readable else None,
            business_key=i.business_key if i.id in readable else None,
        )
        for i in instances
    ]
    counts = _counts(session, ProcessInstance.definition_id, [row.id])[row.id]
    return CasePage(items, total, page, per_page, dict(counts))


def waiting_elements(session: Session, definition_id: str) -> dict[str, int]:
    """How many open tasks of this version wait in each user task (for the diagram)."""
    rows = session.execute(
        select(OpenTask.task_spec_id, func.count(OpenTask.id))
        .where(OpenTask.definition_id == definition_id)
        .group_by(OpenTask.task_spec_id)
    ).all()
    return {spec_id: n for spec_id, n in rows}


# ---------------------------------------------------------------- test starts


@dataclass(frozen=True)
class StartChoice:
    """A way to start the process: its none start, or one of its message starts."""

    value: str  # "" for the none start, else the message name
    label: str


def start_choices(row: ProcessDefinition) -> list[StartChoice]:
    """The start events of the process (timer starts are left to the worker)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(row.bpmn_xml.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return []
    process = root.find(f"{{{BPMN_NS}}}process[@id='{row.key}']")
    if process is None:
        return []
    messages = {
        m.get("id"): m.get("name") for m in root.findall(f"{{{BPMN_NS}}}message") if m.get("name")
    }
    choices: list[StartChoice] = []
    for start in process.findall(f"{{{BPMN_NS}}}startEvent"):
        definitions = [c for c in start if etree.QName(c).localname.endswith("EventDefinition")]
        label = start.get("name") or start.get("id")
        if not definitions:
            choices.append(StartChoice("", label))
            continue
        for d in definitions:
            if etree.QName(d).localname == "messageEventDefinition":
                name = messages.get(d.get("messageRef"))
                if name:
                    choices.append(StartChoice(name, f"{label}（{name}）"))
    return choices


def start_test_case(
    session: Session,
    engine: WorkflowEngine,
    actor: User,
    definition_id: str,
    values: Mapping[str, Any],
    *,
    message: str | None = None,
    lang: str = "zh",
) -> OperationResult:
    """Start a case of one version to try the diagram out, validated like a real start.

    The case is marked as a test run (left out of statistics) and carries a TEST- business
    key, so its tasks are recognisable in every inbox.

    Raises:
        NotAllowedError: no definition:test.
        FormInvalidError: the start form's rules are broken (field -> message).
        InvalidInputError: the chosen start event does not exist.
    """
    authz.require(actor, Permission.DEFINITION_TEST)
    row = definition(session, actor, definition_id)
    choices = {c.value for c in start_choices(row)}
    chosen = message or ""
    if choices and chosen not in choices:
        raise InvalidInputError("流程没有这个开始事件 (the process has no such start event)")
    result = cases.start_case(
        session,
        engine,
        actor,
        definition_id=row.id,
        business_key=f"TEST-{uuid.uuid4().hex[:10].upper()}",
        variables={"test_run": True},
        start_form=dict(values),
        message_name=chosen or None,
        permission=Permission.DEFINITION_TEST,
        lang=lang,
    )
    session.add(
        CaseParticipant(
            instance_id=result.instance.id,
            username=actor.username,
            reason=TEST_RUN,
            created_by=actor.username,
        )
    )
    # The case's own "start" record already names the designer and carries test_run.
    return result
