"""The inbox's tabs, filters, sorts and counts: what each user sees, on both databases.

The lists are read from the candidate rows' copies of their tasks (supervision.inbox), so
the tests compare them with the rules computed in Python from the open tasks themselves,
and check that claiming, assigning, changing due dates and moving a case keep them equal.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import OpenTask
from db.models import TaskCandidate
from supervision import authz
from supervision import cases
from supervision import clock
from supervision import deadlines_service
from supervision import inbox
from supervision.inbox import TaskFilters
from supervision.permissions import Permission
from tests.factories import user as factory_user
from tests.supervision.inbox.conftest import NOW

PAST = NOW - timedelta(days=2)
SOON = NOW + timedelta(days=3)
LATER = NOW + timedelta(days=9)
USERS = ("sup1", "sup2", "chief", "market1", "lizhou1", "zhaohua1", "operator")
LIST_TABS = ("mine", "group", "all", "team")
FILTERS = [
    TaskFilters(),
    TaskFilters(overdue=True),
    TaskFilters(due_before=SOON),
    TaskFilters(process="offered"),
    TaskFilters(process="no_such_process"),
    TaskFilters(case_no="c-00"),
    TaskFilters(bureau="city_market"),
    TaskFilters(candidate_group="city_supervisors"),
    TaskFilters(task_spec_id="review"),
    TaskFilters(overdue=True, candidate_group="city_supervisors"),
]


def _province(desk) -> None:
    """Tasks of every shape: shared, duplicated, claimed, undated, in and out of regions."""
    desk.offer(groups="city_supervisors", due=PAST, owner="city_supervisors", case_no="C-001")
    desk.offer(groups="city_supervisors", owner="lizhou_supervisors", case_no="C-002")
    desk.offer(groups="city_chiefs,city_supervisors", due=SOON, case_no="C-003")
    desk.offer(users="sup1", groups="city_supervisors", due=PAST, owner="zhaohua_supervisors")
    desk.offer(groups="city_supervisors", assignee="sup1", due=SOON, case_no="C-005")
    desk.offer(groups="lizhou_supervisors", due=PAST, owner="lizhou_supervisors")
    desk.offer(groups="zhaohua_supervisors", due=LATER, case_no="C-007")
    desk.offer(groups="city_market", bureau="city_market", owner="city_market", due=SOON)
    desk.offer(users="sup2,sup1", priority=80, due=LATER, case_no="C-009")
    desk.offer(groups="city_supervisors,city_supervisors", due=SOON, case_no="C-010")
    desk.offer(groups="hotline", owner="hotline", due=PAST, case_no="C-011")
    desk.offer(groups="city_supervisors", priority=10, case_no="C-012")
    desk.offer(groups="city_chiefs", assignee="chief", due=PAST, case_no="C-013")


# ---------------------------------------------------------------- the rules, in Python


def _offered(task, user) -> bool:
    codes = user.group_codes
    return task.assignee is None and (
        user.username in (task.candidate_users or [])
        or bool(codes & set(task.candidate_groups or []))
    )


def _in_tab(task, user, tab: str) -> bool:
    if tab == "mine":
        return task.assignee == user.username
    if tab == "group":
        return _offered(task, user)
    if tab == "all":
        return task.assignee == user.username or _offered(task, user)
    if not authz.has(user, Permission.TASK_ASSIGN):
        return False
    region = task.region_code or ""
    return bool(user.group_codes & set(task.candidate_groups or [])) or any(
        task.region_code is not None and region.startswith(p) for p in authz.regional_prefixes(user)
    )


def _passes(task, filters: TaskFilters) -> bool:
    now = clock.now()
    checks = [
        not filters.process or task.definition_key == filters.process,
        not filters.case_no or filters.case_no.lower() in (task.case_no or "").lower(),
        not filters.bureau or task.bureau_code == filters.bureau,
        not filters.due_before or (task.due_at is not None and task.due_at <= filters.due_before),
        not filters.overdue or (task.due_at is not None and task.due_at < now),
        not filters.candidate_group or filters.candidate_group in (task.candidate_groups or []),
        not filters.task_spec_id or task.task_spec_id == filters.task_spec_id,
    ]
    return all(checks)


def _sort_key(sort: str):
    def stamp(value):
        return value.timestamp() if value is not None else 0

    return {
        "due": lambda t: (t.due_at is None, stamp(t.due_at), t.created_at, t.id),
        "-due": lambda t: (t.due_at is None, -stamp(t.due_at), t.created_at, t.id),
        "created": lambda t: (t.created_at, t.id),
        "-created": lambda t: (-t.created_at.timestamp(), t.id),
        "priority": lambda t: (-t.priority, t.created_at, t.id),
        "name": lambda t: (t.name, t.created_at, t.id),
        "case": lambda t: (t.case_no is None, t.case_no or "", t.created_at, t.id),
    }[sort]


def _expected(session, user, tab, filters=None, sort="due") -> list[str]:
    filters = filters or TaskFilters()
    tasks = session.scalars(select(OpenTask)).all()
    chosen = [t for t in tasks if _in_tab(t, user, tab) and _passes(t, filters)]
    return [t.id for t in sorted(chosen, key=_sort_key(sort))]


def _listed(session, user, tab, filters=None, sort="due", per_page=4) -> list[str]:
    """Every page of the tab, in order; each page's total must be the same."""
    first = inbox.list_tasks(session, user, tab=tab, filters=filters, sort=sort, per_page=per_page)
    ids = [t.id for t in first.items]
    for number in range(2, first.pages + 1):
        page = inbox.list_tasks(
            session, user, tab=tab, filters=filters, sort=sort, page=number, per_page=per_page
        )
        assert page.total == first.total
        ids += [t.id for t in page.items]
    assert len(ids) == first.total
    return ids


