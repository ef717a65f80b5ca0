"""Tests for the server-side BPMN → SVG renderer (supervision.diagram)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from lxml import etree

from supervision.diagram import NO_LAYOUT
from supervision.diagram import DiagramError
from supervision.diagram import render_svg
from supervision.diagram_shapes import text_width
from supervision.diagram_shapes import wrap_text

DATA = Path(__file__).resolve().parents[1] / "data" / "diagram"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "diagrams"
SAMPLES = sorted(p.stem for p in DATA.glob("*.bpmn"))

SVG = "{http://www.w3.org/2000/svg}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"

FLOW_NODE_KINDS = {
    "task",
    "userTask",
    "serviceTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "manualTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
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
}

ENFORCEMENT_STATES = {
    "StartEvent_1": "completed",
    "Flow_1": "completed",
    "Task_Register": "completed",
    "Task_Assess": "active",
    "Task_RequestInfo": "cancelled",
    "Service_Notify": "incident",
}


def sample(name: str) -> bytes:
    return (DATA / f"{name}.bpmn").read_bytes()


def parse_svg(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode(), etree.XMLParser(resolve_entities=False))


def element_groups(root: etree._Element) -> dict[str, list[etree._Element]]:
    groups: dict[str, list[etree._Element]] = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("data-element-id") is not None:
            groups.setdefault(g.get("data-element-id"), []).append(g)
    return groups


def group(root: etree._Element, element_id: str) -> etree._Element:
    (g,) = element_groups(root)[element_id]
    return g


def texts(node: etree._Element) -> list[str]:
    return [t.text for t in node.iter(f"{SVG}tspan")]


def main_plane(bpmn_xml: bytes) -> etree._Element:
    """The plane the renderer should pick when no process_id is given."""
    doc = etree.fromstring(bpmn_xml)
    planes = {p.get("bpmnElement"): p for p in doc.iter(f"{BPMNDI}BPMNPlane")}
    for collab in doc.iter(f"{BPMN}collaboration"):
        if collab.get("id") in planes:
            return planes[collab.get("id")]
    return next(iter(planes.values()))


def semantic_kinds(bpmn_xml: bytes) -> dict[str, str]:
    doc = etree.fromstring(bpmn_xml)
    return {el.get("id"): etree.QName(el).localname for el in doc.iter(f"{BPMN}*") if el.get("id")}


def view_box(root: etree._Element) -> tuple[float, float, float, float]:
    x, y, w, h = map(float, root.get("viewBox").split())
    return x, y, x + w, y + h


def path_points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)]


def line_path(g: etree._Element) -> etree._Element:
    return next(p for p in g.iter(f"{SVG}path") if p.get("class") == "line")


# --- every sample -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_renders_standalone_svg(name: str) -> None:
    states = ENFORCEMENT_STATES if name == "enforcement_case" else None
    svg = render_svg(sample(name), states=states)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.svg").write_text(svg, encoding="utf-8")

    root = parse_svg(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label", "").startswith("流程图")
    assert "bpmn-diagram" in root.get("class")
    assert root.find(f"{SVG}style") is not None
    for node in root.iter():
        # Inline SVG: ids would clash between diagrams, and nothing may be fetched or run.
        assert node.get("id") is None
        assert not any("href" in attr for attr in node.attrib)
        assert etree.QName(node).localname not in ("script", "foreignObject", "image")
    assert "url(" not in svg and "@import" not in svg


@pytest.mark.parametrize("name", SAMPLES)
def test_viewbox_covers_every_shape_and_waypoint(name: str) -> None:
    root = parse_svg(render_svg(sample(name)))
    x0, y0, x1, y1 = view_box(root)
    plane = main_plane(sample(name))
    for bounds in plane.iter(f"{DC}Bounds"):
        x, y = float(bounds.get("x")), float(bounds.get("y"))
        w, h = float(bounds.get("width")), float(bounds.get("height"))
        assert x0 <= x and x + w <= x1 and y0 <= y and y + h <= y1, bounds.getparent().get("id")
    for wp in plane.iter(f"{DI}waypoint"):
        assert x0 <= float(wp.get("x")) <= x1 and y0 <= float(wp.get("y")) <= y1


@pytest.mark.parametrize("name", SAMPLES)
def test_every_flow_node_with_layout_appears_exactly_once(name: str) -> None:
    kinds = semantic_kinds(sample(name))
    expected = {
        shape.get("bpmnElement")
        for shape in main_plane(sample(name)).iter(f"{BPMNDI}BPMNShape")
        if kinds.get(shape.get("bpmnElement")) in FLOW_NODE_KINDS
    }
    assert expected
    groups = element_groups(parse_svg(render_svg(sample(name))))
    for element_id in expected:
        assert len(groups.get(element_id, [])) == 1, element_id
        assert groups[element_id][0].get("data-element-type") == kinds[element_id]


@pytest.mark.parametrize("name", SAMPLES)
def test_edges_are_paths_through_their_waypoints(name: str) -> None:
    groups = element_groups(parse_svg(render_svg(sample(name))))
    edges = list(main_plane(sample(name)).iter(f"{BPMNDI}BPMNEdge"))
    assert edges
    for edge in edges:
        waypoints = edge.findall(f"{DI}waypoint")
        (g,) = groups[edge.get("bpmnElement")]
        points = path_points(line_path(g).get("d"))
        assert len(points) == len(waypoints), edge.get("bpmnElement")
        # Inner bends are kept exactly; the ends may be moved onto the shapes' outlines.
        for (x, y), wp in list(zip(points, waypoints, strict=True))[1:-1]:
            assert (x, y) == (float(wp.get("x")), float(wp.get("y")))


# --- geometry -----------------------------------------------------------------------------


def test_centre_to_centre_edges_stop_at_the_outlines() -> None:
    # Flow_10 runs from Gateway_Join's centre to Task_Approve's centre (x 1310..1410, y 400..).
    root = parse_svg(render_svg(sample("enforcement_case")))
    g = group(root, "Flow_10")
    arrow = next(p for p in g.iter(f"{SVG}path") if p.get("class") == "arrow")
    tip = path_points(arrow.get("d"))[1]
    assert tip[1] == pytest.approx(400, abs=0.2)
    assert 1310 < tip[0] < 1410
    # The start leaves the gateway diamond (centre 1240,180, half-diagonal 25).
    start = path_points(line_path(g).get("d"))[0]
    assert abs(start[0] - 1240) / 25 + abs(start[1] - 180) / 25 == pytest.approx(1, abs=0.05)


def test_arrowhead_points_along_the_last_segment() -> None:
    root = parse_svg(render_svg(sample("supervision_zh")))
    g = group(root, "Flow_7")  # ends going right into Task_Discuss at (1390, 370)
    arrow = next(p for p in g.iter(f"{SVG}path") if p.get("class") == "arrow")
    left, tip, right = path_points(arrow.get("d"))
    assert tip == (1390, 370)
    assert left[0] < tip[0] and right[0] < tip[0]


def test_labels_use_di_bounds_and_sit_above_connections() -> None:
    root = parse_svg(render_svg(sample("supervision_zh")))
    labels = root.find(f"{SVG}g[@class='bpmn-labels']")
    content = root.find(f"{SVG}g[@class='bpmn-content']")
    assert list(root).index(labels) > list(root).index(content)
    (label,) = [g for g in labels if g.get("data-label-for") == "Gw_Complete"]
    (tspan,) = label.iter(f"{SVG}tspan")
    assert tspan.text == "材料是否齐全？"
    assert float(tspan.get("x")) == pytest.approx(550 + 80 / 2)  # BPMNLabel 550,118 80x14
    assert 118 < float(tspan.get("y")) < 118 + 14


def test_default_label_position_is_below_the_event() -> None:
    root = parse_svg(render_svg(sample("enforcement_case")))
    labels = root.find(f"{SVG}g[@class='bpmn-labels']")
    (label,) = [g for g in labels if g.get("data-label-for") == "EndEvent_1"]
    (tspan,) = label.iter(f"{SVG}tspan")
    assert tspan.text == "Case closed"
    assert float(tspan.get("x")) == 1728 and float(tspan.get("y")) > 422 + 36


# --- states, tooltips, legend ---------------------------------------------------------------


def test_states_become_css_classes_with_a_legend() -> None:
    root = parse_svg(render_svg(sample("enforcement_case"), states=ENFORCEMENT_STATES))
    assert group(root, "Task_Register").get("class") == "el el-userTask state-completed"
    assert group(root, "Task_Assess").get("class") == "el el-businessRuleTask state-active"
    assert group(root, "Service_Notify").get("class") == "el el-serviceTask state-incident"
    assert group(root, "Task_RequestInfo").get("class") == "el el-userTask state-cancelled"
    assert group(root, "Flow_1").get("class") == "el el-sequenceFlow state-completed"
    assert group(root, "Task_Legal").get("class") == "el el-userTask"
    legend = root.find(f"{SVG}g[@class='legend']")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["已完成", "进行中", "异常", "已取消"]
    style = root.find(f"{SVG}style").text
    for state in ("completed", "active", "incident", "cancelled"):
        assert f".state-{state} .outline" in style
    # The legend is inside the picture.
    x0, y0, x1, y1 = view_box(root)
    rect = legend.find(f".//{SVG}rect")
    assert y0 <= float(rect.get("y")) and float(rect.get("y")) + 12 <= y1


def test_legend_lists_only_states_present_and_speaks_english() -> None:
    svg = render_svg(sample("enforcement_case"), states={"Task_Legal": "active"}, lang="en")
    root = parse_svg(svg)
    legend = root.find(f"{SVG}g[@class='legend']")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["Active"]
    assert root.get("aria-label") == "Process diagram: Enforcement supervision"


def test_no_states_means_no_legend() -> None:
    root = parse_svg(render_svg(sample("enforcement_case")))
    assert root.find(f"{SVG}g[@class='legend']") is None
    assert "state-" not in " ".join(g.get("class", "") for g in root.iter(f"{SVG}g"))


def test_unknown_state_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="running"):
        render_svg(sample("loop"), states={"Task_Review": "running"})


def test_titles_override_tooltips_and_default_to_name_or_id() -> None:
    titles = {"Task_Register": "已完成 2026-03-02 张三"}
    root = parse_svg(render_svg(sample("enforcement_case"), titles=titles))
    assert group(root, "Task_Register").findtext(f"{SVG}title") == "已完成 2026-03-02 张三"
    assert group(root, "Task_Legal").findtext(f"{SVG}title") == "Legal review"
    assert group(root, "Gateway_Split").findtext(f"{SVG}title") == "Gateway_Split"


def test_css_is_scoped_for_inline_embedding() -> None:
    style = parse_svg(render_svg(sample("loop"))).find(f"{SVG}style").text
    rules = [r.strip() for r in style.split("}") if r.strip()]
    assert rules and all(r.startswith(".bpmn-diagram") for r in rules)
    assert '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif' in style


# --- text ---------------------------------------------------------------------------------


def test_chinese_and_special_character_names_are_escaped() -> None:
    svg = render_svg(sample("supervision_zh"))
    assert "A&amp;B &lt;test&gt;" in svg
    assert "<test>" not in svg
    root = parse_svg(svg)
    special = group(root, "Task_Special")
    assert special.findtext(f"{SVG}title") == 'A&B <test> "q"'
    assert " ".join(texts(special)) == 'A&B <test> "q"'
    assert texts(group(root, "Task_Sign")) == ["签收工单"]


def test_titles_are_escaped_and_cleaned_of_non_xml_characters() -> None:
    titles = {"Task_Sign": "张三 <b>&amp;\x00\x1b"}
    svg = render_svg(sample("supervision_zh"), titles=titles)
    assert group(parse_svg(svg), "Task_Sign").findtext(f"{SVG}title") == "张三 <b>&amp;"


def test_long_chinese_name_wraps_inside_the_task() -> None:
    name = "登记案件信息并自动生成案件编号，同步至省级执法监督平台（系统自动）"
    root = parse_svg(render_svg(sample("supervision_zh")))
    g = group(root, "Task_Register")  # 100x80 at (410, 130), with a gear icon
    lines = texts(g)
    assert len(lines) > 1
    assert lines[-1].endswith("…")
    assert name.startswith("".join(lines)[:-1])
    for line in lines:
        assert text_width(line, 12) <= 90 + 12  # kinsoku may overhang by one glyph
    baselines = [float(t.get("y")) for t in g.iter(f"{SVG}tspan")]
    assert min(baselines) - 12 >= 130 + 20  # clear of the type icon
    assert max(baselines) <= 130 + 80
    assert g.findtext(f"{SVG}title") == name


def test_wrap_text_breaks_chinese_anywhere_and_latin_at_spaces() -> None:
    assert wrap_text("受理审查", 30, 12) == ["受理", "审查"]
    assert wrap_text("Register the case", 60, 12) == ["Register", "the case"]
    # Closing punctuation never starts a line.
    assert wrap_text("材料齐全，请审查", 48, 12) == ["材料齐全，", "请审查"]
    assert wrap_text("一二三四五六七八", 24, 12, max_lines=2) == ["一二", "三…"]
    assert wrap_text("Supercalifragilistic", 40, 12) == ["Superc", "alifra", "gilist", "ic"]


# --- pools, lanes, markers -------------------------------------------------------------------


def test_collaboration_renders_pools_and_lane_names() -> None:
    root = parse_svg(render_svg(sample("enforcement_case")))
    assert texts(group(root, "Participant_Case")) == ["Enforcement supervision"]
    assert texts(group(root, "Lane_Clerk")) == ["Clerk"]
    assert texts(group(root, "Lane_Supervisor")) == ["Supervisor"]


def test_chinese_lane_names_are_written_top_to_bottom() -> None:
    root = parse_svg(render_svg(sample("supervision_zh"), process_id="supervision_zh"))
    assert "".join(texts(group(root, "Lane_Intake"))) == "受理科"
    lane = texts(group(root, "Lane_Review"))
    assert "".join(lane) == "监督科︵复核︶"  # vertical forms of the brackets
    xs = {t.get("x") for t in group(root, "Lane_Review").iter(f"{SVG}tspan")}
    assert len(xs) == 1
    # The black-box pool (no process) shows its name in the middle.
    assert texts(group(root, "Pool_Unit")) == ["被监督单位"]


@pytest.mark.parametrize(
    ("element_id", "marker"),
    [
        ("T_userTask", "userTask"),
        ("T_serviceTask", "serviceTask"),
        ("T_scriptTask", "scriptTask"),
        ("T_sendTask", "sendTask"),
        ("T_receiveTask", "receiveTask"),
        ("T_businessRuleTask", "businessRuleTask"),
        ("T_manualTask", "manualTask"),
        ("T_callActivity", "collapsed"),
        ("A_loop", "loop"),
        ("A_mi_par", "parallel"),
        ("A_mi_seq", "sequential"),
        ("A_comp", "compensation"),
        ("A_sub", "collapsed"),
        ("A_adhoc", "adhoc"),
        ("E_startEvent_timer", "timer"),
        ("E_intermediateCatchEvent_link", "link"),
        ("E_intermediateThrowEvent_escalation", "escalation"),
        ("E_endEvent_terminate", "terminate"),
        ("E_endEvent_error", "error"),
        ("E_end_multi", "multiple"),
        ("G_exclusiveGateway", "exclusiveGateway"),
        ("G_eventBasedGateway", "eventBasedGateway"),
    ],
)
def test_type_markers(element_id: str, marker: str) -> None:
    root = parse_svg(render_svg(sample("catalog")))
    classes = [g.get("class") for g in group(root, element_id).iter(f"{SVG}g")]
    assert f"marker marker-{marker}" in classes


def test_throwing_markers_are_filled_and_catching_ones_hollow() -> None:
    root = parse_svg(render_svg(sample("catalog")))

    def marker_fill(element_id: str) -> str:
        marker = group(root, element_id).find(f"{SVG}g[@class='marker marker-message']")
        return marker.find(f"{SVG}path").get("fill")

    assert marker_fill("E_intermediateThrowEvent_message") == "#22242a"
    assert marker_fill("E_intermediateCatchEvent_message") == "#fff"


def test_boundary_event_dashed_only_when_non_interrupting() -> None:
    root = parse_svg(render_svg(sample("catalog")))
    timer = group(root, "B_timer").find(f"{SVG}circle")
    error = group(root, "B_err").find(f"{SVG}circle")
    assert timer.get("stroke-dasharray") and error.get("stroke-dasharray") is None


def test_default_and_conditional_flow_markers() -> None:
    root = parse_svg(render_svg(sample("supervision_zh")))

    def parts(element_id: str) -> list[str | None]:
        return [p.get("class") for p in group(root, element_id).iter(f"{SVG}path")]

    assert parts("Flow_No").count("line") == 2  # the flow and the default slash
    assert parts("Flow_Calc").count("arrow-open") == 1  # diamond: conditional from a task
    assert parts("Flow_Yes") == ["arrow", "line"]  # conditional, but from a gateway
    message = group(root, "MF_Notice")
    assert line_path(message).get("stroke-dasharray")
    assert message.find(f"{SVG}circle") is not None


def test_expanded_and_collapsed_subprocesses() -> None:
    root = parse_svg(render_svg(sample("case_main")))
    groups = element_groups(root)
    assert {"Sub_Start", "Task_Hearing", "Gw_Docs", "SF1"} <= groups.keys()
    ordered = [g.get("data-element-id") for g in root.iter(f"{SVG}g") if g.get("data-element-id")]
    assert ordered.index("Sub_Hearing") < ordered.index("Task_Hearing")  # children on top
    assert ordered.index("Sub_Hearing") < ordered.index("Boundary_Error")
    zh = parse_svg(render_svg(sample("supervision_zh")))
    classes = [g.get("class") for g in group(zh, "Sub_Archive").iter(f"{SVG}g")]
    assert "marker marker-collapsed" in classes
    dotted = group(zh, "Sub_Exception").find(f"{SVG}rect").get("stroke-dasharray")
    assert dotted


def test_children_of_a_collapsed_subprocess_are_hidden() -> None:
    xml = sample("case_main").replace(
        b'bpmnElement="Sub_Hearing" isExpanded="true"',
        b'bpmnElement="Sub_Hearing" isExpanded="false"',
    )
    groups = element_groups(parse_svg(render_svg(xml)))
    assert "Sub_Hearing" in groups and "Boundary_Error" in groups
    assert not {"Sub_Start", "Task_Hearing", "SF1"} & groups.keys()


# --- plane selection ------------------------------------------------------------------------

TWO_PROCESSES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d">
  <bpmn:process id="helper" name="辅助流程"><bpmn:task id="T_helper" name="辅助" /></bpmn:process>
  <bpmn:process id="main" name="主流程" isExecutable="true">
    <bpmn:subProcess id="Sub"><bpmn:task id="T_inner" name="内部" /></bpmn:subProcess>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="D1"><bpmndi:BPMNPlane id="P1" bpmnElement="helper">
    <bpmndi:BPMNShape id="S1" bpmnElement="T_helper">
      <dc:Bounds x="0" y="0" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
  <bpmndi:BPMNDiagram id="D2"><bpmndi:BPMNPlane id="P2" bpmnElement="main">
    <bpmndi:BPMNShape id="S2" bpmnElement="Sub" isExpanded="false">
      <dc:Bounds x="0" y="0" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
  <bpmndi:BPMNDiagram id="D3"><bpmndi:BPMNPlane id="P3" bpmnElement="Sub">
    <bpmndi:BPMNShape id="S3" bpmnElement="T_inner">
      <dc:Bounds x="0" y="0" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_plane_selection_prefers_the_executable_process() -> None:
    # str input with an encoding declaration is accepted too.
    root = parse_svg(render_svg(TWO_PROCESSES))
    assert set(element_groups(root)) == {"Sub"}
    assert root.get("aria-label") == "流程图：主流程"
    other = parse_svg(render_svg(TWO_PROCESSES.encode(), process_id="helper"))
    assert set(element_groups(other)) == {"T_helper"}


def test_process_in_a_collaboration_renders_the_collaboration_plane() -> None:
    groups = element_groups(
        parse_svg(render_svg(sample("enforcement_case"), process_id="enforcement_case"))
    )
    assert {"Participant_Case", "Lane_Clerk", "Task_Register"} <= groups.keys()


def test_unknown_process_raises() -> None:
    with pytest.raises(DiagramError, match="unknown process 'nope'"):
        render_svg(sample("loop"), process_id="nope")


# --- robustness and security ------------------------------------------------------------------


def test_missing_layout_raises_with_the_message_callers_show() -> None:
    xml = re.sub(rb"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", b"", sample("loop"), flags=re.S)
    with pytest.raises(DiagramError) as info:
        render_svg(xml)
    assert str(info.value) == "diagram has no layout (BPMNDI)" == NO_LAYOUT


def test_elements_without_di_are_skipped_and_unknown_ones_ignored() -> None:
    xml = re.sub(
        rb'<bpmndi:BPMNShape id="Task_Review_di".*?</bpmndi:BPMNShape>',
        b"",
        sample("loop"),
        flags=re.S,
    )
    xml = xml.replace(
        b"</bpmndi:BPMNPlane>",
        b'<bpmndi:BPMNShape id="x_di" bpmnElement="no_such_element">'
        b'<dc:Bounds x="0" y="0" width="10" height="10" /></bpmndi:BPMNShape>'
        b'<foo:thing xmlns:foo="urn:foo" bpmnElement="Script_Init" /></bpmndi:BPMNPlane>',
    )
    groups = element_groups(parse_svg(render_svg(xml)))
    assert "Task_Review" not in groups and "no_such_element" not in groups
    assert len(groups["Script_Init"]) == 1
    assert "F2" in groups  # its edge still has its own waypoints


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"", "empty"),
        (b"<bpmn:definitions", "malformed"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a BPMN"),
        ("<!-- c --><!DOCTYPE definitions><definitions/>", "DOCTYPE"),
    ],
)
def test_bad_input_raises_diagram_error(xml: bytes | str, message: str) -> None:
    with pytest.raises(DiagramError, match=message):
        render_svg(xml)


def _with_doctype(doctype: str, name: str, documentation: str = "") -> str:
    text = sample("loop").decode()
    text = text.replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    original = (
        '<bpmn:userTask id="Task_Review" name="Review submission" '
        'camunda:candidateGroups="clerks" />'
    )
    assert original in text
    text = text.replace(
        original,
        f'<bpmn:userTask id="Task_Review" name="{name}">'
        f"<bpmn:documentation>{documentation}</bpmn:documentation></bpmn:userTask>",
    )
    return doctype + text


def _billion_laughs() -> str:
    return '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )


@pytest.mark.parametrize("as_bytes", [False, True])
def test_external_entity_is_never_read(tmp_path: Path, as_bytes: bool) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    xml = _with_doctype(
        f'<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>', "&xxe;"
    )
    with pytest.raises(DiagramError, match="DOCTYPE") as info:
        render_svg(xml.encode() if as_bytes else xml)
    assert "TOP-SECRET" not in str(info.value)


@pytest.mark.parametrize(
    "variant", ["external DTD", "entity in text", "entity in attribute", "billion laughs"]
)
def test_doctype_hidden_from_the_prolog_scan_is_still_harmless(
    tmp_path: Path, variant: str
) -> None:
    # UTF-16 input gets past the textual prolog scan: the parser settings must hold alone.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    uri = secret.as_uri()
    doctype, name, documentation = {
        "external DTD": (f'<!DOCTYPE bpmn:definitions SYSTEM "{uri}">', "x", ""),
        "entity in text": (f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{uri}">]>', "x", "&xxe;"),
        "entity in attribute": (f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{uri}">]>', "&xxe;", ""),
        "billion laughs": (f"<!DOCTYPE d [{_billion_laughs()}]>", "&lol9;", "&lol9;"),
    }[variant]
    xml = _with_doctype(doctype, name, documentation)
    data = '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + xml.encode("utf-16-le")
    started = time.monotonic()
    with pytest.raises(DiagramError) as info:
        render_svg(data)
    assert "TOP-SECRET" not in str(info.value)
    assert time.monotonic() - started < 2


def test_billion_laughs_is_rejected_quickly() -> None:
    xml = _with_doctype(f"<!DOCTYPE bpmn:definitions [{_billion_laughs()}]>", "&lol9;")
    started = time.monotonic()
    with pytest.raises(DiagramError, match="DOCTYPE"):
        render_svg(xml)
    assert time.monotonic() - started < 2


def test_huge_names_stay_cheap_and_short() -> None:
    huge = "审" * 100_000 + "x" * 100_000
    xml = sample("supervision_zh").decode()
    for old in ('name="签收工单"', 'name="收到工单"', 'name="是"'):
        xml = xml.replace(old, f'name="{huge}"')
    started = time.monotonic()
    svg = render_svg(xml.encode())
    assert time.monotonic() - started < 2
    root = parse_svg(svg)
    for element_id in ("Task_Sign", "Start_Received", "Flow_Yes"):
        assert len(group(root, element_id).findtext(f"{SVG}title")) == 200_000
    labels = [t for t in root.iter(f"{SVG}tspan") if t.text and t.text.startswith("审")]
    assert labels and all(len(t.text) <= 12 for t in labels)
    assert len(list(root.iter(f"{SVG}tspan"))) < 300


def test_doctype_text_inside_a_script_is_not_a_doctype() -> None:
    xml = sample("loop").replace(
        b"<bpmn:script>counter = 0</bpmn:script>",
        b'<bpmn:script><![CDATA[html = "<!DOCTYPE html><p>&amp;</p>"]]></bpmn:script>',
    )
    assert "Script_Init" in element_groups(parse_svg(render_svg(xml)))
