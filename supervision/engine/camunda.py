"""Parse Camunda 7 Modeler diagrams into SpiffWorkflow specs, keeping what Camunda means.

The stock CamundaParser reads forms and properties but drops assignment, due dates,
priority, I/O mappings, call-activity variable passing and service-task handlers, and it
evaluates JUEL as Python. These subclasses read all of it, translate every expression to
Python once (supervision.engine.expressions) and keep the results in the serialisable
spec (task_spec.extensions or attributes of our own spec classes).

Camunda attributes are read here and nowhere else.
"""

from __future__ import annotations

import re

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser as SpiffReceiveTaskParser
from SpiffWorkflow.bpmn.parser.event_parsers import SendTaskParser as SpiffSendTaskParser
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway
from SpiffWorkflow.bpmn.specs.defaults import IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.defaults import IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.defaults import ManualTask
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask
from SpiffWorkflow.bpmn.specs.defaults import SendTask
from SpiffWorkflow.bpmn.specs.defaults import SubWorkflowTask as EmbeddedSubprocess
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaBoundaryEventParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEventDefinitionParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaIntermediateCatchEventParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaIntermediateThrowEventParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaStartEventParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.camunda.parser.task_spec import ScriptTaskParser as CamundaScriptTaskParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser as CamundaUserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from supervision.engine import expressions
from supervision.engine import juel
from supervision.engine.multiinstance import ParallelMultiInstanceTask
from supervision.engine.multiinstance import SequentialMultiInstanceTask
from supervision.engine.specs import CallActivity
from supervision.engine.specs import EventSubprocess
from supervision.engine.specs import MessageEventDefinition
from supervision.engine.specs import ServiceTask
from supervision.engine.specs import StartEvent
from supervision.engine.timers import TIMER_CLASSES

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_C = f"{{{CAMUNDA_NS}}}"
_B = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ASSIGNMENT_ATTRIBUTES = (
    "assignee",
    "candidateUsers",
    "candidateGroups",
    "dueDate",
    "followUpDate",
    "priority",
)
PYTHON_SCRIPT_FORMATS = frozenset({"", "python", "python3", "py"})


def camunda_attributes(node) -> dict[str, str]:
    return {k[len(_C) :]: v for k, v in node.attrib.items() if k.startswith(_C)}


def form_fields_to_dicts(parser, node) -> list[dict]:
    """camunda:formData/formField as plain dicts (used for start forms)."""
    fields = []
    for xml_field in parser._xpath(
        node, "./bpmn:extensionElements/camunda:formData/camunda:formField"
    ):
        field = {
            "id": xml_field.get("id"),
            "label": xml_field.get("label"),
            "type": xml_field.get("type") or "string",
            "default": xml_field.get("defaultValue"),
            "options": [],
            "validation": [],
            "properties": {},
        }
        for child in xml_field:
            if child.tag == f"{_C}value":
                field["options"].append({"id": child.get("id"), "name": child.get("name")})
            elif child.tag == f"{_C}validation":
                field["validation"] = [
                    {"name": v.get("name"), "config": v.get("config")} for v in child
                ]
            elif child.tag == f"{_C}properties":
                field["properties"] = {p.get("id"): p.get("value") for p in child}
        fields.append(field)
    return fields


