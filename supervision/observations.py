"""Observations by special invited supervisors (特邀行政执法监督员, domain.md §2.6).

An invited supervisor files what they saw; the Observation row is written and the
`observation` process starts in the same transaction (a supervisor triages it within WD(3)
and routes it to Flow 1, Flow 3, the bureau or a referral). The filer sees only their own
observations and, once the process has produced it, the reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Observation
from db.models import ProcessInstance
from db.models import User
from supervision import attachments
from supervision import audit
from supervision import authz
from supervision import cases
from supervision import clock
from supervision import deadlines
from supervision import forms
from supervision.engine import WorkflowEngine
from supervision.errors import InvalidInputError
from supervision.errors import NotFoundError
from supervision.forms import FormField
from supervision.forms import FormView
from supervision.permissions import Permission

PROCESS_KEY = "observation"


def _field(fid: str, label: str, ftype: str = "string", *, required=False, maxlength=None):
    constraints: list[tuple[str, str | None]] = []
    if required:
        constraints.append(("required", None))
    if maxlength:
        constraints.append(("maxlength", str(maxlength)))
    return FormField(id=fid, label=label, type=ftype, constraints=tuple(constraints))


# The §2.6 fields an invited supervisor fills in (the web form and the API use this).
OBSERVATION_FORM = FormView(
    fields=(
        _field("observed_at", "观察时间", "datetime", required=True),
        _field("location", "地点", required=True, maxlength=300),
        _field("agency_id", "被观察执法机关", "group", required=True),
        _field("officers", "执法人员（姓名、执法证号）", maxlength=500),
        _field("observation_text", "观察内容", "textarea", required=True, maxlength=5000),
        _field("suggestion", "建议", "textarea", maxlength=3000),
        _field("about_case_no", "相关案件编号（如有）", maxlength=64),
    )
)
STATUS_LABELS = {
    "submitted": ("已提交", "Submitted"),
    "triaged": ("已研判", "Assessed"),
    "replied": ("已反馈", "Feedback given"),
    "closed": ("已办结", "Closed"),
}


@dataclass(frozen=True)
class ObservationView:
    """What the filer may see of their observation."""

    id: int
    case_no: str | None
    status: str
    observed_at: datetime | None
    location: str | None
    agency_code: str | None
    text: str
    suggestion: str | None
    routing: str | None
    reply_text: str | None
    replied_at: datetime | None
    created_at: datetime


def file_observation(
    session: Session,
    engine: WorkflowEngine,
    actor: User,
    data: Mapping[str, Any],
    *,
    uploads: Sequence[attachments.Upload] = (),
    lang: str = "zh",
) -> Observation:
    """Record an observation and start its triage process; nothing is kept if either fails."""
    authz.require(actor, Permission.OBSERVATION_FILE)
    values = forms.validate(OBSERVATION_FORM, data, lookups=cases.lookups(session), lang=lang)
    for upload in uploads:
        attachments.check_upload(upload)  # refuse a bad file before anything is written
    about = None
    if values.get("about_case_no"):
        about = session.scalar(
            select(ProcessInstance).where(ProcessInstance.case_no == values["about_case_no"])
        )
        if about is None or not authz.can_read_case(session, actor, about):
            raise InvalidInputError("相关案件编号不存在 (no such case number)")
    observed_at = deadlines.parse_instant(values["observed_at"])
    observation = Observation(
        filed_by=actor.username,
        about_instance_id=about.id if about is not None else None,
        agency_code=values["agency_id"],
        observed_at=observed_at,
        location=values["location"],
        text=values["observation_text"],
        suggestion=values.get("suggestion"),
        status="submitted",
        created_at=clock.now(),
    )
    session.add(observation)
    session.flush()
    variables = {
        "observation_id": observation.id,
        "filed_by": actor.username,
        "filed_by_name": actor.display_name,
        "observed_at": values["observed_at"],
        "location": values["location"],
        "agency_id": values["agency_id"],
        "respondent_agency_id": values["agency_id"],
        "officers": values.get("officers"),
        "observation_text": values["observation_text"],
        "suggestion": values.get("suggestion"),
        "about_case_no": values.get("about_case_no"),
        "case_title": _title(values["observation_text"]),
    }
    result = cases.start_case(
        session,
        engine,
        actor,
        key=PROCESS_KEY,
        business_key=f"GC-{observation.id}",
        variables=variables,
        permission=Permission.OBSERVATION_FILE,
    )
    observation.instance_id = result.instance.id
    for upload in uploads:
        attachments.store(session, result.instance, upload, actor=actor.username, kind="media")
    audit.append(
        session,
        "observation_file",
        actor=actor.username,
        instance_id=result.instance.id,
        details={"observation_id": observation.id},
    )
    return observation


def _title(text: str) -> str:
    summary = " ".join(text.split())
    return f"监督员意见：{summary[:30]}{'…' if len(summary) > 30 else ''}"


def my_observations(session: Session, actor: User) -> list[ObservationView]:
    """The actor's own observations, newest first."""
    rows = session.scalars(
        select(Observation)
        .where(Observation.filed_by == actor.username)
        .order_by(Observation.created_at.desc(), Observation.id.desc())
    ).all()
    return [_view(session, row) for row in rows]


def get_observation(session: Session, actor: User, observation_id: int) -> ObservationView:
    """One observation: its filer may see it, and so may whoever triages observations."""
    row = session.get(Observation, observation_id)
    if row is None:
        raise NotFoundError("监督意见不存在 (no such observation)")
    if row.filed_by != actor.username:
        instance = session.get(ProcessInstance, row.instance_id) if row.instance_id else None
        if not (
            authz.has(actor, Permission.OBSERVATION_TRIAGE)
            and instance is not None
            and authz.can_read_case(session, actor, instance)
        ):
            raise NotFoundError("监督意见不存在 (no such observation)")
    return _view(session, row)


def _view(session: Session, row: Observation) -> ObservationView:
    instance = session.get(ProcessInstance, row.instance_id) if row.instance_id else None
    variables = instance.variables if instance is not None else {}
    return ObservationView(
        id=row.id,
        case_no=instance.case_no if instance is not None else None,
        status=row.status,
        observed_at=row.observed_at,
        location=row.location,
        agency_code=row.agency_code,
        text=row.text,
        suggestion=row.suggestion,
        routing=(variables or {}).get("routing"),
        reply_text=row.reply_text,
        replied_at=row.replied_at,
        created_at=row.created_at,
    )


def record_reply(
    session: Session, observation_id: int, reply_text: str, *, actor: str | None
) -> Observation:
    """Store the feedback the process produced for the filer (called by a handler)."""
    row = session.get(Observation, observation_id)
    if row is None:
        raise NotFoundError(f"observation {observation_id} not found")
    text = (reply_text or "").strip()
    if not text:
        raise InvalidInputError("反馈内容不能为空 (empty feedback)")
    row.reply_text = text
    row.replied_at = clock.now()
    row.status = "replied"
    audit.append(
        session,
        "observation_reply",
        actor=actor,
        instance_id=row.instance_id,
        details={"observation_id": row.id},
    )
    return row


def set_status(session: Session, observation_id: int, status: str) -> Observation:
    if status not in STATUS_LABELS:
        raise InvalidInputError(f"unknown observation status {status!r}")
    row = session.get(Observation, observation_id)
    if row is None:
        raise NotFoundError(f"observation {observation_id} not found")
    row.status = status
    return row
