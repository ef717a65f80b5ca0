"""Rules for generated forms (camunda:formData) on user tasks and start events."""

from __future__ import annotations

import keyword
import re

from supervision.engine import juel
from supervision.engine.lint.base import RESERVED_VARIABLES
from supervision.engine.lint.base import LintBase

FORM_FIELD_TYPES = frozenset(
    {
        "string",
        "textarea",
        "long",
        "double",
        "boolean",
        "date",
        "datetime",
        "enum",
        "group",
        "user",
        "users",
    }
)
CONSTRAINTS = frozenset({"required", "minlength", "maxlength", "min", "max", "readonly", "pattern"})
NUMERIC_CONSTRAINTS = frozenset({"minlength", "maxlength", "min", "max"})
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class FormRules(LintBase):
    def check_form(self, node) -> None:
        seen: set[str] = set()
        for field in self.xpath(
            node, "./bpmn:extensionElements/camunda:formData/camunda:formField"
        ):
            fid = field.get("id") or ""
            if not _IDENTIFIER.match(fid) or keyword.iskeyword(fid):
                self.error(
                    field,
                    f"form field id {fid!r} must be a name of letters, digits and _ "
                    "starting with a letter",
                    "form",
                )
            elif fid in RESERVED_VARIABLES:
                self.error(
                    field, f"form field id '{fid}' is reserved (a function or engine name)", "form"
                )
            if fid in seen:
                self.error(field, f"form field '{fid}' is defined twice", "form")
            seen.add(fid)
            ftype = field.get("type") or "string"
            if ftype not in FORM_FIELD_TYPES:
                self.error(
                    field,
                    f"form field '{fid}' has unsupported type '{ftype}' "
                    f"(supported: {', '.join(sorted(FORM_FIELD_TYPES))})",
                    "form",
                )
            values = self.xpath(field, "./camunda:value")
            if ftype == "enum" and not values:
                self.error(field, f"enum field '{fid}' has no values", "form")
            self._check_constraints(field, fid)
            self._check_default(field, fid, ftype, {v.get("id") for v in values})

    def _check_constraints(self, field, fid: str) -> None:
        for constraint in self.xpath(field, "./camunda:validation/camunda:constraint"):
            name = constraint.get("name")
            config = constraint.get("config")
            if name not in CONSTRAINTS:
                self.error(
                    constraint,
                    f"unsupported constraint '{name}' on field '{fid}' "
                    f"(supported: {', '.join(sorted(CONSTRAINTS))})",
                    "form",
                )
            elif name in NUMERIC_CONSTRAINTS:
                try:
                    float(config)
                except (TypeError, ValueError):
                    self.error(
                        constraint,
                        f"constraint {name} of field '{fid}' needs a number, got {config!r}",
                        "form",
                    )
            elif name == "pattern":
                try:
                    re.compile(config or "")
                except re.error as exc:
                    self.error(constraint, f"pattern of field '{fid}' is invalid: {exc}", "form")

    def _check_default(self, field, fid: str, ftype: str, option_ids: set) -> None:
        default = field.get("defaultValue")
        if default in (None, ""):
            return
        if juel.is_juel(default):
            self.check_translation(field, "value", default, f"default of field '{fid}'")
        elif ftype == "enum" and default not in option_ids:
            self.error(
                field, f"default '{default}' of field '{fid}' is not one of its values", "form"
            )
        elif ftype == "long" and not re.fullmatch(r"-?\d+", default.strip()):
            self.error(field, f"default '{default}' of field '{fid}' is not a whole number", "form")
        elif ftype == "boolean" and default.strip().lower() not in ("true", "false"):
            self.error(field, f"default '{default}' of field '{fid}' is not true/false", "form")