class _Translating:
    """Translation helpers that turn JUEL errors into ValidationExceptions on this node."""

    @property
    def _functions(self) -> frozenset[str]:
        return getattr(self.process_parser.parser, "functions", expressions.FUNCTION_NAMES)

    def _translate(self, kind: str, text: str | None, what: str) -> str | None:
        convert = {
            "value": expressions.value_to_python,
            "expression": expressions.expression_to_python,
            "timer": expressions.timer_to_python,
        }[kind]
        try:
            return convert(text, self._functions)
        except (juel.JuelError, ValueError) as exc:
            raise ValidationException(
                f"{what}: {exc}", node=self.node, file_name=self.filename
            ) from exc

    def _parse_io(self) -> dict:
        io: dict = {"inputs": {}, "outputs": {}}
        base = "./bpmn:extensionElements/camunda:inputOutput"
        for kind, tag in (("inputs", "inputParameter"), ("outputs", "outputParameter")):
            for param in self.xpath(f"{base}/camunda:{tag}"):
                name = param.get("name")
                io[kind][name] = self._parameter_to_python(param, f"{tag} {name}")
        return io if io["inputs"] or io["outputs"] else {}

    def _parameter_to_python(self, param, what: str) -> str:
        children = [c for c in param if isinstance(c.tag, str)]
        if not children:
            return self._translate("value", param.text or "", what)
        child = children[0]
        local = child.tag.split("}")[-1]
        if local == "list":
            items = [self._parameter_to_python(v, what) for v in child if isinstance(v.tag, str)]
            return "[" + ", ".join(items) + "]"
        if local == "map":
            entries = [
                f"{e.get('key')!r}: {self._parameter_to_python(e, what)}"
                for e in child
                if isinstance(e.tag, str)
            ]
            return "{" + ", ".join(entries) + "}"
        if local == "script":
            return self._translate("expression", child.text or "None", what)
        return self._translate("value", child.text or "", what)

    def _common_extensions(self) -> dict:
        properties = {
            p.get("name"): p.get("value")
            for p in self.xpath("./bpmn:extensionElements/camunda:properties/camunda:property")
        }
        ext: dict = {"properties": properties, "camunda": camunda_attributes(self.node)}
        io = self._parse_io()
        if io:
            ext["io"] = io
        return ext

    def _add_multiinstance_task(self, loop_characteristics):
        # Camunda's collection/elementVariable/loopCardinality/completionCondition, with
        # Camunda's variable semantics (supervision.engine.multiinstance).
        sequential = loop_characteristics.get("isSequential") == "true"
        prefix = "bpmn:multiInstanceLoopCharacteristics"
        cardinality = self.xpath(f"./{prefix}/bpmn:loopCardinality")
        cardinality = cardinality[0].text if len(cardinality) > 0 else None
        collection = loop_characteristics.get(f"{_C}collection")
        if cardinality is None and collection is None:
            self.raise_validation_exception(
                "A multi-instance activity needs camunda:collection or a loopCardinality"
            )
        condition = self.xpath(f"./{prefix}/bpmn:completionCondition")
        condition = condition[0].text if len(condition) > 0 else None
        try:
            collection_python = expressions.collection_to_python(collection, self._functions)
        except (juel.JuelError, ValueError) as exc:
            self.raise_validation_exception(f"camunda:collection: {exc}")
        params = {
            "collection": collection_python,
            "cardinality": None
            if collection_python is not None
            else self._translate("expression", cardinality, "loopCardinality"),
            "element_variable": loop_characteristics.get(f"{_C}elementVariable") or None,
            "condition": self._translate("expression", condition, "completionCondition"),
        }
        original = self.spec.task_specs.pop(self.task.name)
        cls = SequentialMultiInstanceTask if sequential else ParallelMultiInstanceTask
        self.task = cls(self.spec, original.name, "", description="MultiInstance", **params)
        self._copy_task_attrs(original, loop_characteristics)


class UserTaskParser(_Translating, CamundaUserTaskParser):
    def parse_extensions(self, node=None):
        ext = self._common_extensions()
        ext["expressions"] = {
            attr: self._translate("value", value, f"camunda:{attr}")
            for attr in ASSIGNMENT_ATTRIBUTES
            if (value := self.node.get(f"{_C}{attr}")) not in (None, "")
        }
        return ext


class PlainTaskParser(_Translating, CamundaTaskParser):
    """task, manualTask: only properties and I/O."""

    def parse_extensions(self, node=None):
        return self._common_extensions()


class ScriptTaskParser(_Translating, CamundaScriptTaskParser):
    def create_task(self):
        script_format = (self.node.get("scriptFormat") or "").strip().lower()
        if script_format not in PYTHON_SCRIPT_FORMATS:
            self.raise_validation_exception(
                f"scriptFormat '{self.node.get('scriptFormat')}' is not supported: "
                "scripts are Python"
            )
        if self.node.get(f"{_C}resource"):
            self.raise_validation_exception(
                "camunda:resource scripts are not supported: write the script inline"
            )
        return super().create_task()

    def parse_extensions(self, node=None):
        return self._common_extensions()


