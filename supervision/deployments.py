"""Deploying diagrams: every deploy is checked completely and stores a new version only
for processes whose file changed. Running cases keep the version they started with.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Deployment
from db.models import DeploymentResource
from db.models import EventSubscription
from db.models import Group
from db.models import ProcessDefinition
from db.models import ProcessInstance
from supervision import audit
from supervision import clock
from supervision.engine import WorkflowEngine
from supervision.errors import ConflictError
from supervision.errors import DeploymentError
from supervision.errors import NotFoundError
from supervision.errors import Problem


@dataclass
class DeploymentResult:
    deployment: Deployment
    definitions: list[ProcessDefinition]
    unchanged: list[ProcessDefinition] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicate: bool = False


def known_groups(session: Session) -> tuple[frozenset[str], dict[str, str]]:
    rows = session.execute(select(Group.code, Group.name)).all()
    return frozenset(r.code for r in rows), {r.name: r.code for r in rows}


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def _latest_deployment_named(
    session: Session, name: str | None, source: str | None
) -> Deployment | None:
    stmt = select(Deployment).where(Deployment.name == name)
    if source is not None:
        stmt = stmt.where(Deployment.source == source)
    return session.scalars(stmt.order_by(Deployment.deployed_at.desc()).limit(1)).first()


def deploy(
    session: Session,
    engine: WorkflowEngine,
    resources: Sequence[tuple[str, bytes]],
    *,
    actor: str | None,
    name: str | None = None,
    source: str | None = None,
    tenant_id: str | None = None,
    duplicate_filtering: bool = False,
    changed_only: bool = False,
) -> DeploymentResult:
    """Check and store a deployment. Raises DeploymentError (storing nothing) on any error."""
    if not resources:
        raise DeploymentError([Problem("No deployment resources contained in the form upload.")])
    groups, group_names = known_groups(session)
    outcome = engine.parse(
        list(resources),
        known_process=lambda key: latest_definition(session, key) is not None,
        known_groups=groups,
        known_group_names=group_names,
    )
    if outcome.errors:
        raise DeploymentError(outcome.problems)
    name = name or (resources[0][0].rsplit(".", 1)[0] if resources else None)

    if duplicate_filtering and not changed_only:
        previous = _latest_deployment_named(session, name, source)
        if previous is not None:
            old = {(r.name, r.content_hash) for r in previous.resources}
            new = {(r.name, r.content_hash) for r in outcome.resources}
            if old == new:
                return DeploymentResult(
                    previous, list(previous.definitions), [], outcome.warnings, duplicate=True
                )

    changed = []
    unchanged = []
    for process in outcome.processes:
        latest = latest_definition(session, process.key)
        if latest is not None and latest.content_hash == process.content_hash:
            unchanged.append(latest)
        else:
            changed.append((process, latest))
    if not changed:
        deployment = session.get(Deployment, unchanged[0].deployment_id) if unchanged else None
        if deployment is None:
            raise DeploymentError([Problem("the deployment contains no executable process")])
        return DeploymentResult(deployment, [], unchanged, outcome.warnings, duplicate=True)

    now = clock.now()
    deployment = Deployment(
        id=str(uuid.uuid4()),
        name=name,
        source=source,
        tenant_id=tenant_id,
        deployed_at=now,
        deployed_by=actor,
    )
    session.add(deployment)
    changed_resources = {p.resource_name for p, _ in changed}
    for resource in outcome.resources:
        if changed_only and resource.name not in changed_resources:
            continue
        session.add(
            DeploymentResource(
                id=str(uuid.uuid4()),
                deployment_id=deployment.id,
                name=resource.name,
                content=resource.content,
                content_hash=resource.content_hash,
            )
        )
    definitions = []
    for process, latest in changed:
        version = (latest.version if latest is not None else 0) + 1
        definition = ProcessDefinition(
            id=f"{process.key}:{version}:{uuid.uuid4()}",
            key=process.key,
            version=version,
            name=process.name,
            resource_name=process.resource_name,
            deployment_id=deployment.id,
            bpmn_xml=process.xml,
            content_hash=process.content_hash,
            spec_json=process.spec_json,
            called_keys=process.called_keys,
            start_form=process.start_form,
            version_tag=process.version_tag,
            documentation=process.documentation,
            deployed_at=now,
            deployed_by=actor,
        )
        session.add(definition)
        definitions.append(definition)
        # Only the newest version of a process starts on its start messages.
        session.execute(
            delete(EventSubscription).where(
                EventSubscription.definition_id.in_(
                    select(ProcessDefinition.id).where(ProcessDefinition.key == process.key)
                )
            )
        )
        for message in process.message_starts:
            session.add(
                EventSubscription(
                    definition_id=definition.id,
                    event_type="message",
                    name=message,
                    activity_id=None,
                )
            )
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(
            "another deployment of the same process is in progress; try again"
        ) from exc
    audit.append(
        session,
        "deploy",
        actor=actor,
        details={
            "deployment_id": deployment.id,
            "name": name,
            "source": source,
            "definitions": [d.id for d in definitions],
            "resources": [r.name for r in outcome.resources],
        },
        at=now,
    )
    return DeploymentResult(deployment, definitions, unchanged, outcome.warnings)


def delete_deployment(
    session: Session, deployment_id: str, *, actor: str | None, cascade: bool = False
) -> None:
    """Delete a deployment; refused while cases run on it unless `cascade`."""
    deployment = session.get(Deployment, deployment_id)
    if deployment is None:
        raise NotFoundError(f"Deployment with id '{deployment_id}' does not exist")
    definition_ids = [d.id for d in deployment.definitions]
    running = (
        session.scalar(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.definition_id.in_(definition_ids)
            )
        )
        if definition_ids
        else 0
    )
    if running and not cascade:
        raise ConflictError(
            f"Deletion of deployment '{deployment_id}' is not possible: {running} case(s) "
            "use its process definitions"
        )
    if running:
        instances = session.scalars(
            select(ProcessInstance).where(ProcessInstance.definition_id.in_(definition_ids))
        ).all()
        for instance in instances:
            session.delete(instance)
    session.execute(
        delete(EventSubscription).where(EventSubscription.definition_id.in_(definition_ids))
    )
    for definition in deployment.definitions:
        session.delete(definition)
    session.delete(deployment)
    audit.append(
        session,
        "undeploy",
        actor=actor,
        details={
            "deployment_id": deployment_id,
            "cascade": cascade,
            "definitions": definition_ids,
            "cases_deleted": running,
        },
    )
