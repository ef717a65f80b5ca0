"""Rules about the shape of a process: unsupported elements, flows, references, layout."""

from __future__ import annotations

from supervision.engine.lint.base import B
from supervision.engine.lint.base import C
from supervision.engine.lint.base import LintBase

# Elements SpiffWorkflow runs differently from Camunda, or not at all.
UNSUPPORTED = {
    "complexGateway": (
        "complex gateways are not supported; use exclusive or inclusive gateways",
        "complex-gateway",
    ),
    "adHocSubProcess": ("ad-hoc subprocesses are not supported", "unsupported-element"),
    "transaction": (
        "transaction subprocesses are not supported (they need compensation); use an "
        "embedded subprocess with error boundary events",
        "unsupported-element",
    ),
    "standardLoopCharacteristics": (
        "loop markers (standard loops) are not supported; draw the loop with a gateway or "
        "use multi-instance",
        "unsupported-element",
    ),
    "compensateEventDefinition": ("compensation is not supported", "compensation"),
    "linkEventDefinition": (
        "link events are not supported (a link throw would silently end the path); "
        "draw the sequence flow instead",
        "link-event",
    ),
    "conditionalEventDefinition": (
        "conditional events are not supported; use a gateway or a timer",
        "unsupported-element",
    ),
    "cancelEventDefinition": (
        "cancel events are not supported (they need transaction subprocesses)",
        "unsupported-element",
    ),
}
CAMUNDA_UNSUPPORTED = {
    "taskListener": "camunda:taskListener is not supported; use a service task with a handler",
    "executionListener": (
        "camunda:executionListener is not supported; use a service task with a handler"
    ),
    "connector": "camunda:connector is not supported; use a service task with a handler",
}
# Camunda settings that change nothing here: every step runs in the request that caused
# it, and a failure becomes an incident an administrator retries.
IGNORED_ATTRIBUTES = {
    # attribute: (the values that matter, why it is ignored)
    "asyncBefore": (("true",), "steps run at once; a failure becomes an incident to retry"),
    "asyncAfter": (("true",), "steps run at once; a failure becomes an incident to retry"),
    "exclusive": (("false",), "steps of one case never run at the same time"),
    "jobPriority": (None, "there are no jobs; timers fire in the order they are due"),
    "taskPriority": (None, "external tasks are handlers that run at once"),
}
GATEWAYS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway")
CATCH_AFTER_EVENT_GATEWAY = ("intermediateCatchEvent", "receiveTask")
EVENT_REFS = (
    ("messageEventDefinition", "messageRef", "message"),
    ("signalEventDefinition", "signalRef", "signal"),
    ("errorEventDefinition", "errorRef", "error"),
    ("escalationEventDefinition", "escalationRef", "escalation"),
)
IO_PLACES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "intermediateThrowEvent",
        "intermediateCatchEvent",
        "endEvent",
    }
)
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


def local_name(node) -> str:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.split("}")[-1]


