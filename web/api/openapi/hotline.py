"""Schemas and paths of the 12345 hotline API (/api/v1/hotline)."""

from __future__ import annotations

from typing import Any

from supervision.forms import FormField
from supervision.intake import INTAKE_FORM
from supervision.intake import SATISFACTION
from web.api.hotline import RETURN_RESULTS
from web.api.openapi.builders import Schema
from web.api.openapi.builders import array
from web.api.openapi.builders import boolean
from web.api.openapi.builders import integer
from web.api.openapi.builders import nullable
from web.api.openapi.builders import obj
from web.api.openapi.builders import operation
from web.api.openapi.builders import opt_string
from web.api.openapi.builders import path
from web.api.openapi.builders import query
from web.api.openapi.builders import ref
from web.api.openapi.builders import response
from web.api.openapi.builders import string

H = "/api/v1/hotline"
TAG = "Hotline"
ISO = "ISO 8601 with offset, e.g. 2026-11-26T09:30:00+08:00"


def intake_field(field: FormField) -> Schema:
    """The JSON schema of one intake field, from the same form the server validates with."""
    description = field.label
    if field.type == "boolean":
        schema: Schema = boolean(description)
    elif field.type == "enum":
        options = ", ".join(f"{o.id} ({o.name})" for o in field.options)
        schema = string(f"{description}: {options}", enum=[o.id for o in field.options])
    elif field.type == "date":
        schema = string(f"{description} (YYYY-MM-DD)", format="date")
    elif field.type == "datetime":
        schema = string(f"{description} ({ISO})", format="date-time")
    elif field.type == "group":
        schema = string(f"{description}: the unit's code (group code)")
    else:
        schema = string(description)
        maxlength = field.constraint("maxlength")
        if maxlength:
            schema["maxLength"] = int(maxlength)
    pattern = field.constraint("pattern")
    if pattern:
        schema["pattern"] = f"^{pattern}$"
    return nullable(schema) if not field.required else schema


TICKET_CREATE = obj(
    {f.id: intake_field(f) for f in INTAKE_FORM.fields},
    required=tuple(f.id for f in INTAKE_FORM.fields if f.required),
    description="The intake fields of domain.md §2.1.3. complainant_name and "
    "complainant_phone are required unless is_anonymous is true (an anonymous ticket keeps "
    "no personal data at all). complainant_id_no must carry a valid GB 11643 check digit. "
    "Unknown fields are refused.",
    additional=False,
)

STEP = obj(
    {
        "name": string("The step's name (BPMN)"),
        "task_definition_key": string(),
        "started_at": nullable(string(ISO)),
        "due_at": nullable(string(ISO)),
    },
    required=("name", "task_definition_key"),
)

REPLY = obj(
    {
        "reply_text": opt_string("The reply to relay to the complainant"),
        "reply_method": opt_string(),
        "hotline_feedback_at": opt_string(),
        "case_no": opt_string(),
        "is_interim": boolean("An interim reply (阶段性答复)"),
        "sent_at": nullable(string(ISO)),
    },
    required=("reply_text", "is_interim"),
)

SUMMARY_FIELDS: dict[str, Schema] = {
    "ticket_no": string(),
    "case_id": string(),
    "case_no": opt_string("The supervision case number once given"),
    "status": string("active, suspended, completed or cancelled"),
    "case_status": opt_string("The end state (domain.md §2.1.4), e.g. CLOSED_SATISFIED"),
    "received_at": nullable(string(ISO)),
    "has_reply": boolean(),
    "href": string(),
}

TICKET_SUMMARY = obj(SUMMARY_FIELDS, required=("ticket_no", "case_id", "status", "has_reply"))

TICKET_STATUS = obj(
    {
        **SUMMARY_FIELDS,
        "case_title": opt_string(),
        "request_type": opt_string(),
        "dispatched_at": opt_string(),
        "ended_at": nullable(string(ISO)),
        "deadlines": obj(
            {
                "hotline_due_date": opt_string("The hotline's due date"),
                "bureau_due_date": opt_string("The enforcement bureau's reply date"),
                "case_due_at": nullable(string(ISO)),
            }
        ),
        "current_steps": array(ref("TicketStep")),
        "reply": nullable(ref("TicketReply")),
        "replies": array(ref("TicketReply"), "Every reply sent, interim ones included"),
        "return_request": nullable(
            obj(
                {
                    "return_reason": opt_string(),
                    "suggested_unit": opt_string(),
                    "return_basis": opt_string(),
                },
                description="The supervision body asks the hotline to take the ticket back "
                "(退单, Msg_ReturnRequest), with what it sent",
            )
        ),
        "extension_requests": array(
            obj({"sent_at": nullable(string(ISO))}),
            "Requests to extend the hotline's deadline (Msg_HotlineExtensionRequest), "
            "with what the case sent",
        ),
        "messages": array(ref("HotlineMessage"), "Everything the case sent to the hotline"),
        "return_result": nullable(
            obj({"return_result": opt_string(), "return_comment": opt_string()})
        ),
        "callback": nullable(
            obj(
                {
                    "satisfaction": opt_string(),
                    "dissatisfaction_reason": opt_string(),
                    "callback_at": opt_string(),
                }
            )
        ),
        "links": obj({"self": string(), "callback": string(), "return_result": string()}),
    },
    required=(
        "ticket_no",
        "case_id",
        "status",
        "current_steps",
        "replies",
        "messages",
        "extension_requests",
        "has_reply",
    ),
)

