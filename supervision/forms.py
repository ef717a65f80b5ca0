"""Generated forms: the field model read from camunda:formData, and server-side validation.

SpiffWorkflow keeps formData as metadata only (no defaults, no validation, and its
has_validation('required') is broken). This module is the single place where submitted
values are converted to their types and checked against the constraints, for the web app,
the REST API and the CLI alike. Messages are Chinese by default, English on request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from supervision.errors import FormInvalidError

TRUE_WORDS = frozenset({"true", "1", "on", "yes", "是"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", "否", ""})


@dataclass(frozen=True)
class FormOption:
    id: str
    name: str


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    type: str = "string"
    default: Any = None
    options: tuple[FormOption, ...] = ()
    constraints: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str], ...] = ()

    def constraint(self, name: str) -> str | None:
        for key, value in self.constraints:
            if key == name:
                return value if value is not None else ""
        return None

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.constraints)

    @property
    def required(self) -> bool:
        return self.has("required")

    @property
    def readonly(self) -> bool:
        return self.has("readonly")

    def prop(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.properties:
            if key == name:
                return value
        return default

    @property
    def multiline(self) -> bool:
        return self.type == "textarea" or self.prop("multiline") == "true"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormField:
        return cls(
            id=data["id"],
            label=data.get("label") or data["id"],
            type=data.get("type") or "string",
            default=data.get("default"),
            options=tuple(
                FormOption(o["id"], o.get("name") or o["id"]) for o in data.get("options", [])
            ),
            constraints=tuple((v["name"], v.get("config")) for v in data.get("validation", [])),
            properties=tuple((data.get("properties") or {}).items()),
        )


@dataclass(frozen=True)
class FormView:
    fields: tuple[FormField, ...] = ()
    key: str | None = None

    def field(self, field_id: str) -> FormField | None:
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass
class Lookups:
    """Checks that need the database (does this group/user exist?)."""

    group_exists: Callable[[str], bool] = lambda code: True
    user_exists: Callable[[str], bool] = lambda name: True


MESSAGES = {
    "required": ("此项为必填项", "This field is required"),
    "not_number": ("请输入整数", "Enter a whole number"),
    "not_decimal": ("请输入数字", "Enter a number"),
    "not_boolean": ("请选择是或否", "Choose yes or no"),
    "not_date": ("日期格式应为 YYYY-MM-DD", "Enter a date as YYYY-MM-DD"),
    "not_datetime": ("时间格式应为 YYYY-MM-DDTHH:MM", "Enter a date and time"),
    "not_option": ("请从列表中选择", "Choose one of the listed values"),
    "min": ("不能小于 {config}", "Must be at least {config}"),
    "max": ("不能大于 {config}", "Must be at most {config}"),
    "minlength": ("至少 {config} 个字", "Enter at least {config} characters"),
    "maxlength": ("最多 {config} 个字", "Enter at most {config} characters"),
    "min_items": ("至少选择 {config} 项", "Choose at least {config}"),
    "max_items": ("最多选择 {config} 项", "Choose at most {config}"),
    "pattern": ("格式不正确", "The format is not valid"),
    "unknown_group": ("单位不存在", "No such unit"),
    "unknown_user": ("用户不存在", "No such user"),
    "not_text": ("请输入文字", "Enter text"),
    "unknown_field": ("表单中没有此项", "This form has no such field"),
}


def message(code: str, lang: str = "zh", **params: Any) -> str:
    zh, en = MESSAGES[code]
    return (en if lang.startswith("en") else zh).format(**params)


class _Invalid(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _convert(f: FormField, value: Any, lookups: Lookups) -> Any:
    t = f.type
    if t in ("string", "textarea"):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _Invalid("not_text")
        return str(value).strip() if isinstance(value, str) else str(value)
    if t == "long":
        if isinstance(value, bool):
            raise _Invalid("not_number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            return int(value)
        raise _Invalid("not_number")
    if t == "double":
        if isinstance(value, bool):
            raise _Invalid("not_decimal")
        if isinstance(value, int | float):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            raise _Invalid("not_decimal") from None
    if t == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise _Invalid("not_boolean")
    if t == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        text = str(value).strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise _Invalid("not_date")
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise _Invalid("not_date") from None
    if t == "datetime":
        try:
            moment = (
                value
                if isinstance(value, datetime)
                else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            )
        except ValueError:
            raise _Invalid("not_datetime") from None
        return moment.isoformat()
    if t == "enum":
        text = str(value)
        if text not in {o.id for o in f.options}:
            raise _Invalid("not_option")
        return text
    if t == "group":
        text = str(value).strip()
        if not lookups.group_exists(text):
            raise _Invalid("unknown_group")
        return text
    if t == "user":
        text = str(value).strip()
        if not lookups.user_exists(text):
            raise _Invalid("unknown_user")
        return text
    if t == "users":
        items = (
            value
            if isinstance(value, list | tuple)
            else [v for v in re.split(r"[,，\s]+", str(value)) if v]
        )
        names = [str(v).strip() for v in items if str(v).strip()]
        for name in names:
            if not lookups.user_exists(name):
                raise _Invalid("unknown_user")
        return names
    return value


def _check_constraints(f: FormField, value: Any) -> None:
    for name, config in f.constraints:
        if name in ("required", "readonly") or config is None:
            continue
        if name in ("min", "max"):
            limit = float(config)
            if isinstance(value, int | float) and not isinstance(value, bool):
                if (name == "min" and value < limit) or (name == "max" and value > limit):
                    raise _Invalid(name, config=config)
            elif isinstance(value, list):
                code = "min_items" if name == "min" else "max_items"
                if (name == "min" and len(value) < limit) or (name == "max" and len(value) > limit):
                    raise _Invalid(code, config=config)
            elif isinstance(value, str) and f.type in ("date", "datetime"):
                if (name == "min" and value < config) or (name == "max" and value > config):
                    raise _Invalid(name, config=config)
        elif name in ("minlength", "maxlength") and isinstance(value, str | list):
            limit = int(float(config))
            if (name == "minlength" and len(value) < limit) or (
                name == "maxlength" and len(value) > limit
            ):
                raise _Invalid(name, config=config)
        elif name == "pattern" and isinstance(value, str):
            if not re.fullmatch(config, value):
                raise _Invalid("pattern")


def validate(
    form: FormView,
    submitted: Mapping[str, Any],
    *,
    lookups: Lookups | None = None,
    current: Mapping[str, Any] | None = None,
    lang: str = "zh",
    partial: bool = False,
    allow_extra: bool = False,
) -> dict[str, Any]:
    """Convert and check `submitted` against `form`; raise FormInvalidError with every error.

    - Readonly fields keep their current value whatever is sent.
    - A field that is not sent keeps its current value; a required one must then have one.
    - Values for names the form does not define are refused unless `allow_extra` (the REST
      API, like Camunda's, may set other variables).
    """
    lookups = lookups or Lookups()
    current = current or {}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    known = {f.id for f in form.fields}
    for f in form.fields:
        if f.readonly:
            if f.id in current:
                cleaned[f.id] = current[f.id]
            continue
        present = f.id in submitted
        value = submitted.get(f.id)
        if not present:
            # A field not sent is left as it is (Camunda sets only submitted variables);
            # the web form sends every field, with unticked checkboxes as "false".
            if f.required and not partial and _is_blank(current.get(f.id)):
                errors[f.id] = message("required", lang)
            continue
        if _is_blank(value):
            if f.required:
                errors[f.id] = message("required", lang)
            else:
                cleaned[f.id] = [] if f.type == "users" else None
            continue
        try:
            converted = _convert(f, value, lookups)
            _check_constraints(f, converted)
        except _Invalid as exc:
            errors[f.id] = message(exc.code, lang, **exc.params)
            continue
        if f.required and _is_blank(converted):
            errors[f.id] = message("required", lang)
            continue
        cleaned[f.id] = converted
    for name, value in submitted.items():
        if name in known:
            continue
        if allow_extra:
            cleaned[name] = value
        elif form.fields:
            errors[name] = message("unknown_field", lang)
    if errors:
        raise FormInvalidError(errors)
    return cleaned