class _HandlerParsing(_Translating):
    """Reads how a service-like task names its handler, and its parameters."""

    def _handler_task(self):
        attrs = camunda_attributes(self.node)
        implementation, operation, call = self._implementation(attrs)
        params = {}
        for field in self.xpath("./bpmn:extensionElements/camunda:field"):
            name = field.get("name")
            string = field.get("stringValue")
            expr = field.get("expression")
            if string is None and expr is None:
                children = [c for c in field if isinstance(c.tag, str)]
                text = children[0].text if children else ""
                if children and children[0].tag == f"{_C}expression":
                    expr = text
                else:
                    string = text
            params[name] = (
                repr(string) if expr is None else self._translate("value", expr, f"field {name}")
            )
        return ServiceTask(
            self.spec,
            self.bpmn_id,
            implementation=implementation,
            operation=operation,
            call=call,
            params=params,
            result_variable=attrs.get("resultVariable"),
            **self.bpmn_attributes,
        )

    def _implementation(self, attrs: dict[str, str]) -> tuple[str, str, str | None]:
        if attrs.get("type") == "external":
            topic = attrs.get("topic")
            if not topic:
                self.raise_validation_exception('camunda:type="external" needs a camunda:topic')
            return "external", topic.strip(), None
        for kind in ("delegateExpression", "expression", "class"):
            text = attrs.get(kind)
            if text:
                return (kind, *self._handler_call(text))
        self.raise_validation_exception(
            "a service task needs camunda:delegateExpression, camunda:expression, "
            'camunda:class or camunda:type="external" with a topic'
        )

    def _handler_call(self, text: str) -> tuple[str, str | None]:
        """Read the handler name and argument expressions of a service task.

        '${notify}' -> ('notify', None); '${notify(a, "x")}' -> ('notify', 'handler_args(a, "x")').

        Arguments are translated like any expression and evaluated by the engine with
        `handler_args` collecting them into a tuple.
        """
        stripped = text.strip()
        inner = stripped
        match = re.fullmatch(r"[$#]\{(.*)\}", stripped, flags=re.S)
        if match:
            inner = match.group(1).strip()
        name_match = re.fullmatch(r"([A-Za-z][A-Za-z0-9_.]*)\s*(\((.*)\))?", inner, flags=re.S)
        if not name_match:
            self.raise_validation_exception(f"cannot read a handler name from {text!r}")
        name, args_text = name_match.group(1), name_match.group(3)
        if not args_text or not args_text.strip():
            return name, None
        try:
            call = juel.translate(
                "${handler_args(" + args_text + ")}", self._functions | {"handler_args"}
            )
        except juel.JuelError as exc:
            self.raise_validation_exception(f"handler arguments: {exc}")
        return name, call

    @staticmethod
    def _is_handler_task(node) -> bool:
        attrs = camunda_attributes(node)
        return any(k in attrs for k in ("delegateExpression", "expression", "class", "type"))


class ServiceTaskParser(_HandlerParsing, CamundaTaskParser):
    def create_task(self):
        return self._handler_task()

    def parse_extensions(self, node=None):
        return self._common_extensions()


class _TimerParsing(_Translating):
    def parse_timer_event(self, event):
        definition = super().parse_timer_event(event)
        cls = TIMER_CLASSES.get(type(definition))
        expression = self._translate("timer", definition.expression, "timer")
        return cls(definition.name, expression, description=definition.description)

    def parse_message_event(self, message_event):
        base = CamundaEventDefinitionParser.parse_message_event(self, message_event)
        expression = (
            self._translate("value", base.expression, "camunda:expression")
            if (base.expression)
            else None
        )
        return MessageEventDefinition(
            base.name,
            base.correlation_properties,
            expression,
            base.result_var,
            description=base.description,
        )

    def parse_extensions(self, node=None):
        ext = self._common_extensions()
        form = form_fields_to_dicts(self, self.node)
        if form:
            ext["form"] = form
        return ext


class StartEventParser(_TimerParsing, CamundaStartEventParser):
    pass


class EndEventParser(_TimerParsing, CamundaEndEventParser):
    pass


class IntermediateCatchEventParser(_TimerParsing, CamundaIntermediateCatchEventParser):
    pass


class IntermediateThrowEventParser(_TimerParsing, CamundaIntermediateThrowEventParser):
    pass


class BoundaryEventParser(_TimerParsing, CamundaBoundaryEventParser):
    pass