CALLBACK = obj(
    {
        "satisfaction": string("满意度", enum=list(SATISFACTION)),
        "dissatisfaction_reason": opt_string("不满意原因", maxLength=2000),
        "callback_at": opt_string(f"回访时间, {ISO}; repeats with the same value are ignored"),
    },
    required=("satisfaction",),
    additional=False,
)

RETURN_RESULT = obj(
    {
        "return_result": string("退单审核结果", enum=list(RETURN_RESULTS)),
        "return_comment": opt_string("审核意见", maxLength=2000),
    },
    required=("return_result",),
    additional=False,
)

DELIVERY = obj(
    {
        "ticket_no": string(),
        "message": string(),
        "delivery": string(
            "delivered: the case took it; pending: kept until the case waits for it",
            enum=["delivered", "pending"],
        ),
        "ticket": ref("TicketStatus"),
    },
    required=("ticket_no", "message", "delivery", "ticket"),
)

TICKET_LIST = obj(
    {"page": integer(), "per_page": integer(), "items": array(ref("TicketSummary"))},
    required=("page", "per_page", "items"),
)

HOTLINE_MESSAGE = obj(
    {
        "message": string("Msg_HotlineFeedback, Msg_ReturnRequest or Msg_HotlineExtensionRequest"),
        "sent_at": nullable(string(ISO)),
        "variables": obj({}, description="What the case sent"),
    },
    required=("message", "variables"),
)

SCHEMAS: dict[str, Schema] = {
    "HotlineMessage": HOTLINE_MESSAGE,
    "TicketCreate": TICKET_CREATE,
    "TicketStep": STEP,
    "TicketReply": REPLY,
    "TicketSummary": TICKET_SUMMARY,
    "TicketStatus": TICKET_STATUS,
    "TicketList": TICKET_LIST,
    "CallbackResult": CALLBACK,
    "ReturnResult": RETURN_RESULT,
    "DeliveryResult": DELIVERY,
}

IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": string(maxLength=150),
    "description": "A repeat with the same key is answered from the first delivery.",
}


def hotline_paths() -> dict[str, dict[str, Any]]:
    ticket = path("ticket_no", "The hotline's ticket number")
    return {
        f"{H}/tickets": {
            "post": operation(
                "Create a case from a ticket (idempotent)",
                TAG,
                "createTicket",
                description="201 with the new case; 200 with the existing case when the "
                "ticket number is known (also when two requests race). 422 names every "
                "field that is wrong. 503 if the complaint process is not deployed.",
                body=ref("TicketCreate"),
                body_required=True,
                ok={
                    "201": response("Created", ref("TicketStatus")),
                    "200": response("Already known: the existing case", ref("TicketStatus")),
                },
                errors=(400, 403, 409, 422, 503),
            ),
            "get": operation(
                "The tickets registered by the caller's hotline centre, newest first",
                TAG,
                "listTickets",
                parameters=[
                    query("page", integer(minimum=1)),
                    query("per_page", integer(minimum=1, maximum=100)),
                ],
                ok={"200": response("A page of tickets", ref("TicketList"))},
                errors=(400,),
            ),
        },
        f"{H}/tickets/{{ticket_no}}": {
            "get": operation(
                "A ticket's status, deadlines, current step and the reply to relay",
                TAG,
                "getTicket",
                parameters=[ticket],
                ok={"200": response("The ticket", ref("TicketStatus"))},
                errors=(404,),
            )
        },
        f"{H}/tickets/{{ticket_no}}/callback": {
            "post": operation(
                "The callback's satisfaction result (delivered as Msg_HotlineCallback)",
                TAG,
                "postCallback",
                parameters=[ticket, IDEMPOTENCY],
                body=ref("CallbackResult"),
                body_required=True,
                ok={"200": response("Delivered or kept", ref("DeliveryResult"))},
                errors=(400, 403, 404, 409, 422),
            )
        },
        f"{H}/tickets/{{ticket_no}}/return-result": {
            "post": operation(
                "The answer to a return request (退单), delivered as Msg_ReturnResult",
                TAG,
                "postReturnResult",
                parameters=[ticket, IDEMPOTENCY],
                body=ref("ReturnResult"),
                body_required=True,
                ok={"200": response("Delivered or kept", ref("DeliveryResult"))},
                errors=(400, 403, 404, 409, 422),
            )
        },
    }