def _expected_counts(session, user) -> dict[str, int]:
    tasks = session.scalars(select(OpenTask)).all()
    now = clock.now()
    mine_or_offered = [t for t in tasks if _in_tab(t, user, "all")]
    return {
        "mine": sum(_in_tab(t, user, "mine") for t in tasks),
        "group": sum(_in_tab(t, user, "group") for t in tasks),
        "overdue": sum(t.due_at is not None and t.due_at < now for t in mine_or_offered),
        "team": sum(_in_tab(t, user, "team") for t in tasks),
    }


def _counts(session, user) -> dict[str, int]:
    found = inbox.counts(session, user)
    return {k: found[k] for k in ("mine", "group", "overdue", "team")}


def _assert_inbox_follows_the_rules(session, names=USERS) -> None:
    for name in names:
        user = factory_user(session, name)
        assert _counts(session, user) == _expected_counts(session, user), name
        for tab in LIST_TABS:
            for sort in inbox.SORTS:
                expected = _expected(session, user, tab, sort=sort)
                assert _listed(session, user, tab, sort=sort) == expected, (name, tab, sort)
            for filters in FILTERS:
                for sort in ("due", "name"):
                    expected = _expected(session, user, tab, filters, sort)
                    assert _listed(session, user, tab, filters, sort) == expected, (
                        name,
                        tab,
                        filters,
                        sort,
                    )


# ---------------------------------------------------------------- tests


def test_every_tab_filter_and_sort_follows_the_rules(desk):
    _province(desk)
    sup1 = desk.user("sup1")
    # Something in every tab, and the tricky shapes really are there.
    assert _expected(desk.session, sup1, "mine") and _expected(desk.session, sup1, "group")
    assert _expected(desk.session, desk.user("chief"), "team")
    _assert_inbox_follows_the_rules(desk.session)


def test_a_province_wide_region_is_sorted_as_one_range(desk, monkeypatch):
    """Past _WALKED_REGIONS codes under a prefix the team tab sorts the prefix's range
    instead of walking each code: the same list."""
    _province(desk)
    chief = desk.user("chief")
    walked = {s: _listed(desk.session, chief, "team", sort=s) for s in inbox.SORTS}
    monkeypatch.setattr(inbox, "_WALKED_REGIONS", 1)
    assert inbox._region_codes(desk.session, "5108") is None
    for sort, ids in walked.items():
        assert _listed(desk.session, chief, "team", sort=sort) == ids
        assert ids == _expected(desk.session, chief, "team", sort=sort)


