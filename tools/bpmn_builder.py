"""Write Camunda 7 Modeler diagrams (BPMN 2.0 + camunda: extensions + complete DI) from
Python descriptions, so the supervision flows in workflows/ are laid out consistently.

A flow is described on a grid: every node sits at (column, row); rows belong to lanes top
to bottom. Sequence flows are routed orthogonally (straight, L- or Z-shaped, loops below
or above the nodes) unless explicit waypoints are given. The output is what Camunda
Modeler writes itself, so a designer can open and edit the result; the Python description
is the tool that produced the first version, not the source of truth afterwards.

Usage: see tools/workflow_models/*.py and `python -m tools.build_workflows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from xml.sax.saxutils import escape
from xml.sax.saxutils import quoteattr

COL_W = 150
ROW_H = 120
X0 = 230  # centre of column 0
POOL_X = 150
LANE_LABEL = 30
TASK = (100, 80)
EVENT = (36, 36)
GATEWAY = (50, 50)
EXTERNAL_POOL_H = 60

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:modeler="http://camunda.org/schema/modeler/1.0"'
)


def a(value: Any) -> str:
    return quoteattr(str(value))


def t(value: Any) -> str:
    return escape(str(value))


# ---------------------------------------------------------------- forms


@dataclass
class Field:
    id: str
    label: str
    type: str = "string"
    required: bool = False
    default: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    readonly: bool = False

    def xml(self, ind: str) -> str:
        attrs = f"id={a(self.id)} label={a(self.label)} type={a(self.type)}"
        if self.default is not None:
            attrs += f" defaultValue={a(self.default)}"
        body = []
        if self.properties:
            body.append(f"{ind}  <camunda:properties>")
            for key, value in self.properties.items():
                body.append(f"{ind}    <camunda:property id={a(key)} value={a(value)} />")
            body.append(f"{ind}  </camunda:properties>")
        checks = dict(self.constraints)
        if self.required:
            checks = {"required": "", **checks}
        if self.readonly:
            checks["readonly"] = ""
        if checks:
            body.append(f"{ind}  <camunda:validation>")
            for name, config in checks.items():
                config_attr = f" config={a(config)}" if config != "" else ""
                body.append(f"{ind}    <camunda:constraint name={a(name)}{config_attr} />")
            body.append(f"{ind}  </camunda:validation>")
        for value_id, name in self.options:
            body.append(f"{ind}  <camunda:value id={a(value_id)} name={a(name)} />")
        if not body:
            return f"{ind}<camunda:formField {attrs} />"
        return "\n".join([f"{ind}<camunda:formField {attrs}>", *body, f"{ind}</camunda:formField>"])


def text(fid, label, *, required=False, default=None, maxlength=None, **kw) -> Field:
    constraints = {"maxlength": str(maxlength)} if maxlength else {}
    return Field(fid, label, "string", required, default, constraints=constraints, **kw)


def area(fid, label, *, required=False, default=None, maxlength=4000, **kw) -> Field:
    return Field(
        fid, label, "textarea", required, default, constraints={"maxlength": str(maxlength)}, **kw
    )


def flag(fid, label, *, default="false", **kw) -> Field:
    return Field(fid, label, "boolean", False, default, **kw)


def choice(fid, label, options, *, required=True, default=None, **kw) -> Field:
    return Field(fid, label, "enum", required, default, options=list(options), **kw)


def day(fid, label, *, required=False, default=None, **kw) -> Field:
    return Field(fid, label, "date", required, default, **kw)


def moment(fid, label, *, required=False, default=None, **kw) -> Field:
    return Field(fid, label, "datetime", required, default, **kw)


def number(fid, label, *, required=False, default=None, minimum=None, maximum=None) -> Field:
    constraints = {}
    if minimum is not None:
        constraints["min"] = str(minimum)
    if maximum is not None:
        constraints["max"] = str(maximum)
    return Field(fid, label, "long", required, default, constraints=constraints)


def group(fid, label, *, required=False, default=None, kind=None) -> Field:
    props = {"groupKind": kind} if kind else {}
    return Field(fid, label, "group", required, default, properties=props)


def people(fid, label, *, required=False, minimum=None) -> Field:
    constraints = {"min": str(minimum)} if minimum else {}
    return Field(fid, label, "users", required, constraints=constraints)


# ---------------------------------------------------------------- nodes and flows


@dataclass
class Node:
    id: str
    tag: str
    name: str
    col: float
    row: float
    size: tuple[int, int]
    attrs: dict[str, str] = field(default_factory=dict)
    inner: list[str] = field(default_factory=list)  # child XML lines (extensions etc.)
    doc: str | None = None
    parent: str | None = None  # id of an enclosing subprocess
    host: str | None = None  # boundary events: the activity they sit on
    slot: float = 0.0  # boundary events: position along the host's edge (-1..1)
    edge: str = "bottom"  # boundary events: bottom | top
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    # expanded subprocesses: grid span
    span: tuple[float, float] | None = None

    @property
    def kind(self) -> str:
        if self.tag.endswith("Gateway"):
            return "gateway"
        if self.tag.endswith("Event"):
            return "event"
        return "activity"


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None
    waypoints: list[tuple[float, float]] | None = None
    loop: str = "below"  # for backward flows: below | above
    parent: str | None = None


@dataclass
class MessageFlow:
    id: str
    name: str | None
    source: str  # node id or "pool:<id>"
    target: str


class Diagram:
    def __init__(
        self,
        process_id: str,
        name: str,
        *,
        documentation: str,
        version_tag: str,
        lanes: list[tuple[str, str, int]],
        pool_name: str,
        external_pools: list[tuple[str, str]] = (),
        cols: float = 10,
    ) -> None:
        self.process_id = process_id
        self.name = name
        self.documentation = documentation
        self.version_tag = version_tag
        self.lanes = lanes
        self.pool_name = pool_name
        self.external_pools = list(external_pools)
        self.cols = cols
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.message_flows: list[MessageFlow] = []
        self.messages: dict[str, str] = {}
        self._scope: str | None = None

    # -- placement helpers ----------------------------------------------------
    def rows(self) -> int:
        return sum(n for _, _, n in self.lanes)

    def top(self) -> float:
        return 80 + (EXTERNAL_POOL_H + 40 if self.external_pools else 0)

    def cx(self, col: float) -> float:
        return X0 + col * COL_W

    def cy(self, row: float) -> float:
        return self.top() + (row + 0.5) * ROW_H

    def bounds(self, node: Node) -> tuple[float, float, float, float]:
        if node.span is not None:
            c1, r1 = node.span
            x = self.cx(node.col) - COL_W / 2 + 10
            y = self.cy(node.row) - ROW_H / 2 + 10
            w = self.cx(c1) + COL_W / 2 - 10 - x
            h = self.cy(r1) + ROW_H / 2 - 10 - y
            return x, y, w, h
        w, h = node.size
        if node.host is not None:
            hx, hy, hw, hh = self.bounds(self.nodes[node.host])
            centre_x = hx + hw / 2 + node.slot * (hw / 2 - w / 2 - 4)
            edge_y = hy if node.edge == "top" else hy + hh
            return centre_x - w / 2, edge_y - h / 2, w, h
        return self.cx(node.col) - w / 2, self.cy(node.row) - h / 2, w, h

    def centre(self, node: Node) -> tuple[float, float]:
        x, y, w, h = self.bounds(node)
        return x + w / 2, y + h / 2

    # -- building ---------------------------------------------------------------
    def _add(self, node: Node) -> Node:
        if node.id in self.nodes:
            raise ValueError(f"duplicate id {node.id}")
        node.parent = self._scope
        self.nodes[node.id] = node
        return node

    def message(self, name: str) -> str:
        self.messages.setdefault(name, f"Message_{name}")
        return self.messages[name]

    def start(
        self,
        id,
        name,
        col,
        row,
        *,
        message=None,
        form=(),
        doc=None,
        timer=None,
        interrupting=True,
        pool=None,
    ):
        attrs = {} if interrupting else {"isInterrupting": "false"}
        inner = []
        if form:
            inner.append(_extensions(form=form))
        if message:
            inner.append(f'<bpmn:messageEventDefinition messageRef="{self.message(message)}" />')
            if pool:
                self.message_flows.append(
                    MessageFlow(f"MessageFlow_{id}", None, f"pool:{pool}", id)
                )
        if timer:
            inner.append(_timer(timer))
        return self._add(Node(id, "startEvent", name, col, row, EVENT, attrs, inner, doc))

    def end(self, id, name, col, row, *, doc=None, terminate=False):
        inner = ["<bpmn:terminateEventDefinition />"] if terminate else []
        return self._add(Node(id, "endEvent", name, col, row, EVENT, inner=inner, doc=doc))

    def user(
        self,
        id,
        name,
        col,
        row,
        *,
        groups=None,
        users=None,
        assignee=None,
        due=None,
        form=(),
        inputs=None,
        outputs=None,
        doc=None,
        priority=None,
        multi=None,
    ):
        attrs = {}
        if assignee:
            attrs["camunda:assignee"] = assignee
        if groups:
            attrs["camunda:candidateGroups"] = groups
        if users:
            attrs["camunda:candidateUsers"] = users
        if due:
            attrs["camunda:dueDate"] = due
        if priority:
            attrs["camunda:priority"] = str(priority)
        inner = [_extensions(form=form, inputs=inputs, outputs=outputs)]
        if multi:
            inner.append(_multi(*multi))
        return self._add(Node(id, "userTask", name, col, row, TASK, attrs, inner, doc))

    def service(
        self,
        id,
        name,
        col,
        row,
        *,
        handler,
        fields=None,
        inputs=None,
        outputs=None,
        doc=None,
        tag="serviceTask",
    ):
        attrs = {"camunda:delegateExpression": "${" + handler + "}"}
        inner = [_extensions(fields=fields, inputs=inputs, outputs=outputs)]
        return self._add(Node(id, tag, name, col, row, TASK, attrs, inner, doc))

    def send(
        self,
        id,
        name,
        col,
        row,
        *,
        message,
        variables,
        doc=None,
        pool=None,
        outputs=None,
        share_with=None,
    ):
        """A send task (Camunda: a handler) that throws `message` carrying `variables`: a
        list of variable names, or a dict name -> input expression (None: the variable
        as it is)."""
        self.message(message)
        names = list(variables) if isinstance(variables, dict) else list(variables)
        inputs = (
            {k: v for k, v in variables.items() if v is not None}
            if isinstance(variables, dict)
            else None
        )
        node = self.service(
            id,
            name,
            col,
            row,
            handler="sendMessage",
            fields={
                "message": message,
                "variables": ",".join(names),
                **({"share_with": share_with} if share_with else {}),
            },
            inputs=inputs or None,
            outputs=outputs,
            doc=doc,
            tag="sendTask",
        )
        if pool:
            self.message_flows.append(MessageFlow(f"MessageFlow_{id}", None, id, f"pool:{pool}"))
        return node

    def script(self, id, name, col, row, script, *, doc=None):
        attrs = {"scriptFormat": "python"}
        inner = [f"<bpmn:script>{t(script.strip())}</bpmn:script>"]
        return self._add(Node(id, "scriptTask", name, col, row, TASK, attrs, inner, doc))

    def call(self, id, name, col, row, *, called, ins=(), outs=(), doc=None):
        attrs = {"calledElement": called, "camunda:calledElementBinding": "latest"}
        lines = []
        for mapping in ins:
            lines.append(_mapping("in", mapping))
        for mapping in outs:
            lines.append(_mapping("out", mapping))
        inner = ["\n".join(["<bpmn:extensionElements>", *lines, "</bpmn:extensionElements>"])]
        return self._add(Node(id, "callActivity", name, col, row, TASK, attrs, inner, doc))

    def receive(self, id, name, col, row, *, message, doc=None, pool=None, outputs=None):
        attrs = {"messageRef": self.message(message)}
        inner = [_extensions(outputs=outputs)]
        node = self._add(Node(id, "receiveTask", name, col, row, TASK, attrs, inner, doc))
        if pool:
            self.message_flows.append(MessageFlow(f"MessageFlow_{id}", None, f"pool:{pool}", id))
        return node

    def catch(
        self, id, name, col, row, *, message=None, timer=None, doc=None, pool=None, outputs=None
    ):
        inner = [_extensions(outputs=outputs)]
        if message:
            inner.append(f'<bpmn:messageEventDefinition messageRef="{self.message(message)}" />')
            if pool:
                self.message_flows.append(
                    MessageFlow(f"MessageFlow_{id}", None, f"pool:{pool}", id)
                )
        if timer:
            inner.append(_timer(timer))
        return self._add(
            Node(id, "intermediateCatchEvent", name, col, row, EVENT, inner=inner, doc=doc)
        )

    def gateway(self, id, name, col, row, kind="exclusive", *, default=None, doc=None):
        attrs = {"default": default} if default else {}
        tag = {
            "exclusive": "exclusiveGateway",
            "inclusive": "inclusiveGateway",
            "parallel": "parallelGateway",
            "event": "eventBasedGateway",
        }[kind]
        return self._add(Node(id, tag, name or "", col, row, GATEWAY, attrs, doc=doc))

    def boundary(
        self,
        id,
        name,
        host,
        *,
        timer=None,
        message=None,
        interrupting=False,
        slot=0.0,
        doc=None,
        pool=None,
        edge="bottom",
    ):
        attrs = {"attachedToRef": host}
        if not interrupting:
            attrs["cancelActivity"] = "false"
        inner = []
        if timer:
            inner.append(_timer(timer))
        if message:
            inner.append(f'<bpmn:messageEventDefinition messageRef="{self.message(message)}" />')
            if pool:
                self.message_flows.append(
                    MessageFlow(f"MessageFlow_{id}", None, f"pool:{pool}", id)
                )
        node = Node(
            id,
            "boundaryEvent",
            name,
            0,
            0,
            EVENT,
            attrs,
            inner,
            doc,
            host=host,
            slot=slot,
            edge=edge,
        )
        return self._add(node)

    def subprocess(self, id, name, col, row, to_col, to_row, *, doc=None, event=False, multi=None):
        """An expanded subprocess over the grid cells (col, row)..(to_col, to_row);
        `multi` = (collection, element variable[, sequential]) makes it multi-instance."""
        attrs = {"triggeredByEvent": "true"} if event else {}
        inner = [_multi(*multi)] if multi else []
        node = Node(
            id, "subProcess", name, col, row, TASK, attrs, inner, doc=doc, span=(to_col, to_row)
        )
        return self._add(node)

    def inside(self, subprocess_id: str | None):
        diagram = self

        class _Scope:
            def __enter__(self):
                diagram._previous = diagram._scope
                diagram._scope = subprocess_id
                return diagram

            def __exit__(self, *exc):
                diagram._scope = diagram._previous

        return _Scope()

    def flow(self, source, target, *, cond=None, name=None, id=None, waypoints=None, loop="below"):
        fid = id or f"Flow_{source}_{target}"
        if any(f.id == fid for f in self.flows):
            fid = f"{fid}_{len(self.flows)}"
        scope = (
            self.nodes[source].parent
            if self.nodes[source].host is None
            else (self.nodes[self.nodes[source].host].parent)
        )
        f = Flow(fid, source, target, name, cond, waypoints, loop, scope)
        self.flows.append(f)
        self.nodes[source].outgoing.append(fid)
        self.nodes[target].incoming.append(fid)
        return f

    def chain(self, *ids):
        for source, target in zip(ids, ids[1:], strict=False):
            self.flow(source, target)

    # -- routing ----------------------------------------------------------------
    def route(self, f: Flow) -> list[tuple[float, float]]:
        s, d = self.nodes[f.source], self.nodes[f.target]
        sx, sy, sw, sh = self.bounds(s)
        dx, dy, dw, dh = self.bounds(d)
        scx, scy = sx + sw / 2, sy + sh / 2
        dcx, dcy = dx + dw / 2, dy + dh / 2
        if f.waypoints:
            first = self._port(s, f.waypoints[0])
            last = self._port(d, f.waypoints[-1])
            return [first, *f.waypoints, last]
        if s.host is not None:  # boundary event: leave away from its host
            start = (scx, sy) if s.edge == "top" else (scx, sy + sh)
            if dcx > scx + 5:
                return [start, (scx, dcy), (dx, dcy)]
            if abs(dcx - scx) <= 5:
                return [start, (dcx, dy + dh) if s.edge == "top" else (dcx, dy)]
            return [start, (scx, dy - 20), (dcx, dy - 20), (dcx, dy)]
        if d.span is not None and dy + 20 < scy < dy + dh - 20:
            dcy = scy  # enter an expanded subprocess level with the source
        if s.span is not None and sy + 20 < dcy < sy + sh - 20:
            scy = dcy  # leave an expanded subprocess level with the target
        if dcx > scx + 5:  # forward
            if abs(dcy - scy) < 1:
                return [(sx + sw, scy), (dx, dcy)]
            if s.kind == "gateway":
                start = (scx, sy + sh) if dcy > scy else (scx, sy)
                return [start, (scx, dcy), (dx, dcy)]
            if d.kind == "gateway":
                end = (dcx, dy) if dcy > scy else (dcx, dy + dh)
                return [(sx + sw, scy), (dcx, scy), end]
            mid = (sx + sw + dx) / 2
            return [(sx + sw, scy), (mid, scy), (mid, dcy), (dx, dcy)]
        if abs(dcx - scx) <= 5:  # straight up or down
            if dcy > scy:
                return [(scx, sy + sh), (dcx, dy)]
            return [(scx, sy), (dcx, dy + dh)]
        # backward: loop below (or above) both nodes
        if f.loop == "above":
            channel = min(sy, dy) - 22
            return [(scx, sy), (scx, channel), (dcx, channel), (dcx, dy)]
        channel = max(sy + sh, dy + dh) + 22
        return [(scx, sy + sh), (scx, channel), (dcx, channel), (dcx, dy + dh)]

    def _port(self, node: Node, toward: tuple[float, float]) -> tuple[float, float]:
        x, y, w, h = self.bounds(node)
        cx, cy = x + w / 2, y + h / 2
        px, py = toward
        if abs(px - cx) < 1:
            return (cx, y + h if py > cy else y)
        if abs(py - cy) < 1:
            return (x + w if px > cx else x, cy)
        return (cx, y + h if py > cy else y)

    # -- output -----------------------------------------------------------------
    def width(self) -> float:
        right = max(self.bounds(n)[0] + self.bounds(n)[2] for n in self.nodes.values())
        return max(right + 60, self.cx(self.cols)) - POOL_X

    def render(self) -> str:
        self._check()
        out = ['<?xml version="1.0" encoding="UTF-8"?>']
        out.append(
            f'<bpmn:definitions {NS} id="Definitions_{self.process_id}" '
            'targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" '
            'exporterVersion="5.20.0" modeler:executionPlatform="Camunda Platform" '
            'modeler:executionPlatformVersion="7.20.0">'
        )
        out.append(f'  <bpmn:collaboration id="Collaboration_{self.process_id}">')
        out.append(
            f'    <bpmn:participant id="Participant_{self.process_id}" name={a(self.pool_name)} '
            f'processRef="{self.process_id}" />'
        )
        for pid, pname in self.external_pools:
            out.append(f'    <bpmn:participant id="Participant_{pid}" name={a(pname)} />')
        for mf in self.message_flows:
            src = f"Participant_{mf.source[5:]}" if mf.source.startswith("pool:") else mf.source
            dst = f"Participant_{mf.target[5:]}" if mf.target.startswith("pool:") else mf.target
            name = f" name={a(mf.name)}" if mf.name else ""
            out.append(
                f'    <bpmn:messageFlow id="{mf.id}"{name} sourceRef="{src}" targetRef="{dst}" />'
            )
        out.append("  </bpmn:collaboration>")
        out.append(
            f'  <bpmn:process id="{self.process_id}" name={a(self.name)} isExecutable="true" '
            f'camunda:versionTag={a(self.version_tag)} camunda:historyTimeToLive="3650">'
        )
        out.append(f"    <bpmn:documentation>{t(self.documentation)}</bpmn:documentation>")
        out.extend(self._lanes_xml())
        out.extend(self._elements_xml(None, "    "))
        out.append("  </bpmn:process>")
        for name, mid in self.messages.items():
            out.append(f'  <bpmn:message id="{mid}" name="{name}" />')
        out.extend(self._di())
        out.append("</bpmn:definitions>")
        return "\n".join(out) + "\n"

    def _check(self) -> None:
        for node in self.nodes.values():
            event_sub = node.attrs.get("triggeredByEvent") == "true"
            if node.tag in ("startEvent", "boundaryEvent"):
                if not node.outgoing:
                    raise ValueError(f"{node.id} has no outgoing flow")
            elif node.tag == "endEvent":
                if not node.incoming:
                    raise ValueError(f"{node.id} has no incoming flow")
            elif not event_sub:
                if not node.incoming:
                    raise ValueError(f"{node.id} has no incoming flow")
                if not node.outgoing:
                    raise ValueError(f"{node.id} has no outgoing flow")
        for f in self.flows:
            if f.condition is not None and self.nodes[f.source].kind != "gateway":
                raise ValueError(f"conditional flow {f.id} must leave a gateway")

    def _lane_rows(self) -> list[tuple[str, str, int, int]]:
        result, row = [], 0
        for lane_id, lane_name, count in self.lanes:
            result.append((lane_id, lane_name, row, row + count))
            row += count
        return result

    def _lanes_xml(self) -> list[str]:
        out = [f'    <bpmn:laneSet id="LaneSet_{self.process_id}">']
        for lane_id, lane_name, first, last in self._lane_rows():
            out.append(f'      <bpmn:lane id="{lane_id}" name={a(lane_name)}>')
            for node in self.nodes.values():
                if node.parent is not None:
                    continue
                row = self.nodes[node.host].row if node.host else node.row
                if first <= row < last:
                    out.append(f"        <bpmn:flowNodeRef>{node.id}</bpmn:flowNodeRef>")
            out.append("      </bpmn:lane>")
        out.append("    </bpmn:laneSet>")
        return out

    def _elements_xml(self, scope: str | None, ind: str) -> list[str]:
        out: list[str] = []
        for node in self.nodes.values():
            if node.parent != scope:
                continue
            attrs = "".join(f" {k}={a(v)}" for k, v in node.attrs.items())
            name = f" name={a(node.name)}" if node.name else ""
            open_tag = f"{ind}<bpmn:{node.tag} id={a(node.id)}{name}{attrs}"
            body = []
            if node.doc:
                body.append(f"{ind}  <bpmn:documentation>{t(node.doc)}</bpmn:documentation>")
            extensions = [x for x in node.inner if x.startswith("<bpmn:extensionElements")]
            others = [x for x in node.inner if not x.startswith("<bpmn:extensionElements")]
            for x in extensions:
                body.extend(f"{ind}  {line}" for line in x.split("\n") if line)
            for fid in node.incoming:
                body.append(f"{ind}  <bpmn:incoming>{fid}</bpmn:incoming>")
            for fid in node.outgoing:
                body.append(f"{ind}  <bpmn:outgoing>{fid}</bpmn:outgoing>")
            for x in others:  # event definitions, loop characteristics, script
                if x.startswith("<bpmn:script>"):
                    body.append(f"{ind}  {x}")  # script text keeps its own indentation
                else:
                    body.extend(f"{ind}  {line}" for line in x.split("\n") if line)
            if node.tag == "subProcess":  # flow elements come after the activity's own parts
                body.extend(self._elements_xml(node.id, ind + "  "))
            if body:
                out.append(open_tag + ">")
                out.extend(body)
                out.append(f"{ind}</bpmn:{node.tag}>")
            else:
                out.append(open_tag + " />")
        for f in self.flows:
            if f.parent != scope:
                continue
            name = f" name={a(f.name)}" if f.name else ""
            head = f'{ind}<bpmn:sequenceFlow id="{f.id}"{name} sourceRef="{f.source}" '
            head += f'targetRef="{f.target}"'
            if f.condition is None:
                out.append(head + " />")
            else:
                out.append(head + ">")
                out.append(
                    f'{ind}  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                    f"{t(f.condition)}</bpmn:conditionExpression>"
                )
                out.append(f"{ind}</bpmn:sequenceFlow>")
        return out

    def _di(self) -> list[str]:
        out = [f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{self.process_id}">']
        out.append(
            f'    <bpmndi:BPMNPlane id="BPMNPlane_{self.process_id}" '
            f'bpmnElement="Collaboration_{self.process_id}">'
        )
        width = self.width()
        pool_y = self.top()
        pool_h = self.rows() * ROW_H
        out.append(
            _shape(f"Participant_{self.process_id}", POOL_X, pool_y, width, pool_h, horizontal=True)
        )
        for lane_id, _name, first, last in self._lane_rows():
            out.append(
                _shape(
                    lane_id,
                    POOL_X + LANE_LABEL,
                    pool_y + first * ROW_H,
                    width - LANE_LABEL,
                    (last - first) * ROW_H,
                    horizontal=True,
                )
            )
        for index, (pid, _name) in enumerate(self.external_pools):
            y = 60 + index * 0  # one band above the main pool
            out.append(
                _shape(f"Participant_{pid}", POOL_X, y, width, EXTERNAL_POOL_H, horizontal=True)
            )
        # subprocesses first so their children are drawn on top
        ordered = sorted(self.nodes.values(), key=lambda n: (n.span is None, n.host is not None))
        for node in ordered:
            x, y, w, h = self.bounds(node)
            extra = ""
            if node.tag == "exclusiveGateway":
                extra = ' isMarkerVisible="true"'
            if node.span is not None:
                extra = ' isExpanded="true"'
            label = None
            if node.kind in ("event", "gateway") and node.name:
                label = (x - 32, y + h + 4, w + 64, 27)
            out.append(_shape(node.id, x, y, w, h, extra=extra, label=label))
        for f in self.flows:
            points = self.route(f)
            label = None
            if f.name:
                (x1, y1), (x2, y2) = points[0], points[1]
                lx = min(x1, x2) + 4
                ly = min(y1, y2) - 18 if abs(y1 - y2) < 1 else (y1 + y2) / 2 - 7
                label = (lx, ly, 80, 14)
            out.append(_edge(f.id, points, label))
        for mf in self.message_flows:
            node_id = mf.target if mf.source.startswith("pool:") else mf.source
            pool_bottom = 60 + EXTERNAL_POOL_H
            x, y, w, h = self.bounds(self.nodes[node_id])
            cx = x + w / 2 + (8 if mf.source.startswith("pool:") else -8)
            if mf.source.startswith("pool:"):
                points = [(cx, pool_bottom), (cx, y)]
            else:
                points = [(cx, y), (cx, pool_bottom)]
            out.append(_edge(mf.id, points, None))
        out.append("    </bpmndi:BPMNPlane>")
        out.append("  </bpmndi:BPMNDiagram>")
        return out


def _shape(element, x, y, w, h, *, horizontal=False, extra="", label=None) -> str:
    h_attr = ' isHorizontal="true"' if horizontal else ""
    lines = [
        f'      <bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"{h_attr}{extra}>',
        f'        <dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" />',
    ]
    if label:
        lx, ly, lw, lh = label
        lines.append("        <bpmndi:BPMNLabel>")
        lines.append(
            f'          <dc:Bounds x="{lx:.0f}" y="{ly:.0f}" width="{lw:.0f}" height="{lh:.0f}" />'
        )
        lines.append("        </bpmndi:BPMNLabel>")
    lines.append("      </bpmndi:BPMNShape>")
    return "\n".join(lines)


def _edge(element, points, label) -> str:
    lines = [f'      <bpmndi:BPMNEdge id="{element}_di" bpmnElement="{element}">']
    for x, y in points:
        lines.append(f'        <di:waypoint x="{x:.0f}" y="{y:.0f}" />')
    if label:
        lx, ly, lw, lh = label
        lines.append("        <bpmndi:BPMNLabel>")
        lines.append(
            f'          <dc:Bounds x="{lx:.0f}" y="{ly:.0f}" width="{lw:.0f}" height="{lh:.0f}" />'
        )
        lines.append("        </bpmndi:BPMNLabel>")
    lines.append("      </bpmndi:BPMNEdge>")
    return "\n".join(lines)


def _param(kind: str, name: str, value: Any) -> str:
    if isinstance(value, dict):
        entries = "".join(
            f"<camunda:entry key={a(k)}>{t(v)}</camunda:entry>" for k, v in value.items()
        )
        return (
            f"  <camunda:{kind}Parameter name={a(name)}><camunda:map>{entries}</camunda:map>"
            f"</camunda:{kind}Parameter>"
        )
    return f"  <camunda:{kind}Parameter name={a(name)}>{t(value)}</camunda:{kind}Parameter>"


def _extensions(*, form=(), inputs=None, outputs=None, fields=None) -> str:
    lines = []
    for name, value in (fields or {}).items():
        kind = "expression" if str(value).startswith("${") else "string"
        lines.append(
            f"<camunda:field name={a(name)}><camunda:{kind}>{t(value)}</camunda:{kind}>"
            "</camunda:field>"
        )
    if form:
        lines.append("<camunda:formData>")
        lines.extend(f.xml("  ") for f in form)
        lines.append("</camunda:formData>")
    if inputs or outputs:
        lines.append("<camunda:inputOutput>")
        for name, value in (inputs or {}).items():
            lines.append(_param("input", name, value))
        for name, value in (outputs or {}).items():
            lines.append(_param("output", name, value))
        lines.append("</camunda:inputOutput>")
    if not lines:
        return ""
    body = "\n".join("  " + line for line in "\n".join(lines).split("\n"))
    return f"<bpmn:extensionElements>\n{body}\n</bpmn:extensionElements>"


def _timer(timer: dict[str, str]) -> str:
    ((kind, value),) = timer.items()
    tag = {"date": "timeDate", "duration": "timeDuration", "cycle": "timeCycle"}[kind]
    return (
        "<bpmn:timerEventDefinition>\n"
        f'  <bpmn:{tag} xsi:type="bpmn:tFormalExpression">{t(value)}</bpmn:{tag}>\n'
        "</bpmn:timerEventDefinition>"
    )


def _multi(collection: str, element: str, sequential: bool = False) -> str:
    seq = ' isSequential="true"' if sequential else ""
    return (
        f"<bpmn:multiInstanceLoopCharacteristics{seq} camunda:collection={a(collection)} "
        f"camunda:elementVariable={a(element)} />"
    )


def _mapping(direction: str, mapping: dict[str, str]) -> str:
    attrs = " ".join(f"{k}={a(v)}" for k, v in mapping.items())
    return f"  <camunda:{direction} {attrs} />"
