"""Camunda's wire formats: dates, query parameters, paging and sorting.

Camunda writes dates as `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (2026-11-26T09:30:00.000+0800). We
write exactly that, in the bureau's time zone, and read it back leniently (an ISO-8601
offset with a colon, `Z`, or no milliseconds are accepted too), because clients written
in other languages rarely produce Java's pattern byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from supervision.clock import LOCAL_TZ
from web.rest.exceptions import InvalidRequest

_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_SPACE_FOR_PLUS = re.compile(r"(?<=\d) (\d{2}:?\d{2})$")
DATE_EXAMPLE = "2026-11-26T09:30:00.000+0800"
# Far enough for any deadline; keeps every value convertible to UTC and storable.
MIN_YEAR = 1900
MAX_YEAR = 9998


def format_date(value: datetime | None) -> str | None:
    """An aware datetime in Camunda's format, in local time (None stays None)."""
    if value is None:
        return None
    local = value.astimezone(LOCAL_TZ)
    offset = local.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        local = value.astimezone(UTC)  # local mean time before 1901: not writable as ±HHMM
    millis = local.microsecond // 1000
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}" + local.strftime("%z")


def parse_date(text: Any, what: str = "date") -> datetime:
    """Read Camunda's date format (or ISO 8601); a naive time is taken as local time."""
    if not isinstance(text, str):
        raise InvalidRequest(f"{what}: expected a date string like {DATE_EXAMPLE}")
    # An unencoded "+0800" in a query string arrives as " 0800": take it as meant.
    cleaned = _SPACE_FOR_PLUS.sub(r"+\1", text.strip())
    match = _DATE.match(cleaned)
    if not match:
        raise InvalidRequest(
            f"Cannot convert value '{text}' of {what} to a date: expected "
            f"yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. {DATE_EXAMPLE}"
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    normalised = f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}"
    if fraction:
        normalised += "." + fraction.ljust(6, "0")
    if zone:
        zone = "+00:00" if zone == "Z" else zone
        if ":" not in zone:
            zone = zone[:3] + ":" + zone[3:]
        normalised += zone
    try:
        moment = datetime.fromisoformat(normalised)
    except ValueError:
        raise InvalidRequest(f"Cannot convert value '{text}' of {what} to a date") from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise InvalidRequest(f"{what}: the year must lie between {MIN_YEAR} and {MAX_YEAR}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment


# ---------------------------------------------------------------- query parameters


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "true":
        return True
    if text == "false":
        return False
    raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}'")


def parse_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool):
        raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}'")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,18}\s*", value):
        number = int(value)
    else:
        raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}'")
    if minimum is not None and number < minimum:
        raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}'")
    return number


def parse_list(value: Any, name: str) -> list[str]:
    """A comma-separated query parameter, or a JSON array in a POST query body."""
    if isinstance(value, list | tuple):
        items = value
    elif isinstance(value, str):
        items = value.split(",")
    else:
        raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}'")
    result = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}'")
        if item.strip():
            result.append(item.strip())
    return result


def parse_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"Cannot set query parameter '{name}' to value '{value}'")
    return value


class Params:
    """Query criteria from a GET's query string or a POST query's JSON body, same names."""

    def __init__(self, source: Mapping[str, Any]) -> None:
        self._source = source

    def has(self, name: str) -> bool:
        """Present, even if empty: `?unassigned=` is a bad value, not a missing one."""
        return self._source.get(name) is not None

    def text(self, name: str) -> str | None:
        return parse_text(self._source[name], name) if self.has(name) else None

    def pattern(self, name: str) -> str | None:
        """A LIKE pattern (% and _ are wildcards, as in Camunda's *Like criteria)."""
        value = self.text(name)
        if value is not None and (len(value) - len(value.rstrip("\\"))) % 2:
            # PostgreSQL refuses a pattern ending in its escape character.
            raise InvalidRequest(f"query parameter '{name}' must not end with a backslash")
        return value

    def flag(self, name: str) -> bool:
        return parse_bool(self._source[name], name) if self.has(name) else False

    def boolean(self, name: str) -> bool | None:
        return parse_bool(self._source[name], name) if self.has(name) else None

    def integer(self, name: str) -> int | None:
        """A 32-bit whole number (what the columns compared with it hold)."""
        if not self.has(name):
            return None
        number = parse_int(self._source[name], name)
        if not -(2**31) <= number < 2**31:
            raise InvalidRequest(f"query parameter '{name}' is out of range")
        return number

    def items(self, name: str) -> list[str] | None:
        return parse_list(self._source[name], name) if self.has(name) else None

    def date(self, name: str) -> datetime | None:
        return (
            parse_date(self._source[name], f"query parameter '{name}'") if self.has(name) else None
        )

    def raw(self, name: str) -> Any:
        return self._source.get(name)


@dataclass(frozen=True)
class Page:
    first: int
    size: int | None


def page_from(args: Mapping[str, Any]) -> Page:
    first = args.get("firstResult")
    size = args.get("maxResults")
    return Page(
        first=parse_int(first, "firstResult", minimum=0) if first is not None else 0,
        size=parse_int(size, "maxResults", minimum=0) if size is not None else None,
    )


def apply_page(stmt, page: Page):
    if page.first:
        stmt = stmt.offset(page.first)
    if page.size is not None:
        stmt = stmt.limit(page.size)
    return stmt


def sortings(
    args: Mapping[str, Any], body: Mapping[str, Any] | None, allowed: Sequence[str]
) -> list[tuple[str, bool]]:
    """(sortBy, descending) pairs from `sortBy`/`sortOrder` or a POST body's `sorting`."""
    pairs: list[tuple[Any, Any]] = []
    if body is not None and body.get("sorting") is not None:
        sorting = body["sorting"]
        if not isinstance(sorting, list) or not all(isinstance(s, dict) for s in sorting):
            raise InvalidRequest("sorting must be a list of {sortBy, sortOrder} objects")
        pairs = [(s.get("sortBy"), s.get("sortOrder")) for s in sorting]
    source = body if body is not None and ("sortBy" in body or "sortOrder" in body) else args
    by, order = source.get("sortBy"), source.get("sortOrder")
    if by is not None or order is not None:
        if by is None or order is None:
            raise InvalidRequest(
                "Only a single sorting parameter specified. sortBy and sortOrder required"
            )
        pairs.append((by, order))
    result = []
    for by, order in pairs:
        if by not in allowed:
            raise InvalidRequest(f"Cannot set query parameter 'sortBy' to value '{by}'")
        if order not in ("asc", "desc"):
            raise InvalidRequest(f"Cannot set query parameter 'sortOrder' to value '{order}'")
        result.append((by, order == "desc"))
    return result
