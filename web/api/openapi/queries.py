"""Shared pieces of the /engine-rest paths: query parameters, paging, sorting, queries."""

from __future__ import annotations

from typing import Any

from web.api.openapi.builders import array
from web.api.openapi.builders import integer
from web.api.openapi.builders import operation
from web.api.openapi.builders import query
from web.api.openapi.builders import ref
from web.api.openapi.builders import response
from web.api.openapi.builders import string

P = "/engine-rest"
DATE_TEXT = string("yyyy-MM-dd'T'HH:mm:ss.SSSZ")
BOOL_TEXT = string(enum=["true", "false"])
INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}
COUNTER = {"minimum": 0, "maximum": 10**18 - 1}
PAGING = [
    query("firstResult", integer(**COUNTER), "Index of the first result (paging)"),
    query("maxResults", integer(**COUNTER), "Number of results (paging); 0 returns []"),
]


def sorting(values: list[str]) -> list[dict[str, Any]]:
    return [
        query("sortBy", string(enum=values), "Sort criterion; needs sortOrder"),
        query("sortOrder", string(enum=["asc", "desc"]), "Sort order; needs sortBy"),
    ]


def text_params(*names: str) -> list[dict[str, Any]]:
    return [query(n, string()) for n in names]


def bool_params(*names: str) -> list[dict[str, Any]]:
    return [query(n, BOOL_TEXT) for n in names]


def date_params(*names: str) -> list[dict[str, Any]]:
    return [query(n, DATE_TEXT) for n in names]


def list_of(schema_name: str) -> dict[str, Any]:
    return {"200": response("The results", array(ref(schema_name)))}


COUNT_OK = {"200": response("The number of results", ref("CountResultDto"))}
NO_CONTENT = {"204": response("Done")}


def query_ops(
    tag: str,
    name: str,
    base: str,
    dto: str,
    body: str | None,
    params: list[dict[str, Any]],
    sorts: list[str],
) -> dict[str, dict[str, Any]]:
    """GET (and POST, when `body`) of a query and of its count."""
    paths: dict[str, dict[str, Any]] = {
        f"{P}{base}": {
            "get": operation(
                f"Query {name}",
                tag,
                f"get{dto}s",
                parameters=params + sorting(sorts) + PAGING,
                ok=list_of(dto),
                errors=(400,),
            )
        },
        f"{P}{base}/count": {
            "get": operation(
                f"Count {name}",
                tag,
                f"get{dto}sCount",
                parameters=params,
                ok=COUNT_OK,
                errors=(400,),
            )
        },
    }
    if body is not None:
        paths[f"{P}{base}"]["post"] = operation(
            f"Query {name} (criteria as JSON)",
            tag,
            f"query{dto}s",
            parameters=PAGING,
            body=ref(body),
            ok=list_of(dto),
            errors=(400,),
        )
        paths[f"{P}{base}/count"]["post"] = operation(
            f"Count {name} (criteria as JSON)",
            tag,
            f"query{dto}sCount",
            body=ref(body),
            ok=COUNT_OK,
            errors=(400,),
        )
    return paths
