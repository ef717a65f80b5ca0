"""Cases with known figures for the statistics tests, written straight into the tables
statistics read (no workflow runs: only the columns a finished or running case has)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy.orm import Session

from db.models import CaseParticipant
from db.models import Deployment
from db.models import ProcessDefinition
from db.models import ProcessInstance

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def _definition(session: Session, key: str, name: str) -> ProcessDefinition:
    deployment = Deployment(id=str(uuid.uuid4()), name=key, deployed_at=NOW)
    session.add(deployment)
    definition = ProcessDefinition(
        id=f"{key}:1:{uuid.uuid4()}",
        key=key,
        version=1,
        name=name,
        resource_name=f"{key}.bpmn",
        deployment_id=deployment.id,
        bpmn_xml="<definitions/>",
        content_hash=uuid.uuid4().hex,
        spec_json="{}",
        deployed_at=NOW,
    )
    session.add(definition)
    return definition


@dataclass
class Seeded:
    ids: dict[str, str]


def seed_cases(session: Session) -> Seeded:
    """Eight cases of 2026 (and one of 2025) in three regions, two flows, two bureaus.

    City (510800), 市市场监管局, 投诉举报办理:
      c1 completed in 5 days before its due date, satisfied
      c2 completed in 11 days, after its due date, dissatisfied
      c3 active and past its due date
      c4 active, due next week
      c5 cancelled, past its due date (cancelled cases are never overdue)
    利州区 (510802), 利州区市场监管局, 投诉举报办理:
      l1 completed in 3 days, basically satisfied
    昭化区 (510811), 重大案件:
      z1 active, no due date
    A designer's test run (city) and a case of 2025 (city) complete the set.
    """
    complaint = _definition(session, "complaint_intake", "投诉举报办理")
    major = _definition(session, "major_case_supervision", "重大行政执法案件监督")
    session.flush()
    day = timedelta(days=1)
    base = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    city, lizhou = "city_market", "lizhou_market"
    old_start = datetime(2025, 3, 3, tzinfo=UTC)

    def at(days):  # a moment counted from the day every 2026 case was received
        return None if days is None else base + days * day

    # name: (definition, region, bureau, status, started, ended, due, satisfaction)
    rows = {
        "c1": (complaint, "510800", city, "completed", base, at(5), at(15), "satisfied"),
        "c2": (complaint, "510800", city, "completed", base, at(11), at(7), "dissatisfied"),
        "c3": (complaint, "510800", city, "active", base, None, NOW - 2 * day, None),
        "c4": (complaint, "510800", city, "active", base, None, NOW + 7 * day, None),
        "c5": (complaint, "510800", city, "cancelled", base, at(2), at(1), None),
        "l1": (
            complaint,
            "510802",
            lizhou,
            "completed",
            base,
            at(3),
            at(15),
            "basically_satisfied",
        ),
        "z1": (major, "510811", None, "active", base, None, None, None),
        "test": (complaint, "510800", city, "active", base, None, base, None),
        "old": (
            complaint,
            "510800",
            city,
            "completed",
            old_start,
            old_start + 17 * day,
            None,
            None,
        ),
    }
    ids = {}
    for name, (
        definition,
        region,
        bureau,
        status,
        started,
        ended,
        due,
        satisfaction,
    ) in rows.items():
        variables = {"case_title": f"案件{name}"}
        if satisfaction:
            variables["satisfaction"] = satisfaction
        instance = ProcessInstance(
            id=str(uuid.uuid4()),
            definition_id=definition.id,
            definition_key=definition.key,
            case_no=f"JD-{region}-2026-{name}",
            title='=HYPERLINK("http://evil")' if name == "c4" else f"案件{name}",
            status=status,
            state=b"",
            serializer_version="test",
            variables=variables,
            region_code=region,
            bureau_code=bureau,
            due_at=due,
            started_at=started,
            ended_at=ended,
            started_by="designer" if name == "test" else "sup1",
        )
        session.add(instance)
        ids[name] = instance.id
    session.flush()
    session.add(CaseParticipant(instance_id=ids["test"], username="designer", reason="test_run"))
    return Seeded(ids)
