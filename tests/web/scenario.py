"""Cases for the web and browser tests, on tests/data/workflows/review_parallel.bpmn.

The diagram: 登记 (city_supervisors; form with a required title, an enum, a number 0..100000
and a boolean) -> major? -> in parallel 执法机关核查 (candidate group = the `bureau`
variable) and 经费审查 (city_supervisors) -> 科长审批 (city_chiefs) -> end.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import OpenTask
from supervision import cases
from supervision.engine import WorkflowEngine
from tests.conftest import read_workflow
from tests.factories import deploy
from tests.factories import user

PROCESS = "review_parallel"
# Thursday 2026-11-26, 10:00 in Guangyuan: far enough from year's end for every deadline.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def deploy_review(session: Session, engine: WorkflowEngine) -> None:
    deploy(session, engine, ("review_parallel.bpmn", read_workflow("review_parallel.bpmn")))


def start_review(
    session: Session,
    engine: WorkflowEngine,
    *,
    starter: str = "sup1",
    bureau: str = "city_market",
    case_no: str = "GYJD-2026-0001",
    title: str = "市场监管局执法程序投诉",
    **variables,
) -> str:
    result = cases.start_case(
        session,
        engine,
        user(session, starter),
        key=PROCESS,
        business_key=case_no,
        variables={"bureau": bureau, "case_no": case_no, "case_title": title, **variables},
    )
    return result.instance.id


def open_task(session: Session, case_id: str, spec_id: str) -> OpenTask:
    return session.scalars(
        select(OpenTask).where(OpenTask.instance_id == case_id, OpenTask.task_spec_id == spec_id)
    ).one()


def register_as_major(session: Session, engine: WorkflowEngine, case_id: str) -> None:
    """Complete 登记 as sup1 choosing 重大: opens the two parallel reviews."""
    task = open_task(session, case_id, "register")
    cases.claim_task(session, user(session, "sup1"), task.id)
    cases.complete_task(
        session,
        engine,
        user(session, "sup1"),
        task.id,
        {"case_title": "市场监管局执法程序投诉", "category": "major", "affected": 3},
    )
