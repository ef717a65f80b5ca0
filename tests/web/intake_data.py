"""Flow 1 as deployed in production, for the intake tests: the workflows/ diagrams and the
units their expressions name (the demo organisation's), next to the test organisation."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supervision import demo
from supervision import deployments
from supervision import identity
from supervision.engine import WorkflowEngine
from tests.conftest import WORKFLOWS

TICKET = {
    "hotline_ticket_no": "GY-2026-1001",
    "source_channel": "hotline_phone",
    "request_type": "complaint",
    "urgency": "normal",
    "complainant_name": "张三丰",
    "complainant_phone": "13812345678",
    "complainant_id_no": "11010519491231002X",
    "callback_consent": "true",
    "respondent_agency_id": "scjg_510800",
    "act_type": "penalty",
    "issue_type": "procedure",
    "complaint_text": "执法人员检查时未出示执法证件，当场罚款未开具票据。",
}


def add_demo_units(session: Session) -> None:
    """The units of supervision.demo (no users): Flow 1 routes its tasks to them."""
    for seed in demo.demo_groups():
        if identity.get_group(session, seed.code) is None:
            identity.create_group(
                session,
                seed.code,
                name=seed.name,
                name_en=seed.name_en,
                level=seed.level,
                region=seed.region,
                kind=seed.kind,
                parent=seed.parent,
                doc_code=seed.doc_code,
            )


def deploy_complaint_flow(session: Session, engine: WorkflowEngine) -> None:
    add_demo_units(session)
    files = [(path.name, path.read_bytes()) for path in sorted(WORKFLOWS.glob("*.bpmn"))]
    deployments.deploy(session, engine, files, actor="designer")