def test_a_task_offered_to_two_of_my_groups_is_listed_and_counted_once(desk):
    both = desk.offer(groups="city_chiefs,city_supervisors", due=SOON)
    twice = desk.offer(groups="city_supervisors,city_supervisors", due=LATER)
    named = desk.offer(users="chief", groups="city_chiefs")
    chief = desk.user("chief")
    for tab in ("group", "all", "team"):
        page = inbox.list_tasks(desk.session, chief, tab=tab)
        assert [t.id for t in page.items] == [both.id, twice.id, named.id]
        assert page.total == 3
    counts = inbox.counts(desk.session, chief)
    assert (counts["group"], counts["team"]) == (3, 3)
    sup1 = desk.user("sup1")
    assert [t.id for t in inbox.list_tasks(desk.session, sup1, tab="group").items] == [
        both.id,
        twice.id,
    ]
    rows = desk.session.scalars(select(TaskCandidate).where(TaskCandidate.task_id == both.id))
    assert {(r.group_code, r.shared) for r in rows} == {
        ("city_chiefs", True),
        ("city_supervisors", True),
    }


def test_claim_unclaim_and_assign_move_the_task_between_tabs(desk):
    task = desk.offer(groups="city_supervisors", due=PAST)
    other = desk.offer(groups="city_supervisors", due=SOON)
    session = desk.session
    sup1, sup2, chief = desk.user("sup1"), desk.user("sup2"), desk.user("chief")

    def tabs(user):
        return {
            tab: [t.id for t in inbox.list_tasks(session, user, tab=tab).items]
            for tab in ("mine", "group", "all")
        }

    assert tabs(sup1) == {"mine": [], "group": [task.id, other.id], "all": [task.id, other.id]}
    assert inbox.counts(session, sup1)["overdue"] == 1

    cases.claim_task(session, sup1, task.id)
    assert tabs(sup1) == {"mine": [task.id], "group": [other.id], "all": [task.id, other.id]}
    assert tabs(sup2) == {"mine": [], "group": [other.id], "all": [other.id]}
    assert inbox.counts(session, sup1) | {"done": 0} == {
        "mine": 1,
        "group": 1,
        "overdue": 1,
        "done": 0,
        "team": 0,
    }
    assert inbox.counts(session, sup2)["overdue"] == 0
    # Claimed or not, the chief may reassign it: the team tab keeps it.
    assert inbox.counts(session, chief)["team"] == 2

    cases.unclaim_task(session, sup1, task.id)
    assert tabs(sup1)["group"] == [task.id, other.id]
    assert inbox.counts(session, sup2)["group"] == 2

    cases.assign_task(session, chief, task.id, "sup2")
    assert tabs(sup2) == {"mine": [task.id], "group": [other.id], "all": [task.id, other.id]}
    assert tabs(sup1)["group"] == [other.id]
    assert inbox.counts(session, sup2)["overdue"] == 1
    assert inbox.counts(session, chief)["team"] == 2

    cases.assign_task(session, chief, task.id, None)
    assert tabs(sup2)["mine"] == []
    assert tabs(sup1)["group"] == [task.id, other.id]
    _assert_inbox_follows_the_rules(session, ("sup1", "sup2", "chief"))


def test_a_new_due_date_or_priority_reorders_and_recounts(desk):
    first = desk.offer(groups="city_supervisors", due=SOON)
    second = desk.offer(groups="city_supervisors", due=LATER)
    session = desk.session
    sup1, chief = desk.user("sup1"), desk.user("chief")
    assert inbox.counts(session, sup1)["overdue"] == 0

    cases.set_task_dates(session, chief, second.id, due_at=PAST, priority=90)
    assert [t.id for t in inbox.list_tasks(session, sup1, tab="group").items] == [
        second.id,
        first.id,
    ]
    overdue = inbox.list_tasks(session, sup1, tab="group", filters=TaskFilters(overdue=True))
    assert [t.id for t in overdue.items] == [second.id] and overdue.total == 1
    assert inbox.counts(session, sup1)["overdue"] == 1
    by_priority = inbox.list_tasks(session, sup1, tab="group", sort="priority")
    assert [t.id for t in by_priority.items] == [second.id, first.id]
    _assert_inbox_follows_the_rules(session, ("sup1", "chief"))


