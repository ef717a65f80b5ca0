"""Deploy-time checks on Camunda Modeler XML: everything the engine would get wrong quietly.

The linter runs on the lxml tree before SpiffWorkflow parses it, so it reports every
problem in a file at once (SpiffWorkflow stops at the first). Each Problem names the
resource, the element id, the source line, the rule (`code`) and what to do; errors block
the deployment, warnings are returned with it. The rules are listed for designers in
docs/expressions.md; supervision.deployments turns the errors into a DeploymentError,
which the REST API answers as Camunda's ParseException.

- base.py: context, reporting, expression and script compilation, unknown functions;
- structure.py: unsupported elements, sequence flows, references, event subprocesses,
  input/output placement, ignored Camunda settings, layout;
- events.py: timers (ISO values checked like the engine parses them) and messages;
- tasks.py, forms.py: user tasks and forms, scripts, handlers, call activities,
  multi-instance, input/output parameters.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from supervision.engine.lint.base import BPMN_NS
from supervision.engine.lint.base import BPMNDI_NS
from supervision.engine.lint.base import CAMUNDA_NS
from supervision.engine.lint.base import NS
from supervision.engine.lint.base import RESERVED_VARIABLES
from supervision.engine.lint.base import B
from supervision.engine.lint.base import C
from supervision.engine.lint.base import LintContext
from supervision.engine.lint.base import element_lines
from supervision.engine.lint.events import EventRules
from supervision.engine.lint.structure import StructureRules
from supervision.engine.lint.structure import local_name
from supervision.engine.lint.tasks import TaskRules
from supervision.errors import Problem

__all__ = [
    "BPMNDI_NS",
    "BPMN_NS",
    "CAMUNDA_NS",
    "NS",
    "RESERVED_VARIABLES",
    "LintContext",
    "Linter",
    "element_lines",
    "lint_tree",
    "unique",
]

_WITH_IO = frozenset(
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


class Linter(StructureRules, EventRules, TaskRules):
    def run(self) -> list[Problem]:
        processes = self.xpath(self.root, "./bpmn:process")
        executable = [p for p in processes if p.get("isExecutable", "false") == "true"]
        if not processes:
            self.error(self.root, "the file contains no process", "no-process")
        elif not executable:
            self.error(
                processes[0],
                "no process is executable: tick 'Executable' in Camunda Modeler",
                "not-executable",
            )
        for process in executable:
            self.check_process(process)
        self.check_references()
        self.check_layout()
        return self.problems

    def check_process(self, process) -> None:
        lanes = self.lanes_of(process)
        self.check_start_events(process)
        self.check_flows(process)
        for node in process.iter():
            if not isinstance(node.tag, str):
                continue
            if node.tag.startswith(C):
                self.check_camunda_element(node)
                continue
            if not node.tag.startswith(B):
                continue
            local = local_name(node)
            self.check_unsupported(node, local)
            self.check_ignored_attributes(node)
            method = getattr(self, f"on_{local}", None)
            if method is not None:
                method(node)
            if local == "userTask":
                self.check_assignment(node, lanes.get(node.get("id")))
            if local == "subProcess" and node.get("triggeredByEvent") == "true":
                self.check_event_subprocess(node)
            if local in _WITH_IO:
                self.check_io_parameters(node)


def lint_tree(tree: etree._ElementTree, ctx: LintContext) -> list[Problem]:
    return Linter(tree, ctx).run()


def unique(problems: Iterable[Problem]) -> list[Problem]:
    seen = set()
    result = []
    for p in problems:
        key = (p.resource, p.element_id, p.message, p.severity)
        if key not in seen:
            seen.add(key)
            result.append(p)
    return result
