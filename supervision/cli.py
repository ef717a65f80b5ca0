"""The `supervision` command line, for operators and scripts.

The database comes from SUPERVISION_DATABASE_URL (default: the SQLite file under
instance/). Commands that act on tasks run with the same checks as the web app: the named
user must be a candidate, and submitted values are validated against the form.
Errors print the reason and exit non-zero; nothing is half-written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from db.models import OpenTask
from db.models import ProcessInstance
from supervision import uow
from supervision.bootstrap import Runtime
from supervision.bootstrap import build_runtime
from supervision.errors import DeploymentError
from supervision.errors import FormInvalidError
from supervision.errors import SupervisionError


def parse_var(text: str) -> tuple[str, Any]:
    """name=value; the value is JSON when it parses as JSON (true, 3, "x"), else a string."""
    if "=" not in text:
        raise click.BadParameter(f"expected name=value, got {text!r}")
    name, raw = text.split("=", 1)
    name = name.strip()
    if not name:
        raise click.BadParameter(f"empty variable name in {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name, value


def _vars(values: tuple[str, ...]) -> dict[str, Any]:
    return dict(parse_var(v) for v in values)


class Context:
    def __init__(self) -> None:
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime()
            # Close the pool when the command ends: no connection outlives the command.
            click.get_current_context().call_on_close(self.close)
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.db.dispose()
            self._runtime = None


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _user(session, name: str | None):
    if name is None:
        return None
    from supervision.identity import get_user

    user = get_user(session, name)
    if user is None:
        fail(f"no such user: {name}")
    return user


@click.group()
def cli() -> None:
    """执法监督工作流 – administrative law-enforcement supervision workflow."""


@cli.command("init-db")
@click.option("--no-calendar", is_flag=True, help="Do not load the holiday calendar.")
@pass_ctx
def init_db(ctx: Context, no_calendar: bool) -> None:
    """Create or migrate the database to the newest schema (safe to repeat)."""
    from db.migrate import current_revision
    from db.migrate import upgrade

    runtime = ctx.runtime
    upgrade(runtime.db)
    added: list[int] = []
    if not no_calendar:
        from supervision.calendar import seed_from_chinese_calendar

        added = uow.run(runtime.sessions, lambda s: seed_from_chinese_calendar(s))
    click.echo(
        f"database at revision {current_revision(runtime.db)}"
        + (f"; calendar years added: {added[0]}–{added[-1]}" if added else "")
    )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="Deployment name (default: the first file's name).")
@click.option("--user", "username", help="Deploy as this user (default: the system).")
@click.option("--quiet-unchanged", is_flag=True, help="Say nothing about unchanged processes.")
@pass_ctx
def deploy(
    ctx: Context,
    files: tuple[str, ...],
    name: str | None,
    username: str | None,
    quiet_unchanged: bool,
) -> None:
    """Deploy BPMN (and DMN) files; prints each process key and version."""
    from supervision import deployments

    resources = [(Path(f).name, Path(f).read_bytes()) for f in files]
    runtime = ctx.runtime

    def work(session):
        actor = _user(session, username)
        if actor is not None:
            from supervision import authz
            from supervision.permissions import Permission

            authz.require(actor, Permission.DEFINITION_DEPLOY)
        return deployments.deploy(
            session, runtime.engine, resources, actor=username or "cli", name=name, source="cli"
        )

    try:
        result = uow.run(runtime.sessions, work)
    except DeploymentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(
            f"nothing was deployed ({len([p for p in exc.problems if p.severity == 'error'])}"
            " error(s))"
        )
    except SupervisionError as exc:
        fail(exc.message)
    for warning in result.warnings:
        click.echo(str(warning), err=True)
    for definition in result.definitions:
        click.echo(f"{definition.key}\tversion {definition.version}\t{definition.id}")
    if not quiet_unchanged:
        for definition in result.unchanged:
            click.echo(f"{definition.key}\tversion {definition.version}\tunchanged")


@cli.command()
@click.argument("key")
@click.option("--business-key")
@click.option("--var", "variables", multiple=True, help="name=value (JSON when it parses).")
@click.option("--user", "username", help="Start as this user (checks permissions).")
@pass_ctx
def start(
    ctx: Context,
    key: str,
    business_key: str | None,
    variables: tuple[str, ...],
    username: str | None,
) -> None:
    """Start a case of the latest version of KEY; prints the case id."""
    from supervision import cases

    runtime = ctx.runtime
    values = _vars(variables)

    def work(session):
        actor = _user(session, username)
        return cases.start_case(
            session, runtime.engine, actor, key=key, business_key=business_key, variables=values
        ).instance.id

    try:
        click.echo(uow.run(runtime.sessions, work))
    except SupervisionError as exc:
        fail(exc.message)


@cli.command()
@click.option("--group", "group_code")
@click.option("--user", "username", help="Tasks this user may work on (assigned or candidate).")
@click.option("--case", "case_id", help="Case id, case number or business key.")
@pass_ctx
def tasks(ctx: Context, group_code: str | None, username: str | None, case_id: str | None) -> None:
    """List open tasks: id, case, task, name, groups, assignee, due."""
    from supervision import inbox
    from supervision.identity import get_user

    with ctx.runtime.sessions() as session:
        stmt = select(OpenTask)
        if username:
            user = get_user(session, username)
            if user is None:
                fail(f"no such user: {username}")
            stmt = stmt.where(inbox.tab_condition(user, "all"))
        if group_code:
            stmt = stmt.where(OpenTask.candidates.any(group_code=group_code))
        if case_id:
            instance_ids = select(ProcessInstance.id).where(
                (ProcessInstance.id == case_id)
                | (ProcessInstance.case_no == case_id)
                | (ProcessInstance.business_key == case_id)
            )
            stmt = stmt.where(OpenTask.instance_id.in_(instance_ids))
        for task in session.scalars(stmt.order_by(OpenTask.created_at)):
            due = task.due_at.isoformat() if task.due_at else "-"
            click.echo(
                "\t".join(
                    [
                        task.id,
                        task.case_no or task.instance_id,
                        task.task_spec_id,
                        task.name,
                        ",".join(task.candidate_groups or []) or "-",
                        task.assignee or "-",
                        due,
                    ]
                )
            )


@cli.command()
@click.argument("task_id")
@click.option("--user", "username", required=True)
@pass_ctx
def claim(ctx: Context, task_id: str, username: str) -> None:
    """Claim a task for USER (who must be a candidate)."""
    from supervision import cases

    def work(session):
        cases.claim_task(session, _user(session, username), task_id)

    try:
        uow.run(ctx.runtime.sessions, work)
    except SupervisionError as exc:
        fail(exc.message)
    click.echo(f"claimed by {username}")


@cli.command()
@click.argument("task_id")
@click.option("--user", "username", required=True)
@click.option("--var", "variables", multiple=True, help="name=value (JSON when it parses).")
@pass_ctx
def complete(ctx: Context, task_id: str, username: str, variables: tuple[str, ...]) -> None:
    """Complete a task as USER with form values (validated like the web form)."""
    from supervision import cases

    runtime = ctx.runtime
    values = _vars(variables)

    def work(session):
        cases.complete_task(session, runtime.engine, _user(session, username), task_id, values)

    try:
        uow.run(runtime.sessions, work)
    except FormInvalidError as exc:
        for field, message in exc.errors.items():
            click.echo(f"{field}: {message}", err=True)
        fail("the form is not valid; nothing was saved")
    except SupervisionError as exc:
        fail(exc.message)
    click.echo("completed")


@cli.command("create-group")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--level", required=True, type=click.Choice(["city", "county", "township"]))
@click.option("--region", required=True, help="Administrative division code, e.g. 510800.")
@click.option("--kind", default="section", show_default=True)
@click.option("--parent", help="Parent group code.")
@pass_ctx
def create_group(
    ctx: Context, code: str, name: str, level: str, region: str, kind: str, parent: str | None
) -> None:
    """Create a group (bureau, section or outside body)."""
    from supervision import identity

    try:
        uow.run(
            ctx.runtime.sessions,
            lambda s: identity.create_group(
                s,
                code,
                name=name,
                level=level,
                region=region,
                kind=kind,
                parent=parent,
                actor="cli",
            ),
        )
    except SupervisionError as exc:
        fail(exc.message)
    click.echo(f"group {code} created")


@cli.command("create-user")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--name", "display_name")
@click.option("--role", "roles", multiple=True)
@click.option("--group", "groups", multiple=True)
@pass_ctx
def create_user(
    ctx: Context,
    username: str,
    password: str,
    display_name: str | None,
    roles: tuple[str, ...],
    groups: tuple[str, ...],
) -> None:
    """Create a user with roles and group memberships."""
    from supervision import identity

    try:
        uow.run(
            ctx.runtime.sessions,
            lambda s: identity.create_user(
                s,
                username,
                password=password,
                display_name=display_name,
                roles=roles,
                groups=groups,
                actor="cli",
            ),
        )
    except SupervisionError as exc:
        fail(exc.message)
    click.echo(f"user {username} created")


@cli.command("create-token")
@click.argument("username")
@click.option("--name", default="integration", show_default=True)
@pass_ctx
def create_token(ctx: Context, username: str, name: str) -> None:
    """Create an API token for USERNAME and print it (shown once)."""
    from supervision import identity

    def work(session):
        return identity.create_token(session, _user(session, username), name, actor="cli")[1]

    try:
        click.echo(uow.run(ctx.runtime.sessions, work))
    except SupervisionError as exc:
        fail(exc.message)


@cli.command("seed-demo")
@pass_ctx
def seed_demo(ctx: Context) -> None:
    """Load the demo organisation and users (idempotent)."""
    from supervision import demo

    summary = uow.run(ctx.runtime.sessions, demo.seed_demo)
    click.echo(summary)


@cli.command()
@click.option("--once", is_flag=True, help="Work until nothing is due, then exit (for cron).")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between ticks when idle.",
)
@click.option(
    "--batch",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Cases (and outbox messages) handled per tick before looking again.",
)
@click.option(
    "--at",
    "frozen_at",
    hidden=True,
    help="Run as if it were this ISO date-time (replaying a case; tests). Never in production.",
)
@pass_ctx
def worker(ctx: Context, once: bool, interval: float, batch: int, frozen_at: str | None) -> None:
    """Fire timers, start timed processes, raise alerts and deliver the outbox."""
    import logging
    import signal

    from sqlalchemy.exc import SQLAlchemyError

    from supervision import clock
    from supervision.worker import Worker
    from supervision.worker import WorkerAlreadyRunning

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # SpiffWorkflow logs every task state change at INFO: noise, and it costs time.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    if frozen_at:
        from datetime import datetime

        try:
            at = datetime.fromisoformat(frozen_at)
        except ValueError:
            fail(f"--at needs an ISO date-time with offset, got {frozen_at!r}")
        if at.tzinfo is None:
            fail("--at needs a UTC offset, e.g. 2026-04-01T09:00:00+08:00")
        clock.freeze(at)
    runtime = ctx.runtime
    try:
        runner = Worker(
            runtime.sessions,
            runtime.engine,
            database_url=runtime.db.url.render_as_string(hide_password=False),
            interval=interval,
            batch=batch,
        )
    except (ValueError, ImportError, AttributeError) as exc:
        fail(f"the channel configuration is wrong: {exc}")

    def stop(signum, _frame) -> None:
        click.echo(f"signal {signum}: stopping after the current case", err=True)
        runner.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        totals = runner.run(once=once)
    except WorkerAlreadyRunning as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"the database cannot be used: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if once:
        click.echo(totals.summary())


@cli.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
@click.option(
    "--anchor",
    type=click.File("r", encoding="utf-8"),
    help="A checkpoint written earlier by `audit checkpoint`: also prove that nothing up to "
    "it was rewritten.",
)
@pass_ctx
def audit_verify(ctx: Context, anchor) -> None:
    """Check every hash chain; name the first broken record."""
    from supervision import audit as audit_service

    checkpoint = None
    if anchor is not None:
        try:
            checkpoint = json.load(anchor)
        except ValueError as exc:
            fail(f"the checkpoint file is not JSON: {exc}")
    with ctx.runtime.sessions() as session:
        try:
            result = audit_service.verify(session, anchor=checkpoint)
        except audit_service.CheckpointError as exc:
            fail(str(exc))
    click.echo(result.describe())
    if not result.ok:
        sys.exit(1)


@audit.command("checkpoint")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Where to write it (default: standard output). Keep it outside the database.",
)
@pass_ctx
def audit_checkpoint(ctx: Context, output) -> None:
    """Write the head of every audit stream, for `audit verify --anchor` later."""
    from supervision import audit as audit_service

    with ctx.runtime.sessions() as session:
        heads = audit_service.checkpoint(session)
    json.dump(heads, output, ensure_ascii=False, indent=1, sort_keys=True)
    output.write("\n")
    if output is not sys.stdout:
        click.echo(f"checkpoint of {len(heads['streams'])} streams, digest {heads['digest']}")


def main() -> None:  # pragma: no cover - exercised through the console script
    cli(prog_name="supervision")
