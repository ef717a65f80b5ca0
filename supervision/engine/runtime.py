"""The workflow engine: every change to a case loads it, acts, runs engine steps and saves.

One `Operation` wraps each change. It deserialises the case (specs come from a per-thread
cache, never from XML), installs the evaluation context (one "now", the working-day
calendar, the settings), lets the caller act, runs the engine steps (service handlers,
scripts, gateways, timers), turns failures into incidents, and saves the state together
with the projections (open tasks, subscriptions, history, case fields) in the caller's
transaction. The version column makes two concurrent saves of one case collide instead
of one silently erasing the other (StaleCaseError).
"""

from __future__ import annotations

import ast
import contextlib
import logging
import threading
import time
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import ManualTask
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.models import ProcessDefinition
from db.models import ProcessInstance
from supervision import audit
from supervision import clock
from supervision.engine import patches
from supervision.engine import projection
from supervision.engine import scopes
from supervision.engine.deployment import ParseOutcome
from supervision.engine.deployment import parse_resources
from supervision.engine.expressions import FUNCTION_NAMES
from supervision.engine.failures import describe
from supervision.engine.functions import LIBRARY
from supervision.engine.scripting import EvaluationContext
from supervision.engine.scripting import ScriptEngine
from supervision.engine.scripting import current_context
from supervision.engine.scripting import evaluation_context
from supervision.engine.serializer import SERIALIZER_VERSION
from supervision.engine.serializer import StateSerializer
from supervision.engine.serializer import compact
from supervision.engine.specs import MessageEventDefinition
from supervision.engine.specs import ServiceTask
from supervision.engine.timers import reset_timer
from supervision.engine.views import ActivityState
from supervision.engine.views import OperationResult
from supervision.engine.views import TaskFormView
from supervision.errors import CaseNotFoundError
from supervision.errors import ConflictError
from supervision.errors import DefinitionNotFoundError
from supervision.errors import MessageNotCorrelatedError
from supervision.errors import StaleCaseError
from supervision.errors import TaskCompletionError
from supervision.errors import TaskNotFoundError
from supervision.errors import TaskNotOpenError
from supervision.forms import FormField
from supervision.forms import FormView

patches.apply()
log = logging.getLogger(__name__)

Handler = Callable[..., Any]
MAX_PENDING_DELIVERY_ROUNDS = 5


@dataclass
class HandlerContext:
    """What a service handler gets: the case, the data, its parameters, the transaction."""

    session: Session
    engine: WorkflowEngine
    instance: ProcessInstance
    actor: str | None
    now: datetime
    task_id: str
    activity_id: str
    activity_name: str | None
    data: dict[str, Any]
    params: dict[str, Any]
    operation: Operation

    def setting(self, name: str, default: Any = None) -> Any:
        return self.operation.settings.get(name, default)


@dataclass
class Operation:
    """One load-act-save of one case."""

    session: Session
    instance: ProcessInstance
    actor: str | None
    action: str
    now: datetime
    settings: Mapping[str, Any]
    wall_start: float = field(default_factory=time.time)
    result: OperationResult | None = None
    completed: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_instance: bool = False
    # What the projections looked like when the case was loaded: the save writes only
    # the difference, instead of reading the rows back to compare.
    before: projection.Snapshot = field(default_factory=projection.Snapshot)


class _SpecCache:
    """Restored specs per process definition, per thread (Spiff specs are not thread-safe)."""

    def __init__(self, serializer: StateSerializer, size: int = 64) -> None:
        self._serializer = serializer
        self._size = size
        self._local = threading.local()

    def _store(self) -> OrderedDict:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = OrderedDict()
        return store

    def bundle(self, session: Session, definition_id: str) -> tuple[str, Any, dict[str, Any]]:
        store = self._store()
        hit = store.get(definition_id)
        if hit is not None:
            store.move_to_end(definition_id)
            return hit
        row = session.execute(
            select(ProcessDefinition.key, ProcessDefinition.spec_json).where(
                ProcessDefinition.id == definition_id
            )
        ).one_or_none()
        if row is None:
            raise DefinitionNotFoundError(f"process definition {definition_id} not found")
        spec, embedded = self._serializer.load_spec_bundle(row.spec_json)
        entry = (row.key, spec, embedded)
        store[definition_id] = entry
        if len(store) > self._size:
            store.popitem(last=False)
        return entry

    def clear(self) -> None:
        self._local.store = OrderedDict()