class SendTaskParser(
    _HandlerParsing, _TimerParsing, CamundaEventDefinitionParser, SpiffSendTaskParser
):
    """A send task is a message throw, or (Camunda style) a handler like a service task."""

    def create_task(self):
        if self._is_handler_task(self.node):
            return self._handler_task()
        return SpiffSendTaskParser.create_task(self)


class ReceiveTaskParser(_TimerParsing, CamundaEventDefinitionParser, SpiffReceiveTaskParser):
    def create_task(self):
        return SpiffReceiveTaskParser.create_task(self)


class GatewayParser(_Translating, ConditionalGatewayParser):
    def parse_condition(self, sequence_flow):
        text = super().parse_condition(sequence_flow)
        return self._translate("expression", text, f"condition of {sequence_flow.get('id')}")

    def parse_extensions(self, node=None):
        return self._common_extensions()


class CallActivityParser(_Translating, CamundaTaskParser):
    def create_task(self):
        subworkflow_spec = SubprocessParser.get_call_activity_spec(self)
        return CallActivity(
            self.spec,
            self.bpmn_id,
            subworkflow_spec=subworkflow_spec,
            in_mappings=self._mappings("in"),
            out_mappings=self._mappings("out"),
            **self.bpmn_attributes,
        )

    def _mappings(self, direction: str) -> list[dict]:
        result = []
        for node in self.xpath(f"./bpmn:extensionElements/camunda:{direction}"):
            if node.get("businessKey") is not None:
                continue  # the called process runs inside this case and shares its key
            mapping: dict = {"local": True} if node.get("local") == "true" else {}
            if node.get("variables") == "all":
                mapping["all"] = True
            elif node.get("sourceExpression") is not None:
                mapping["expression"] = self._translate(
                    "value", node.get("sourceExpression"), f"camunda:{direction}"
                )
                mapping["target"] = node.get("target")
            elif node.get("source") is not None:
                mapping["source"] = node.get("source")
                mapping["target"] = node.get("target") or node.get("source")
            else:
                continue
            result.append(mapping)
        return result

    def parse_extensions(self, node=None):
        return self._common_extensions()


class SubProcessParser(_Translating, CamundaTaskParser):
    def create_task(self):
        subworkflow_spec = SubprocessParser.get_subprocess_spec(self)
        cls = EventSubprocess if self.node.get("triggeredByEvent") == "true" else EmbeddedSubprocess
        return cls(
            self.spec, self.bpmn_id, subworkflow_spec=subworkflow_spec, **self.bpmn_attributes
        )

    def parse_extensions(self, node=None):
        return self._common_extensions()


class SupervisionProcessParser(ProcessParser):
    def _index_process_nodes(self):
        super()._index_process_nodes()
        # Camunda form fields and enum values carry ids too (an enum value 'approve' beside a
        # task 'approve' is common); flow nodes must win, or Spiff wires the flow to the form.
        for node in self.xpath(".//*[@id]"):
            if node.tag.startswith(_B):
                self.nodes_by_id[node.get("id")] = node


class SupervisionParser(CamundaParser):
    """CamundaParser that reads everything Camunda Modeler writes (see module docstring)."""

    PROCESS_PARSER_CLASS = SupervisionProcessParser

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (UserTaskParser, UserTask),
        full_tag("task"): (PlainTaskParser, NoneTask),
        full_tag("manualTask"): (PlainTaskParser, ManualTask),
        full_tag("scriptTask"): (ScriptTaskParser, ScriptTask),
        full_tag("serviceTask"): (ServiceTaskParser, ServiceTask),
        full_tag("sendTask"): (SendTaskParser, SendTask),
        full_tag("receiveTask"): (ReceiveTaskParser, ReceiveTask),
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("endEvent"): (EndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (IntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
        full_tag("exclusiveGateway"): (GatewayParser, ExclusiveGateway),
        full_tag("inclusiveGateway"): (GatewayParser, InclusiveGateway),
        full_tag("callActivity"): (CallActivityParser, CallActivity),
        full_tag("subProcess"): (SubProcessParser, EmbeddedSubprocess),
    }

    def __init__(self, validator=None, functions: frozenset[str] | None = None):
        super().__init__(validator=validator)
        self.functions = functions or expressions.FUNCTION_NAMES
