"""The 12345 hotline API: tickets in, status and replies out, callback results in.

Authenticated like every API call (a Bearer token of the hotline integration user, role
hotline_operator). Creating a ticket is idempotent on the ticket number: a repeat, also
one racing the first, returns the case the first created (200 instead of 201). Field
errors answer 422 with each field's message. Callback and return results are delivered
to the case as messages; sending the same one again (same Idempotency-Key, or the same
callback_at) is answered from the first delivery instead of reaching the case twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import jsonify
from flask import request
from flask import url_for
from sqlalchemy import select

from db.models import HotlineTicket
from db.models import ProcessInstance
from supervision import authz
from supervision import clock
from supervision import intake
from supervision import messages
from supervision.errors import DefinitionNotFoundError
from supervision.errors import FormInvalidError
from supervision.errors import MessageNotCorrelatedError
from supervision.errors import NotAllowedError
from supervision.errors import NotFoundError
from supervision.permissions import Permission
from web import current_engine
from web.api import tickets
from web.database import get_session
from web.rest import guard
from web.rest.blueprint import json_body
from web.rest.blueprint import message_lang
from web.rest.exceptions import HOTLINE
from web.rest.exceptions import Conflict
from web.rest.exceptions import InvalidRequest
from web.rest.exceptions import NotFound
from web.rest.exceptions import RestError
from web.rest.messages import dedupe_key
from web.rest.messages import idempotency_key
from web.rest.retry import retrying

bp = Blueprint("hotline_api", __name__, url_prefix="/api/v1/hotline")
guard.protect(bp, HOTLINE)

RETURN_MESSAGE = "Msg_ReturnResult"
RETURN_RESULTS = ("accepted", "rejected")
MAX_TEXT = 2000
MAX_PER_PAGE = 100


class Unavailable(RestError):
    status = 503
    type_name = "ServiceUnavailable"
    reason = "unavailable"


def _visible_ticket(ticket_no: str) -> tuple[HotlineTicket, ProcessInstance]:
    session = get_session()
    user = guard.actor()
    try:
        row, instance = intake.ticket(session, ticket_no)
    except NotFoundError:
        raise NotFound(f"工单 {ticket_no} 不存在 (no such ticket)") from None
    if instance is None or not authz.can_read_case(session, user, instance):
        raise NotFound(f"工单 {ticket_no} 不存在 (no such ticket)")
    return row, instance


@bp.post("/tickets")
@retrying
def create_ticket():
    session = get_session()
    user = guard.actor()
    data = json_body(required=True)
    try:
        result = intake.register_ticket(session, current_engine(), user, data, lang=message_lang())
    except DefinitionNotFoundError:
        raise Unavailable(
            "投诉举报流程尚未部署，暂不能受理工单 (the complaint process complaint_intake is not "
            "deployed; tickets cannot be taken yet)"
        ) from None
    session.flush()
    row = session.get(HotlineTicket, _ticket_no(data, result.instance))
    response = jsonify(tickets.status(session, row, result.instance))
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = url_for(
        "hotline_api.get_ticket", ticket_no=row.ticket_no, _external=True
    )
    return response


def _ticket_no(data: Mapping[str, Any], instance: ProcessInstance) -> str:
    found = get_session().scalar(
        select(HotlineTicket.ticket_no).where(HotlineTicket.instance_id == instance.id)
    )
    return found or str(data.get("hotline_ticket_no")).strip()


@bp.get("/tickets")
def list_tickets():
    session = get_session()
    user = guard.actor()
    page = _positive("page", 1)
    per_page = min(_positive("per_page", 25), MAX_PER_PAGE)
    rows = intake.tickets_of(session, user, page=page, per_page=per_page)
    replied = tickets.feedback_rows(session, [i.id for _, i in rows if i is not None])
    return jsonify(
        {
            "page": page,
            "per_page": per_page,
            "items": [tickets.summary(t, i, i.id in replied) for t, i in rows if i is not None],
        }
    )


def _positive(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        raise InvalidRequest(f"{name} must be a positive whole number")
    return int(raw)


@bp.get("/tickets/<ticket_no>")
def get_ticket(ticket_no: str):
    row, instance = _visible_ticket(ticket_no)
    return jsonify(tickets.status(get_session(), row, instance))


# ---------------------------------------------------------------- results from the hotline


def _text(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = "请输入文字 (enter text)"
        return None
    if len(value) > MAX_TEXT:
        errors[name] = f"最多 {MAX_TEXT} 个字 (at most {MAX_TEXT} characters)"
        return None
    return value.strip() or None


def _moment(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> str | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        errors[name] = "时间格式应为 ISO 8601 (use ISO 8601, e.g. 2026-11-26T09:30:00+08:00)"
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tickets.LOCAL_TZ)
    return moment.astimezone(tickets.LOCAL_TZ).isoformat(timespec="seconds")


def _unknown(data: Mapping[str, Any], known: tuple[str, ...], errors: dict[str, str]) -> None:
    for name in data:
        if name not in known:
            errors[name] = "没有此项 (unknown field)"


def _deliver(
    ticket_no: str, instance: ProcessInstance, name: str, variables: dict[str, Any], natural: str
):
    session = get_session()
    user = guard.actor()
    if not authz.has(user, Permission.MESSAGE_SEND):
        raise NotAllowedError(
            "您没有发送消息的权限 (not permitted to send messages)",
            permission=str(Permission.MESSAGE_SEND),
        )
    key = idempotency_key(f"hotline:{name}:{ticket_no}") or natural
    try:
        result = messages.correlate(
            session,
            current_engine(),
            user,
            name,
            business_key=ticket_no,
            instance_id=instance.id,
            variables=variables,
            dedupe_key=key,
        )[0]
    except MessageNotCorrelatedError:
        raise Conflict(
            f"工单 {ticket_no} 的案件已办结，不能再接收此结果 (the case of ticket {ticket_no} "
            f"has ended and cannot take {name})"
        ) from None
    session.flush()
    return jsonify(
        {
            "ticket_no": ticket_no,
            "message": name,
            "delivery": "delivered" if result.result_type != "Pending" else "pending",
            "ticket": tickets.status(session, *_visible_ticket(ticket_no)),
        }
    )


@bp.post("/tickets/<ticket_no>/callback")
@retrying
def callback(ticket_no: str):
    _, instance = _visible_ticket(ticket_no)
    data = json_body(required=True)
    errors: dict[str, str] = {}
    _unknown(data, tickets.CALLBACK_FIELDS, errors)
    satisfaction = data.get("satisfaction")
    if satisfaction not in intake.SATISFACTION:
        errors["satisfaction"] = (
            "请选择 satisfied、basically_satisfied 或 dissatisfied "
            "(one of satisfied, basically_satisfied, dissatisfied)"
        )
    reason = _text(data, "dissatisfaction_reason", errors)
    at = _moment(data, "callback_at", errors)
    if errors:
        raise FormInvalidError(errors)
    variables = {
        "satisfaction": satisfaction,
        "dissatisfaction_reason": reason,
        "callback_at": at or tickets.iso(_now()),
    }
    natural = dedupe_key("hotline", intake.CALLBACK_MESSAGE, ticket_no, at) if at else None
    return _deliver(ticket_no, instance, intake.CALLBACK_MESSAGE, variables, natural)


@bp.post("/tickets/<ticket_no>/return-result")
@retrying
def return_result(ticket_no: str):
    _, instance = _visible_ticket(ticket_no)
    data = json_body(required=True)
    errors: dict[str, str] = {}
    _unknown(data, ("return_result", "return_comment"), errors)
    result = data.get("return_result")
    if result not in RETURN_RESULTS:
        errors["return_result"] = "请选择 accepted 或 rejected (accepted or rejected)"
    comment = _text(data, "return_comment", errors)
    if errors:
        raise FormInvalidError(errors)
    variables = {"return_result": result, "return_comment": comment}
    return _deliver(ticket_no, instance, RETURN_MESSAGE, variables, None)


def _now() -> datetime:
    return clock.now()
