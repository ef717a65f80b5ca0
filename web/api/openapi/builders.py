"""Small builders that keep the OpenAPI document readable (schemas, parameters, responses)."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def string(description: str | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def opt_string(description: str | None = None, **extra: Any) -> Schema:
    return nullable(string(description, **extra))


def integer(description: str | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "integer", **extra}
    if description:
        schema["description"] = description
    return schema


def boolean(description: str | None = None) -> Schema:
    schema: Schema = {"type": "boolean"}
    if description:
        schema["description"] = description
    return schema


def array(items: Schema, description: str | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def obj(
    properties: dict[str, Schema],
    *,
    required: tuple[str, ...] = (),
    description: str | None = None,
    additional: bool | Schema = True,
) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    if additional is not True:
        schema["additionalProperties"] = additional
    return schema


DATE = "yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. 2026-11-26T09:30:00.000+0800"
CAMUNDA_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$"


def camunda_date(description: str = "") -> Schema:
    """A date as Camunda writes it (what our responses contain)."""
    text = f"{description} ({DATE})" if description else DATE
    return nullable(string(text, pattern=CAMUNDA_DATE_PATTERN))


def query(name: str, schema: Schema, description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def path(name: str, description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def response(description: str, schema: Schema | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"description": description}
    if schema is not None:
        result["content"] = json_content(schema)
    return result


def operation(
    summary: str,
    tag: str,
    op_id: str,
    *,
    description: str = "",
    parameters: list[dict[str, Any]] | None = None,
    body: Schema | None = None,
    body_required: bool = False,
    body_content: dict[str, Any] | None = None,
    ok: dict[str, dict[str, Any]],
    errors: tuple[int, ...] = (),
    security: list[dict[str, list]] | None = None,
) -> dict[str, Any]:
    """One operation; `errors` lists the error statuses (ExceptionDto bodies) it can answer."""
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "operationId": op_id}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if body is not None or body_content is not None:
        op["requestBody"] = {
            "required": body_required,
            "content": body_content or json_content(body),
        }
    responses = dict(ok)
    # Any request can be malformed (a NUL character, a bad parameter): 400 everywhere.
    always = {400, 401, 429} if security is None else {400}
    for status in sorted(set(errors) | always):
        responses.setdefault(str(status), ERROR_RESPONSES[status])
    op["responses"] = responses
    if security is not None:
        op["security"] = security
    return op


ERROR_RESPONSES: dict[int, dict[str, Any]] = {
    400: response(
        "The request is invalid (a parameter, the JSON body, a variable type).", ref("ExceptionDto")
    ),
    401: {
        "description": "No or wrong credentials. The answer carries "
        '`WWW-Authenticate: Basic realm="default"`.',
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": json_content(ref("ExceptionDto")),
    },
    403: response("The user may not do this.", ref("AuthorizationExceptionDto")),
    404: response("Not found, or not visible to this user.", ref("ExceptionDto")),
    409: response(
        "Conflict: the state changed under the request (claimed or completed by someone "
        "else, a lost optimistic lock: type OptimisticLockingException, code 1).",
        ref("ExceptionDto"),
    ),
    422: response("Field errors: `errors` maps each field to its message.", ref("ExceptionDto")),
    429: {
        "description": "Too many failed logins for this user name or address; retry later.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": json_content(ref("ExceptionDto")),
    },
    503: response("The service cannot take the request now.", ref("ExceptionDto")),
}
