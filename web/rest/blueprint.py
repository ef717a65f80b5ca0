"""The /engine-rest blueprint and the small request helpers its views share."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import request

from web import current_engine
from web.rest import guard
from web.rest.exceptions import CAMUNDA
from web.rest.exceptions import InvalidRequest
from web.rest.formats import parse_bool

bp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")
guard.protect(bp, CAMUNDA)

engine = current_engine


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return number


def json_body(*, required: bool = False) -> dict[str, Any]:
    """The request's JSON object (an empty body is {} unless `required`).

    Refused with 400: invalid JSON, NaN/Infinity, lone surrogates and NUL characters (the
    databases cannot store them), anything but an object at the top.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise InvalidRequest("a JSON request body is required")
        return {}
    try:
        data = json.loads(raw, parse_constant=_no_constants, parse_float=_finite)
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        raise InvalidRequest("the request body is not valid JSON (UTF-8)") from None
    if not isinstance(data, Mapping):
        raise InvalidRequest("the request body must be a JSON object")
    if has_nul(data):
        raise InvalidRequest("NUL characters are not allowed in the request")
    return dict(data)


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def optional_text(data: Mapping[str, Any], name: str, *, max_length: int = 200) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string")
    if len(value) > max_length:
        raise InvalidRequest(f"{name} must be at most {max_length} characters")
    return value


def flag(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidRequest(f"{name} must be true or false")
    return value


def name_list() -> list[str] | None:
    """`variableNames=a,b` as a list (None: all); `deserializeValues` is checked, and
    accepted without effect (values are always plain JSON here)."""
    for switch in ("deserializeValues", "deserializeValue"):
        if request.args.get(switch) is not None:
            parse_bool(request.args[switch], switch)
    raw = request.args.get("variableNames")
    if raw is None:
        return None
    return [n.strip() for n in raw.split(",") if n.strip()]


def message_lang() -> str:
    """The language of error messages for this call: English if the client asks for it."""
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return "en" if best == "en" else "zh"
