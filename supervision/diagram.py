"""Server-side rendering of BPMN 2.0 diagrams to standalone SVG.

The case page and the process-definition page show the BPMN diagram that designers drew
in Camunda Modeler, with each element highlighted by its state.  Rendering happens here,
from the diagram interchange (BPMNDI) section of the XML, with lxml only: no JavaScript
viewer is needed in the browser and the picture can be cached or exported.

Process definitions are uploaded by users, so the XML is untrusted: DOCTYPEs are rejected
before anything could be expanded or loaded, and every text reaching the SVG goes through
lxml's serializer, which escapes it.

The SVG is meant to be inlined into HTML, possibly several per page, so it carries no
``id`` attributes (hence no ``<marker>``: arrowheads are plain paths in the connection's
group, which also lets the state CSS colour them) and its CSS is scoped under the
``bpmn-diagram`` class (an inline ``<style>`` applies page-wide).

Shapes and text layout are in :mod:`supervision.diagram_shapes`; this module parses the
XML, picks the plane to draw, routes connections and assembles the document.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from lxml import etree

from supervision.diagram_shapes import ACTIVITY_KINDS
from supervision.diagram_shapes import EVENT_KINDS
from supervision.diagram_shapes import EXTERNAL_LABEL_LINES
from supervision.diagram_shapes import EXTERNAL_LABEL_WIDTH
from supervision.diagram_shapes import GATEWAY_KINDS
from supervision.diagram_shapes import INK
from supervision.diagram_shapes import LABEL_FONT
from supervision.diagram_shapes import LINE_HEIGHT
from supervision.diagram_shapes import PAPER
from supervision.diagram_shapes import SHAPE_DRAWERS
from supervision.diagram_shapes import SUBPROCESS_KINDS
from supervision.diagram_shapes import SVG_NS
from supervision.diagram_shapes import Box
from supervision.diagram_shapes import Canvas
from supervision.diagram_shapes import Drawer
from supervision.diagram_shapes import Item
from supervision.diagram_shapes import Point
from supervision.diagram_shapes import bpmn
from supervision.diagram_shapes import external_label
from supervision.diagram_shapes import fmt
from supervision.diagram_shapes import local_name
from supervision.diagram_shapes import outline
from supervision.diagram_shapes import path_d
from supervision.diagram_shapes import text_block
from supervision.diagram_shapes import text_width
from supervision.diagram_shapes import wrap_text

__all__ = ["STATES", "DiagramError", "render_svg"]

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

STATES = ("completed", "active", "incident", "cancelled")
NO_LAYOUT = "diagram has no layout (BPMNDI)"
MARGIN = 20
FONT_STACK = '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif'

_TEXTS = {
    "zh": {
        "aria": "流程图：{}",
        "completed": "已完成",
        "active": "进行中",
        "incident": "异常",
        "cancelled": "已取消",
    },
    "en": {
        "aria": "Process diagram: {}",
        "completed": "Completed",
        "active": "Active",
        "incident": "Incident",
        "cancelled": "Cancelled",
    },
}

# Descendant selectors only: a ">" would be escaped to "&gt;" by the serializer.
_CSS = f"""
.bpmn-diagram {{ font-family: {FONT_STACK}; }}
.bpmn-diagram .label {{ fill: #22242a; }}
.bpmn-diagram .bpmn-labels .label {{
  paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round;
}}
.bpmn-diagram .state-completed .outline {{ fill: #e8f5e9; stroke: #2e7d32; }}
.bpmn-diagram .state-completed .line {{ stroke: #2e7d32; }}
.bpmn-diagram .state-completed .arrow {{ fill: #2e7d32; stroke: #2e7d32; }}
.bpmn-diagram .state-completed .arrow-open {{ stroke: #2e7d32; }}
.bpmn-diagram .state-active .outline {{ fill: #e3f2fd; stroke: #1565c0; stroke-width: 3.5; }}
.bpmn-diagram .el-endEvent.state-active .outline {{ stroke-width: 4.5; }}
.bpmn-diagram .el-callActivity.state-active .outline {{ stroke-width: 5; }}
.bpmn-diagram .state-active .line {{ stroke: #1565c0; stroke-width: 2.5; }}
.bpmn-diagram .state-active .arrow {{ fill: #1565c0; stroke: #1565c0; }}
.bpmn-diagram .state-active .arrow-open {{ stroke: #1565c0; }}
.bpmn-diagram .state-incident .outline {{ fill: #ffebee; stroke: #c62828; }}
.bpmn-diagram .state-incident .line {{ stroke: #c62828; }}
.bpmn-diagram .state-incident .arrow {{ fill: #c62828; stroke: #c62828; }}
.bpmn-diagram .state-incident .arrow-open {{ stroke: #c62828; }}
.bpmn-diagram .state-cancelled .outline {{ fill: #f5f5f5; stroke: #9e9e9e; stroke-dasharray: 6 4; }}
.bpmn-diagram .state-cancelled .line {{ stroke: #9e9e9e; stroke-dasharray: 6 4; }}
.bpmn-diagram .state-cancelled .arrow {{ fill: #9e9e9e; stroke: #9e9e9e; }}
.bpmn-diagram .state-cancelled .arrow-open {{ stroke: #9e9e9e; }}
.bpmn-diagram .state-cancelled .label {{ fill: #757575; }}
"""

# Characters XML 1.0 cannot carry; caller-supplied titles could contain them.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


class DiagramError(ValueError):
    """The BPMN XML cannot be rendered: malformed, unsafe, without DI, or unknown process."""


def render_svg(
    bpmn_xml: str | bytes,
    *,
    states: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
    process_id: str | None = None,
    lang: str = "zh",
) -> str:
    """Render the main diagram plane of ``bpmn_xml`` as a standalone SVG document.

    ``states`` maps element ids to one of :data:`STATES`; ``titles`` overrides the hover
    tooltip per element id.  ``process_id`` selects the process (its collaboration's plane
    when it takes part in one).  Raises :class:`DiagramError` for unusable input.
    """
    states = dict(states or {})
    unknown = sorted(map(repr, set(states.values()) - set(STATES)))
    if unknown:
        # A programming error in the caller, not bad XML: deliberately not a DiagramError.
        raise ValueError(f"unknown element state(s): {', '.join(unknown)}")
    root = _parse(bpmn_xml)
    plane, subject = _select_plane(root, process_id)
    index = {el.get("id"): el for el in root.iter(bpmn("*")) if el.get("id")}
    items = _collect(plane, index)
    texts = _TEXTS["zh" if lang.lower().startswith("zh") else "en"]
    svg = _render(items, states, dict(titles or {}), texts)
    svg.set("aria-label", texts["aria"].format(_diagram_name(subject)))
    svg.set(XML_LANG, _clean(lang))
    return etree.tostring(svg, encoding="unicode")


# --- input --------------------------------------------------------------------------------


def _parse(data: str | bytes) -> etree._Element:
    if isinstance(data, str):
        # lxml refuses str input that declares an encoding; the declaration carries nothing.
        data = _XML_DECLARATION.sub("", data.lstrip("\ufeff"), count=1)
    # Refuse before parsing at all; the parser settings below are the second line.
    if _declares_doctype(data if isinstance(data, str) else data.decode("latin-1")):
        raise DiagramError("DOCTYPE declarations are not allowed in BPMN files")
    if not data.strip():
        raise DiagramError("empty document")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise DiagramError(f"malformed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    # The prolog scan above misses e.g. UTF-16 input; the parser's view does not.
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise DiagramError("DOCTYPE declarations are not allowed in BPMN files")
    if root.tag != bpmn("definitions"):
        raise DiagramError("not a BPMN 2.0 document (root must be bpmn:definitions)")
    return root


def _declares_doctype(text: str) -> bool:
    """Whether the prolog (before the root element) holds a DOCTYPE.

    Only the prolog is looked at, so "<!DOCTYPE" inside e.g. a script's CDATA is fine.
    A plain scan rather than a regular expression: no backtracking on hostile input.
    """
    pos = 3 if text.startswith("\xef\xbb\xbf") else 0  # UTF-8 BOM read as Latin-1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<?", pos):
            end, skip = text.find("?>", pos + 2), 2
        elif text.startswith("<!--", pos):
            end, skip = text.find("-->", pos + 4), 3
        else:
            return text.startswith("<!DOCTYPE", pos)
        if end < 0:
            return False
        pos = end + skip


def _select_plane(
    root: etree._Element, process_id: str | None
) -> tuple[etree._Element, etree._Element | None]:
    """The plane to draw and the semantic element it shows."""
    planes = root.findall(f"{{{BPMNDI_NS}}}BPMNDiagram/{{{BPMNDI_NS}}}BPMNPlane")
    if not planes:
        raise DiagramError(NO_LAYOUT)
    by_ref: dict[str, etree._Element] = {}
    for plane in planes:
        by_ref.setdefault(plane.get("bpmnElement", ""), plane)
    collaborations = root.findall(bpmn("collaboration"))
    processes = root.findall(bpmn("process"))

    def takes_part(collaboration: etree._Element, pid: str) -> bool:
        refs = (p.get("processRef") for p in collaboration.iter(bpmn("participant")))
        return pid in refs

    if process_id is not None:
        process = next((p for p in processes if p.get("id") == process_id), None)
        if process is None:
            raise DiagramError(f"unknown process {process_id!r}")
        # Pools and lanes live on the collaboration plane, so prefer it.
        for collab in collaborations:
            if takes_part(collab, process_id) and collab.get("id") in by_ref:
                return by_ref[collab.get("id")], collab
        if process_id in by_ref:
            return by_ref[process_id], process
        raise DiagramError(NO_LAYOUT)
    candidates = collaborations + sorted(processes, key=lambda p: p.get("isExecutable") != "true")
    for element in candidates:
        if element.get("id") in by_ref:
            return by_ref[element.get("id")], element
    # Only planes of other elements (e.g. subprocess drill-downs): show the first one.
    return planes[0], None


def _diagram_name(subject: etree._Element | None) -> str:
    if subject is None:
        return ""
    if subject.get("name"):
        return subject.get("name")
    names = [p.get("name") for p in subject.iter(bpmn("participant")) if p.get("name")]
    if names:
        return "、".join(names)
    return subject.get("id", "")


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _bounds(node: etree._Element | None) -> Box | None:
    if node is None:
        return None
    values = [_number(node.get(k)) for k in ("x", "y", "width", "height")]
    if any(v is None for v in values):
        return None
    x, y, w, h = values
    return Box(x, y, max(w, 0.0), max(h, 0.0))  # type: ignore[arg-type]


def _waypoints(di: etree._Element) -> list[Point]:
    points = []
    for wp in di.iter(f"{{{DI_NS}}}waypoint"):
        x, y = _number(wp.get("x")), _number(wp.get("y"))
        if x is not None and y is not None:
            points.append((x, y))
    return points


def _name(sem: etree._Element, index: dict[str, etree._Element]) -> str:
    kind = local_name(sem)
    if kind == "textAnnotation":
        return (sem.findtext(bpmn("text")) or "").strip()
    if kind == "group":
        category_value = index.get(sem.get("categoryValueRef", ""))
        return category_value.get("value", "") if category_value is not None else ""
    return (sem.get("name") or "").strip()


# --- model --------------------------------------------------------------------------------


def _collect(plane: etree._Element, index: dict[str, etree._Element]) -> list[Item]:
    items: list[Item] = []
    seen: set[str] = set()
    for di in plane:
        if di.tag not in (f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge"):
            continue
        ref = di.get("bpmnElement", "")
        sem = index.get(ref)
        if sem is None or ref in seen:
            continue
        kind = local_name(sem)
        label = _bounds(di.find(f"{{{BPMNDI_NS}}}BPMNLabel/{{{DC_NS}}}Bounds"))
        item = Item(ref, kind, sem, di, _name(sem, index), label=label)
        if kind in SHAPE_DRAWERS:
            item.bounds = _bounds(di.find(f"{{{DC_NS}}}Bounds"))
            if item.bounds is None:
                continue
            item.ref = index.get(sem.get("dataObjectRef", ""))
        elif kind in EDGE_DRAWERS:
            item.points = _waypoints(di)
            item.source, item.target = _ends(sem, index)
        else:
            continue  # an element kind we do not draw
        seen.add(ref)
        items.append(item)
    shapes = {item.id: item for item in items if item.bounds is not None}
    _mark_collapsed(items, shapes)
    hidden = {i.id for i in items if i.kind in SUBPROCESS_KINDS and not i.expanded}
    items = [item for item in items if not _inside_collapsed(item.sem, hidden)]
    shapes = {item.id: item for item in items if item.bounds is not None}
    return [item for item in items if item.bounds is not None or _route(item, shapes)]


def _ends(
    sem: etree._Element, index: dict[str, etree._Element]
) -> tuple[etree._Element | None, etree._Element | None]:
    kind = local_name(sem)
    if kind == "dataInputAssociation":
        return index.get(sem.findtext(bpmn("sourceRef"), "").strip()), sem.getparent()
    if kind == "dataOutputAssociation":
        return sem.getparent(), index.get(sem.findtext(bpmn("targetRef"), "").strip())
    return index.get(sem.get("sourceRef", "")), index.get(sem.get("targetRef", ""))


def _mark_collapsed(items: list[Item], shapes: dict[str, Item]) -> None:
    for item in items:
        if item.kind not in SUBPROCESS_KINDS:
            continue
        flag = item.di.get("isExpanded")
        if flag is not None:
            item.expanded = flag == "true"
        else:
            # bpmn-js reads a missing flag as collapsed, but hand-made files omit it while
            # laying the children out in the same plane: trust the children.
            item.expanded = any(child.get("id") in shapes for child in item.sem)


def _inside_collapsed(sem: etree._Element, hidden: set[str]) -> bool:
    parent = sem.getparent()
    while parent is not None:
        if parent.get("id") in hidden:
            return True
        parent = parent.getparent()
    return False


def _route(edge: Item, shapes: dict[str, Item]) -> bool:
    """Fix up an edge's ends against its shapes; False if it cannot be drawn."""
    src = shapes.get(edge.source.get("id")) if edge.source is not None else None
    tgt = shapes.get(edge.target.get("id")) if edge.target is not None else None
    pts = edge.points
    if len(pts) < 2:
        if src is None or tgt is None:
            return False
        pts = [(src.bounds.cx, src.bounds.cy), (tgt.bounds.cx, tgt.bounds.cy)]
    # Hand-written DI often routes centre to centre; stop such ends at the outline so
    # the arrowhead is not hidden under the target shape.
    if src is not None and _inside(src, pts[0]) and not _inside(src, pts[1]):
        pts[0] = _outline_point(src, pts[0], pts[1])
    if tgt is not None and _inside(tgt, pts[-1]) and not _inside(tgt, pts[-2]):
        pts[-1] = _outline_point(tgt, pts[-1], pts[-2])
    edge.points = pts
    return True


def _inside(shape: Item, p: Point, margin: float = 1.0) -> bool:
    """Whether ``p`` lies inside the outline; the margin keeps points on it outside."""
    b = shape.bounds
    assert b is not None
    dx, dy = p[0] - b.cx, p[1] - b.cy
    rx, ry = b.w / 2 - margin, b.h / 2 - margin
    if rx <= 0 or ry <= 0:
        return False
    if shape.kind in EVENT_KINDS:
        return (dx / rx) ** 2 + (dy / ry) ** 2 < 1
    if shape.kind in GATEWAY_KINDS:
        return abs(dx) / rx + abs(dy) / ry < 1
    return abs(dx) < rx and abs(dy) < ry


def _outline_point(shape: Item, inner: Point, outer: Point) -> Point:
    # Bisection works for every outline (circle, diamond, rectangle) alike.
    for _ in range(30):
        mid = ((inner[0] + outer[0]) / 2, (inner[1] + outer[1]) / 2)
        if _inside(shape, mid, margin=0):
            inner = mid
        else:
            outer = mid
    return round(outer[0], 1), round(outer[1], 1)


def _layer(item: Item) -> tuple[int, int]:
    """Paint order: pools, lanes, then nodes outside-in, boundary events, edges, groups."""
    depth = sum(1 for a in item.sem.iterancestors() if local_name(a) in SUBPROCESS_KINDS)
    if item.kind == "participant":
        return (0, 0)
    if item.kind == "lane":
        return (1, sum(1 for a in item.sem.iterancestors(bpmn("lane"))))
    if item.kind == "boundaryEvent":
        return (3, depth)
    if item.bounds is None:
        return (4, 0)
    if item.kind == "group":
        return (5, 0)
    return (2, depth)


# --- connections --------------------------------------------------------------------------


def _end(points: list[Point], at_start: bool) -> tuple[Point, Point]:
    """The outermost point at one end of a polyline and the unit vector pointing there."""
    seq = points if at_start else points[::-1]
    for p in seq[1:]:
        if p != seq[0]:
            dx, dy = seq[0][0] - p[0], seq[0][1] - p[1]
            length = math.hypot(dx, dy)
            return seq[0], (dx / length, dy / length)
    return seq[0], (1.0, 0.0)


def _arrow(cv: Canvas, g: etree._Element, points: list[Point], style: str) -> float:
    """Arrowhead at the end of ``points``; returns how far the line should stop short."""
    tip, (ux, uy) = _end(points, at_start=False)
    half = 4.0 if style == "filled" else 5.0
    bx, by = tip[0] - ux * 11, tip[1] - uy * 11
    head = [(bx - uy * half, by + ux * half), tip, (bx + uy * half, by - ux * half)]
    if style == "filled":
        d = path_d(head, closed=True)
        cv.add(g, "path", class_="arrow", d=d, fill=INK, stroke=INK, stroke_linejoin="round")
        return 10.0
    if style == "open":
        d = path_d(head, closed=True)
        cv.add(g, "path", class_="arrow-open", d=d, fill=PAPER, stroke=INK, stroke_width=1.5)
        return 11.0
    cv.add(
        g, "path", class_="arrow-open", d=path_d(head), fill="none", stroke=INK, stroke_width=1.5
    )
    return 0.0


def _line(cv: Canvas, g: etree._Element, points: list[Point], cut: float, **style) -> None:
    pts = list(points)
    if cut:
        tip, (ux, uy) = _end(pts, at_start=False)
        pts[-1] = (tip[0] - ux * cut, tip[1] - uy * cut)
    d = path_d(pts)
    cv.add(g, "path", class_="line", d=d, fill="none", stroke=INK, stroke_linejoin="round", **style)


def _midpoint(points: list[Point]) -> tuple[Point, bool]:
    """The point halfway along a polyline, and whether its segment is mostly vertical."""
    segments = list(zip(points, points[1:], strict=False))
    remaining = sum(math.dist(a, b) for a, b in segments) / 2
    for a, b in segments:
        length = math.dist(a, b)
        if length >= remaining and length > 0:
            t = remaining / length
            mid = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            return mid, abs(b[1] - a[1]) > abs(b[0] - a[0])
        remaining -= length
    return points[0], False


def _flow_label(cv: Canvas, g: etree._Element, item: Item) -> None:
    if not item.name or item.label is not None:
        external_label(cv, g, item, (0, 0))
        return
    (mx, my), vertical = _midpoint(item.points)
    lines = wrap_text(item.name, EXTERNAL_LABEL_WIDTH, LABEL_FONT, EXTERNAL_LABEL_LINES)
    height = len(lines) * LABEL_FONT * LINE_HEIGHT
    parent = cv.label_group(g)
    if vertical:  # beside the line rather than across it
        text_block(cv, parent, lines, mx + 5, my - height / 2, LABEL_FONT, anchor="start")
    else:
        text_block(cv, parent, lines, mx, my - 3 - height, LABEL_FONT)


def _draw_sequence_flow(cv: Canvas, g: etree._Element, item: Item) -> None:
    cut = _arrow(cv, g, item.points, "filled")
    _line(cv, g, item.points, cut, stroke_width=1.5)
    (sx, sy), (ux, uy) = _end(item.points, at_start=True)
    ux, uy = -ux, -uy  # along the flow, away from the source
    source = item.source
    if source is not None and source.get("default") == item.id:
        slash = [
            (sx + ux * 6 + uy * 6, sy + uy * 6 - ux * 6),
            (sx + ux * 10 - uy * 6, sy + uy * 10 + ux * 6),
        ]
        cv.add(g, "path", class_="line", d=path_d(slash), fill="none", stroke=INK, stroke_width=1.5)
    elif (
        source is not None
        and local_name(source) in ACTIVITY_KINDS
        and item.sem.find(bpmn("conditionExpression")) is not None
    ):
        diamond = [
            (sx, sy),
            (sx + ux * 8 - uy * 4.5, sy + uy * 8 + ux * 4.5),
            (sx + ux * 16, sy + uy * 16),
            (sx + ux * 8 + uy * 4.5, sy + uy * 8 - ux * 4.5),
        ]
        d = path_d(diamond, closed=True)
        cv.add(g, "path", class_="arrow-open", d=d, fill=PAPER, stroke=INK, stroke_width=1)
    _flow_label(cv, g, item)


def _draw_message_flow(cv: Canvas, g: etree._Element, item: Item) -> None:
    cut = _arrow(cv, g, item.points, "open")
    _line(cv, g, item.points, cut, stroke_width=1.5, stroke_dasharray="10,11")
    (sx, sy), _ = _end(item.points, at_start=True)
    circle = {"cx": sx, "cy": sy, "r": 4, "fill": PAPER, "stroke": INK, "stroke_width": 1.5}
    cv.add(g, "circle", class_="arrow-open", **circle)
    _flow_label(cv, g, item)


def _draw_association(cv: Canvas, g: etree._Element, item: Item) -> None:
    direction = item.sem.get("associationDirection", "None")
    dotted = {"stroke_width": 1.5, "stroke_dasharray": "0.5,5", "stroke_linecap": "round"}
    _line(cv, g, item.points, 0, **dotted)
    if item.kind != "association" or direction in ("One", "Both"):  # data flows point too
        _arrow(cv, g, item.points, "line")
    if direction == "Both":
        _arrow(cv, g, item.points[::-1], "line")
    _flow_label(cv, g, item)


EDGE_DRAWERS: dict[str, Drawer] = {
    "sequenceFlow": _draw_sequence_flow,
    "messageFlow": _draw_message_flow,
    "association": _draw_association,
    "dataInputAssociation": _draw_association,
    "dataOutputAssociation": _draw_association,
}


# --- output -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return _NOT_XML_CHAR.sub("", text)


def _render(
    items: list[Item], states: dict[str, str], titles: dict[str, str], texts: dict[str, str]
) -> etree._Element:
    """One ``<g>`` per element in paint order, external labels on top, then the legend."""
    svg = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
    svg.set("class", "bpmn-diagram")
    svg.set("role", "img")
    cv = Canvas()
    cv.add(svg, "style", _CSS)
    content = cv.add(svg, "g", class_="bpmn-content")
    cv.labels = cv.add(svg, "g", class_="bpmn-labels")
    for item in sorted(items, key=_layer):
        classes = f"el el-{item.kind}"
        if item.id in states:
            classes += f" state-{states[item.id]}"
        g = cv.add(
            content, "g", class_=classes, data_element_id=item.id, data_element_type=item.kind
        )
        cv.add(g, "title", _clean(titles.get(item.id) or item.name or item.id))
        drawer = SHAPE_DRAWERS.get(item.kind) or EDGE_DRAWERS[item.kind]
        drawer(cv, g, item)
        if item.bounds is not None:
            b = item.bounds
            cv.extend(b.x, b.y, b.right, b.bottom)
        for x, y in item.points:
            cv.extend(x, y, x, y)
    extent = cv.extent or [0.0, 0.0, 100.0, 100.0]
    applied = {states[item.id] for item in items if item.id in states}
    used = [state for state in STATES if state in applied]
    if used:
        _legend(cv, svg, used, texts, extent[0], extent[3] + 14)
        extent = cv.extent or extent
    x0, y0 = extent[0] - MARGIN, extent[1] - MARGIN
    width, height = extent[2] - extent[0] + 2 * MARGIN, extent[3] - extent[1] + 2 * MARGIN
    svg.set("viewBox", " ".join(fmt(v) for v in (x0, y0, width, height)))
    svg.set("width", fmt(math.ceil(width)))
    svg.set("height", fmt(math.ceil(height)))
    return svg


def _legend(
    cv: Canvas, svg: etree._Element, used: list[str], texts: dict[str, str], x: float, y: float
) -> None:
    legend = cv.add(svg, "g", class_="legend")
    for state in used:
        entry = cv.add(legend, "g", class_=f"legend-item state-{state}")
        outline(cv, entry, "rect", sw=1.5, rx=3, **Box(x, y, 18, 12).rect())
        cv.add(entry, "text", texts[state], class_="label", x=x + 24, y=y + 10.5, font_size=12)
        advance = 24 + text_width(texts[state], 12) + 18
        cv.extend(x, y, x + advance - 18, y + 12)
        x += advance
