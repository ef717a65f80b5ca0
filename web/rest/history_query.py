"""GET and POST forms of a history query and of its count, as Camunda offers them."""

from __future__ import annotations

from flask import jsonify
from flask import request
from sqlalchemy import func
from sqlalchemy import select

from web.database import get_session
from web.rest.blueprint import bp
from web.rest.blueprint import json_body
from web.rest.formats import sortings


def count_of(stmt) -> int:
    return get_session().scalar(select(func.count()).select_from(stmt.subquery())) or 0


def register_history_query(path: str, name: str, listing, counting, sorts) -> None:
    """GET and POST variants of a history query and of its count."""

    def list_get():
        return listing(request.args, None)

    def list_post():
        body = json_body()
        body.pop("firstResult", None)
        body.pop("maxResults", None)
        return listing({k: v for k, v in body.items() if k != "sorting"}, body)

    def count_get():
        sortings(request.args, None, list(sorts))  # not used by a count, but checked
        return jsonify({"count": counting(request.args)})

    def count_post():
        body = json_body()
        sortings(request.args, body, list(sorts))
        return jsonify({"count": counting({k: v for k, v in body.items() if k != "sorting"})})

    for func_, suffix, method in (
        (list_get, "", "GET"),
        (list_post, "", "POST"),
        (count_get, "/count", "GET"),
        (count_post, "/count", "POST"),
    ):
        func_.__name__ = f"{name}_{'count_' if suffix else ''}{method.lower()}"
        bp.add_url_rule(f"/history/{path}{suffix}", view_func=func_, methods=[method])
