"""Everything the task page shows, gathered with a fixed number of queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Attachment
from db.models import AuditEvent
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import User
from supervision import attachments
from supervision import audit
from supervision import authz
from supervision import cases
from supervision import clock
from supervision import inbox
from supervision.engine import WorkflowEngine
from web import case_view
from web.lookups import assignable_users
from web.lookups import display_names
from web.lookups import group_names


def task_page_context(
    session: Session,
    engine: WorkflowEngine,
    user: User,
    task: OpenTask,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    upload_error: str | None = None,
) -> dict[str, Any]:
    instance = session.get(ProcessInstance, task.instance_id)
    definition = session.get(ProcessDefinition, task.definition_id)
    view = engine.task_form(session, instance, task.process_key, task.task_spec_id)
    form = view.form
    if values is None:
        values = cases.form_initial_values(session, engine, form, instance.variables or {})
    editable = authz.can_complete(user, task)
    files = list(
        session.scalars(
            select(Attachment)
            .where(Attachment.instance_id == instance.id)
            .order_by(Attachment.uploaded_at)
        )
    )
    viewer = case_view.audience(session, user, instance)
    files = [
        a
        for a in files
        if viewer.sees_attachment(a, case_view.document_file_ids(session, instance))
    ]
    notes = [c for c in cases.comments(session, instance) if viewer.sees_comment(c)]
    history = list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.stream_key == audit.stream_for(instance.id),
                AuditEvent.task_id == task.id,
            )
            .order_by(AuditEvent.seq.desc())
        )
    )
    assigner = authz.can_assign(user, task)
    people = display_names(
        session,
        [task.assignee, *(task.candidate_users or [])]
        + [c.username for c in notes]
        + [a.uploaded_by for a in files]
        + [e.actor for e in history],
    )
    activity_names = {task.task_spec_id: task.name}
    return {
        "task": task,
        "instance": instance,
        "definition": definition,
        "documentation": task.description or view.documentation,
        "form": form,
        "values": values,
        "errors": errors or {},
        "labels": {f.id: f.label for f in form.fields},
        "editable": editable,
        "alert": inbox.alert_level(task, clock.now()),
        "can_claim": authz.can_claim(user, task),
        "can_unclaim": authz.can_unclaim(user, task),
        "can_assign": assigner,
        "candidates": assignable_users(session, [task])[task.id] if assigner else [],
        "groups": group_names(
            session, [*(task.candidate_groups or []), *case_view.unit_codes(instance)]
        ),
        "people": people,
        "summary": case_view.summary(session, instance),
        "may_see_personal": authz.can_see_personal(user, instance.variables),
        "status_label": case_view.status_label(instance),
        "case_status_label": case_view.case_status_label(instance.case_status),
        "files": files,
        "comments": notes,
        "history": case_view.timeline(session, engine, instance, history, activity_names),
        "allowed_types": sorted(attachments.ALLOWED),
        "upload_error": upload_error,
    }
