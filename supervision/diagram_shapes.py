"""Shapes, marker icons and text layout for :mod:`supervision.diagram`.

Each BPMN shape kind has one drawing function (see ``SHAPE_DRAWERS``) that appends SVG
nodes to the element's ``<g>``.  The shapes follow bpmn-js's visual conventions (sizes,
stroke widths, marker icons) so that the server-rendered picture looks like what
designers saw in Camunda Modeler.  Icons are drawn in small local coordinate systems
placed with ``transform``, which keeps their path data short and readable.

The main outline of every element has the class ``outline``: the hook for the state CSS
in :mod:`supervision.diagram`.  Shapes carry presentation attributes too, so the SVG still
looks right where the ``<style>`` block is stripped.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
INK = "#22242a"
PAPER = "#fff"
TASK_FONT = 12
LABEL_FONT = 11
LINE_HEIGHT = 1.2
EXTERNAL_LABEL_WIDTH = 90  # bpmn-js wraps external labels at this width
EXTERNAL_LABEL_LINES = 8  # beyond that the tooltip has the full name

Point = tuple[float, float]

TASK_KINDS = frozenset(
    [
        "task",
        "userTask",
        "serviceTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "manualTask",
        "callActivity",
    ]
)
SUBPROCESS_KINDS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
ACTIVITY_KINDS = TASK_KINDS | SUBPROCESS_KINDS
EVENT_KINDS = frozenset(
    ["startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"]
)
GATEWAY_KINDS = frozenset(
    [
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    ]
)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def rect(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "width": self.w, "height": self.h}


@dataclass
class Item:
    """One diagram element: its semantic BPMN element plus its BPMNDI geometry."""

    id: str
    kind: str  # local name of the BPMN element, e.g. "userTask"
    sem: etree._Element
    di: etree._Element
    name: str
    bounds: Box | None = None  # shapes
    points: list[Point] = field(default_factory=list)  # connections
    label: Box | None = None  # BPMNLabel bounds
    source: etree._Element | None = None
    target: etree._Element | None = None
    ref: etree._Element | None = None  # e.g. the dataObject behind a dataObjectReference
    expanded: bool = True


def bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def local_name(el: etree._Element) -> str:
    return etree.QName(el).localname


def fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def path_d(points: list[Point], closed: bool = False) -> str:
    d = "M" + " L".join(f"{fmt(x)},{fmt(y)}" for x, y in points)
    return d + " Z" if closed else d


class Canvas:
    """Creates SVG nodes; records the extent of text, which may overflow its shape."""

    def __init__(self) -> None:
        self.extent: list[float] | None = None  # [min_x, min_y, max_x, max_y]
        self.labels: etree._Element | None = None  # top layer for external labels

    def add(self, parent: etree._Element, tag: str, text: str | None = None, **attrs: object):
        node = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
        for key, value in attrs.items():
            if value is not None:
                name = key.rstrip("_").replace("_", "-")
                node.set(name, fmt(value) if isinstance(value, float | int) else str(value))
        if text is not None:
            node.text = text
        return node

    def extend(self, x0: float, y0: float, x1: float, y1: float) -> None:
        if self.extent is None:
            self.extent = [x0, y0, x1, y1]
        else:
            e = self.extent
            e[:] = [min(e[0], x0), min(e[1], y0), max(e[2], x1), max(e[3], y1)]

    def icon(self, parent: etree._Element, name: str, x: float, y: float, scale: float = 1.0):
        """A group with a local coordinate system for a marker icon."""
        transform = f"translate({fmt(x)} {fmt(y)}) scale({fmt(scale)})"
        attrs = {"transform": transform, "fill": PAPER, "stroke": INK, "stroke_width": 1}
        return self.add(parent, "g", class_=f"marker marker-{name}", **attrs)

    def label_group(self, owner: etree._Element) -> etree._Element:
        """Where an element's external label goes: above all shapes and connections,
        so that no line crosses the text (bpmn-js keeps labels on top as well)."""
        if self.labels is None:
            return owner
        classes = owner.get("class", "").replace("el ", "el-label ", 1)
        group = self.add(self.labels, "g", class_=classes)
        group.set("data-label-for", owner.get("data-element-id", ""))
        title = owner.find(f"{{{SVG_NS}}}title")
        if title is not None:
            self.add(group, "title", title.text)
        return group


def outline(cv: Canvas, g: etree._Element, tag: str, *, sw: float = 2, fill: str = PAPER, **attrs):
    """The element's main outline: the node the state CSS recolours."""
    return cv.add(g, tag, class_="outline", fill=fill, stroke=INK, stroke_width=sw, **attrs)