class WorkflowEngine:
    """Deploy-time parsing and every run-time operation on cases."""

    def __init__(
        self,
        handlers: Mapping[str, Handler] | None = None,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        calendar_provider: Callable[[Session], Any] | None = None,
        settings_provider: Callable[[Session], Mapping[str, Any]] | None = None,
    ) -> None:
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.functions = dict(functions or LIBRARY)
        self.serializer = StateSerializer()
        self.specs = _SpecCache(self.serializer)
        self.script_engine = ScriptEngine(self.functions, self.handlers, self._invoke_handler)
        self._calendar_provider = calendar_provider or _default_calendar
        self._settings_provider = settings_provider or _default_settings
        self._active: threading.local = threading.local()

    # ------------------------------------------------------------------ deploy
    @property
    def function_names(self) -> frozenset[str]:
        return frozenset(self.functions) | FUNCTION_NAMES

    def parse(
        self,
        resources: list[tuple[str, bytes]],
        *,
        known_process: Callable[[str], bool],
        known_groups: frozenset[str] | None,
        known_group_names: dict[str, str] | None = None,
    ) -> ParseOutcome:
        return parse_resources(
            resources,
            serializer=self.serializer,
            known_process=known_process,
            known_groups=known_groups,
            known_group_names=known_group_names,
            handler_names=frozenset(self.handlers),
            functions=self.function_names,
        )

    def register_handler(self, name: str, handler: Handler) -> None:
        self.handlers[name] = handler

    # ------------------------------------------------------------------ loading
    def _specs_for(self, session: Session, instance: ProcessInstance):
        _, spec, embedded = self.specs.bundle(session, instance.definition_id)
        subprocess_specs = dict(embedded)
        for definition_id in instance.called_definition_ids or []:
            key, called_spec, called_embedded = self.specs.bundle(session, definition_id)
            subprocess_specs[key] = called_spec
            subprocess_specs.update(called_embedded)
        return spec, subprocess_specs

    def _load(self, session: Session, instance: ProcessInstance) -> BpmnWorkflow:
        spec, subs = self._specs_for(session, instance)
        workflow = self.serializer.loads(instance.state, spec, subs)
        # The script engine is not serialised; without it scripts would run unrestricted.
        workflow.script_engine = self.script_engine
        return workflow

    def resolve_called(self, session: Session, definition_id: str) -> list[str]:
        """Bind every process the definition calls (recursively) to its latest version."""
        seen: dict[str, str] = {}
        pending = [definition_id]
        while pending:
            current = pending.pop()
            called = (
                session.scalar(
                    select(ProcessDefinition.called_keys).where(ProcessDefinition.id == current)
                )
                or []
            )
            for key in called:
                if key in seen:
                    continue
                latest = session.scalar(
                    select(ProcessDefinition.id)
                    .where(ProcessDefinition.key == key)
                    .order_by(ProcessDefinition.version.desc())
                    .limit(1)
                )
                if latest is None:
                    raise DefinitionNotFoundError(f"the called process '{key}' is not deployed")
                seen[key] = latest
                pending.append(latest)
        return list(seen.values())

    # ------------------------------------------------------------------ operations
    @contextlib.contextmanager
    def operation(
        self,
        session: Session,
        instance: ProcessInstance,
        actor: str | None,
        action: str,
        *,
        workflow: BpmnWorkflow | None = None,
        new_instance: bool = False,
    ) -> Iterator[tuple[Operation, BpmnWorkflow]]:
        settings = self._settings_provider(session)
        op = Operation(
            session=session,
            instance=instance,
            actor=actor,
            action=action,
            now=clock.now(),
            settings=settings,
            new_instance=new_instance,
        )
        op.result = OperationResult(instance=instance)
        ctx = EvaluationContext(
            now=lambda: op.now,
            calendar_loader=lambda: self._calendar_provider(session),
            settings=settings,
            operation=op,
        )
        with evaluation_context(ctx), audit.batch(session):
            wf = workflow if workflow is not None else self._load(session, instance)
            if not new_instance:
                op.before = projection.snapshot(wf, instance)
            yield op, wf
            self._run_steps(op, wf)
            self._save(op, wf)

    def start(
        self,
        session: Session,
        definition: ProcessDefinition,
        *,
        actor: str | None,
        business_key: str | None = None,
        variables: Mapping[str, Any] | None = None,
        parent_instance_id: str | None = None,
        relation: str | None = None,
        message_name: str | None = None,
        start_event_id: str | None = None,
        timer_fired: bool = False,
    ) -> OperationResult:
        """Create a case of `definition` and run it to its first wait states.

        `timer_fired`: the worker found the timer start event `start_event_id` due, so the
        case starts at once (a cycle does not keep repeating inside the case).
        """
        instance = ProcessInstance(
            id=str(uuid.uuid4()),
            definition_id=definition.id,
            definition_key=definition.key,
            called_definition_ids=self.resolve_called(session, definition.id),
            business_key=business_key,
            status="active",
            state=b"",
            serializer_version=SERIALIZER_VERSION,
            started_by=actor,
            started_at=clock.now(),
            parent_instance_id=parent_instance_id,
            relation=relation,
            variables={},
        )
        session.add(instance)
        spec, subs = self._specs_for(session, instance)
        workflow = BpmnWorkflow(spec, subs, script_engine=self.script_engine)
        initial = deepcopy(dict(variables or {}))
        root = workflow.get_next_task(spec_name="Start")
        root.data.update(initial)
        with self.operation(
            session, instance, actor, "start", workflow=workflow, new_instance=True
        ) as (op, wf):
            audit.append(
                session,
                "start",
                actor=actor,
                instance_id=instance.id,
                details={
                    "definition_id": definition.id,
                    "business_key": business_key,
                    "variables": initial,
                    "message": message_name,
                },
                at=op.now,
            )
            self._choose_start_event(wf, message_name, start_event_id, timer_fired)
            if message_name:
                delivered = self._catch(wf, message_name, initial)
                if not delivered:
                    raise MessageNotCorrelatedError(
                        f"process {definition.key} does not start on message '{message_name}'"
                    )
        return op.result

    def complete_task(
        self,
        session: Session,
        instance: ProcessInstance,
        task_id: str,
        values: Mapping[str, Any],
        *,
        actor: str | None,
    ) -> OperationResult:
        """Complete a ready user task with already validated values."""
        with self.operation(session, instance, actor, "complete") as (op, wf):
            task = self._ready_user_task(wf, task_id)
            fresh = deepcopy(dict(values))
            task.set_data(**fresh)
            try:
                task.run()
            except Exception as exc:
                # An output mapping (or what the completion triggers) failed: refuse the
                # completion; the caller's transaction is rolled back, nothing changes.
                raise TaskCompletionError(
                    f"任务无法完成 (the task cannot be completed): {describe(exc)}",
                    task_id=task_id,
                ) from exc
            op.completed[str(task.id)] = fresh
            audit.append(
                session,
                "complete",
                actor=actor,
                instance_id=instance.id,
                task_id=str(task.id),
                activity_id=task.task_spec.bpmn_id,
                details={"name": task.task_spec.bpmn_name, "values": fresh},
                at=op.now,
            )
        return op.result

    def deliver_message(
        self,
        session: Session,
        instance: ProcessInstance,
        name: str,
        variables: Mapping[str, Any] | None,
        *,
        actor: str | None,
    ) -> OperationResult:
        """Give a waiting case a message; MessageNotCorrelatedError if it is not waiting."""
        with self.operation(session, instance, actor, "message") as (op, wf):
            if not self._catch(wf, name, dict(variables or {})):
                raise MessageNotCorrelatedError(
                    f"case {instance.case_no or instance.id} is not waiting for message '{name}'"
                )
            audit.append(
                session,
                "message",
                actor=actor,
                instance_id=instance.id,
                details={"name": name, "variables": dict(variables or {})},
                at=op.now,
            )
        return op.result

    def fire_timers(
        self, session: Session, instance: ProcessInstance, *, actor: str | None = "timer"
    ) -> OperationResult:
        """Fire whatever timers of the case are due now (the worker calls this)."""
        with self.operation(session, instance, actor, "timer") as (op, wf):
            wf.refresh_timers()
        return op.result

    def set_variables(
        self,
        session: Session,
        instance: ProcessInstance,
        variables: Mapping[str, Any],
        *,
        actor: str | None,
        recompute_timers: bool = False,
    ) -> OperationResult:
        """Change case variables on every live task; optionally recompute waiting timers.

        A deadline extension sets the new due date and recomputes the timers that derive
        from it, so yellow/red cards and escalation move with the deadline. Only timers
        whose expression reads a changed variable are recomputed: a PT24H timer started
        yesterday keeps its due time, a cycle keeps its count.
        """
        fresh = deepcopy(dict(variables))
        with self.operation(session, instance, actor, "variables") as (op, wf):
            for task in _live_tasks(wf):
                task.data.update(deepcopy(fresh))
                parent = task.parent
                if task.state == TaskState.WAITING and parent is not None:
                    # A waiting event takes its parent's data again at every refresh
                    # (SpiffWorkflow's _update_hook); without this the change is undone.
                    parent.data.update(deepcopy(fresh))
            if recompute_timers:
                for task in _live_tasks(wf):
                    definition = getattr(task.task_spec, "event_definition", None)
                    if (
                        definition is not None
                        and type(definition).__name__.endswith("Timer")
                        and _reads_any(getattr(definition, "expression", None), set(fresh))
                    ):
                        reset_timer(task)
                wf.refresh_timers()
            audit.append(
                session,
                "variables",
                actor=actor,
                instance_id=instance.id,
                details={"variables": fresh, "recompute_timers": recompute_timers},
                at=op.now,
            )
        return op.result

    def retry(
        self, session: Session, instance: ProcessInstance, task_id: str | None, *, actor: str | None
    ) -> OperationResult:
        """Retry a failed step (incident): reset the failed task and run the steps again."""
        with self.operation(session, instance, actor, "retry") as (op, wf):
            task = _find_task(wf, task_id) if task_id else None
            if task is not None and task.state == TaskState.ERROR:
                retry_failed = getattr(task.task_spec, "retry_failed", None)
                if retry_failed is None or not retry_failed(task):
                    wf.reset_from_task_id(task.id)
            elif task is not None:
                reset_timer(task)
                if task.state == TaskState.READY and getattr(task.task_spec, "manual", False):
                    scopes.open_scope(task)
            audit.append(
                session, "retry", actor=actor, instance_id=instance.id, task_id=task_id, at=op.now
            )
        return op.result

    def cancel(
        self,
        session: Session,
        instance: ProcessInstance,
        *,
        actor: str | None,
        reason: str | None = None,
    ) -> OperationResult:
        with self.operation(session, instance, actor, "cancel") as (op, wf):
            wf.cancel()
            audit.append(
                session,
                "cancel",
                actor=actor,
                instance_id=instance.id,
                details={"reason": reason},
                at=op.now,
            )
        return op.result

    # ------------------------------------------------------------------ read-only
    def task_form(
        self, session: Session, instance: ProcessInstance, process_key: str, task_spec_id: str
    ) -> TaskFormView:
        """The form of a task, from the cached spec (no workflow is deserialised)."""
        spec, subs = self._specs_for(session, instance)
        specs = {spec.name: spec, **subs}
        target = specs.get(process_key) or spec
        task_spec = next(
            (
                ts
                for ts in target.task_specs.values()
                if ts.bpmn_id == task_spec_id and getattr(ts, "manual", False)
            ),
            None,
        )
        if task_spec is None:
            raise TaskNotFoundError(f"the process has no user task {task_spec_id}")
        return TaskFormView(
            task_spec_id=task_spec_id,
            process_key=target.name,
            name=task_spec.bpmn_name or task_spec_id,
            documentation=task_spec.documentation,
            form=form_view(task_spec),
        )

    def start_form(self, definition: ProcessDefinition) -> FormView:
        fields = definition.start_form or []
        return FormView(fields=tuple(FormField.from_dict(f) for f in fields))

    def evaluate(self, session: Session, expression: str, variables: Mapping[str, Any]) -> Any:
        """Evaluate a (translated) expression outside any case, e.g. a form default."""
        ctx = EvaluationContext(
            now=clock.now,
            calendar_loader=lambda: self._calendar_provider(session),
            settings=self._settings_provider(session),
        )
        with evaluation_context(ctx):
            return self.script_engine.environment.evaluate(expression, dict(variables))

    def activity_state(self, session: Session, instance: ProcessInstance) -> ActivityState:
        return projection.activity_state(session, instance)

    def decode_state(self, instance: ProcessInstance) -> dict:
        return self.serializer.decode(instance.state)

    # ------------------------------------------------------------------ internals
    def _ready_user_task(self, wf: BpmnWorkflow, task_id: str):
        task = _find_task(wf, task_id)
        if task is None:
            raise TaskNotFoundError(f"task {task_id} not found in this case")
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotOpenError("this task is no longer open")
        return task

    def _choose_start_event(
        self,
        wf: BpmnWorkflow,
        message_name: str | None,
        start_event_id: str | None,
        timer_fired: bool = False,
    ) -> None:
        """Camunda starts exactly one start event; Spiff would start them all."""
        root = wf.task_tree
        if root.state == TaskState.READY:
            root.run()
        starts = [t for t in root.children if isinstance(t.task_spec, StartEvent)]
        for split in [t for t in root.children if type(t.task_spec).__name__ == "StartEventSplit"]:
            # Spiff puts a split in front of several start events; open it to choose one.
            if split.state == TaskState.READY:
                split.run()
            starts += [t for t in split.children if isinstance(t.task_spec, StartEvent)]
        if timer_fired:
            _fire_start_timer(wf, starts, start_event_id)
        if len(starts) <= 1:
            return

        def wanted(task) -> bool:
            definition = task.task_spec.event_definition
            if start_event_id:
                return task.task_spec.bpmn_id == start_event_id
            if message_name:
                return getattr(definition, "name", None) == message_name and isinstance(
                    definition, MessageEventDefinition
                )
            return type(definition).__name__ == "NoneEventDefinition"

        chosen = [t for t in starts if wanted(t)]
        if not chosen:
            return
        for task in starts:
            if task not in chosen:
                task.cancel()

    def _catch(self, wf: BpmnWorkflow, name: str, variables: dict[str, Any]) -> bool:
        definition = MessageEventDefinition(name)
        event = BpmnEvent(definition, payload={"variables": deepcopy(variables)})
        try:
            wf.send_event(event)
        except WorkflowException:
            return False
        return True

    def _run_steps(self, op: Operation, wf: BpmnWorkflow) -> None:
        failures = current_context().failures
        try:
            for _ in range(1000):
                wf.do_engine_steps()
                # Camunda passes through manual and abstract tasks; Spiff would wait on them.
                passthrough = [
                    t
                    for t in wf.get_tasks(state=TaskState.READY, manual=True)
                    if type(t.task_spec) in (ManualTask, NoneTask)
                ]
                if not passthrough:
                    break
                for task in passthrough:
                    task.run()
        except Exception as exc:  # a handler, script, condition, mapping or timer failed
            self._record_incident(op, wf, exc)
        finally:
            while failures:
                task, exc = failures.pop(0)
                self._record_incident(op, wf, exc, task=task)

    def _record_incident(
        self, op: Operation, wf: BpmnWorkflow, exc: BaseException, task=None
    ) -> None:
        task = task or getattr(exc, "task", None)
        if task is None:
            failed = wf.get_tasks(state=TaskState.ERROR)
            task = failed[0] if failed else None
        message = describe(exc)
        incident = projection.record_incident(
            op.session,
            op.instance,
            task_id=str(task.id) if task is not None else None,
            activity_id=task.task_spec.bpmn_id if task is not None else None,
            activity_name=task.task_spec.bpmn_name if task is not None else None,
            message=message,
            details="".join(traceback.format_exception(exc))[-8000:],
            now=op.now,
        )
        if incident is not None:
            op.result.incidents.append(incident)
            audit.append(
                op.session,
                "incident",
                actor=op.actor,
                instance_id=op.instance.id,
                task_id=incident.task_id,
                activity_id=incident.activity_id,
                details={"message": message},
                at=op.now,
            )
        log.warning("incident on case %s: %s", op.instance.id, message)

    def _invoke_handler(
        self, handler: Handler, task, spec: ServiceTask, params: dict[str, Any], args: tuple
    ) -> Any:
        op: Operation = current_context().operation
        if op is None:
            raise ConflictError("service handlers run only inside an engine operation")
        ctx = HandlerContext(
            session=op.session,
            engine=self,
            instance=op.instance,
            actor=op.actor,
            now=op.now,
            task_id=str(task.id),
            activity_id=spec.bpmn_id,
            activity_name=spec.bpmn_name,
            data=deepcopy(task.data),
            params=params,
            operation=op,
        )
        # A failed handler's database writes are undone with it: the case stays consistent.
        with op.session.begin_nested():
            return handler(ctx, *args)

    def _save(self, op: Operation, wf: BpmnWorkflow) -> None:
        session, instance = op.session, op.instance
        instance_id = instance.id  # read now: after a failed flush the row is unusable
        # One flush before the projections and one at the end: their queries would
        # otherwise autoflush the half-updated case row, writing it (and bumping its
        # version) twice per operation. Everything they query was flushed here.
        _flush(session, instance_id)
        with session.no_autoflush:
            for _ in range(MAX_PENDING_DELIVERY_ROUNDS):
                projection.sync_case_fields(session, instance, wf, op.now)
                projection.sync_open_tasks(self, op, wf)
                names = projection.sync_subscriptions(session, instance, wf)
                if not projection.deliver_pending(self, op, wf, names):
                    break
                self._run_steps(op, wf)
                _flush(session, instance_id)
            for event in wf.get_events():
                payload = event.payload if isinstance(event.payload, dict) else {}
                op.result.events.append(
                    projection.message_event(event.event_definition.name, payload, instance)
                )
            projection.record_activities(op, wf)
            compact(wf)
            instance.state = self.serializer.dumps(wf)
            instance.serializer_version = SERIALIZER_VERSION
            instance.next_timer_at = projection.next_timer(wf)
            instance.updated_at = op.now
            if wf.is_completed() and instance.status in ("active", "suspended"):
                instance.status = "completed" if wf.success else "cancelled"
                instance.ended_at = op.now
                instance.next_timer_at = None
                op.result.ended = True
                audit.append(
                    session,
                    "end",
                    actor=op.actor,
                    instance_id=instance.id,
                    details={"case_status": instance.case_status, "status": instance.status},
                    at=op.now,
                )
        _flush(session, instance_id)


