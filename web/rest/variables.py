"""Camunda's typed variables (`{"value": ..., "type": "...", "valueInfo": {...}}`) both ways.

Incoming values are converted to what case variables hold: str, bool, int, float, None,
dicts and lists; dates become ISO-8601 strings in local time (that is how every case
variable stores a date). A value that does not fit its declared type is a 400, never a
silently different value.

Outgoing values are typed from the Python value. A string that is a complete ISO-8601
timestamp with a zone is reported as `Date` (in Camunda's format), because that is what
a `Date` variable was stored as; other strings, including plain dates (2026-11-26), are
`String`. Dicts and lists are `Json`, whose value Camunda always sends as a JSON string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from supervision.clock import LOCAL_TZ
from web.rest.exceptions import InvalidRequest
from web.rest.formats import format_date
from web.rest.formats import parse_date

INT_RANGE = {"Short": 2**15, "Integer": 2**31, "Long": 2**63}
TYPES = (
    "String",
    "Boolean",
    "Short",
    "Integer",
    "Long",
    "Double",
    "Number",
    "Date",
    "Json",
    "Object",
    "Xml",
    "Null",
)
UNSUPPORTED = ("Bytes", "File")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_STORED_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
MAX_VARIABLES = 500


def _cannot(value: Any, type_name: str, why: str = "") -> InvalidRequest:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    message = f"Cannot convert value {shown} of type '{type_name}'"
    return InvalidRequest(f"{message}: {why}" if why else message)


def date_to_stored(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="milliseconds")


def to_python(name: str, dto: Any, *, keep_dates: bool = False) -> Any:
    """One VariableValueDto -> a case variable value (InvalidRequest if it does not fit).

    `keep_dates` returns datetimes as such (form validation turns them into the field's
    own format); otherwise a Date becomes its stored ISO string.
    """
    if not isinstance(dto, Mapping):
        raise InvalidRequest(f"variable '{name}': expected an object {{value, type, valueInfo}}")
    type_name = dto.get("type")
    value = dto.get("value")
    info = dto.get("valueInfo")
    if info is not None and not isinstance(info, Mapping):
        raise InvalidRequest(f"variable '{name}': valueInfo must be an object")
    if type_name in (None, ""):
        return _untyped(name, value)
    if not isinstance(type_name, str):
        raise InvalidRequest(f"variable '{name}': type must be a string")
    canonical = _canonical_type(type_name)
    if canonical in UNSUPPORTED:
        raise InvalidRequest(
            f"variable '{name}': type '{canonical}' is not supported; upload files as "
            "attachments on the case page"
        )
    if canonical is None:
        raise InvalidRequest(
            f"variable '{name}': unknown type '{type_name}' (supported: {', '.join(TYPES)})"
        )
    if value is None:
        return None  # Camunda allows a null value for every type
    converter = _CONVERTERS[canonical]
    result = converter(value, canonical, info or {})
    if isinstance(result, datetime) and not keep_dates:
        return date_to_stored(result)
    return result


def variables_to_python(
    dtos: Any, *, what: str = "variables", keep_dates: bool = False
) -> dict[str, Any]:
    if dtos is None:
        return {}
    if not isinstance(dtos, Mapping):
        raise InvalidRequest(f"{what} must be an object mapping names to {{value, type}}")
    if len(dtos) > MAX_VARIABLES:
        raise InvalidRequest(f"{what}: at most {MAX_VARIABLES} variables per request")
    result = {}
    for name, dto in dtos.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidRequest(
                f"variable name {name!r} is not valid: use letters, digits and _ "
                "(starting with a letter), at most 100 characters"
            )
        result[name] = to_python(name, dto, keep_dates=keep_dates)
    return result


def _canonical_type(type_name: str) -> str | None:
    for known in (*TYPES, *UNSUPPORTED):
        if known.lower() == type_name.lower():
            return known
    return None


def _untyped(name: str, value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float | list | dict):
        return value
    raise InvalidRequest(f"variable '{name}': cannot store a value of this kind")


def _string(value: Any, type_name: str, _info: Mapping) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise _cannot(value, type_name, "expected a string")


def _boolean(value: Any, type_name: str, _info: Mapping) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _cannot(value, type_name, "expected true or false")


def _integer(value: Any, type_name: str, _info: Mapping) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,19}\s*", value)
    ):
        number = int(value)
    if number is None:
        raise _cannot(value, type_name, "expected a whole number")
    bound = INT_RANGE[type_name]
    if not -bound <= number < bound:
        raise _cannot(value, type_name, "out of range")
    return number


def _double(value: Any, type_name: str, _info: Mapping) -> float:
    if isinstance(value, bool):
        raise _cannot(value, type_name, "expected a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _cannot(value, type_name, "expected a number") from None
    else:
        raise _cannot(value, type_name, "expected a number")
    if number != number or number in (float("inf"), float("-inf")):
        raise _cannot(value, type_name, "not a finite number")
    return number


def _number(value: Any, type_name: str, info: Mapping) -> int | float:
    if isinstance(value, int) and not isinstance(value, bool):
        return _integer(value, "Long", info)
    return _double(value, type_name, info)


def _date(value: Any, type_name: str, _info: Mapping) -> datetime:
    if not isinstance(value, str):
        raise _cannot(value, type_name, "expected a date string like 2026-11-26T09:30:00.000+0800")
    try:
        return parse_date(value, "Date")
    except InvalidRequest as exc:
        raise _cannot(value, type_name, exc.message) from None


def _json(value: Any, type_name: str, info: Mapping) -> Any:
    if type_name == "Object":
        fmt = info.get("serializationDataFormat")
        if fmt not in (None, "application/json"):
            raise _cannot(
                value,
                type_name,
                "only serializationDataFormat application/json is supported (no Java objects)",
            )
    if isinstance(value, dict | list):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise _cannot(value, type_name, "the value is not valid JSON") from None
        if isinstance(parsed, dict | list | str | int | float | bool) or parsed is None:
            return parsed
    raise _cannot(value, type_name, "expected JSON text")


def _xml(value: Any, type_name: str, _info: Mapping) -> str:
    if not isinstance(value, str):
        raise _cannot(value, type_name, "expected XML text")
    return value


def _null(value: Any, type_name: str, _info: Mapping) -> None:
    raise _cannot(value, type_name, "a Null variable must have the value null")


_CONVERTERS = {
    "String": _string,
    "Boolean": _boolean,
    "Short": _integer,
    "Integer": _integer,
    "Long": _integer,
    "Double": _double,
    "Number": _number,
    "Date": _date,
    "Json": _json,
    "Object": _json,
    "Xml": _xml,
    "Null": _null,
}


# ---------------------------------------------------------------- outgoing


def typed(value: Any) -> dict[str, Any]:
    """A case variable value -> VariableValueDto."""
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        kind = "Integer" if -(2**31) <= value < 2**31 else "Long"
        return {"type": kind, "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, datetime):
        return {"type": "Date", "value": format_date(value), "valueInfo": {}}
    if isinstance(value, str):
        if _STORED_DATE.match(value):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is not None:
                return {"type": "Date", "value": format_date(moment), "valueInfo": {}}
        return {"type": "String", "value": value, "valueInfo": {}}
    return {
        "type": "Json",
        "value": json.dumps(value, ensure_ascii=False, default=str),
        "valueInfo": {},
    }


def typed_map(variables: Mapping[str, Any], names: list[str] | None = None) -> dict[str, Any]:
    wanted = set(names) if names else None
    return {
        name: typed(value)
        for name, value in sorted(variables.items())
        if wanted is None or name in wanted
    }


FORM_TYPES = {
    "string": "String",
    "textarea": "String",
    "enum": "String",
    "group": "String",
    "user": "String",
    "date": "String",
    "long": "Long",
    "double": "Double",
    "boolean": "Boolean",
    "datetime": "Date",
    "users": "Json",
}


def form_typed(field_type: str, value: Any) -> dict[str, Any]:
    """A form field's current value, typed after the field (as Camunda's form-variables)."""
    if value is None:
        return {"type": FORM_TYPES.get(field_type, "String"), "value": None, "valueInfo": {}}
    dto = typed(value)
    expected = FORM_TYPES.get(field_type)
    if expected == "Long" and dto["type"] == "Integer":
        dto["type"] = "Long"
    if expected == "String" and dto["type"] == "Date":
        dto = {"type": "String", "value": value, "valueInfo": {}}
    return dto