# --- text ---------------------------------------------------------------------------------

# CJK closing punctuation must not start a line (kinsoku); it may overflow slightly instead.
_NO_LINE_START = frozenset("，。、；：？！）》」』】”’…,.;:?!)")
# Brackets and punctuation have their own glyphs in vertical (top-to-bottom) text.
_VERTICAL_FORMS = str.maketrans(
    "（）()《》「」【】，、。：；！？…", "︵︶︵︶︽︾﹁﹂︻︼︐︑︒︓︔︕︖︙"
)


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def text_width(text: str, size: float) -> float:
    # No font metrics on the server: CJK glyphs are ~1em wide, Latin ones ~0.55em.
    return sum(size if is_wide(ch) else size * 0.55 for ch in text)


def _tokens(paragraph: str) -> list[str]:
    """Latin words stay together; Chinese has no spaces, so every CJK glyph may break."""
    tokens: list[str] = []
    word = ""
    for ch in paragraph:
        if ch.isspace() or is_wide(ch):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(" " if ch.isspace() else ch)
        else:
            word += ch
    return tokens + [word] if word else tokens


def _fit_chars(text: str, width: float, size: float) -> int:
    used = 0.0
    for i, ch in enumerate(text):
        used += text_width(ch, size)
        if used > width:
            return max(i, 1)
    return len(text)


