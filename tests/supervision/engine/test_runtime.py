"""The engine end to end: a Modeler-style diagram driven through every path, with a
serialise-restore round trip between steps, projections and audit checked on the way."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import select

from db.models import HistoricActivity
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import audit
from supervision import cases
from supervision import clock
from supervision.errors import DuplicateError
from supervision.errors import FormInvalidError
from supervision.errors import NotAllowedError
from supervision.errors import TaskNotOpenError
from tests.conftest import read_workflow
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user

# Wednesday 2026-03-04 10:00 in Guangyuan.
START = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def deployed(runtime):
    clock.freeze(START)
    with runtime.sessions.begin() as s:
        make_org(s)
        result = deploy(
            s, runtime.engine, ("review_parallel.bpmn", read_workflow("review_parallel.bpmn"))
        )
        assert [d.key for d in result.definitions] == ["review_parallel"]
    return runtime


def _start(rt, bureau="city_market"):
    with rt.sessions.begin() as s:
        return cases.start_case(
            s,
            rt.engine,
            user(s, "sup1"),
            key="review_parallel",
            business_key="BK-1",
            variables={"bureau": bureau},
        ).instance.id


def _tasks(rt, case_id):
    with rt.sessions() as s:
        return {
            t.task_spec_id: t
            for t in s.scalars(select(OpenTask).where(OpenTask.instance_id == case_id))
        }


def _complete(rt, username, task_id, values):
    with rt.sessions.begin() as s:
        cases.complete_task(s, rt.engine, user(s, username), task_id, values)


def _round_trip(rt, case_id):
    """Restore the stored workflow, serialise it again, and compare the stored bytes."""
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        before = rt.engine.decode_state(instance)
        workflow = rt.engine._load(s, instance)
        again = rt.engine.serializer.decode(rt.engine.serializer.dumps(workflow))
        assert again["tasks"].keys() == before["tasks"].keys()
        assert {k: v["state"] for k, v in again["tasks"].items()} == {
            k: v["state"] for k, v in before["tasks"].items()
        }


def test_major_path_runs_parallel_branches_and_approves(deployed):
    rt = deployed
    case_id = _start(rt)
    tasks = _tasks(rt, case_id)
    assert set(tasks) == {"register"}
    register = tasks["register"]
    assert register.candidate_groups == ["city_supervisors"]
    assert register.lane == "监督科"
    # Due in 3 working days after Wed 2026-03-04: Mon 2026-03-09, end of day local time.
    assert register.due_at == datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC)
    _round_trip(rt, case_id)

    _complete(
        rt,
        "sup1",
        register.id,
        {"case_title": "乱检查投诉", "category": "major", "affected": "12", "urgent": True},
    )
    _round_trip(rt, case_id)
    tasks = _tasks(rt, case_id)
    assert set(tasks) == {"legal_review", "finance_review"}
    # ${bureau} resolved against the case data when the task became ready.
    assert tasks["legal_review"].candidate_groups == ["city_market"]
    assert tasks["legal_review"].lane == "执法机关"

    _complete(rt, "market1", tasks["legal_review"].id, {"legal_ok": True})
    _round_trip(rt, case_id)
    assert set(_tasks(rt, case_id)) == {"finance_review"}
    _complete(rt, "sup2", tasks["finance_review"].id, {"finance_ok": False})
    _round_trip(rt, case_id)
    tasks = _tasks(rt, case_id)
    assert set(tasks) == {"approve"}

    _complete(rt, "chief", tasks["approve"].id, {"decision": "approve"})
    with rt.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.status == "completed"
        assert instance.title == "乱检查投诉"
        assert instance.variables["affected"] == 12
        assert instance.variables["legal_ok"] is True and instance.variables["finance_ok"] is False
        activities = {
            a.activity_id
            for a in s.scalars(
                select(HistoricActivity).where(HistoricActivity.instance_id == case_id)
            )
        }
        assert {
            "start",
            "register",
            "gw_route",
            "split",
            "legal_review",
            "finance_review",
            "join",
            "approve",
            "gw_decision",
            "end_approved",
        } <= activities
        assert "end_rejected" not in activities and "simple_review" not in activities
        done = {
            t.task_spec_id: t.completed_by
            for t in s.scalars(select(HistoricTask).where(HistoricTask.instance_id == case_id))
        }
        assert done == {
            "register": "sup1",
            "legal_review": "market1",
            "finance_review": "sup2",
            "approve": "chief",
        }
        assert audit.verify(s).ok


def test_major_path_rejected(deployed):
    rt = deployed
    case_id = _start(rt)
    register = _tasks(rt, case_id)["register"]
    _complete(rt, "sup1", register.id, {"case_title": "x", "category": "major", "affected": 3})
    tasks = _tasks(rt, case_id)
    _complete(rt, "market1", tasks["legal_review"].id, {"legal_ok": False})
    _complete(rt, "sup1", tasks["finance_review"].id, {})
    _complete(rt, "chief", _tasks(rt, case_id)["approve"].id, {"decision": "reject"})
    with rt.sessions() as s:
        ended = {
            a.activity_id
            for a in s.scalars(
                select(HistoricActivity).where(
                    HistoricActivity.instance_id == case_id,
                    HistoricActivity.activity_type == "endEvent",
                )
            )
        }
        assert ended == {"end_rejected"}
        assert s.get(ProcessInstance, case_id).status == "completed"


def test_minor_path_takes_the_default_flow(deployed):
    rt = deployed
    case_id = _start(rt)
    _complete(
        rt,
        "sup1",
        _tasks(rt, case_id)["register"].id,
        {"case_title": "一般投诉", "category": "minor"},
    )
    tasks = _tasks(rt, case_id)
    assert set(tasks) == {"simple_review"}
    _complete(rt, "sup2", tasks["simple_review"].id, {})
    with rt.sessions() as s:
        assert s.get(ProcessInstance, case_id).status == "completed"


def test_form_errors_name_each_field_and_change_nothing(deployed):
    rt = deployed
    case_id = _start(rt)
    register = _tasks(rt, case_id)["register"]
    with rt.sessions() as s:
        version = s.get(ProcessInstance, case_id).version
    with pytest.raises(FormInvalidError) as caught, rt.sessions.begin() as s:
        cases.complete_task(
            s,
            rt.engine,
            user(s, "sup1"),
            register.id,
            {"case_title": "", "category": "huge", "affected": "many"},
        )
    assert set(caught.value.errors) == {"case_title", "category", "affected"}
    assert caught.value.errors["case_title"] == "此项为必填项"
    with pytest.raises(FormInvalidError) as caught, rt.sessions.begin() as s:
        cases.complete_task(
            s,
            rt.engine,
            user(s, "sup1"),
            register.id,
            {"case_title": "x" * 51, "category": "minor", "affected": "-1"},
        )
    assert set(caught.value.errors) == {"case_title", "affected"}
    with rt.sessions() as s:
        assert s.get(ProcessInstance, case_id).version == version
        assert _tasks(rt, case_id)["register"].id == register.id


def test_only_candidates_may_complete_and_a_completed_task_is_closed(deployed):
    rt = deployed
    case_id = _start(rt)
    register = _tasks(rt, case_id)["register"]
    for outsider in ("market1", "lizhou1", "operator"):
        with pytest.raises(NotAllowedError), rt.sessions.begin() as s:
            cases.complete_task(
                s,
                rt.engine,
                user(s, outsider),
                register.id,
                {"case_title": "x", "category": "minor"},
            )
    _complete(rt, "sup1", register.id, {"case_title": "x", "category": "minor"})
    with pytest.raises(TaskNotOpenError), rt.sessions.begin() as s:
        cases.complete_task(
            s, rt.engine, user(s, "sup2"), register.id, {"case_title": "x", "category": "minor"}
        )


def test_redeploying_unchanged_keeps_the_version_and_running_cases_keep_theirs(deployed):
    rt = deployed
    case_id = _start(rt)
    with rt.sessions.begin() as s:
        again = deploy(
            s, rt.engine, ("review_parallel.bpmn", read_workflow("review_parallel.bpmn"))
        )
        assert again.definitions == [] and [d.version for d in again.unchanged] == [1]
        changed = read_workflow("review_parallel.bpmn").replace(
            "一般审查".encode(), "一般审查（新）".encode()
        )
        newer = deploy(s, rt.engine, ("review_parallel.bpmn", changed))
        assert [d.version for d in newer.definitions] == [2]
    with rt.sessions() as s:
        assert s.get(ProcessInstance, case_id).definition_id.startswith("review_parallel:1:")
    _complete(
        rt, "sup1", _tasks(rt, case_id)["register"].id, {"case_title": "x", "category": "minor"}
    )
    assert _tasks(rt, case_id)["simple_review"].name == "一般审查"


def test_a_case_number_already_in_use_is_refused_and_nothing_is_saved(deployed):
    rt = deployed

    def start(business_key):
        with rt.sessions.begin() as s:
            return cases.start_case(
                s,
                rt.engine,
                user(s, "sup1"),
                key="review_parallel",
                business_key=business_key,
                variables={"bureau": "city_market", "case_no": "JD-510800-2026-TS-00001"},
            ).instance.id

    first = start("BK-1")
    with pytest.raises(DuplicateError, match="JD-510800-2026-TS-00001"):
        start("BK-2")
    with rt.sessions() as s:
        assert s.scalars(select(ProcessInstance.id)).all() == [first]
        assert s.get(ProcessInstance, first).case_no == "JD-510800-2026-TS-00001"
