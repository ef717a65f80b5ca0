"""The OpenAPI document at /api/openapi.json and the API page for people at /api/docs.

The page is rendered on the server from the same document (no CDN, no script): every
operation with its parameters, body and answers, and every schema as a field table.
Its headings come in Chinese or English after the reader's language; the API's own
descriptions are English, like Camunda's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import Any

from flask import Blueprint
from flask import Response
from flask import redirect
from flask import render_template
from flask import url_for
from markupsafe import Markup
from markupsafe import escape

from web.api.openapi import document
from web.i18n import lang
from web.rest import guard

bp = Blueprint("api_docs", __name__, url_prefix="/api")
guard.open_api(bp)

METHODS = ("get", "post", "put", "delete")
LABELS = {
    "title": ("接口文档", "API documentation"),
    "intro": (
        "本系统提供两组接口：与 Camunda 7 兼容的 /engine-rest（Camunda Modeler 部署、"
        "Camunda 客户端），以及 12345 热线工单接口 /api/v1/hotline。每次调用都须用 HTTP "
        "Basic（本人用户名和密码）或管理员签发的 Bearer 令牌认证。",
        "Two APIs: the Camunda 7 compatible /engine-rest (Camunda Modeler's deploy, Camunda "
        "clients) and the 12345 hotline API /api/v1/hotline. Every call authenticates with "
        "HTTP Basic (the user's own password) or a Bearer token issued by an administrator.",
    ),
    "download": ("下载 OpenAPI 文档 (JSON)", "Download the OpenAPI document (JSON)"),
    "contents": ("目录", "Contents"),
    "schemas": ("数据结构", "Schemas"),
    "parameters": ("参数", "Parameters"),
    "body": ("请求体", "Request body"),
    "responses": ("响应", "Responses"),
    "name": ("名称", "Name"),
    "in": ("位置", "In"),
    "type": ("类型", "Type"),
    "required": ("必填", "Required"),
    "description": ("说明", "Description"),
    "status": ("状态码", "Status"),
    "yes": ("是", "yes"),
    "public": ("无需认证", "No authentication"),
}


def markdown(text: str) -> Markup:
    """The little Markdown the document's descriptions use: paragraphs, * lists,
    **bold** and `code`. Everything is escaped first, so nothing else gets through."""
    blocks: list[str] = []
    items: list[str] = []
    paragraph: list[str] = []

    def inline(line: str) -> str:
        html = str(escape(line))
        html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", html)

    def flush() -> None:
        if paragraph:
            blocks.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("* "):
            if paragraph:
                flush()
            items.append(line[2:])
        elif items and raw.startswith("  "):
            items[-1] += " " + line
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return Markup("".join(blocks))


def labels() -> dict[str, str]:
    index = 1 if lang() == "en" else 0
    return {key: pair[index] for key, pair in LABELS.items()}


@dataclass
class Row:
    name: str
    type: str
    required: bool
    description: str
    link: str | None = None


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    public: bool
    parameters: list[Row] = field(default_factory=list)
    body_type: str | None = None
    body_link: str | None = None
    body_media: str | None = None
    responses: list[Row] = field(default_factory=list)


def _ref_name(schema: dict[str, Any]) -> str | None:
    target = schema.get("$ref")
    return target.rsplit("/", 1)[-1] if target else None


def type_of(schema: dict[str, Any] | None) -> tuple[str, str | None]:
    """A short type text and the schema it links to (for `$ref`s)."""
    if not schema:
        return "any", None
    name = _ref_name(schema)
    if name:
        return name, name
    if "allOf" in schema and len(schema["allOf"]) == 1:
        text, link = type_of(schema["allOf"][0])
        return (f"{text} | null", link) if schema.get("nullable") else (text, link)
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        parts = [type_of(s) for s in alternatives]
        return " | ".join(p[0] for p in parts), parts[0][1]
    kind = schema.get("type", "any")
    link = None
    if kind == "array":
        inner, link = type_of(schema.get("items"))
        text = f"array of {inner}"
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        inner, link = type_of(schema["additionalProperties"])
        text = f"map of {inner}"
    else:
        text = kind
        if schema.get("format"):
            text += f" ({schema['format']})"
    if schema.get("enum"):
        text += ": " + " | ".join(str(v) for v in schema["enum"])
    if schema.get("nullable"):
        text += " | null"
    return text, link


def fields_of(schema: dict[str, Any]) -> Iterator[Row]:
    for part in schema.get("allOf", []):
        if "$ref" in part:
            yield Row("…", part["$ref"].rsplit("/", 1)[-1], False, "", _ref_name(part))
        else:
            yield from fields_of(part)
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        text, link = type_of(prop)
        yield Row(name, text, name in required, prop.get("description", ""), link)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        text, link = type_of(extra)
        yield Row("*", text, False, "any name", link)


def operations(doc: dict[str, Any]) -> dict[str, list[Operation]]:
    by_tag: dict[str, list[Operation]] = {t["name"]: [] for t in doc.get("tags", [])}
    for route, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            entry = Operation(
                method=method.upper(),
                path=route,
                anchor=op["operationId"],
                summary=op.get("summary", ""),
                description=op.get("description", ""),
                public=op.get("security") == [],
            )
            for param in op.get("parameters", []):
                text, link = type_of(param.get("schema"))
                entry.parameters.append(
                    Row(
                        f"{param['name']} ({param['in']})",
                        text,
                        bool(param.get("required")),
                        param.get("description", ""),
                        link,
                    )
                )
            body = op.get("requestBody")
            if body:
                media, content = next(iter(body["content"].items()))
                entry.body_type, entry.body_link = type_of(content.get("schema"))
                entry.body_media = media
            for status, answer in op["responses"].items():
                content = answer.get("content") or {}
                schema = next(iter(content.values()), {}).get("schema") if content else None
                text, link = type_of(schema) if schema else ("", None)
                entry.responses.append(
                    Row(status, text, False, answer.get("description", ""), link)
                )
            by_tag.setdefault(op["tags"][0], []).append(entry)
    return by_tag


@lru_cache(maxsize=1)
def _document_json() -> bytes:
    # 170 kB that never changes while the server runs: serialise it once.
    return json.dumps(document(), ensure_ascii=False, sort_keys=True).encode("utf-8")


@bp.get("/openapi.json")
def openapi_json():
    return Response(_document_json(), mimetype="application/json")


@bp.get("/")
def index():
    return redirect(url_for("api_docs.page"))


@bp.get("/docs")
def page():
    doc = document()
    schemas = {
        name: list(fields_of(schema)) for name, schema in doc["components"]["schemas"].items()
    }
    descriptions = {
        name: schema.get("description", "") for name, schema in doc["components"]["schemas"].items()
    }
    return render_template(
        "api/docs.html",
        doc=doc,
        groups=operations(doc),
        schemas=schemas,
        descriptions=descriptions,
        t=labels(),
        markdown=markdown,
    )
