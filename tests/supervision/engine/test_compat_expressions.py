"""JUEL and Python expressions in gateways and task assignment, end to end.

Diagrams: tests/data/compat/expr_gateways.bpmn, expr_assignment.bpmn.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from supervision import clock

# Wednesday 2026-09-30 10:00 in Guangyuan; the National Day holiday follows (10-01..07),
# Saturday 10-10 is a make-up working day.
BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


def _end_of_day(year: int, month: int, day: int) -> datetime:
    """23:59:59 Beijing time as UTC."""
    return datetime(year, month, day, 15, 59, 59, tzinfo=UTC)


def test_juel_conditions_choose_the_city_branch_then_every_true_inclusive_branch(compat):
    compat.deploy("expr_gateways.bpmn")
    case_id = compat.start(
        "expr_gateways",
        {
            "complaint": {"level": "city"},
            "amount": 20000,
            "urgent": False,
            "anonymous": False,
            "notify": ["bureau", "complainant"],
        },
    )
    assert set(compat.tasks(case_id)) == {"city_review"}
    compat.complete("sup1", compat.tasks(case_id)["city_review"])
    # ${!anonymous ? true : false} and the Python condition are both true: no default.
    assert set(compat.tasks(case_id)) == {"tell_complainant", "tell_bureau"}
    assert compat.tasks(case_id)["tell_bureau"].candidate_groups == ["city_market"]
    compat.complete("market1", compat.tasks(case_id)["tell_bureau"])
    assert set(compat.tasks(case_id)) == {"tell_complainant"}
    compat.complete("sup2", compat.tasks(case_id)["tell_complainant"])
    assert compat.case(case_id).status == "completed"


def test_a_juel_candidate_group_and_the_inclusive_default(compat):
    compat.deploy("expr_gateways.bpmn")
    case_id = compat.start(
        "expr_gateways",
        {
            "complaint": {"level": "county", "county": "lizhou_supervisors"},
            "amount": 100,
            "urgent": True,
            "anonymous": True,
            "notify": [],
        },
    )
    review = compat.tasks(case_id)["county_review"]
    assert review.candidate_groups == ["lizhou_supervisors"]
    compat.complete("lizhou1", review)
    # Nothing true on the inclusive gateway: its default flow.
    assert set(compat.tasks(case_id)) == {"archive"}


def test_empty_and_missing_properties_are_null_safe_and_fall_to_the_default(compat):
    compat.deploy("expr_gateways.bpmn")
    for bk, complaint in (("BK-a", {"level": "county", "county": ""}), ("BK-b", {"level": None})):
        case_id = compat.start(
            "expr_gateways",
            {
                "complaint": complaint,
                "amount": 5,
                "urgent": False,
                "anonymous": True,
                "notify": [],
            },
            bk=bk,
        )
        assert set(compat.tasks(case_id)) == {"general_review"}, complaint
        assert compat.incidents(case_id) == []


def test_assignment_due_and_follow_up_dates_and_priority_from_expressions(compat):
    clock.freeze(BEFORE_NATIONAL_DAY)
    compat.deploy("expr_assignment.bpmn")
    case_id = compat.start(
        "expr_assignment",
        {
            "handler": "sup2",
            "owner_group": "city_supervisors",
            "deputy": "chief",
            "reply_days": 5,
            "urgent": True,
        },
    )
    handle = compat.tasks(case_id)["handle"]
    assert handle.assignee == "sup2"
    assert handle.candidate_groups == ["city_supervisors"]
    assert handle.candidate_users == ["chief"]
    # workdays(5) after Wed 09-30: 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
    assert handle.due_at == _end_of_day(2026, 10, 13)
    # workdays(2): 10-08, 10-09.
    assert handle.follow_up_at == _end_of_day(2026, 10, 9)
    assert handle.priority == 80

    clock.shift(timedelta(hours=1))
    compat.complete("sup2", handle)
    confirm = compat.tasks(case_id)["confirm"]
    # Literal Camunda values: an ISO date, an ISO duration from now, a number.
    assert confirm.due_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert confirm.follow_up_at == BEFORE_NATIONAL_DAY + timedelta(hours=1, days=3)
    assert confirm.priority == 70


def test_an_empty_deputy_gives_no_candidate_user(compat):
    clock.freeze(BEFORE_NATIONAL_DAY)
    compat.deploy("expr_assignment.bpmn")
    case_id = compat.start(
        "expr_assignment",
        {
            "handler": "sup1",
            "owner_group": "city_supervisors",
            "deputy": "",
            "reply_days": 1,
            "urgent": False,
        },
    )
    handle = compat.tasks(case_id)["handle"]
    assert handle.candidate_users == [] and handle.priority == 50
    assert handle.due_at == _end_of_day(2026, 10, 8)


def test_an_assignment_that_cannot_be_evaluated_is_an_incident_not_a_silent_task(compat):
    clock.freeze(BEFORE_NATIONAL_DAY)
    compat.deploy("expr_assignment.bpmn")
    case_id = compat.start("expr_assignment", {"handler": "sup1", "deputy": ""})
    [incident] = compat.incidents(case_id)
    assert incident.activity_id == "handle"
    assert incident.incident_type == "assignment"
    assert "owner_group" in incident.message
    # The task exists (an administrator can assign it) but nobody sees it by default.
    handle = compat.tasks(case_id)["handle"]
    assert handle.candidate_groups == [] and handle.assignee is None
