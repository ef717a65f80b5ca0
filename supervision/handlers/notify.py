"""The `notify` service-task handler: tell a group or people about a case.

In Camunda Modeler: a service task with Implementation "Delegate expression" `${notify}`,
parameters as camunda:field or Input parameters (Inputs/Outputs tab):

- `group` (or `groups`): group code(s), comma separated or a list, e.g. `${target_agency_id}`;
  every active member is notified;
- `users`: user names, comma separated or a list;
- `role`: only members holding one of these roles (e.g. `section_chief,bureau_leader`);
- `title` (required) and `body`: text; `{variable}` puts in a case variable (the
  complainant's personal data shows as ***);
- `kind`: notice (default), reminder, due_soon, overdue, escalated ... (e-mail/SMS follow
  SUPERVISION_NOTIFY_EMAIL_KINDS / SUPERVISION_NOTIFY_SMS_KINDS);
- `level`: yellow | red | escalated: also mark the case's open tasks with that card (the
  inbox colour) and count this notice as their announcement; `activities` limits it to
  tasks with these BPMN ids (default: every open task with a due date). The case variable
  alert_level is set to the level;
- `dedupe`: a key; the same key notifies each person once (default: once per execution of
  this task, so retrying a failed task does not notify twice).

A group that does not exist, or neither group nor users, is an error (an incident the
administrator sees). A group with nobody in it notifies nobody and says so in the audit.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from db.models import Group
from db.models import OpenTask
from db.models import User
from supervision import alerts
from supervision import audit
from supervision import notifications
from supervision.engine import HandlerContext
from supervision.errors import InvalidInputError
from supervision.handlers import handler

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
PERSONAL_PREFIX = "complainant_"


def _names(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list | tuple | set) else str(value).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def fill(text: str, data: dict[str, Any]) -> str:
    """Put case variables into `{name}` placeholders (nothing else is interpreted)."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith(PERSONAL_PREFIX):
            return "***"
        found = data.get(name)
        return "" if found is None else str(found)

    return _PLACEHOLDER.sub(value, text)


def _recipients(ctx: HandlerContext) -> list[User]:
    params = ctx.params
    groups = _names(params.get("group")) + _names(params.get("groups"))
    usernames = _names(params.get("users")) + _names(params.get("user"))
    if not groups and not usernames:
        raise InvalidInputError("notify needs a group or users to notify")
    known = set(ctx.session.scalars(select(Group.code).where(Group.code.in_(groups))))
    missing = [g for g in groups if g not in known]
    if missing:
        raise InvalidInputError(f"notify: group(s) {', '.join(missing)} do not exist")
    people = notifications.group_members(ctx.session, groups)
    roles = set(_names(params.get("role")) + _names(params.get("roles")))
    if roles:
        people = [u for u in people if u.roles & roles]
    return people + notifications.users_named(ctx.session, usernames)


def _mark_tasks(ctx: HandlerContext, level: str, activities: list[str]) -> list[str]:
    stmt = select(OpenTask).where(OpenTask.instance_id == ctx.instance.id)
    if activities:
        stmt = stmt.where(OpenTask.task_spec_id.in_(activities))
    else:
        stmt = stmt.where(OpenTask.due_at.is_not(None))
    marked = []
    for task in ctx.session.scalars(stmt):
        if alerts.RANK.get(level, 0) > alerts.RANK.get(task.alert_level, 0):
            task.alert_level = level
            task.alert_notified = level  # this notice is the announcement
            marked.append(task.id)
    return marked


@handler(
    "notify", "通知：给某组成员或指定人员发送站内通知（可附邮件、短信），可同时标记黄牌/红牌/升级"
)
def notify(ctx: HandlerContext) -> dict[str, Any] | None:
    params = ctx.params
    title = fill(str(params.get("title") or "").strip(), ctx.data)
    if not title:
        raise InvalidInputError("notify needs a title")
    body = params.get("body")
    body = fill(str(body), ctx.data) if body not in (None, "") else None
    level = str(params.get("level") or "").strip() or None
    if level is not None and level not in alerts.LEVELS:
        raise InvalidInputError(f"notify level must be one of {', '.join(alerts.LEVELS)}")
    kind = str(params.get("kind") or "").strip() or (
        notifications.LEVEL_KINDS[level] if level else notifications.NOTICE
    )
    people = _recipients(ctx)
    dedupe = str(params.get("dedupe") or "").strip() or f"notify:{ctx.instance.id}:{ctx.task_id}"
    made = notifications.notify(
        ctx.session,
        people,
        kind=kind,
        title=title,
        body=body,
        instance_id=ctx.instance.id,
        data={"activity_id": ctx.activity_id, "level": level} if level else {},
        dedupe=dedupe,
    )
    marked = _mark_tasks(ctx, level, _names(params.get("activities"))) if level else []
    audit.append(
        ctx.session,
        "notify",
        actor=ctx.actor,
        instance_id=ctx.instance.id,
        activity_id=ctx.activity_id,
        details={
            "title": title,
            "kind": kind,
            "recipients": [n.username for n in made],
            "nobody": not people,
            "level": level,
            "tasks": marked,
        },
        at=ctx.now,
    )
    return {"alert_level": level} if level else None