def test_a_deadline_extension_moves_the_task_out_of_overdue(desk):
    task = desk.offer(groups="city_supervisors", due=PAST, owner="city_supervisors")
    session = desk.session
    sup1, chief = desk.user("sup1"), desk.user("chief")
    assert inbox.counts(session, sup1)["overdue"] == 1
    instance = cases.get_case(session, chief, task.instance_id)
    deadlines_service.extend_deadline(
        session,
        desk.engine,
        chief,
        instance,
        reason="材料补正",
        variable="due",
        new_due=(NOW + timedelta(days=1)).isoformat(),
    )
    session.flush()
    assert inbox.counts(session, sup1)["overdue"] == 0
    assert (
        inbox.list_tasks(session, sup1, tab="group", filters=TaskFilters(overdue=True)).total == 0
    )
    assert inbox.list_tasks(session, sup1, tab="group", filters=TaskFilters(due_before=SOON)).total
    _assert_inbox_follows_the_rules(session, ("sup1", "chief"))


def test_a_case_moving_into_the_chiefs_region_is_counted_once(desk):
    """Offered to the chief's group outside any region, the task reaches the team tab by
    its candidate rows; once the case belongs to a county of the chief's city it comes by
    region, and the candidate rows must know, or it would be counted twice."""
    task = desk.offer(groups="city_supervisors", due=SOON)
    session = desk.session
    chief = desk.user("chief")
    assert task.region_code is None and inbox.counts(session, chief)["team"] == 1
    instance = cases.get_case(session, chief, task.instance_id)
    desk.engine.set_variables(
        session, instance, {"owner_unit_id": "lizhou_supervisors"}, actor="chief"
    )
    session.flush()
    session.expire_all()
    assert session.get(OpenTask, task.id).region_code == "510802"
    assert inbox.counts(session, chief)["team"] == 1
    assert [t.id for t in inbox.list_tasks(session, chief, tab="team").items] == [task.id]
    _assert_inbox_follows_the_rules(session, ("chief", "lizhou1"))


def test_the_public_conditions_select_what_the_tabs_list(desk):
    _province(desk)
    session = desk.session
    for name in USERS:
        user = desk.user(name)
        for tab in LIST_TABS:
            stmt = select(OpenTask.id).where(inbox.tab_condition(user, tab))
            assert set(session.scalars(stmt)) == set(_expected(session, user, tab)), (name, tab)


def test_nobody_unusable_sees_tasks_and_only_chiefs_have_a_team(desk):
    _province(desk)
    session = desk.session
    sup1 = desk.user("sup1")
    assert inbox.list_tasks(session, sup1, tab="team").total == 0
    assert inbox.counts(session, sup1)["team"] == 0
    sup1.active = False
    assert inbox.list_tasks(session, sup1, tab="group").total == 0
    assert inbox.counts(session, sup1) == {
        "mine": 0,
        "group": 0,
        "overdue": 0,
        "done": 0,
        "team": 0,
    }
    with pytest.raises(ValueError):
        inbox.list_tasks(session, desk.user("sup2"), tab="nonsense")


def test_a_page_past_the_end_is_empty_but_keeps_the_total(desk):
    for _ in range(3):
        desk.offer(groups="city_supervisors")
    page = inbox.list_tasks(desk.session, desk.user("sup1"), tab="group", page=5, per_page=2)
    assert (page.items, page.total, page.pages) == ([], 3, 2)


def test_badges_count_up_to_the_cap_and_the_list_total_stays_exact(desk, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    for due in (PAST, PAST, SOON, LATER):
        desk.offer(groups="city_supervisors,city_chiefs", due=due)
    sup1, chief = desk.user("sup1"), desk.user("chief")
    assert inbox.counts(desk.session, sup1) | {"done": 0} == {
        "mine": 0,
        "group": 3,
        "overdue": 2,
        "done": 0,
        "team": 0,
    }
    assert inbox.counts(desk.session, chief)["team"] == 3
    assert [inbox.badge(n) for n in (0, 2, 3)] == ["0", "2", "2+"]
    assert inbox.list_tasks(desk.session, sup1, tab="group").total == 4