class StructureRules(LintBase):
    def check_unsupported(self, node, local: str) -> None:
        if local in UNSUPPORTED:
            message, code = UNSUPPORTED[local]
            self.error(node, message, code)
        if node.get("isForCompensation") == "true":
            self.error(node, "compensation is not supported", "compensation")

    def check_camunda_element(self, node) -> None:
        local = local_name(node)
        if local in CAMUNDA_UNSUPPORTED:
            self.error(node, CAMUNDA_UNSUPPORTED[local], "unsupported-extension")
        elif local == "failedJobRetryTimeCycle":
            self.warning(
                node,
                "camunda:failedJobRetryTimeCycle is ignored: a failed step becomes an "
                "incident at once and is retried by an administrator",
                "ignored-attribute",
            )
        elif local == "inputOutput":
            owner = node.getparent().getparent()
            if local_name(owner) not in IO_PLACES:
                self.error(
                    node,
                    f"camunda:inputOutput is not supported on a {local_name(owner)}; put the "
                    "mapping on the tasks, or use a call activity",
                    "io-unsupported",
                )

    def check_ignored_attributes(self, node) -> None:
        for attr, (values, reason) in IGNORED_ATTRIBUTES.items():
            value = node.get(f"{C}{attr}")
            if value in (None, "") or (values is not None and value not in values):
                continue
            self.warning(node, f"camunda:{attr} is ignored: {reason}", "ignored-attribute")

    # -- event subprocesses -----------------------------------------------------
    def check_event_subprocess(self, node) -> None:
        parent = node.getparent()
        if local_name(parent) != "process":
            self.error(
                node,
                "event subprocesses are supported only directly in the process, not inside "
                "a subprocess (they would never start)",
                "nested-event-subprocess",
            )
        for start in self.xpath(node, "./bpmn:startEvent"):
            if start.get("isInterrupting", "true") != "false":
                self.error(
                    start,
                    "interrupting event subprocesses are not supported (they would run "
                    "beside the main flow without cancelling it); make the start event "
                    "non-interrupting or use an interrupting boundary event",
                    "interrupting-event-subprocess",
                )
            if self.xpath(start, "./bpmn:timerEventDefinition/bpmn:timeCycle"):
                self.error(
                    start,
                    "a timer cycle cannot start an event subprocess (it would fire once); use "
                    "a non-interrupting boundary timer with the cycle on the activity",
                    "unsupported-element",
                )

    # -- flows ------------------------------------------------------------------
    def check_flows(self, process) -> None:
        """Outgoing flows per node: what Camunda allows and SpiffWorkflow would not do."""
        nodes = {n.get("id"): n for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
        outgoing: dict[str, list] = {}
        for flow in self.xpath(process, ".//bpmn:sequenceFlow"):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        for source_id, flows in outgoing.items():
            source = nodes.get(source_id)
            if source is None:
                continue
            kind = local_name(source)
            conditional = [f for f in flows if self.xpath(f, "./bpmn:conditionExpression")]
            default = source.get("default")
            if kind in ("exclusiveGateway", "inclusiveGateway"):
                self._gateway_flows(source, flows, conditional, default)
            elif kind == "parallelGateway":
                for flow in conditional:
                    self.error(
                        flow,
                        "conditions on the flows of a parallel gateway are ignored; use an "
                        "inclusive gateway",
                        "flow-condition-ignored",
                    )
            elif kind == "eventBasedGateway":
                for flow in flows:
                    target = nodes.get(flow.get("targetRef"))
                    if target is not None and local_name(target) not in CATCH_AFTER_EVENT_GATEWAY:
                        self.error(
                            flow,
                            "an event-based gateway must lead to intermediate catch events "
                            "or receive tasks",
                            "event-gateway-target",
                        )
            else:
                self._activity_flows(source, kind, flows, conditional, default)

    def _gateway_flows(self, gateway, flows, conditional, default) -> None:
        if len(flows) < 2:
            return
        for flow in flows:
            is_default = flow.get("id") == default
            has_condition = flow in conditional
            if is_default and has_condition:
                self.warning(
                    flow,
                    "the condition of the default flow is ignored",
                    "flow-condition-ignored",
                )
            elif not is_default and not has_condition:
                self.error(
                    flow,
                    "every outgoing flow of this gateway needs a condition, except the "
                    "default flow",
                    "flow-condition-missing",
                )

    def _activity_flows(self, source, kind, flows, conditional, default) -> None:
        for flow in conditional:
            self.error(
                flow,
                f"a condition on a flow leaving a {kind} is not supported; put an exclusive "
                "gateway after it",
                "conditional-flow",
            )
        if default and kind not in GATEWAYS:
            self.error(
                source,
                f"a default flow on a {kind} is not supported; use an exclusive gateway",
                "conditional-flow",
            )
        if len(flows) > 1 and not conditional:
            self.error(
                source,
                f"the {kind} has {len(flows)} outgoing flows; draw a parallel gateway to split",
                "implicit-split",
            )

    def on_sequenceFlow(self, node) -> None:
        for condition in self.xpath(node, "./bpmn:conditionExpression"):
            language = (condition.get("language") or "").lower()
            if language not in ("", "python", "juel"):
                self.error(
                    condition,
                    f"condition language '{condition.get('language')}' is not supported "
                    "(write ${...} or a Python expression)",
                    "expression-language",
                )
                continue
            if condition.get(f"{C}resource"):
                self.error(
                    condition,
                    "external condition scripts (camunda:resource) are not supported",
                    "script-resource",
                )
                continue
            text = condition.text or ""
            if not text.strip():
                self.error(condition, "empty condition expression", "expression-invalid")
                continue
            self.check_translation(condition, "expression", text, "condition")

    # -- references ---------------------------------------------------------------
    def check_references(self) -> None:
        for definition, attribute, target in EVENT_REFS:
            known = {
                n.get("id"): n for n in self.xpath(self.root, f"./bpmn:{target}") if n.get("id")
            }
            for node in self.xpath(self.root, f".//bpmn:{definition}"):
                ref = node.get(attribute)
                owner = node.getparent()
                if ref is None:
                    if target == "message":
                        self.error(
                            node,
                            "the message event names no message (pick one in Camunda Modeler)",
                            "missing-reference",
                        )
                    elif target == "signal":
                        self.error(node, "the signal event names no signal", "missing-reference")
                    continue
                if ref not in known:
                    self.error(
                        node,
                        f"{attribute} '{ref}' names no bpmn:{target} in this file",
                        "missing-reference",
                    )
                    continue
                if target in ("message", "signal") and not known[ref].get("name"):
                    self.error(
                        known[ref],
                        f"the {target} '{ref}' has no name; cases are matched by name",
                        "missing-reference",
                    )
                if target == "signal":
                    self.warning(
                        owner,
                        "signals are caught only inside the same case; use a message to "
                        "reach other cases",
                        "signal-scope",
                    )
        messages = {n.get("id") for n in self.xpath(self.root, "./bpmn:message")}
        for node in self.xpath(self.root, ".//bpmn:receiveTask | .//bpmn:sendTask"):
            ref = node.get("messageRef")
            if ref is not None and ref not in messages:
                self.error(
                    node,
                    f"messageRef '{ref}' names no bpmn:message in this file",
                    "missing-reference",
                )
            if local_name(node) == "receiveTask":
                if ref is None:
                    self.error(node, "the receive task names no message", "missing-reference")
                if node.get("instantiate") == "true":
                    self.error(
                        node,
                        "a receive task cannot start a process; use a message start event",
                        "unsupported-element",
                    )

    def check_start_events(self, process) -> None:
        starts = self.xpath(process, "./bpmn:startEvent")
        plain = [
            s
            for s in starts
            if not [c for c in s if isinstance(c.tag, str) and c.tag.endswith("EventDefinition")]
        ]
        if len(plain) > 1:
            for start in plain[1:]:
                self.error(
                    start,
                    "a process may have only one start event without a trigger",
                    "multiple-none-starts",
                )

    # -- layout -----------------------------------------------------------------
    def check_layout(self) -> None:
        shapes = {s.get("bpmnElement") for s in self.xpath(self.root, ".//bpmndi:BPMNShape")}
        edges = {e.get("bpmnElement") for e in self.xpath(self.root, ".//bpmndi:BPMNEdge")}
        if not shapes and not edges:
            self.warning(
                self.root,
                "the file has no diagram layout (BPMNDI): the case page cannot draw it",
                "layout",
            )
            return
        for process in self.xpath(self.root, "./bpmn:process"):
            for local in FLOW_NODES:
                for node in self.xpath(process, f".//bpmn:{local}"):
                    if node.get("id") not in shapes:
                        self.warning(
                            node,
                            f"{local} '{node.get('id')}' has no shape in the diagram",
                            "layout",
                        )
            for flow in self.xpath(process, ".//bpmn:sequenceFlow"):
                if flow.get("id") not in edges:
                    self.warning(
                        flow,
                        f"sequence flow '{flow.get('id')}' has no edge in the diagram",
                        "layout",
                    )

    def lanes_of(self, process) -> dict[str, str]:
        lanes: dict[str, str] = {}
        for lane in self.xpath(process, ".//bpmn:lane"):
            for ref in self.xpath(lane, "./bpmn:flowNodeRef"):
                if ref.text:
                    lanes[ref.text.strip()] = lane.get("name") or lane.get("id")
        return lanes


__all__ = ["B", "FLOW_NODES", "StructureRules", "local_name"]
