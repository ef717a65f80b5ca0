"""Notifications: in-app always, plus e-mail or SMS through the outbox when configured.

A notification row and its outbox rows are written in the caller's transaction, so a
reminder exists exactly when the change that caused it was committed. Each notification
may carry a dedupe key (per recipient): raising the same alert twice, from two workers or
after a retry, notifies once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Group
from db.models import Membership
from db.models import Notification
from db.models import User
from supervision import authz
from supervision import channels as channel_config
from supervision import clock
from supervision import outbox
from supervision.channels import ChannelSet
from supervision.errors import NotFoundError
from supervision.permissions import Permission

# Alert kinds raised by the worker; their text is rebuilt in the reader's language.
DUE_SOON = "due_soon"
OVERDUE = "overdue"
ESCALATED = "escalated"
NOTICE = "notice"
LEVEL_KINDS = {"yellow": DUE_SOON, "red": OVERDUE, "escalated": ESCALATED}

_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    DUE_SOON: {
        "zh": (
            "【黄牌预警】{task}即将到期",
            "案件{case}的任务「{task}」将于{due}到期，请及时办理。",
        ),
        "en": (
            "[Yellow card] {task} is due soon",
            "Task “{task}” of case {case} is due {due}. Please deal with it in time.",
        ),
    },
    OVERDUE: {
        "zh": (
            "【红牌】{task}已逾期",
            "案件{case}的任务「{task}」已于{due}到期，现已逾期。",
        ),
        "en": (
            "[Red card] {task} is overdue",
            "Task “{task}” of case {case} was due {due} and is now overdue.",
        ),
    },
    ESCALATED: {
        "zh": (
            "【升级督办】{task}逾期未办",
            "案件{case}的任务「{task}」逾期未办（期限{due}），已升级督办。",
        ),
        "en": (
            "[Escalated] {task} still not done",
            "Task “{task}” of case {case} (due {due}) is still not done and has been escalated.",
        ),
    },
}


def _lang(locale: str | None) -> str:
    return "en" if (locale or "").lower().startswith("en") else "zh"


def _local_due(value: Any) -> str:
    if not value:
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def alert_text(kind: str, data: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """Title and body of an alert notification in `lang` ('zh' or 'en')."""
    title, body = _TEXTS[kind][lang]
    case = data.get("case_no") or ""
    case_title = data.get("case_title")
    if case_title:
        case = f"{case}「{case_title}」" if lang == "zh" else f"{case} “{case_title}”"
    values = {
        "task": data.get("task_name") or "",
        "case": case,
        "due": _local_due(data.get("due_at")),
    }
    return title.format(**values), body.format(**values)


def render(notification: Notification, lang: str) -> tuple[str, str | None]:
    """What a reader sees: alert texts follow the reader's language, notices are as written."""
    if notification.kind in _TEXTS and "task_name" in (notification.data or {}):
        return alert_text(notification.kind, notification.data, _lang(lang))
    return notification.title, notification.body


# ---------------------------------------------------------------- recipients


def group_members(session: Session, codes: Iterable[str]) -> list[User]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return []
    users = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(Group, Group.id == Membership.group_id)
        .where(Group.code.in_(wanted))
        .order_by(User.username)
    ).unique()
    return [u for u in users if authz.is_usable(u)]


def chiefs_of(session: Session, codes: Iterable[str]) -> list[User]:
    """Members of the groups who may assign their tasks: section chiefs, bureau heads."""
    return [u for u in group_members(session, codes) if authz.has(u, Permission.TASK_ASSIGN)]


def users_named(session: Session, names: Iterable[str]) -> list[User]:
    wanted = sorted({n for n in names if n})
    if not wanted:
        return []
    users = session.scalars(select(User).where(User.username.in_(wanted)))
    return [u for u in users if authz.is_usable(u)]


# ---------------------------------------------------------------- sending


def _base_url() -> str:
    return (os.environ.get("SUPERVISION_BASE_URL") or "").rstrip("/")


def _insert_all(session: Session, rows: list[Notification]) -> list[Notification]:
    """Insert the rows whose dedupe key is new; keep the others' (raised meanwhile) out."""
    keys = [r.dedupe_key for r in rows if r.dedupe_key]
    taken = (
        set(
            session.scalars(
                select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))
            )
        )
        if keys
        else set()
    )
    fresh = [r for r in rows if r.dedupe_key not in taken]
    if not fresh:
        return []
    try:
        with session.begin_nested():
            session.add_all(fresh)
            session.flush()
        return fresh
    except IntegrityError:
        pass  # another worker raised the same notice at this moment: row by row, then
    kept = []
    for row in fresh:
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            kept.append(row)
        except IntegrityError:
            continue
    return kept


def notify(
    session: Session,
    recipients: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str | None = None,
    instance_id: str | None = None,
    task_id: str | None = None,
    data: Mapping[str, Any] | None = None,
    dedupe: str | None = None,
    channels: ChannelSet | None = None,
) -> list[Notification]:
    """Notify each recipient once (per `dedupe`); queue e-mail/SMS for the configured kinds."""
    channel_set = channels if channels is not None else channel_config.configured()
    external = channel_set.notification_channels(kind)
    now = clock.now()
    people: dict[str, User] = {}
    for user in recipients:
        if user.username not in people and authz.is_usable(user):
            people[user.username] = user
    rows = [
        Notification(
            username=user.username,
            kind=kind[:32],
            instance_id=instance_id,
            task_id=task_id,
            title=title[:300],
            body=body,
            created_at=now,
            dedupe_key=f"{dedupe}:{user.username}"[:200] if dedupe else None,
            data=dict(data or {}),
        )
        for user in people.values()
    ]
    created = _insert_all(session, rows)
    for row in created:
        _queue_external(session, row, people[row.username], external)
    return created


def _queue_external(session: Session, row: Notification, user: User, external: list[str]) -> None:
    if not external:
        return
    lang = _lang(user.locale)
    title, body = render(row, lang)
    link = _base_url()
    footer = f"\n\n{link}/notifications" if link else ""
    if "email" in external and user.email:
        outbox.enqueue(
            session,
            channel="email",
            recipient=user.email,
            subject=title,
            body=(body or title) + footer,
            payload={"notification_id": row.id, "username": user.username},
            dedupe_key=f"notification:{row.id}:email",
        )
    if "sms" in external and user.phone:
        outbox.enqueue(
            session,
            channel="sms",
            recipient=user.phone,
            subject=title,
            body=f"{title}：{body}" if body and lang == "zh" else f"{title}: {body or ''}",
            payload={"notification_id": row.id, "username": user.username},
            dedupe_key=f"notification:{row.id}:sms",
        )


# ---------------------------------------------------------------- reading


@dataclass
class NotificationPage:
    items: list[Notification]
    total: int
    unread: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.username == user.username, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def list_for(
    session: Session, user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 25
) -> NotificationPage:
    page = max(page, 1)
    per_page = min(max(per_page, 1), 100)
    stmt = select(Notification).where(Notification.username == user.username)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return NotificationPage(items, total, unread_count(session, user), page, per_page)


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (someone else's: not found)."""
    row = session.get(Notification, notification_id)
    if row is None or row.username != user.username:
        raise NotFoundError("通知不存在 (no such notification)")
    if row.read_at is None:
        row.read_at = clock.now()
    return row


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.username == user.username, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    return int(result.rowcount or 0)
