"""Serialise workflows without their specs, and keep the stored state small.

A case row stores only its runtime state (tasks, data, subprocesses, pending events); the
spec lives once per process definition (`ProcessDefinition.spec_json`) and is restored from
an in-process cache. `compact()` drops the finished part of the task tree that nothing can
refer to any more, so the cost of a step stays flat however long a case has been running
(the audit and history tables keep the full record).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import EventConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import SubWorkflowConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.event_definition import MessageEventDefinitionConverter
from SpiffWorkflow.util.task import TaskState

from supervision.engine.multiinstance import ParallelMultiInstanceTask
from supervision.engine.multiinstance import SequentialMultiInstanceTask
from supervision.engine.specs import CallActivity
from supervision.engine.specs import EventSubprocess
from supervision.engine.specs import MessageEventDefinition
from supervision.engine.specs import ServiceTask
from supervision.engine.specs import StartEvent
from supervision.engine.timers import CycleTimer
from supervision.engine.timers import DurationTimer
from supervision.engine.timers import TimeDateTimer

SERIALIZER_VERSION = "1.5+sv1"
_SPIFF_VERSION = "1.5"
COMPACT_THRESHOLD = 48  # tasks in one (sub)workflow before we look for history to drop


class ServiceTaskConverter(BpmnTaskSpecConverter):
    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct.update(
            implementation=spec.implementation,
            operation=spec.operation,
            call=spec.call,
            params=spec.params,
            result_variable=spec.result_variable,
        )
        return dct

    def from_dict(self, dct):
        return self.task_spec_from_dict(dct)


class MultiInstanceConverter(BpmnTaskSpecConverter):
    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct.update(
            task_spec=spec.task_spec,
            collection=spec.collection,
            cardinality=spec.cardinality,
            element_variable=spec.element_variable,
            condition=spec.condition,
        )
        return dct

    def from_dict(self, dct):
        return self.task_spec_from_dict(dct)


class CallActivityConverter(SubWorkflowConverter):
    def to_dict(self, spec):
        dct = super().to_dict(spec)
        dct.update(in_mappings=spec.in_mappings, out_mappings=spec.out_mappings)
        return dct


class StatelessWorkflowConverter(BpmnWorkflowConverter):
    """The top workflow without `spec` and `subprocess_specs`: those come from the cache."""

    def to_dict(self, workflow):
        dct = {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": self.mapping_to_dict(workflow.tasks),
            "root": str(workflow.task_tree.id),
            "subprocesses": self.mapping_to_dict(workflow.subprocesses),
            "bpmn_events": self.registry.convert(workflow.bpmn_events),
        }
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _config() -> dict:
    config = dict(CAMUNDA_CONFIG)
    config[ServiceTask] = ServiceTaskConverter
    config[CallActivity] = CallActivityConverter
    config[EventSubprocess] = SubWorkflowConverter
    config[StartEvent] = EventConverter
    config[ParallelMultiInstanceTask] = MultiInstanceConverter
    config[SequentialMultiInstanceTask] = MultiInstanceConverter
    config[TimeDateTimer] = TimerConditionalEventDefinitionConverter
    config[DurationTimer] = TimerConditionalEventDefinitionConverter
    config[CycleTimer] = TimerConditionalEventDefinitionConverter
    config[MessageEventDefinition] = MessageEventDefinitionConverter
    return config


class StateSerializer:
    """dumps/loads of workflow state and of specs, sharing one converter registry."""

    def __init__(self) -> None:
        self.registry = BpmnWorkflowSerializer.configure(_config())
        StatelessWorkflowConverter(BpmnWorkflow, self.registry)
        self._encoder = create_encoder(self.registry, None)

    # -- specs --------------------------------------------------------------
    def dump_spec_bundle(self, spec, embedded: Mapping[str, Any]) -> str:
        bundle = {
            "spec": self.registry.convert(spec),
            "embedded": {name: self.registry.convert(s) for name, s in embedded.items()},
        }
        return json.dumps(bundle, ensure_ascii=False, separators=(",", ":"))

    def load_spec_bundle(self, text: str) -> tuple[Any, dict[str, Any]]:
        bundle = json.loads(text)
        spec = self.registry.restore(bundle["spec"])
        embedded = {name: self.registry.restore(s) for name, s in bundle["embedded"].items()}
        return spec, embedded

    # -- state --------------------------------------------------------------
    def dumps(self, workflow: BpmnWorkflow) -> bytes:
        self.registry._encoder_mode = True
        try:
            dct = self.registry.convert(workflow)
            dct["serializer_version"] = SERIALIZER_VERSION
            text = json.dumps(dct, cls=self._encoder, separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False
        return zlib.compress(text.encode("utf-8"), 1)

    def loads(self, blob: bytes, spec, subprocess_specs: Mapping[str, Any]) -> BpmnWorkflow:
        dct = json.loads(zlib.decompress(blob))
        version = dct.pop("serializer_version", None)
        if version != SERIALIZER_VERSION:
            raise ValueError(f"unsupported workflow state version {version!r}")
        return self.registry.restore(dct, spec=spec, subprocess_specs=dict(subprocess_specs))

    @staticmethod
    def decode(blob: bytes) -> dict:
        """The raw stored JSON, for diagnostics and tests."""
        return json.loads(zlib.decompress(blob))


# ---------------------------------------------------------------- compaction


def _is_live(task) -> bool:
    # ERROR counts as live: an incident's task must survive so it can be retried.
    return task.state & (TaskState.NOT_FINISHED_MASK | TaskState.ERROR) != 0


def _compact_one(workflow) -> set[UUID]:
    """Re-root one (sub)workflow at the deepest common ancestor of its live tasks.

    Returns the ids of removed tasks. A task above that ancestor, or in a finished
    branch hanging off one, can no longer be reached by joins (a waiting join always has
    a live task in another branch, which keeps the split inside the kept subtree).
    """
    if len(workflow.tasks) <= COMPACT_THRESHOLD:
        return set()
    root = workflow.task_tree
    live = [t for t in workflow.tasks.values() if _is_live(t) and t is not root]
    if not live:
        return set()
    # Path from each live task up to the root; the common prefix ends at the ancestor.
    common: list | None = None
    for task in live:
        path = []
        node = task
        while node is not None:
            path.append(node)
            node = node.parent
        path.reverse()
        if common is None:
            common = path
        else:
            size = 0
            for a, b in zip(common, path, strict=False):
                if a is not b:
                    break
                size += 1
            common = common[:size]
    if not common or len(common) < 3:
        return set()
    anchor = common[-1]
    if anchor.parent is root:
        return set()
    keep = {root.id}
    stack = [anchor]
    while stack:
        node = stack.pop()
        keep.add(node.id)
        stack.extend(node.children)
    removed = {tid for tid in workflow.tasks if tid not in keep}
    if not removed:
        return set()
    anchor._parent = root.id
    root._children = [anchor.id]
    for tid in removed:
        del workflow.tasks[tid]
    if workflow.last_task is not None and workflow.last_task.id in removed:
        workflow.last_task = None
    return removed


def compact(workflow: BpmnWorkflow) -> int:
    """Drop unreachable finished history from the workflow and its subprocesses."""
    removed = _compact_one(workflow)
    for sub in list(workflow.subprocesses.values()):
        removed |= _compact_one(sub)
    # A finished subprocess whose calling task is gone can never be consulted again.
    for task_id in [tid for tid in workflow.subprocesses if _owner_missing(workflow, tid)]:
        del workflow.subprocesses[task_id]
    return len(removed)


def _owner_missing(workflow: BpmnWorkflow, task_id: UUID) -> bool:
    if task_id in workflow.tasks:
        return False
    return all(task_id not in sub.tasks for sub in workflow.subprocesses.values())


def state_size(blob: bytes) -> int:
    return len(blob)


def spiff_version() -> str:
    return _SPIFF_VERSION
