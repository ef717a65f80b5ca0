"""Message correlation: messages from outside organs, from the hotline, and between cases.

A message is delivered to the case(s) waiting for it (matched by business key, case id or
correlation keys against the case variables), or starts a case whose process begins with
that message. A message for a known case that is not waiting yet is kept, with an expiry,
and delivered as soon as the case reaches the catch event: outside organs do not wait for
our diagrams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import EventSubscription
from db.models import OutboxMessage
from db.models import PendingMessage
from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import User
from supervision import audit
from supervision import authz
from supervision import clock
from supervision.engine import MessageEvent
from supervision.engine import WorkflowEngine
from supervision.errors import InvalidInputError
from supervision.errors import MessageNotCorrelatedError
from supervision.errors import NotAllowedError
from supervision.permissions import Permission
from supervision.settings import get_settings


@dataclass
class CorrelationResult:
    result_type: str  # "Execution" | "ProcessDefinition" | "Pending"
    instance: ProcessInstance | None
    pending: PendingMessage | None = None


def _matches(instance: ProcessInstance, correlation_keys: Mapping[str, Any] | None) -> bool:
    if not correlation_keys:
        return True
    variables = instance.variables or {}
    return all(variables.get(k) == v for k, v in correlation_keys.items())


def waiting_instances(
    session: Session,
    name: str,
    *,
    business_key: str | None = None,
    instance_id: str | None = None,
    correlation_keys: Mapping[str, Any] | None = None,
) -> list[ProcessInstance]:
    stmt = (
        select(ProcessInstance)
        .join(EventSubscription, EventSubscription.instance_id == ProcessInstance.id)
        .where(
            EventSubscription.event_type == "message",
            EventSubscription.name == name,
            ProcessInstance.status == "active",
        )
        .distinct()
    )
    if business_key is not None:
        stmt = stmt.where(ProcessInstance.business_key == business_key)
    if instance_id is not None:
        stmt = stmt.where(ProcessInstance.id == instance_id)
    return [
        i
        for i in session.scalars(stmt.order_by(ProcessInstance.started_at))
        if _matches(i, correlation_keys)
    ]


def start_definitions(session: Session, name: str) -> list[ProcessDefinition]:
    return list(
        session.scalars(
            select(ProcessDefinition)
            .join(EventSubscription, EventSubscription.definition_id == ProcessDefinition.id)
            .where(EventSubscription.event_type == "message", EventSubscription.name == name)
        )
    )


def correlate(
    session: Session,
    engine: WorkflowEngine,
    actor: User | None,
    name: str,
    *,
    business_key: str | None = None,
    instance_id: str | None = None,
    correlation_keys: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    all_matches: bool = False,
    keep_if_early: bool = True,
    dedupe_key: str | None = None,
) -> list[CorrelationResult]:
    """Deliver a message. Raises MessageNotCorrelatedError when nothing can take it."""
    if not name or not name.strip():
        raise InvalidInputError("messageName is required")
    if actor is not None and not authz.has(actor, Permission.MESSAGE_SEND):
        raise NotAllowedError("您没有发送消息的权限 (not permitted to send messages)")
    if dedupe_key:
        seen = session.scalar(select(PendingMessage).where(PendingMessage.dedupe_key == dedupe_key))
        if seen is not None:
            target_id = seen.delivered_instance_id or seen.instance_id
            return [
                CorrelationResult(
                    "Pending" if seen.active else "Execution",
                    session.get(ProcessInstance, target_id) if target_id else None,
                    seen,
                )
            ]
    actor_name = actor.username if actor else None
    if actor is not None and (business_key or instance_id):
        _ensure_visible(session, actor, business_key, instance_id)
    targets = waiting_instances(
        session,
        name,
        business_key=business_key,
        instance_id=instance_id,
        correlation_keys=correlation_keys,
    )
    results: list[CorrelationResult] = []
    if targets:
        for instance in targets if all_matches else targets[:1]:
            result = engine.deliver_message(
                session, instance, name, variables or {}, actor=actor_name
            )
            _route(session, engine, result, actor)
            results.append(CorrelationResult("Execution", instance))
        _remember_delivery(session, dedupe_key, name, business_key, results, actor_name)
        return results
    if instance_id is None:
        definitions = start_definitions(session, name)
        if definitions:
            from supervision.cases import start_case

            for definition in definitions if all_matches else definitions[:1]:
                started = start_case(
                    session,
                    engine,
                    None,
                    definition_id=definition.id,
                    business_key=business_key,
                    variables=variables,
                    message_name=name,
                )
                results.append(CorrelationResult("ProcessDefinition", started.instance))
            _remember_delivery(session, dedupe_key, name, business_key, results, actor_name)
            return results
    known = _known_case(session, business_key, instance_id)
    if known is not None and keep_if_early:
        ttl = int(get_settings(session).get("pending_message_ttl_days", 30))
        now = clock.now()
        pending = PendingMessage(
            name=name,
            business_key=business_key,
            instance_id=known.id,
            correlation_keys=dict(correlation_keys or {}),
            variables=dict(variables or {}),
            sender=actor_name,
            received_at=now,
            expires_at=now + timedelta(days=ttl),
            dedupe_key=dedupe_key,
        )
        session.add(pending)
        audit.append(
            session,
            "message_kept",
            actor=actor_name,
            instance_id=known.id,
            details={
                "name": name,
                "variables": dict(variables or {}),
                "expires_at": pending.expires_at,
            },
        )
        return [CorrelationResult("Pending", known, pending)]
    target = (
        f"business key '{business_key}'"
        if business_key
        else (f"process instance '{instance_id}'" if instance_id else "any process")
    )
    raise MessageNotCorrelatedError(
        f"Cannot correlate message '{name}': no process definition or execution matches the "
        f"parameters ({target})"
    )


def _remember_delivery(
    session: Session,
    dedupe_key: str | None,
    name: str,
    business_key: str | None,
    results: list[CorrelationResult],
    sender: str | None,
) -> None:
    """Keep the key of a message delivered at once, so that a resend is answered from this
    delivery instead of reaching the case again (or waiting for its next catch event)."""
    if not dedupe_key or not results or results[0].instance is None:
        return
    now = clock.now()
    session.add(
        PendingMessage(
            name=name,
            business_key=business_key,
            instance_id=results[0].instance.id,
            sender=sender,
            received_at=now,
            delivered_at=now,
            delivered_instance_id=results[0].instance.id,
            dedupe_key=dedupe_key,
            active=False,
        )
    )


def _known_case(
    session: Session, business_key: str | None, instance_id: str | None
) -> ProcessInstance | None:
    if instance_id:
        instance = session.get(ProcessInstance, instance_id)
        return instance if instance is not None and instance.status == "active" else None
    if business_key:
        return session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.business_key == business_key, ProcessInstance.status == "active")
            .order_by(ProcessInstance.started_at.desc())
        ).first()
    return None


def _ensure_visible(
    session: Session, actor: User, business_key: str | None, instance_id: str | None
) -> None:
    instance = _known_case(session, business_key, instance_id)
    if instance is not None and not authz.can_read_case(session, actor, instance):
        raise MessageNotCorrelatedError(
            f"Cannot correlate message: no process instance matches "
            f"{'business key ' + business_key if business_key else instance_id}"
        )


def _route(session: Session, engine: WorkflowEngine, result, actor: User | None) -> None:
    from supervision.cases import route_events

    route_events(session, engine, result, actor)


def route_thrown(
    session: Session, engine: WorkflowEngine, event: MessageEvent, actor: User | None
) -> None:
    """A case threw a message nobody inside it caught: find its receiver."""
    variables = dict(event.variables or {})
    if event.payload is not None and not variables:
        variables = {"payload": event.payload}
    targets = (
        [
            i
            for i in waiting_instances(session, event.name, business_key=event.business_key)
            if i.id != event.instance_id
        ]
        if event.business_key
        else []
    )
    if targets:
        result = engine.deliver_message(
            session, targets[0], event.name, variables, actor=actor.username if actor else None
        )
        _route(session, engine, result, actor)
        return
    definitions = start_definitions(session, event.name)
    if definitions:
        from supervision.cases import start_case

        start_case(
            session,
            engine,
            None,
            definition_id=definitions[0].id,
            business_key=event.business_key,
            variables=variables,
            parent_instance_id=event.instance_id,
            relation="message",
            message_name=event.name,
        )
        return
    # Meant for an outside system (hotline feedback, referral letters): the outbox takes it.
    session.add(
        OutboxMessage(
            channel="message",
            recipient=event.name,
            subject=event.name,
            payload={
                "message": event.name,
                "instance_id": event.instance_id,
                "business_key": event.business_key,
                "variables": variables,
            },
            dedupe_key=f"msg:{event.instance_id}:{event.name}:{clock.now().timestamp()}",
        )
    )
