"""Deploy-time checks on Camunda Modeler XML: everything the engine would get wrong quietly.

The linter runs on the lxml tree before SpiffWorkflow parses it, so it can report every
problem in a file at once (Spiff stops at the first). Each Problem names the resource, the
element id and the source line. Errors block the deployment; warnings are returned too.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from supervision.engine import expressions
from supervision.engine import juel
from supervision.engine.scripting import check_expression
from supervision.engine.scripting import check_script
from supervision.errors import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "camunda": CAMUNDA_NS}
_B = f"{{{BPMN_NS}}}"
_C = f"{{{CAMUNDA_NS}}}"

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
FLOW_NODES = (
    "task",
    "userTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "manualTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
    "adHocSubProcess",
    "transaction",
)
RESERVED_VARIABLES = (
    frozenset({"typename", "handler_args", "result"})
    | frozenset(juel.HELPERS)
    | expressions.FUNCTION_NAMES
)
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass
class LintContext:
    resource: str
    known_groups: frozenset[str] | None  # None: do not check group codes
    known_group_names: dict[str, str]  # Chinese name -> code (lanes may use names)
    handler_names: frozenset[str]
    functions: frozenset[str] = expressions.FUNCTION_NAMES


class Linter:
    def __init__(self, tree: etree._ElementTree, ctx: LintContext) -> None:
        self.root = tree.getroot() if hasattr(tree, "getroot") else tree
        self.ctx = ctx
        self.problems: list[Problem] = []

    # -- reporting ------------------------------------------------------------
    def error(self, node, message: str) -> None:
        self._add(node, message, "error")

    def warning(self, node, message: str) -> None:
        self._add(node, message, "warning")

    def _add(self, node, message: str, severity: str) -> None:
        element = node
        while element is not None and element.get("id") is None:
            element = element.getparent()
        element_id = element.get("id") if element is not None else None
        self.problems.append(
            Problem(
                message=message,
                resource=self.ctx.resource,
                element_id=element_id,
                line=getattr(node, "sourceline", None),
                severity=severity,
                element_ids=[element_id] if element_id else [],
            )
        )

    def xpath(self, node, path: str) -> list:
        return node.xpath(path, namespaces=NS)

    # -- expression checks -----------------------------------------------------
    def check_translation(self, node, kind: str, text: str | None, what: str) -> str | None:
        if text is None:
            return None
        convert: Callable[..., str | None] = {
            "value": expressions.value_to_python,
            "expression": expressions.expression_to_python,
            "timer": expressions.timer_to_python,
        }[kind]
        try:
            python = convert(text, self.ctx.functions)
        except juel.JuelError as exc:
            self.error(node, f"{what}: {exc}")
            return None
        except ValueError as exc:
            self.error(node, f"{what}: {exc}")
            return None
        if python is not None:
            problem = check_expression(python)
            if problem:
                self.error(node, f"{what} is not a valid expression ({problem}): {text.strip()!r}")
                return None
        return python

    # -- the run ---------------------------------------------------------------
    def run(self) -> list[Problem]:
        processes = self.xpath(self.root, "./bpmn:process")
        executable = [p for p in processes if p.get("isExecutable", "false") == "true"]
        if not processes:
            self.error(self.root, "the file contains no process")
        elif not executable:
            self.error(
                processes[0],
                "no process is executable: tick 'Executable' in Camunda Modeler",
            )
        for process in executable:
            self.check_process(process)
        self.check_layout()
        return self.problems

    def check_process(self, process) -> None:
        lanes = self._lane_of(process)
        for node in process.iter():
            if not isinstance(node.tag, str) or not node.tag.startswith(_B):
                if isinstance(node.tag, str) and node.tag.startswith(_C):
                    self.check_camunda_element(node)
                continue
            local = node.tag[len(_B) :]
            method = getattr(self, f"on_{local}", None)
            if method is not None:
                method(node)
            if local in ("userTask",):
                self.check_assignment(node, lanes.get(node.get("id")))

    # -- unsupported constructs ------------------------------------------------
    def on_complexGateway(self, node) -> None:
        self.error(node, "complex gateways are not supported; use exclusive or inclusive gateways")

    def on_adHocSubProcess(self, node) -> None:
        self.error(node, "ad-hoc subprocesses are not supported")

    def on_compensateEventDefinition(self, node) -> None:
        self.error(node, "compensation is not supported")

    def on_linkEventDefinition(self, node) -> None:
        self.error(
            node,
            "link events are not supported (a link throw would silently end the path);"
            " draw the sequence flow instead",
        )

    def on_conditionalEventDefinition(self, node) -> None:
        self.error(node, "conditional events are not supported; use a gateway or a timer")

    def check_camunda_element(self, node) -> None:
        local = node.tag[len(_C) :]
        if local in ("taskListener", "executionListener"):
            self.error(node, f"camunda:{local} is not supported; use a service task with a handler")
        elif local == "connector":
            self.error(
                node, "camunda:connector is not supported; use a service task with a handler"
            )

    def on_subProcess(self, node) -> None:
        if node.get("triggeredByEvent") == "true":
            for start in self.xpath(node, "./bpmn:startEvent"):
                if start.get("isInterrupting", "true") != "false":
                    self.error(
                        start,
                        "interrupting event subprocesses are not supported (they would run "
                        "beside the main flow without cancelling it); make the start event "
                        "non-interrupting or use an interrupting boundary event",
                    )

    def on_task(self, node) -> None:
        if node.get("isForCompensation") == "true":
            self.error(node, "compensation is not supported")

    # -- flows and gateways ----------------------------------------------------
    def on_sequenceFlow(self, node) -> None:
        for cond in self.xpath(node, "./bpmn:conditionExpression"):
            language = (cond.get("language") or "").lower()
            if language not in ("", "python", "juel"):
                self.error(cond, f"condition language '{cond.get('language')}' is not supported")
                continue
            if cond.get(f"{_C}resource"):
                self.error(cond, "external condition scripts (camunda:resource) are not supported")
                continue
            text = cond.text or ""
            if not text.strip():
                self.error(cond, "empty condition expression")
                continue
            self.check_translation(cond, "expression", text, "condition")

    # -- tasks ---------------------------------------------------------------
    def on_scriptTask(self, node) -> None:
        fmt = (node.get("scriptFormat") or "").strip().lower()
        if fmt not in ("", "python", "python3", "py"):
            self.error(
                node,
                f"scriptFormat '{node.get('scriptFormat')}' is not supported: scripts are Python",
            )
            return
        if node.get(f"{_C}resource"):
            self.error(node, "camunda:resource scripts are not supported: write the script inline")
            return
        if node.get(f"{_C}resultVariable"):
            self.error(
                node,
                "camunda:resultVariable on a script task is not supported: assign the "
                "variable in the script",
            )
        script = self.xpath(node, "./bpmn:script")
        text = script[0].text if script else None
        if not text or not text.strip():
            self.error(node, "the script task has no script")
            return
        problem = check_script(text)
        if problem:
            self.error(script[0], f"script does not compile: {problem}")

    def on_serviceTask(self, node) -> None:
        self.check_handler(node)

    def on_sendTask(self, node) -> None:
        attrs = {k[len(_C) :] for k in node.attrib if k.startswith(_C)}
        if attrs & {"delegateExpression", "expression", "class", "type"}:
            self.check_handler(node)

    def on_businessRuleTask(self, node) -> None:
        if node.get(f"{_C}decisionRef") is None:
            self.error(node, "a business rule task needs camunda:decisionRef (a DMN decision)")

    def check_handler(self, node) -> None:
        get = lambda name: node.get(f"{_C}{name}")  # noqa: E731
        if get("type") == "external":
            name = (get("topic") or "").strip()
            if not name:
                self.error(node, 'camunda:type="external" needs a camunda:topic')
                return
        else:
            text = get("delegateExpression") or get("expression") or get("class")
            if not text:
                self.error(
                    node,
                    "a service task needs camunda:delegateExpression, "
                    "camunda:expression, camunda:class or an external topic",
                )
                return
            match = re.fullmatch(
                r"\s*(?:[$#]\{\s*)?([A-Za-z][A-Za-z0-9_.]*)\s*(\((.*)\))?\s*\}?\s*",
                text,
                flags=re.S,
            )
            if not match:
                self.error(node, f"cannot read a handler name from {text!r}")
                return
            name = match.group(1)
            if match.group(3) and match.group(3).strip():
                self._check_handler_args(node, match.group(3))
        if name not in self.ctx.handler_names:
            known = ", ".join(sorted(self.ctx.handler_names)) or "none"
            self.error(node, f"unknown handler '{name}' (registered handlers: {known})")
        for field in self.xpath(node, "./bpmn:extensionElements/camunda:field"):
            expr = field.get("expression")
            if expr is not None:
                self.check_translation(field, "value", expr, f"field {field.get('name')}")

    def _check_handler_args(self, node, args_text: str) -> None:
        try:
            python = juel.translate(
                "${handler_args(" + args_text + ")}", self.ctx.functions | {"handler_args"}
            )
        except juel.JuelError as exc:
            self.error(node, f"handler arguments: {exc}")
            return
        problem = check_expression(python)
        if problem:
            self.error(node, f"handler arguments do not compile: {problem}")

    def on_callActivity(self, node) -> None:
        binding = node.get(f"{_C}calledElementBinding")
        if binding not in (None, "", "latest"):
            self.error(
                node,
                f"calledElementBinding '{binding}' is not supported: the latest "
                "version deployed when the case starts is called",
            )
        if not node.get("calledElement"):
            self.error(node, "the call activity names no called process (calledElement)")
        mappings = self.xpath(node, "./bpmn:extensionElements/camunda:in")
        if not [m for m in mappings if m.get("businessKey") is None]:
            self.warning(
                node,
                "the call activity passes no variables to the called process "
                '(add camunda:in variables="all" or source/target mappings)',
            )
        for m in self.xpath(
            node, "./bpmn:extensionElements/camunda:in | ./bpmn:extensionElements/camunda:out"
        ):
            if m.get("sourceExpression") is not None:
                self.check_translation(m, "value", m.get("sourceExpression"), "sourceExpression")
            if m.get("variables") not in (None, "all"):
                self.error(m, f"variables='{m.get('variables')}' is not supported (use 'all')")
            if m.get("local") == "true":
                self.warning(m, "local='true' is ignored")

    def on_multiInstanceLoopCharacteristics(self, node) -> None:
        collection = node.get(f"{_C}collection")
        if collection is not None:
            try:
                python = expressions.collection_to_python(collection, self.ctx.functions)
            except ValueError as exc:  # JuelError is a ValueError
                self.error(node, f"camunda:collection: {exc}")
            else:
                problem = check_expression(python)
                if problem:
                    self.error(node, f"camunda:collection does not compile ({problem})")
        for child, what in (
            ("loopCardinality", "loopCardinality"),
            ("completionCondition", "completionCondition"),
        ):
            for item in self.xpath(node, f"./bpmn:{child}"):
                self.check_translation(item, "expression", item.text, what)

    def check_inputOutput_params(self, node) -> None:
        for param in self.xpath(node, "./bpmn:extensionElements/camunda:inputOutput/*"):
            if param.text and param.text.strip() and not len(param):
                self.check_translation(param, "value", param.text, f"parameter {param.get('name')}")
            for script in self.xpath(param, "./camunda:script"):
                fmt = (script.get("scriptFormat") or "").lower()
                if fmt not in ("", "python", "juel"):
                    self.error(script, f"scriptFormat '{fmt}' is not supported")

    # -- events --------------------------------------------------------------
    def on_timerEventDefinition(self, node) -> None:
        parts = [c for c in node if isinstance(c.tag, str) and c.tag.startswith(_B)]
        if not parts:
            self.error(node, "the timer has no timeDate, timeDuration or timeCycle")
            return
        for part in parts:
            text = (part.text or "").strip()
            if not text:
                self.error(part, "empty timer value")
                continue
            local = part.tag[len(_B) :]
            python = self.check_translation(part, "timer", text, local)
            if python is None:
                continue
            if not (juel.is_juel(text) or expressions.is_iso_timer_literal(text)):
                if re.fullmatch(r"[0-9PTRWYMDHS/:+\-.Z]+", text):
                    self.error(part, f"{local} {text!r} is not a valid ISO-8601 value")
            elif local == "timeDuration" and re.fullmatch(r"P\d+D", text):
                self.warning(
                    part,
                    f"{text} counts calendar days; for working days write "
                    f"${{workdays({text[1:-1]})}}",
                )

    def on_messageEventDefinition(self, node) -> None:
        expr = node.get(f"{_C}expression")
        if expr:
            self.check_translation(node, "value", expr, "message payload (camunda:expression)")

    def on_startEvent(self, node) -> None:
        self.check_form(node)
        self.check_inputOutput_params(node)

    def on_intermediateThrowEvent(self, node) -> None:
        self.check_inputOutput_params(node)

    # -- user tasks and forms ------------------------------------------------
    def on_userTask(self, node) -> None:
        for attr in (
            "assignee",
            "candidateUsers",
            "candidateGroups",
            "dueDate",
            "followUpDate",
            "priority",
        ):
            value = node.get(f"{_C}{attr}")
            if value not in (None, ""):
                self.check_translation(node, "value", value, f"camunda:{attr}")
        priority = node.get(f"{_C}priority")
        if priority and not juel.is_juel(priority) and not priority.strip().isdigit():
            self.error(node, f"camunda:priority must be a number or ${{...}}: {priority!r}")
        for attr in ("formKey", "formRef"):
            value = node.get(f"{_C}{attr}")
            if value and not self.xpath(node, "./bpmn:extensionElements/camunda:formData"):
                self.error(
                    node,
                    f"camunda:{attr}='{value}' is not supported: define the form "
                    "with camunda:formData (generated form)",
                )
            elif value:
                self.warning(
                    node,
                    f"camunda:{attr} is ignored; the generated form from camunda:formData is shown",
                )
        self.check_form(node)
        self.check_inputOutput_params(node)

    def check_assignment(self, node, lane_name: str | None) -> None:
        attrs = {a: node.get(f"{_C}{a}") for a in ("assignee", "candidateUsers", "candidateGroups")}
        if not any(attrs.values()):
            if lane_name is None:
                self.error(
                    node,
                    "the user task has no camunda:candidateGroups, candidateUsers or "
                    "assignee, and is in no lane: nobody would see it",
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
                )
            return
        groups = attrs["candidateGroups"]
        if groups and self.ctx.known_groups is not None and not juel.is_juel(groups):
            for code in (g.strip() for g in groups.split(",")):
                if code and code not in self.ctx.known_groups:
                    self.error(node, f"unknown group '{code}' in camunda:candidateGroups")

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
                )
            elif fid in RESERVED_VARIABLES:
                self.error(field, f"form field id '{fid}' is reserved (a function or engine name)")
            if fid in seen:
                self.error(field, f"form field '{fid}' is defined twice")
            seen.add(fid)
            ftype = field.get("type") or "string"
            if ftype not in FORM_FIELD_TYPES:
                self.error(
                    field,
                    f"form field '{fid}' has unsupported type '{ftype}' "
                    f"(supported: {', '.join(sorted(FORM_FIELD_TYPES))})",
                )
            values = self.xpath(field, "./camunda:value")
            if ftype == "enum" and not values:
                self.error(field, f"enum field '{fid}' has no values")
            option_ids = {v.get("id") for v in values}
            for constraint in self.xpath(field, "./camunda:validation/camunda:constraint"):
                name = constraint.get("name")
                config = constraint.get("config")
                if name not in CONSTRAINTS:
                    self.error(
                        constraint,
                        f"unsupported constraint '{name}' on field '{fid}' "
                        f"(supported: {', '.join(sorted(CONSTRAINTS))})",
                    )
                elif name in NUMERIC_CONSTRAINTS:
                    try:
                        float(config)
                    except (TypeError, ValueError):
                        self.error(
                            constraint,
                            f"constraint {name} of field '{fid}' needs a number, got {config!r}",
                        )
                elif name == "pattern":
                    try:
                        re.compile(config or "")
                    except re.error as exc:
                        self.error(constraint, f"pattern of field '{fid}' is invalid: {exc}")
            default = field.get("defaultValue")
            if default not in (None, "") and not juel.is_juel(default):
                if ftype == "enum" and default not in option_ids:
                    self.error(
                        field, f"default '{default}' of field '{fid}' is not one of its values"
                    )
                elif ftype in ("long",) and not re.fullmatch(r"-?\d+", default.strip()):
                    self.error(field, f"default '{default}' of field '{fid}' is not a whole number")
                elif ftype == "boolean" and default.strip().lower() not in ("true", "false"):
                    self.error(field, f"default '{default}' of field '{fid}' is not true/false")
            elif default and juel.is_juel(default):
                self.check_translation(field, "value", default, f"default of field '{fid}'")

    # -- layout -----------------------------------------------------------------
    def check_layout(self) -> None:
        shapes = {s.get("bpmnElement") for s in self.xpath(self.root, ".//bpmndi:BPMNShape")}
        edges = {e.get("bpmnElement") for e in self.xpath(self.root, ".//bpmndi:BPMNEdge")}
        if not shapes and not edges:
            self.warning(
                self.root, "the file has no diagram layout (BPMNDI): the case page cannot draw it"
            )
            return
        for process in self.xpath(self.root, "./bpmn:process"):
            for local in FLOW_NODES:
                for node in self.xpath(process, f".//bpmn:{local}"):
                    if node.get("id") not in shapes:
                        self.warning(
                            node, f"{local} '{node.get('id')}' has no shape in the diagram"
                        )
            for flow in self.xpath(process, ".//bpmn:sequenceFlow"):
                if flow.get("id") not in edges:
                    self.warning(
                        flow, f"sequence flow '{flow.get('id')}' has no edge in the diagram"
                    )

    # -- helpers --------------------------------------------------------------
    def _lane_of(self, process) -> dict[str, str]:
        lanes: dict[str, str] = {}
        for lane in self.xpath(process, ".//bpmn:lane"):
            for ref in self.xpath(lane, "./bpmn:flowNodeRef"):
                if ref.text:
                    lanes[ref.text.strip()] = lane.get("name") or lane.get("id")
        return lanes


def lint_tree(tree, ctx: LintContext) -> list[Problem]:
    return Linter(tree, ctx).run()


def element_lines(tree) -> dict[str, int]:
    """id -> source line, so problems found on specs can point into the file."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    return {
        el.get("id"): el.sourceline
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("id")
    }


def unique(problems: Iterable[Problem]) -> list[Problem]:
    seen = set()
    result = []
    for p in problems:
        key = (p.resource, p.element_id, p.message, p.severity)
        if key not in seen:
            seen.add(key)
            result.append(p)
    return result