def _flush(session: Session, instance_id: str) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleCaseError(
            "这个案件刚被其他人修改，请刷新后重试 (the case was changed by someone else)",
            instance_id=instance_id,
        ) from exc


# ---------------------------------------------------------------- helpers


def form_view(task_spec) -> FormView:
    form = getattr(task_spec, "form", None)
    if form is None:
        return FormView()
    fields = []
    for f in form.fields:
        fields.append(
            FormField.from_dict(
                {
                    "id": f.id,
                    "label": f.label,
                    "type": f.type or "string",
                    "default": f.default_value,
                    "options": [{"id": o.id, "name": o.name} for o in getattr(f, "options", [])],
                    "validation": [{"name": v.name, "config": v.config} for v in f.validation],
                    "properties": {p.id: p.value for p in f.properties},
                }
            )
        )
    return FormView(fields=tuple(fields), key=form.key)


def _reads_any(expression: str | None, names: set[str]) -> bool:
    """Whether a (translated, Python) expression reads one of the variables `names`."""
    if not expression:
        return False
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return True  # cannot tell: recomputing is the safe side
    return any(isinstance(node, ast.Name) and node.id in names for node in ast.walk(tree))


def _fire_start_timer(wf: BpmnWorkflow, starts: list, start_event_id: str | None) -> None:
    """Let a timer start event the worker found due fire now, exactly once."""
    for task in starts:
        definition = task.task_spec.event_definition
        if task.task_spec.bpmn_id != start_event_id or not isinstance(
            definition, TimerEventDefinition
        ):
            continue
        if isinstance(definition, CycleTimerEventDefinition) and not task.children:
            # By the case's own clock the cycle is not due yet: one occurrence, now.
            task._set_internal_data(
                event_value={"cycles": 1, "next": clock.now().isoformat(), "duration": 0}
            )
            definition.update_task(task)
        task._set_internal_data(event_fired=True)
    wf.refresh_timers()


def _find_task(wf: BpmnWorkflow, task_id: str | None):
    if not task_id:
        return None
    try:
        return wf.get_task_from_id(UUID(str(task_id)))
    except (TaskNotFoundException, ValueError):
        return None


def _live_tasks(wf: BpmnWorkflow):
    tasks = [
        t
        for t in wf.tasks.values()
        if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    ]
    for sub in wf.subprocesses.values():
        tasks.extend(
            t
            for t in sub.tasks.values()
            if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        )
    return tasks


def _default_calendar(session: Session):
    from supervision.calendar import calendar_cache

    return calendar_cache.get(session)


def _default_settings(session: Session) -> Mapping[str, Any]:
    from supervision.settings import get_settings

    return get_settings(session)


def get_instance(session: Session, instance_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise CaseNotFoundError(f"case {instance_id} not found")
    return instance
