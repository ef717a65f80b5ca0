"""From an HTML form post to the values the form services validate.

Browsers leave out unticked checkboxes and send several values for one name; generated
forms (camunda:formData) need one value per field, "false" for an unticked boolean, and
nothing for fields the form does not define (so nobody can set other case variables by
adding inputs to the page).
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from supervision.forms import TRUE_WORDS
from supervision.forms import FormView


def submitted_values(form: FormView, data: MultiDict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in form.fields:
        if field.readonly:
            continue
        sent = data.getlist(field.id)
        if field.type == "boolean":
            values[field.id] = (
                "true" if any(v.strip().lower() in TRUE_WORDS for v in sent) else "false"
            )
        elif field.type == "users":
            values[field.id] = ",".join(v for v in sent if v.strip())
        else:
            # A field the page did not send at all is sent empty, so "required" is checked.
            values[field.id] = sent[-1] if sent else ""
    return values


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1
