"""POST /message: correlate a message by name with business key, case id or correlation keys.

A message that nothing can take is a 400 saying so. A message for a known running case
that is not waiting for it yet is kept and delivered when the case gets there (outside
organs do not wait for our diagrams): that answers 200 with resultType "Pending", even
when the caller did not ask for results, so the sender knows it was kept, not delivered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask import request

from supervision import authz
from supervision import messages
from web.database import get_session
from web.rest import dto
from web.rest import privacy
from web.rest import variables as typed_variables
from web.rest.blueprint import bp
from web.rest.blueprint import engine
from web.rest.blueprint import flag
from web.rest.blueprint import json_body
from web.rest.blueprint import optional_text
from web.rest.exceptions import InvalidRequest
from web.rest.guard import actor
from web.rest.retry import retrying

MAX_IDEMPOTENCY_KEY = 150


def _check_unsupported(data: Mapping[str, Any]) -> None:
    if data.get("localCorrelationKeys"):
        raise InvalidRequest("localCorrelationKeys are not supported; use correlationKeys")
    if data.get("tenantId") is not None:
        raise InvalidRequest("tenants are not supported: leave tenantId empty")
    if data.get("processVariablesLocal"):
        raise InvalidRequest(
            "processVariablesLocal is not supported; send the values as processVariables"
        )


def dedupe_key(*parts: str) -> str:
    """A fixed-length key for the message store, from any number of (long) parts."""
    return "idem:" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def idempotency_key(prefix: str) -> str | None:
    """The client's Idempotency-Key header, scoped by `prefix` (None when not sent)."""
    key = request.headers.get("Idempotency-Key")
    if key is None or not key.strip():
        return None
    key = key.strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise InvalidRequest(f"Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY} characters")
    return dedupe_key(prefix, key)


@bp.post("/message")
@retrying
def correlate():
    session = get_session()
    user = actor()
    data = json_body(required=True)
    _check_unsupported(data)
    name = optional_text(data, "messageName", max_length=200)
    if not name or not name.strip():
        raise InvalidRequest("messageName is required")
    business_key = optional_text(data, "businessKey", max_length=200)
    instance_id = optional_text(data, "processInstanceId", max_length=36)
    keys = typed_variables.variables_to_python(data.get("correlationKeys"), what="correlationKeys")
    values = typed_variables.variables_to_python(
        data.get("processVariables"), what="processVariables"
    )
    results = messages.correlate(
        session,
        engine(),
        user,
        name.strip(),
        business_key=business_key,
        instance_id=instance_id,
        correlation_keys=keys or None,
        variables=values,
        all_matches=flag(data, "all"),
        dedupe_key=idempotency_key(f"rest-message:{user.username}"),
    )
    wants_results = flag(data, "resultEnabled")
    with_variables = flag(data, "variablesInResultEnabled")
    if not wants_results and all(r.result_type != "Pending" for r in results):
        return "", 204
    return jsonify([_result(user, r, with_variables) for r in results])


def _result(user, result: messages.CorrelationResult, with_variables: bool) -> dict[str, Any]:
    instance = result.instance
    payload: dict[str, Any] = {
        "resultType": result.result_type,
        "execution": None,
        "processInstance": None,
    }
    if instance is not None and result.result_type == "Execution":
        payload["execution"] = {
            "id": instance.id,
            "processInstanceId": instance.id,
            "ended": not dto.is_running(instance),
            "tenantId": None,
        }
    elif instance is not None:
        payload["processInstance"] = dto.process_instance(instance)
    if with_variables:
        session = get_session()
        readable = instance is not None and authz.can_read_case(session, user, instance)
        visible = (
            privacy.visible(
                session, user, instance, instance.variables or {}, via="engine-rest message"
            )
            if readable
            else {}
        )
        payload["variables"] = typed_variables.typed_map(visible)
    return payload