def wrap_text(text: str, width: float, size: float, max_lines: int | None = None) -> list[str]:
    """Greedy line breaking by estimated glyph widths; "…" marks text cut at ``max_lines``."""
    if max_lines is not None:
        # Only as many glyphs as can show matter; this keeps hostile huge names cheap.
        text = text[: max(max_lines, 1) * (int(width // (size * 0.55)) + 1) + 1]
    lines: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for tok in _tokens(paragraph):
            if tok == " ":
                line += " " if line else ""
                continue
            if line and text_width(line + tok, size) > width and tok not in _NO_LINE_START:
                lines.append(line.rstrip())
                line = ""
            while not line and text_width(tok, size) > width and len(tok) > 1:
                cut = _fit_chars(tok, width, size)  # an over-long word is cut anywhere
                lines.append(tok[:cut])
                tok = tok[cut:]
            line += tok
        lines.append(line.rstrip())
    lines = [line for line in lines if line]
    if max_lines is not None and len(lines) > max(max_lines, 1):
        lines = lines[: max(max_lines, 1)]
        last = lines[-1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def text_block(
    cv: Canvas,
    parent: etree._Element,
    lines: list[str],
    x: float,
    top: float,
    size: float,
    anchor: str = "middle",
    track: bool = True,
) -> None:
    """Draw lines of text; ``x`` is the centre (or the left edge for anchor="start")."""
    if not lines:
        return
    lh = size * LINE_HEIGHT
    node = cv.add(parent, "text", class_="label", font_size=size, text_anchor=anchor)
    for i, line in enumerate(lines):
        cv.add(node, "tspan", line, x=x, y=top + i * lh + size * 0.95)
    if track:
        width = max(text_width(line, size) for line in lines)
        left = x - width / 2 if anchor == "middle" else x
        cv.extend(left, top, left + width, top + len(lines) * lh)


def centered_label(cv: Canvas, g: etree._Element, text: str, box: Box, size: float) -> None:
    lh = size * LINE_HEIGHT
    lines = wrap_text(text, box.w, size, max_lines=int(box.h // lh))
    text_block(cv, g, lines, box.cx, box.cy - len(lines) * lh / 2, size)


def external_label(cv: Canvas, g: etree._Element, item: Item, default: Point) -> None:
    """A label outside the shape: at its DI label bounds, else ``default`` (centre, top)."""
    if not item.name:
        return
    lines = wrap_text(item.name, EXTERNAL_LABEL_WIDTH, LABEL_FONT, EXTERNAL_LABEL_LINES)
    x, top = (item.label.cx, item.label.y) if item.label is not None else default
    text_block(cv, cv.label_group(g), lines, x, top, LABEL_FONT)


def band_label(cv: Canvas, g: etree._Element, text: str, band: Box, vertical: bool) -> None:
    """Pool and lane names in their header band."""
    inner = Box(band.x + 2, band.y + 5, band.w - 4, band.h - 10)
    if not text:
        return
    if not vertical:
        centered_label(cv, g, text, inner, TASK_FONT)
    elif any(is_wide(ch) for ch in text):
        # Chinese reads naturally top to bottom with upright glyphs, unlike rotated text.
        glyphs = [ch for ch in text.translate(_VERTICAL_FORMS) if not ch.isspace()]
        step = TASK_FONT * 1.15
        room = max(int(inner.h // step), 1)
        if len(glyphs) > room:
            glyphs = glyphs[: room - 1] + ["︙"]
        top = band.cy - len(glyphs) * step / 2
        node = cv.add(g, "text", class_="label", font_size=TASK_FONT, text_anchor="middle")
        for i, ch in enumerate(glyphs):
            cv.add(node, "tspan", ch, x=band.cx, y=top + i * step + TASK_FONT * 0.95)
    else:
        lh = TASK_FONT * LINE_HEIGHT
        lines = wrap_text(text, inner.h, TASK_FONT, max_lines=max(int(inner.w // lh), 1))
        rotated = cv.add(g, "g", transform=f"rotate(-90 {fmt(band.cx)} {fmt(band.cy)})")
        top = band.cy - len(lines) * lh / 2
        text_block(cv, rotated, lines, band.cx, top, TASK_FONT, track=False)


# --- activities ---------------------------------------------------------------------------

IconDrawer = Callable[[Canvas, etree._Element], None]


def _paths(*specs: tuple[str, dict[str, object]]) -> IconDrawer:
    """An icon made of paths, each given as (path data, extra attributes)."""

    def draw(cv: Canvas, ic: etree._Element) -> None:
        for d, attrs in specs:
            cv.add(ic, "path", d=d, **attrs)

    return draw


def _gear() -> str:
    points: list[Point] = []
    for i in range(8):
        a = math.pi * i / 4
        for da, r in ((-0.36, 5.8), (-0.2, 8), (0.2, 8), (0.36, 5.8)):
            points.append((8 + r * math.cos(a + da), 8 + r * math.sin(a + da)))
    hole = "M10.6,8 A2.6,2.6 0 1 0 5.4,8 A2.6,2.6 0 1 0 10.6,8 Z"
    return path_d(points, closed=True) + " " + hole


def _circle_d(cx: float, cy: float, r: float) -> str:
    return f"M{fmt(cx + r)},{fmt(cy)} A{fmt(r)},{fmt(r)} 0 1 0 {fmt(cx - r)},{fmt(cy)} " + (
        f"A{fmt(r)},{fmt(r)} 0 1 0 {fmt(cx + r)},{fmt(cy)} Z"
    )


_ENVELOPE = "M0.5,3 H16.5 V14 H0.5 Z"
_FLAP = "M0.5,3 L8.5,9.5 L16.5,3"
_NONE: dict[str, object] = {}

# Task type markers in a 17x17 box at the task's top-left corner.
TASK_ICONS: dict[str, IconDrawer] = {
    "userTask": _paths(
        ("M1.5,16 C1.5,11 4,9 8,9 C12,9 14.5,11 14.5,16 Z", _NONE),
        ("M4.5,12.5 V16 M11.5,12.5 V16", {"fill": "none"}),
        (_circle_d(8, 5, 3.6), _NONE),
        ("M4.5,4.4 C5.2,1.2 10.8,1.2 11.5,4.4 C10,3.3 6,3.3 4.5,4.4 Z", {"fill": INK}),
    ),
    "serviceTask": _paths((_gear(), {"fill_rule": "evenodd"})),
    "scriptTask": _paths(
        (
            "M3.5,1 H14 C11.5,3.5 11.5,6 14,8.5 C16.5,11 16.5,13.5 14,16 H3.5 "
            "C6,13.5 6,11 3.5,8.5 C1,6 1,3.5 3.5,1 Z",
            _NONE,
        ),
        ("M5,4.5 H11 M5.8,7.5 H12.2 M6.5,10.5 H12.8 M6,13.5 H12", {"fill": "none"}),
    ),
    "sendTask": _paths((_ENVELOPE, {"fill": INK}), (_FLAP, {"fill": "none", "stroke": PAPER})),
    "receiveTask": _paths((_ENVELOPE, _NONE), (_FLAP, {"fill": "none"})),
    "businessRuleTask": _paths(
        ("M0.5,2 H16.5 V14.5 H0.5 Z", _NONE),
        ("M0.5,2 H16.5 V5.5 H0.5 Z", {"fill": INK}),
        ("M0.5,9.5 H16.5 M5,5.5 V14.5", {"fill": "none"}),
    ),
    "manualTask": _paths(
        (
            "M1,7.5 C1,5.5 2.3,4.5 4,4.5 H10 C11.4,4.5 11.4,6.5 10,6.5 H7.5 H15 "
            "C16.4,6.5 16.4,8.6 15,8.6 H9.5 H14.4 C15.8,8.6 15.8,10.7 14.4,10.7 H9.5 H13.6 "
            "C15,10.7 15,12.8 13.6,12.8 H9.5 H12.4 C13.7,12.8 13.7,14.8 12.4,14.8 H4 "
            "C2.2,14.8 1,13.5 1,11.5 Z",
            _NONE,
        ),
    ),
}

# Markers at the bottom centre of activities, each in a 14x14 box.
_BOTTOM_MARKERS: dict[str, IconDrawer] = {
    "collapsed": _paths(("M0,0 H14 V14 H0 Z M3,7 H11 M7,3 V11", {"stroke_width": 1.5})),
    "loop": _paths(
        (
            "M4.2,12.3 A5.6,5.6 0 1 1 9.8,12.3 M9.8,12.3 L10.3,8.9 M9.8,12.3 L13.2,12.1",
            {"fill": "none", "stroke_width": 1.5},
        )
    ),
    "parallel": _paths(("M3,1 V13 M7,1 V13 M11,1 V13", {"stroke_width": 2})),
    "sequential": _paths(("M1,3 H13 M1,7 H13 M1,11 H13", {"stroke_width": 2})),
    "adhoc": _paths(
        ("M1,8.5 C3,4 5,4 7,7 C9,10 11,10 13,5.5", {"fill": "none", "stroke_width": 1.5})
    ),
    "compensation": _paths(("M1,7 L7,3 V11 Z M7,7 L13,3 V11 Z", _NONE)),
}


def _marker_names(item: Item) -> list[str]:
    names = []
    if item.kind == "callActivity" or (item.kind in SUBPROCESS_KINDS and not item.expanded):
        names.append("collapsed")
    if item.sem.find(bpmn("standardLoopCharacteristics")) is not None:
        names.append("loop")
    mi = item.sem.find(bpmn("multiInstanceLoopCharacteristics"))
    if mi is not None:
        names.append("sequential" if mi.get("isSequential") == "true" else "parallel")
    if item.kind == "adHocSubProcess":
        names.append("adhoc")
    if item.sem.get("isForCompensation") == "true":
        names.append("compensation")
    return names


def _bottom_markers(cv: Canvas, g: etree._Element, b: Box, names: list[str]) -> None:
    left = b.cx - (len(names) * 18 - 4) / 2
    for i, name in enumerate(names):
        _BOTTOM_MARKERS[name](cv, cv.icon(g, name, left + i * 18, b.bottom - 18))


def _inner_label(cv: Canvas, g: etree._Element, item: Item, icon: bool, markers: bool) -> None:
    b = item.bounds
    assert b is not None
    lh = TASK_FONT * LINE_HEIGHT
    # bpmn-js lets long names run over the type icon and the bottom markers; keep clear.
    top, bottom = b.y + 5, b.bottom - 5 - (14 if markers else 0)
    lines = wrap_text(item.name, b.w - 10, TASK_FONT, max_lines=int((bottom - top) // lh))
    start = (top + bottom - len(lines) * lh) / 2
    if icon and start < b.y + 24:
        lines = wrap_text(item.name, b.w - 10, TASK_FONT, int((bottom - b.y - 24) // lh))
        start = max(b.y + 24, (top + bottom - len(lines) * lh) / 2)
    text_block(cv, g, lines, b.cx, start, TASK_FONT)


def draw_task(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    outline(cv, g, "rect", sw=5 if item.kind == "callActivity" else 2, rx=10, **b.rect())
    if item.kind in TASK_ICONS:
        TASK_ICONS[item.kind](cv, cv.icon(g, item.kind, b.x + 6, b.y + 6))
    markers = _marker_names(item)
    _bottom_markers(cv, g, b, markers)
    _inner_label(cv, g, item, item.kind in TASK_ICONS, bool(markers))


def draw_subprocess(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    dash = "1,3" if item.sem.get("triggeredByEvent") == "true" else None
    outline(cv, g, "rect", rx=10, stroke_dasharray=dash, **b.rect())
    if item.kind == "transaction":
        inner = Box(b.x + 3, b.y + 3, b.w - 6, b.h - 6)
        outline(cv, g, "rect", sw=1.5, fill="none", rx=7, **inner.rect())
    markers = _marker_names(item)
    _bottom_markers(cv, g, b, markers)
    if item.expanded:
        lines = wrap_text(item.name, b.w - 20, TASK_FONT, max_lines=2)
        text_block(cv, g, lines, b.cx, b.y + 7, TASK_FONT)
    else:
        _inner_label(cv, g, item, False, bool(markers))


# --- events -------------------------------------------------------------------------------

EventMarker = Callable[[Canvas, etree._Element, bool], None]


def _shape(d: str, width: float = 1.5) -> EventMarker:
    """A marker that is filled for throwing events and hollow for catching ones."""

    def draw(cv: Canvas, ic: etree._Element, filled: bool) -> None:
        cv.add(ic, "path", d=d, fill=INK if filled else PAPER, stroke_width=width)

    return draw


def _ev_timer(cv: Canvas, ic: etree._Element, filled: bool) -> None:
    cv.add(ic, "circle", cx=0, cy=0, r=11, stroke_width=2)
    ticks = []
    for i in range(12):
        cos, sin = math.cos(math.pi * i / 6), math.sin(math.pi * i / 6)
        ticks.append(f"M{fmt(8.5 * cos)},{fmt(8.5 * sin)} L{fmt(11 * cos)},{fmt(11 * sin)}")
    cv.add(ic, "path", d=" ".join(ticks), fill="none")
    cv.add(ic, "path", d="M0,-8 L0,0 L5.5,2.5", fill="none", stroke_width=1.5)


def _ev_message(cv: Canvas, ic: etree._Element, filled: bool) -> None:
    cv.add(ic, "path", d="M-9,-6.5 H9 V6.5 H-9 Z", fill=INK if filled else PAPER)
    cv.add(ic, "path", d="M-9,-6.5 L0,0.5 L9,-6.5", fill="none", stroke=PAPER if filled else INK)


def _ev_conditional(cv: Canvas, ic: etree._Element, filled: bool) -> None:
    cv.add(ic, "path", d="M-7,-9 H7 V9 H-7 Z")
    cv.add(ic, "path", d="M-4.5,-5 H4.5 M-4.5,-1.5 H4.5 M-4.5,2 H4.5 M-4.5,5.5 H4.5", fill="none")


def _polygon(n: int, r: float) -> str:
    angles = [-math.pi / 2 + 2 * math.pi * i / n for i in range(n)]
    return path_d([(r * math.cos(a), r * math.sin(a)) for a in angles], closed=True)


_PLUS = "M-2.5,-10 H2.5 V-2.5 H10 V2.5 H2.5 V10 H-2.5 V2.5 H-10 V-2.5 H-2.5 Z"

# Event markers in a coordinate system centred on a 36x36 event.
EVENT_MARKERS: dict[str, EventMarker] = {
    "timerEventDefinition": _ev_timer,
    "messageEventDefinition": _ev_message,
    "errorEventDefinition": _shape("M-8,8 L-3,-7 L2,2 L8,-8 L3,7 L-2,-2 Z"),
    "escalationEventDefinition": _shape("M0,-10 L7,9 L0,2 L-7,9 Z"),
    "signalEventDefinition": _shape("M0,-10 L9,7 H-9 Z"),
    "terminateEventDefinition": lambda cv, ic, filled: cv.add(
        ic, "circle", cx=0, cy=0, r=11, fill=INK, stroke="none"
    ),
    "conditionalEventDefinition": _ev_conditional,
    "linkEventDefinition": _shape("M-9,-3.5 H1 V-8 L9,0 L1,8 V3.5 H-9 Z"),
    "compensateEventDefinition": _shape("M-10,0 L-1,-6 V6 Z M-1,0 L8,-6 V6 Z"),
    "cancelEventDefinition": _shape(
        "M-8,-5 L-5,-8 L0,-3 L5,-8 L8,-5 L3,0 L8,5 L5,8 L0,3 L-5,8 L-8,5 L-3,0 Z"
    ),
    "multiple": _shape(_polygon(5, 9)),
    "parallelMultiple": lambda cv, ic, filled: cv.add(ic, "path", d=_PLUS),
}


def event_definitions(sem: etree._Element) -> list[str]:
    names = [local_name(c) for c in sem if isinstance(c.tag, str)]
    return [name for name in names if name.endswith("EventDefinition")]


def draw_event(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    kind, sem = item.kind, item.sem
    r = min(b.w, b.h) / 2
    non_interrupting = (kind == "boundaryEvent" and sem.get("cancelActivity") == "false") or (
        kind == "startEvent" and sem.get("isInterrupting") == "false"
    )
    style = {
        "sw": {"startEvent": 2, "endEvent": 4}.get(kind, 1.5),
        "stroke_dasharray": "5.5,3" if non_interrupting else None,
    }
    outline(cv, g, "circle", cx=b.cx, cy=b.cy, r=r, **style)
    if kind not in ("startEvent", "endEvent"):
        outline(cv, g, "circle", fill="none", cx=b.cx, cy=b.cy, r=r - 3, **style)
    defs = event_definitions(sem)
    if len(defs) > 1:
        defs = ["parallelMultiple" if sem.get("parallelMultiple") == "true" else "multiple"]
    if defs and defs[0] in EVENT_MARKERS:
        filled = kind in ("endEvent", "intermediateThrowEvent")
        ic = cv.icon(g, defs[0].removesuffix("EventDefinition"), b.cx, b.cy, r / 18)
        EVENT_MARKERS[defs[0]](cv, ic, filled)
    external_label(cv, g, item, (b.cx, b.bottom + 5))


# --- gateways -----------------------------------------------------------------------------

# The X and + of bpmn-js, moved so that (0, 0) is the centre of a 50x50 gateway.
_GATEWAY_X = (
    "M-9,-10 L-1.57,-0.29 L-9,9.43 H-5.84 L-0.07,1.89 L5.7,9.43 H8.87 L1.44,-0.29 "
    "L8.87,-10 H5.7 L-0.07,-2.46 L-5.84,-10 Z"
)
_GATEWAY_PLUS = "M-2,-15 V-2.5 H-14.5 V2.5 H-2 V15 H3 V2.5 H15.5 V-2.5 H3 V-15 Z"
_ASTERISK = "M0,-12 V12 M-12,0 H12 M-8.5,-8.5 L8.5,8.5 M8.5,-8.5 L-8.5,8.5"


def _event_gateway_marker(cv: Canvas, ic: etree._Element, sem: etree._Element) -> None:
    cv.add(ic, "circle", cx=0, cy=0, r=12.5)
    if sem.get("instantiate") != "true":
        cv.add(ic, "circle", cx=0, cy=0, r=10)
    if sem.get("eventGatewayType") == "Parallel":
        cv.add(ic, "path", d=_PLUS, transform="scale(0.75)")
    else:
        cv.add(ic, "path", d=_polygon(5, 6.5), stroke_width=1.5)


def draw_gateway(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    diamond = [(b.cx, b.y), (b.right, b.cy), (b.cx, b.bottom), (b.x, b.cy)]
    outline(cv, g, "path", d=path_d(diamond, closed=True))
    ic = cv.icon(g, item.kind, b.cx, b.cy, min(b.w, b.h) / 50)
    if item.kind == "exclusiveGateway":
        cv.add(ic, "path", d=_GATEWAY_X, fill=INK)
    elif item.kind == "parallelGateway":
        cv.add(ic, "path", d=_GATEWAY_PLUS, fill=INK)
    elif item.kind == "inclusiveGateway":
        cv.add(ic, "circle", cx=0, cy=0, r=12, fill="none", stroke_width=2.5)
    elif item.kind == "complexGateway":
        cv.add(ic, "path", d=_ASTERISK, fill="none", stroke_width=3.5)
    else:
        _event_gateway_marker(cv, ic, item.sem)
    external_label(cv, g, item, (b.cx, b.bottom + 5))


# --- pools, lanes, data and artifacts ------------------------------------------------------


def _draw_container(cv: Canvas, g: etree._Element, item: Item, fill: str) -> None:
    b = item.bounds
    assert b is not None
    outline(cv, g, "rect", sw=1.5, fill=fill, **b.rect())
    if item.kind == "participant" and item.sem.get("processRef") is None:
        # An empty ("black box") pool has no header band: its name sits in the middle.
        centered_label(cv, g, item.name, Box(b.x + 5, b.y + 5, b.w - 10, b.h - 10), TASK_FONT)
        return
    horizontal = item.di.get("isHorizontal", "true") != "false"
    if horizontal:
        band, rule = Box(b.x, b.y, 30, b.h), [(b.x + 30, b.y), (b.x + 30, b.bottom)]
    else:
        band, rule = Box(b.x, b.y, b.w, 30), [(b.x, b.y + 30), (b.right, b.y + 30)]
    outline(cv, g, "path", sw=1.5, fill="none", d=path_d(rule))
    band_label(cv, g, item.name, band, vertical=horizontal)


def draw_participant(cv: Canvas, g: etree._Element, item: Item) -> None:
    _draw_container(cv, g, item, PAPER)


def draw_lane(cv: Canvas, g: etree._Element, item: Item) -> None:
    _draw_container(cv, g, item, "none")


def draw_data_object(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    fold = min(b.w, b.h) * 0.3
    corner = (b.right - fold, b.y)
    page = [(b.x, b.y), corner, (b.right, b.y + fold), (b.right, b.bottom), (b.x, b.bottom)]
    outline(cv, g, "path", sw=1.5, d=path_d(page, closed=True))
    fold_line = [corner, (corner[0], b.y + fold), (b.right, b.y + fold)]
    cv.add(g, "path", d=path_d(fold_line), fill="none", stroke=INK, stroke_width=1.5)
    if item.kind in ("dataInput", "dataOutput"):
        arrow = "M0,4 H7 V0 L14,7 L7,14 V10 H0 Z"
        fill = INK if item.kind == "dataOutput" else PAPER
        cv.add(cv.icon(g, item.kind, b.x + 4, b.y + 4, 0.7), "path", d=arrow, fill=fill)
    ref = item.ref if item.ref is not None else item.sem
    if ref.get("isCollection") == "true":
        _BOTTOM_MARKERS["parallel"](cv, cv.icon(g, "collection", b.cx - 5, b.bottom - 12, 0.7))
    external_label(cv, g, item, (b.cx, b.bottom + 5))


def draw_data_store(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    rx, ry = b.w / 2, min(b.h * 0.12, 8)
    top, low = b.y + ry, b.bottom - ry

    def lower_arc(y: float) -> str:
        return f"A{fmt(rx)},{fmt(ry)} 0 0 0 {fmt(b.right)},{fmt(y)}"

    body = f"M{fmt(b.x)},{fmt(top)} V{fmt(low)} {lower_arc(low)} V{fmt(top)}"
    outline(cv, g, "path", sw=1.5, d=body)
    outline(cv, g, "ellipse", sw=1.5, cx=b.cx, cy=top, rx=rx, ry=ry)
    bands = " ".join(f"M{fmt(b.x)},{fmt(top + k)} {lower_arc(top + k)}" for k in (5, 10))
    cv.add(g, "path", d=bands, fill="none", stroke=INK, stroke_width=1.5)
    external_label(cv, g, item, (b.cx, b.bottom + 5))


def draw_text_annotation(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    bracket = [(b.x + 10, b.y), (b.x, b.y), (b.x, b.bottom), (b.x + 10, b.bottom)]
    outline(cv, g, "path", sw=1.5, fill="none", d=path_d(bracket))
    room = max(int((b.h - 10) // (TASK_FONT * LINE_HEIGHT)), 1)
    lines = wrap_text(item.name, b.w - 10, TASK_FONT, max_lines=room)
    text_block(cv, g, lines, b.x + 5, b.y + 5, TASK_FONT, anchor="start")


def draw_group(cv: Canvas, g: etree._Element, item: Item) -> None:
    b = item.bounds
    assert b is not None
    outline(cv, g, "rect", sw=1, fill="none", rx=10, stroke_dasharray="10,6,1,6", **b.rect())
    external_label(cv, g, item, (b.cx, b.y + 5))


Drawer = Callable[[Canvas, etree._Element, Item], None]

SHAPE_DRAWERS: dict[str, Drawer] = {
    **dict.fromkeys(TASK_KINDS, draw_task),
    **dict.fromkeys(SUBPROCESS_KINDS, draw_subprocess),
    **dict.fromkeys(EVENT_KINDS, draw_event),
    **dict.fromkeys(GATEWAY_KINDS, draw_gateway),
    "participant": draw_participant,
    "lane": draw_lane,
    "dataObjectReference": draw_data_object,
    "dataInput": draw_data_object,
    "dataOutput": draw_data_object,
    "dataStoreReference": draw_data_store,
    "textAnnotation": draw_text_annotation,
    "group": draw_group,
}
