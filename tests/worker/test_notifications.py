"""Notifications: in-app for everyone concerned, e-mail and SMS through the outbox when
configured, each person told once, and only the reader sees and marks their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import Notification
from db.models import OutboxMessage
from supervision import clock
from supervision import notifications
from supervision.errors import NotFoundError
from tests.factories import user
from tests.worker.conftest import local


def _notify(rt, usernames, kind="notice", dedupe="d1", **extra):
    with rt.sessions.begin() as s:
        people = [user(s, n) for n in usernames]
        return [
            n.username
            for n in notifications.notify(
                s, people, kind=kind, title="标题", body="正文", dedupe=dedupe, **extra
            )
        ]


def _outbox(rt):
    with rt.sessions() as s:
        return sorted((m.channel, m.recipient) for m in s.scalars(select(OutboxMessage)))


def test_everyone_is_told_once_in_app_and_by_configured_channels(org, recorders):
    rt = org
    clock.freeze(local(2026, 3, 2, 9, 0))
    assert _notify(rt, ["sup1", "sup2", "chief", "sup1"]) == ["sup1", "sup2", "chief"]
    # The same alert again (a second worker, a retry): nobody is told twice.
    assert _notify(rt, ["sup1", "sup2", "chief"]) == []
    # e-mail for everyone with an address; SMS only for the kinds configured for it.
    assert _outbox(rt) == [("email", "sup1@sfj.example")]
    assert _notify(rt, ["chief", "sup1"], kind="overdue", dedupe="d2") == ["chief", "sup1"]
    assert _outbox(rt) == [
        ("email", "sup1@sfj.example"),
        ("email", "sup1@sfj.example"),
        ("sms", "13900000001"),
    ]


def test_disabled_accounts_are_not_notified(org, recorders):
    rt = org
    with rt.sessions.begin() as s:
        user(s, "sup2").active = False
    assert _notify(rt, ["sup1", "sup2"]) == ["sup1"]


def test_without_channels_only_in_app(org):
    from supervision import channels
    from supervision.channels import ChannelSet

    channels.use(ChannelSet())
    try:
        assert _notify(org, ["sup1"]) == ["sup1"]
    finally:
        channels.use(None)
    assert _outbox(org) == []


def test_reading_and_marking_only_ones_own(org, recorders):
    rt = org
    clock.freeze(local(2026, 3, 2, 9, 0))
    _notify(rt, ["sup1", "sup2"], dedupe="a")
    clock.shift(timedelta(minutes=1))
    _notify(rt, ["sup1"], dedupe="b")
    with rt.sessions.begin() as s:
        sup1 = user(s, "sup1")
        page = notifications.list_for(s, sup1)
        assert (page.total, page.unread) == (2, 2)
        theirs = s.scalar(select(Notification.id).where(Notification.username == "sup2"))
        with pytest.raises(NotFoundError):
            notifications.mark_read(s, sup1, theirs)
        notifications.mark_read(s, sup1, page.items[0].id)
        assert notifications.unread_count(s, sup1) == 1
        assert notifications.list_for(s, sup1, unread_only=True).total == 1
        assert notifications.mark_all_read(s, sup1) == 1
        assert notifications.unread_count(s, sup1) == 0
        assert notifications.unread_count(s, user(s, "sup2")) == 1


def test_alert_texts_follow_the_readers_language():
    data = {
        "task_name": "核查并回复",
        "case_no": "JD-510800-2026-TS-00012",
        "case_title": "乱检查投诉",
        "due_at": "2026-04-30T15:59:59+00:00",
    }
    zh = notifications.alert_text(notifications.OVERDUE, data, "zh")
    en = notifications.alert_text(notifications.OVERDUE, data, "en")
    assert zh == (
        "【红牌】核查并回复已逾期",
        "案件JD-510800-2026-TS-00012「乱检查投诉」的任务「核查并回复」已于2026-04-30 23:59到期，"
        "现已逾期。",
    )
    assert en[0] == "[Red card] 核查并回复 is overdue"
    assert "was due 2026-04-30 23:59" in en[1]
    row = Notification(kind=notifications.NOTICE, title="自定义", body="内容", data={})
    assert notifications.render(row, "en") == ("自定义", "内容")
