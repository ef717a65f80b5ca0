"""Rules for activities: user tasks, scripts, handlers, call activities, multi-instance,
input/output mappings."""

from __future__ import annotations

import re

from supervision.engine import juel
from supervision.engine import timers
from supervision.engine.lint.base import C
from supervision.engine.lint.forms import FormRules
from supervision.engine.sandbox import check_expression

ASSIGNMENT = ("assignee", "candidateUsers", "candidateGroups")
USER_TASK_EXPRESSIONS = ASSIGNMENT + ("dueDate", "followUpDate", "priority")
PYTHON_SCRIPT_FORMATS = frozenset({"", "python", "python3", "py"})
HANDLER_ATTRIBUTES = ("delegateExpression", "expression", "class", "type")
_HANDLER = re.compile(
    r"\s*(?:[$#]\{\s*)?([A-Za-z][A-Za-z0-9_.]*)\s*(\((.*)\))?\s*\}?\s*", flags=re.S
)


class TaskRules(FormRules):
    # -- user tasks --------------------------------------------------------------
    def on_userTask(self, node) -> None:
        for attr in USER_TASK_EXPRESSIONS:
            value = node.get(f"{C}{attr}")
            if value not in (None, ""):
                self.check_translation(node, "value", value, f"camunda:{attr}")
        priority = node.get(f"{C}priority")
        if priority and not juel.is_juel(priority) and not priority.strip().isdigit():
            self.error(
                node, f"camunda:priority must be a number or ${{...}}: {priority!r}", "priority"
            )
        for attr in ("dueDate", "followUpDate"):
            value = (node.get(f"{C}{attr}") or "").strip()
            if value and not juel.is_juel(value):
                kind = "timeDuration" if value.upper().startswith("P") else "timeDate"
                problem = timers.literal_problem(kind, value)
                if problem:
                    self.error(node, f"camunda:{attr}: {problem}", "due-date-invalid")
        for attr in ("formKey", "formRef"):
            value = node.get(f"{C}{attr}")
            if value and not self.xpath(node, "./bpmn:extensionElements/camunda:formData"):
                self.error(
                    node,
                    f"camunda:{attr}='{value}' is not supported: define the form "
                    "with camunda:formData (generated form)",
                    "form",
                )
            elif value:
                self.warning(
                    node,
                    f"camunda:{attr} is ignored; the generated form from camunda:formData is shown",
                    "ignored-attribute",
                )
        self.check_form(node)

    def check_assignment(self, node, lane_name: str | None) -> None:
        attrs = {a: node.get(f"{C}{a}") for a in ASSIGNMENT}
        if not any(attrs.values()):
            if lane_name is None:
                self.error(
                    node,
                    "the user task has no camunda:candidateGroups, candidateUsers or "
                    "assignee, and is in no lane: nobody would see it",
                    "user-task-unassigned",
                )
                return
            if (
                self.ctx.known_groups is not None
                and lane_name not in self.ctx.known_groups
                and lane_name not in self.ctx.known_group_names
            ):
                self.error(
                    node,
                    f"the user task has no candidate group and its lane "
                    f"'{lane_name}' names no known group",
                    "unknown-group",
                )
            return
        groups = attrs["candidateGroups"]
        if groups and self.ctx.known_groups is not None and not juel.is_juel(groups):
            for code in (g.strip() for g in groups.split(",")):
                if code and code not in self.ctx.known_groups:
                    self.error(
                        node, f"unknown group '{code}' in camunda:candidateGroups", "unknown-group"
                    )

    def on_startEvent(self, node) -> None:
        self.check_form(node)

    # -- scripts -----------------------------------------------------------------
    def on_scriptTask(self, node) -> None:
        fmt = (node.get("scriptFormat") or "").strip().lower()
        if fmt not in PYTHON_SCRIPT_FORMATS:
            self.error(
                node,
                f"scriptFormat '{node.get('scriptFormat')}' is not supported: scripts are Python",
                "script-language",
            )
            return
        if node.get(f"{C}resource"):
            self.error(
                node,
                "camunda:resource scripts are not supported: write the script inline",
                "script-resource",
            )
            return
        if node.get(f"{C}resultVariable"):
            self.error(
                node,
                "camunda:resultVariable on a script task is not supported: assign the "
                "variable in the script",
                "script-result-variable",
            )
        script = self.xpath(node, "./bpmn:script")
        text = script[0].text if script else None
        if not text or not text.strip():
            self.error(node, "the script task has no script", "script-empty")
            return
        self.check_script_text(script[0], text, "script")

    # -- handlers ------------------------------------------------------------------
    def on_serviceTask(self, node) -> None:
        self.check_handler(node)

    def on_sendTask(self, node) -> None:
        if any(node.get(f"{C}{a}") for a in HANDLER_ATTRIBUTES):
            self.check_handler(node)

    def on_businessRuleTask(self, node) -> None:
        if node.get(f"{C}decisionRef") is None:
            self.error(
                node,
                "a business rule task needs camunda:decisionRef (a DMN decision)",
                "decision-missing",
            )

    def check_handler(self, node) -> None:
        get = lambda name: node.get(f"{C}{name}")  # noqa: E731
        if get("type") == "external":
            name = (get("topic") or "").strip()
            if not name:
                self.error(node, 'camunda:type="external" needs a camunda:topic', "handler-missing")
                return
        elif get("type"):
            self.error(
                node,
                f"camunda:type='{get('type')}' is not supported (only \"external\")",
                "handler-missing",
            )
            return
        else:
            text = get("delegateExpression") or get("expression") or get("class")
            if not text:
                self.error(
                    node,
                    "a service task needs camunda:delegateExpression, "
                    "camunda:expression, camunda:class or an external topic",
                    "handler-missing",
                )
                return
            match = _HANDLER.fullmatch(text)
            if not match:
                self.error(node, f"cannot read a handler name from {text!r}", "handler-missing")
                return
            name = match.group(1)
            if match.group(3) and match.group(3).strip():
                self._check_handler_args(node, match.group(3))
        if name not in self.ctx.handler_names:
            known = ", ".join(sorted(self.ctx.handler_names)) or "none"
            self.error(
                node, f"unknown handler '{name}' (registered handlers: {known})", "unknown-handler"
            )
        for field in self.xpath(node, "./bpmn:extensionElements/camunda:field"):
            expression = field.get("expression")
            nested = self.xpath(field, "./camunda:expression")
            if expression is None and nested:
                expression = nested[0].text or ""
            if expression is not None:
                self.check_translation(field, "value", expression, f"field {field.get('name')}")

    def _check_handler_args(self, node, args_text: str) -> None:
        try:
            python = juel.translate(
                "${handler_args(" + args_text + ")}", self.ctx.functions | {"handler_args"}
            )
        except juel.JuelError as exc:
            self.error(node, f"handler arguments: {exc}", "expression-invalid")
            return
        problem = check_expression(python)
        if problem:
            self.error(node, f"handler arguments do not compile: {problem}", "expression-invalid")

    # -- call activities ---------------------------------------------------------------
    def on_callActivity(self, node) -> None:
        binding = node.get(f"{C}calledElementBinding")
        if binding not in (None, "", "latest"):
            self.error(
                node,
                f"calledElementBinding '{binding}' is not supported: the latest "
                "version deployed when the case starts is called",
                "call-activity",
            )
        for attr in ("variableMappingClass", "variableMappingDelegateExpression"):
            if node.get(f"{C}{attr}"):
                self.error(
                    node,
                    f"camunda:{attr} is not supported; use camunda:in/camunda:out",
                    "call-activity",
                )
        if not node.get("calledElement"):
            self.error(
                node, "the call activity names no called process (calledElement)", "call-activity"
            )
        elif juel.is_juel(node.get("calledElement")):
            self.error(
                node,
                "calledElement must name the process; an expression cannot be checked at deploy",
                "call-activity",
            )
        mappings = self.xpath(node, "./bpmn:extensionElements/camunda:in")
        if not [m for m in mappings if m.get("businessKey") is None]:
            self.warning(
                node,
                "the call activity passes no variables to the called process "
                '(add camunda:in variables="all" or source/target mappings)',
                "call-activity-no-variables",
            )
        for mapping in self.xpath(
            node, "./bpmn:extensionElements/camunda:in | ./bpmn:extensionElements/camunda:out"
        ):
            self._check_mapping(mapping)

    def _check_mapping(self, mapping) -> None:
        what = f"camunda:{mapping.tag.split('}')[-1]}"
        if mapping.get("businessKey") is not None:
            return  # the called process runs inside this case and shares its key
        if mapping.get("variables") not in (None, "all"):
            self.error(
                mapping,
                f"{what} variables='{mapping.get('variables')}' is not supported (use 'all')",
                "mapping-invalid",
            )
        elif mapping.get("variables") is None:
            source = mapping.get("source")
            expression = mapping.get("sourceExpression")
            if source is None and expression is None:
                self.error(mapping, f"{what} needs source or sourceExpression", "mapping-invalid")
            if expression is not None:
                self.check_translation(mapping, "value", expression, f"{what} sourceExpression")
                if not mapping.get("target"):
                    self.error(
                        mapping, f"{what} with a sourceExpression needs a target", "mapping-invalid"
                    )

    # -- multi-instance ----------------------------------------------------------------
    def on_multiInstanceLoopCharacteristics(self, node) -> None:
        collection = node.get(f"{C}collection")
        cardinality = self.xpath(node, "./bpmn:loopCardinality")
        if collection is None and not cardinality:
            self.error(
                node,
                "a multi-instance activity needs camunda:collection or a loopCardinality",
                "multi-instance",
            )
        if collection is not None:
            self.check_translation(node, "collection", collection, "camunda:collection")
        element = node.get(f"{C}elementVariable")
        if element and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", element):
            self.error(
                node,
                f"camunda:elementVariable {element!r} is not a variable name",
                "multi-instance",
            )
        for child, what in (
            ("loopCardinality", "loopCardinality"),
            ("completionCondition", "completionCondition"),
        ):
            for item in self.xpath(node, f"./bpmn:{child}"):
                self.check_translation(item, "expression", item.text, what)

    # -- input/output mappings ----------------------------------------------------------
    def check_io_parameters(self, node) -> None:
        for param in self.xpath(node, "./bpmn:extensionElements/camunda:inputOutput/*"):
            name = param.get("name")
            what = f"{param.tag.split('}')[-1]} {name}"
            if not name or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                self.error(param, f"{what}: the name must be a variable name", "io-invalid")
            children = [c for c in param if isinstance(c.tag, str)]
            if not children:
                if param.text and param.text.strip():
                    self.check_translation(param, "value", param.text, what)
                continue
            self._check_io_value(children[0], what)

    def _check_io_value(self, value, what: str) -> None:
        local = value.tag.split("}")[-1]
        if local == "script":
            fmt = (value.get("scriptFormat") or "").lower()
            if fmt not in ("", "python", "juel"):
                self.error(value, f"{what}: scriptFormat '{fmt}' is not supported", "io-invalid")
            elif value.get("resource"):
                self.error(value, f"{what}: script resources are not supported", "io-invalid")
            else:
                self.check_translation(value, "expression", value.text or "None", what)
        elif local in ("list", "map"):
            for item in (c for c in value if isinstance(c.tag, str)):
                inner = [c for c in item if isinstance(c.tag, str)]
                if inner:
                    self._check_io_value(inner[0], what)
                elif item.text and item.text.strip():
                    self.check_translation(item, "value", item.text, what)
        else:
            self.error(value, f"{what}: <camunda:{local}> is not supported", "io-invalid")
