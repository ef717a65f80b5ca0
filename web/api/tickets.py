"""What the hotline system reads about a ticket: status, deadlines, current step, reply.

Snake_case fields like the intake form (domain.md §2.1.3); moments in ISO 8601 with the
Guangyuan offset. The reply to relay is what the case sent with `Msg_HotlineFeedback`
(the outbox row written when the case threw it), completed from the case variables of
the same names; interim replies are listed too. Internal data (who works on the case,
the bureau's findings, the complainant's personal data) is not part of this view.
Return requests (Msg_ReturnRequest) and extension requests (Msg_HotlineExtensionRequest)
are shown the same way, and `messages` lists everything the case sent to the hotline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import HotlineTicket
from db.models import OpenTask
from db.models import OutboxMessage
from db.models import ProcessInstance
from supervision.clock import LOCAL_TZ

FEEDBACK_MESSAGE = "Msg_HotlineFeedback"
RETURN_REQUEST_MESSAGE = "Msg_ReturnRequest"
EXTENSION_MESSAGE = "Msg_HotlineExtensionRequest"
# What a complaint case sends to the hotline (thrown with no catcher: the outbox holds it).
HOTLINE_MESSAGES = (FEEDBACK_MESSAGE, RETURN_REQUEST_MESSAGE, EXTENSION_MESSAGE)
REPLY_FIELDS = ("reply_text", "reply_method", "hotline_feedback_at", "case_no", "is_interim")
CALLBACK_FIELDS = ("satisfaction", "dissatisfaction_reason", "callback_at")
RETURN_REQUEST_FIELDS = ("return_reason", "suggested_unit", "return_basis")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def hotline_rows(
    session: Session, instance_ids: list[str], names: tuple[str, ...] = HOTLINE_MESSAGES
) -> dict[str, list[OutboxMessage]]:
    """The messages each case sent to the hotline, oldest first."""
    if not instance_ids:
        return {}
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.recipient.in_(names),
            OutboxMessage.payload["instance_id"].as_string().in_(instance_ids),
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    result: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        result.setdefault((row.payload or {}).get("instance_id"), []).append(row)
    return result


def feedback_rows(session: Session, instance_ids: list[str]) -> dict[str, list[OutboxMessage]]:
    return hotline_rows(session, instance_ids, (FEEDBACK_MESSAGE,))


def _sent(row: OutboxMessage) -> dict[str, Any]:
    return dict((row.payload or {}).get("variables") or {})


def _reply(row: OutboxMessage, variables: dict[str, Any]) -> dict[str, Any]:
    sent = _sent(row)
    reply = {name: sent.get(name, variables.get(name)) for name in REPLY_FIELDS}
    reply["is_interim"] = bool(reply["is_interim"])
    reply["reply_text"] = reply["reply_text"] or row.body
    reply["sent_at"] = iso(row.created_at)
    return reply


def _picked(variables: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any] | None:
    if all(variables.get(n) in (None, "") for n in names):
        return None
    return {n: variables.get(n) for n in names}


def summary(ticket: HotlineTicket, instance: ProcessInstance, replied: bool) -> dict[str, Any]:
    return {
        "ticket_no": ticket.ticket_no,
        "case_id": instance.id,
        "case_no": instance.case_no,
        "status": instance.status,
        "case_status": instance.case_status,
        "received_at": iso(ticket.received_at),
        "has_reply": replied,
        "href": url_for("hotline_api.get_ticket", ticket_no=ticket.ticket_no, _external=True),
    }


def status(session: Session, ticket: HotlineTicket, instance: ProcessInstance) -> dict[str, Any]:
    variables = instance.variables or {}
    steps = session.scalars(
        select(OpenTask)
        .where(OpenTask.instance_id == instance.id)
        .order_by(OpenTask.created_at, OpenTask.id)
    ).all()
    sent = hotline_rows(session, [instance.id]).get(instance.id, [])
    replies = [_reply(r, variables) for r in sent if r.recipient == FEEDBACK_MESSAGE]
    final = [r for r in replies if not r["is_interim"]]
    return_requests = [_sent(r) for r in sent if r.recipient == RETURN_REQUEST_MESSAGE]
    return {
        **summary(ticket, instance, bool(replies)),
        "case_title": instance.title,
        "request_type": ticket.request_type,
        "dispatched_at": variables.get("dispatched_at"),
        "ended_at": iso(instance.ended_at),
        "deadlines": {
            "hotline_due_date": variables.get("hotline_due_date"),
            "bureau_due_date": variables.get("bureau_due_date"),
            "case_due_at": iso(instance.due_at),
        },
        "current_steps": [
            {
                "name": step.name,
                "task_definition_key": step.task_spec_id,
                "started_at": iso(step.created_at),
                "due_at": iso(step.due_at),
            }
            for step in steps
        ],
        "reply": (final or replies or [None])[-1],
        "replies": replies,
        "return_request": (
            return_requests[-1] if return_requests else _picked(variables, RETURN_REQUEST_FIELDS)
        ),
        "extension_requests": [
            {**_sent(r), "sent_at": iso(r.created_at)}
            for r in sent
            if r.recipient == EXTENSION_MESSAGE
        ],
        "messages": [
            {"message": r.recipient, "sent_at": iso(r.created_at), "variables": _sent(r)}
            for r in sent
        ],
        "return_result": _picked(variables, ("return_result", "return_comment")),
        "callback": _picked(variables, CALLBACK_FIELDS),
        "links": {
            "self": url_for("hotline_api.get_ticket", ticket_no=ticket.ticket_no, _external=True),
            "callback": url_for("hotline_api.callback", ticket_no=ticket.ticket_no, _external=True),
            "return_result": url_for(
                "hotline_api.return_result", ticket_no=ticket.ticket_no, _external=True
            ),
        },
    }
