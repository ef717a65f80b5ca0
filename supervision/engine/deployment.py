"""Deploy-time parsing: safe XML, BPMN schema, the linter, SpiffWorkflow, stored specs.

`parse_resources` turns uploaded files into ParsedProcess objects (one per executable
process, with its spec serialised for storage) or a list of Problems. It stores nothing:
the caller (supervision.deployments) decides, so a refused upload changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from supervision.engine import lint
from supervision.engine.camunda import SupervisionParser
from supervision.engine.camunda import form_fields_to_dicts
from supervision.engine.expressions import FUNCTION_NAMES
from supervision.engine.serializer import StateSerializer
from supervision.engine.specs import CallActivity
from supervision.errors import Problem

MAX_RESOURCE_BYTES = 5 * 1024 * 1024
MAX_SCHEMA_ERRORS = 20
DMN_NAMESPACE_PREFIX = "https://www.omg.org/spec/DMN/"
BPMN_NS = lint.BPMN_NS


@dataclass
class ParsedProcess:
    key: str
    name: str | None
    resource_name: str
    xml: str
    content_hash: str
    spec_json: str
    called_keys: list[str]
    start_form: list[dict] | None
    documentation: str | None
    version_tag: str | None
    message_starts: list[str] = field(default_factory=list)
    timer_starts: list[str] = field(default_factory=list)


@dataclass
class ParsedResource:
    name: str
    content: bytes
    content_hash: str
    kind: str  # bpmn | dmn | other


@dataclass
class ParseOutcome:
    resources: list[ParsedResource]
    processes: list[ParsedProcess]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    # Building the BPMN schema costs ~5 ms: once per process.
    return BpmnValidator().validator


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(name: str, content: bytes) -> tuple[etree._ElementTree | None, Problem | None]:
    """Parse untrusted XML: no DTD, no entities, no network, bounded size."""
    if len(content) > MAX_RESOURCE_BYTES:
        return None, Problem(
            f"the file is larger than {MAX_RESOURCE_BYTES // (1024 * 1024)} MB", resource=name
        )
    head = content[:4096]
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content or b"\x00<\x00!" in head:
        return None, Problem(
            "DOCTYPE and entity declarations are not allowed in diagrams", resource=name, line=1
        )
    try:
        tree = etree.ElementTree(etree.fromstring(content, parser=_safe_parser()))
    except etree.XMLSyntaxError as exc:
        return None, Problem(
            f"the file is not well-formed XML: {exc.msg}",
            resource=name,
            line=exc.lineno,
            column=exc.offset,
        )
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return None, Problem(
            "DOCTYPE and entity declarations are not allowed in diagrams", resource=name, line=1
        )
    return tree, None


def _schema_problems(name: str, tree) -> list[Problem]:
    schema = _schema()
    root = tree.getroot()
    # bpmn-js writes correlation retrieval expressions the schema rejects (Spiff does the same).
    for expr in root.xpath(
        ".//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression",
        namespaces=lint.NS,
    ):
        expr.tag = f"{{{BPMN_NS}}}messagePath"
    if schema.validate(tree):
        return []
    problems = []
    for entry in list(schema.error_log)[:MAX_SCHEMA_ERRORS]:
        problems.append(
            Problem(
                f"BPMN schema: {entry.message}",
                resource=name,
                line=entry.line,
                column=entry.column,
            )
        )
    return problems


def _kind(name: str, tree) -> str:
    root = tree.getroot()
    ns = etree.QName(root).namespace or ""
    if ns == BPMN_NS:
        return "bpmn"
    if ns.startswith(DMN_NAMESPACE_PREFIX) or "dmn" in ns.lower():
        return "dmn"
    return "other"


def _problem_from_validation(
    exc: ValidationException, resource: str, lines: dict[str, int]
) -> Problem:
    element_id = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None) or (lines.get(element_id) if element_id else None)
    message = str(exc).rstrip(". ")
    return Problem(
        message,
        resource=getattr(exc, "file_name", None) or resource,
        element_id=element_id,
        line=line if isinstance(line, int) else None,
        element_ids=[element_id] if element_id else [],
    )


def split_subprocesses(spec, all_subs: dict) -> tuple[dict, list[str]]:
    """Separate embedded subprocess specs (stored with the process) from called processes."""
    embedded: dict = {}
    called: list[str] = []

    def walk(current) -> None:
        for task_spec in current.task_specs.values():
            if not isinstance(task_spec, SubWorkflowTask):
                continue
            if isinstance(task_spec, CallActivity):
                if task_spec.spec not in called:
                    called.append(task_spec.spec)
            elif task_spec.spec not in embedded and all_subs.get(task_spec.spec) is not None:
                embedded[task_spec.spec] = all_subs[task_spec.spec]
                walk(all_subs[task_spec.spec])

    walk(spec)
    return embedded, called


def parse_resources(
    resources: Sequence[tuple[str, bytes]],
    *,
    serializer: StateSerializer,
    known_process: Callable[[str], bool],
    known_groups: frozenset[str] | None,
    known_group_names: dict[str, str] | None = None,
    handler_names: frozenset[str] = frozenset(),
    functions: frozenset[str] = FUNCTION_NAMES,
) -> ParseOutcome:
    """Parse and check every resource; return processes only if there are no errors."""
    problems: list[Problem] = []
    parsed_resources: list[ParsedResource] = []
    trees: list[tuple[str, str, etree._ElementTree]] = []
    names = [n for n, _ in resources]
    for dup in {n for n in names if names.count(n) > 1}:
        problems.append(Problem(f"two files are named {dup}", resource=dup))

    for name, content in resources:
        digest = hashlib.sha256(content).hexdigest()
        tree, problem = parse_xml(name, content)
        if problem:
            problems.append(problem)
            parsed_resources.append(ParsedResource(name, content, digest, "other"))
            continue
        kind = _kind(name, tree)
        parsed_resources.append(ParsedResource(name, content, digest, kind))
        if kind == "other":
            problems.append(Problem("not a BPMN or DMN file", resource=name, line=1))
            continue
        if kind == "bpmn":
            schema_problems = _schema_problems(name, tree)
            problems.extend(schema_problems)
            if schema_problems:
                continue
            ctx = lint.LintContext(
                resource=name,
                known_groups=known_groups,
                known_group_names=known_group_names or {},
                handler_names=handler_names,
                functions=functions,
            )
            problems.extend(lint.lint_tree(tree, ctx))
        trees.append((name, kind, tree))

    if any(p.severity == "error" for p in problems):
        return ParseOutcome(parsed_resources, [], lint.unique(problems))

    parser = SupervisionParser(functions=functions)
    line_index: dict[str, dict[str, int]] = {}
    for name, kind, tree in trees:
        line_index[name] = lint.element_lines(tree)
        try:
            if kind == "dmn":
                parser.add_dmn_xml(tree.getroot(), filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            problems.append(_problem_from_validation(exc, name, line_index[name]))
    if any(p.severity == "error" for p in problems):
        return ParseOutcome(parsed_resources, [], lint.unique(problems))

    by_resource = {r.name: r for r in parsed_resources}
    deployed_here = set(parser.get_process_ids())
    processes: list[ParsedProcess] = []
    for name, kind, tree in trees:
        if kind != "bpmn":
            continue
        root = tree.getroot()
        for process in root.xpath("./bpmn:process[@isExecutable='true']", namespaces=lint.NS):
            key = process.get("id")
            try:
                spec = parser.get_spec(key)
                all_subs = parser.get_subprocess_specs(key, require_call_activity_specs=False)
                embedded, called = split_subprocesses(spec, all_subs)
            except ValidationException as exc:
                problems.append(_problem_from_validation(exc, name, line_index[name]))
                continue
            except Exception as exc:  # Spiff raises plain errors for some malformed models
                problems.append(
                    Problem(
                        f"cannot parse process {key}: {exc}",
                        resource=name,
                        element_id=key,
                        line=process.sourceline,
                    )
                )
                continue
            for called_key in called:
                if called_key not in deployed_here and not known_process(called_key):
                    call = root.xpath(
                        f".//bpmn:callActivity[@calledElement='{called_key}']", namespaces=lint.NS
                    )
                    node = call[0] if call else process
                    problems.append(
                        Problem(
                            f"the called process '{called_key}' is not deployed and not in this "
                            "deployment",
                            resource=name,
                            element_id=node.get("id"),
                            line=node.sourceline,
                            element_ids=[node.get("id")],
                        )
                    )
            try:
                spec_json = serializer.dump_spec_bundle(spec, embedded)
            except Exception as exc:
                problems.append(
                    Problem(
                        f"process {key} uses an element that cannot be stored: {exc}",
                        resource=name,
                        element_id=key,
                        line=process.sourceline,
                    )
                )
                continue
            starts = process.xpath("./bpmn:startEvent", namespaces=lint.NS)
            start_form = None
            for start in starts:
                fields = form_fields_to_dicts(_FormReader(), start)
                if fields:
                    start_form = fields
            message_starts = []
            for start in starts:
                for med in start.xpath("./bpmn:messageEventDefinition", namespaces=lint.NS):
                    ref = med.get("messageRef")
                    msg = root.xpath(f"./bpmn:message[@id='{ref}']", namespaces=lint.NS)
                    if msg and msg[0].get("name"):
                        message_starts.append(msg[0].get("name"))
            timer_starts = [
                s.get("id")
                for s in starts
                if s.xpath("./bpmn:timerEventDefinition", namespaces=lint.NS)
            ]
            documentation = process.xpath("./bpmn:documentation", namespaces=lint.NS)
            processes.append(
                ParsedProcess(
                    key=key,
                    name=process.get("name"),
                    resource_name=name,
                    xml=by_resource[name].content.decode("utf-8", errors="replace"),
                    content_hash=by_resource[name].content_hash,
                    spec_json=spec_json,
                    called_keys=called,
                    start_form=start_form,
                    documentation=documentation[0].text if documentation else None,
                    version_tag=process.get(f"{{{lint.CAMUNDA_NS}}}versionTag"),
                    message_starts=message_starts,
                    timer_starts=timer_starts,
                )
            )
    if any(p.severity == "error" for p in problems):
        return ParseOutcome(parsed_resources, [], lint.unique(problems))
    return ParseOutcome(parsed_resources, processes, lint.unique(problems))


class _FormReader:
    """Just enough of a NodeParser for form_fields_to_dicts."""

    @staticmethod
    def _xpath(node, path):
        return node.xpath(path, namespaces=lint.NS)
