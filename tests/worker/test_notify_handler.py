"""The notify service-task handler, called as a diagram calls it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from db.models import AuditEvent
from db.models import Notification
from db.models import ProcessInstance
from supervision import clock
from supervision.errors import InvalidInputError
from supervision.handlers.notify import fill
from supervision.handlers.notify import notify
from tests.worker.conftest import local
from tests.worker.conftest import open_tasks
from tests.worker.conftest import start


def _ctx(session, instance, params, task_id="t-1", data=None):
    return SimpleNamespace(
        session=session,
        instance=instance,
        params=params,
        data=data if data is not None else dict(instance.variables or {}),
        task_id=task_id,
        activity_id="notify_task",
        actor="timer",
        now=clock.now(),
    )


def _call(rt, case_id, params, **kwargs):
    with rt.sessions.begin() as s:
        return notify(_ctx(s, s.get(ProcessInstance, case_id), params, **kwargs))


def _told(rt, case_id):
    with rt.sessions() as s:
        return sorted(
            (n.username, n.title)
            for n in s.scalars(select(Notification).where(Notification.instance_id == case_id))
        )


@pytest.fixture
def case_id(deployed):
    clock.freeze(local(2026, 3, 4, 10, 0))
    return start(
        deployed,
        "due_task",
        due="2026-03-13T23:59:59+08:00",
        case_title="乱罚款",
        complainant_name="王丽",
    )


def test_placeholders_take_case_variables_but_never_personal_data():
    data = {"case_title": "乱罚款", "complainant_phone": "13912345521", "n": 3}
    assert fill("{case_title}：{n}次 {complainant_phone} {missing}", data) == "乱罚款：3次 *** "
    assert fill("{case_title.__class__}", data) == "{case_title.__class__}"


def test_groups_roles_and_users_are_told_once_per_execution(deployed, case_id):
    rt = deployed
    params = {"group": "city_supervisors", "users": "market1", "title": "请关注{case_title}"}
    assert _call(rt, case_id, params) is None
    assert _told(rt, case_id) == [
        ("chief", "请关注乱罚款"),
        ("market1", "请关注乱罚款"),
        ("sup1", "请关注乱罚款"),
        ("sup2", "请关注乱罚款"),
    ]
    _call(rt, case_id, params)  # the same task retried after an incident
    assert len(_told(rt, case_id)) == 4
    _call(
        rt,
        case_id,
        {**params, "group": ["city_supervisors"], "role": "section_chief"},
        task_id="t-2",
    )
    assert len(_told(rt, case_id)) == 6  # chief and market1 again: a new execution


def test_a_level_marks_the_task_and_counts_as_its_announcement(deployed, case_id):
    rt = deployed
    result = _call(
        rt,
        case_id,
        {"group": "city_market", "title": "红牌", "level": "red", "activities": "handle"},
    )
    assert result == {"alert_level": "red"}
    task = open_tasks(rt, case_id)["handle"]
    assert (task.alert_level, task.alert_notified) == ("red", "red")
    with rt.sessions() as s:
        kinds = set(s.scalars(select(Notification.kind)))
    assert kinds == {"overdue"}


def test_a_wrong_parameter_is_an_error_and_an_empty_group_is_recorded(deployed, case_id):
    rt = deployed
    with pytest.raises(InvalidInputError, match="no_such_group"):
        _call(rt, case_id, {"group": "no_such_group", "title": "x"})
    with pytest.raises(InvalidInputError, match="title"):
        _call(rt, case_id, {"group": "city_market"})
    with pytest.raises(InvalidInputError, match="group or users"):
        _call(rt, case_id, {"title": "x"})
    with pytest.raises(InvalidInputError, match="level"):
        _call(rt, case_id, {"group": "city_market", "title": "x", "level": "purple"})
    assert _told(rt, case_id) == []
    _call(rt, case_id, {"group": "hotline", "role": "section_chief", "title": "无人"})
    with rt.sessions() as s:
        record = s.scalars(select(AuditEvent).where(AuditEvent.action == "notify")).one()
    assert record.details["nobody"] is True and record.details["recipients"] == []
