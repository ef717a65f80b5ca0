"""Variable scoping as Camunda does it: input/output mappings, call activities,
multi-instance activities and event subprocesses.

Diagrams: io_mappings.bpmn, call_referral.bpmn + referral_sub.bpmn, mi_parallel.bpmn,
mi_sequential.bpmn, event_subprocess.bpmn, parallel_variables.bpmn.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from db.models import ProcessInstance
from supervision import clock

MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Mon 09:00 Beijing


def _end_of_day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 15, 59, 59, tzinfo=UTC)


def test_input_parameters_are_local_to_the_user_task_and_outputs_leave_it(compat):
    clock.freeze(MONDAY)
    compat.deploy("io_mappings.bpmn")
    case_id = compat.start("io_mappings", {"level": "county", "title": "乱收费投诉"})
    review = compat.tasks(case_id)["review"]
    # The candidate group and the due date come from the task's own input parameters.
    assert review.candidate_groups == ["lizhou_supervisors"]
    assert review.due_at == _end_of_day(2026, 3, 5)  # workdays(3): Tue, Wed, Thu
    # While the task is open, its locals are not case variables.
    variables = compat.variables(case_id)
    assert variables["title"] == "乱收费投诉"
    assert not {"reviewer_group", "days"} & set(variables)

    compat.complete("lizhou1", review, {"opinion": "属实", "title": "改过的标题"})
    variables = compat.variables(case_id)
    assert variables["review_opinion"] == "属实"
    assert variables["reviewed_group"] == "lizhou_supervisors"
    # 'title' was an input parameter: the form changed the local copy, the process
    # variable of the same name is as it was.
    assert variables["title"] == "乱收费投诉"
    assert variables["opinion"] == "属实"  # form values that are not locals stay
    assert not {"reviewer_group", "days"} & set(variables)
    assert set(compat.tasks(case_id)) == {"decide"}


def test_a_call_activity_passes_only_what_camunda_in_names_and_returns_camunda_out(compat):
    clock.freeze(MONDAY)
    compat.deploy("referral_sub.bpmn", "call_referral.bpmn")
    case_id = compat.start(
        "call_referral",
        {
            "case_no": "JD-510800-2026-XS-00007",
            "suspect": {"name": "李四", "county": "lizhou"},
            "complainant_phone": "13800000000",
            "internal_notes": "不外传",
        },
    )
    receipt = compat.tasks(case_id)["police_receipt"]
    assert receipt.process_key == "referral_sub"
    # ${deadline} is the call activity's input parameter, passed by variables="all" local.
    assert receipt.due_at == _end_of_day(2026, 3, 5)
    with compat.rt.sessions() as s:
        workflow = compat.rt.engine._load(s, s.get(ProcessInstance, case_id))
        [called] = workflow.subprocesses.values()
        inside = next(t for t in called.get_tasks() if t.task_spec.bpmn_id == "police_receipt")
        # The called process sees exactly the mapped variables, nothing else of the case.
        assert inside.data == {
            "source_case_no": "JD-510800-2026-XS-00007",
            "suspect_name": "李四",
            "police_unit": "利州公安分局",
            "deadline": "2026-03-05T23:59:59+08:00",
        }
    compat.complete("sup1", receipt, {"receipt_no": "利公(刑)受字〔2026〕18号", "accepted": True})
    variables = compat.variables(case_id)
    assert variables["police_receipt_no"] == "利公(刑)受字〔2026〕18号"
    assert variables["referral_outcome"] == "accepted"
    assert variables["referred_to"] == "利州公安分局"
    # Nothing else comes back: not the called process's own variables, not the locals.
    assert not {"receipt_no", "accepted", "police_unit", "deadline", "suspect_name"} & set(
        variables
    )
    assert set(compat.tasks(case_id)) == {"follow_up"}


def test_parallel_multi_instance_with_completion_condition_and_counters(compat):
    clock.freeze(MONDAY)
    compat.deploy("mi_parallel.bpmn")
    reviewers = [
        {"group": "city_supervisors", "days": 1},
        {"group": "city_market", "days": 2},
        {"group": "lizhou_supervisors", "days": 3},
    ]
    case_id = compat.start(
        "mi_parallel", {"case": {"reviewers": reviewers}, "agreed": 0, "reviewer": "unchanged"}
    )
    instances = {t.candidate_groups[0]: t for t in compat.task_list(case_id)}
    assert set(instances) == {"city_supervisors", "city_market", "lizhou_supervisors"}
    # Each instance sees its own element variable.
    assert instances["city_market"].due_at == _end_of_day(2026, 3, 4)
    compat.complete("market1", instances["city_market"], {"vote": "agree"})
    compat.complete("lizhou1", instances["lizhou_supervisors"], {"vote": "agree"})
    # ${agreed >= 2 || ...}: the output of each instance counted the other's vote, and
    # the condition ended the activity; the third instance was cancelled.
    assert compat.tasks(case_id) == {}
    case = compat.case(case_id)
    assert case.status == "completed"
    assert case.variables["agreed"] == 2
    assert case.variables["reviewer"] == "unchanged"  # the element variable was local
    with compat.rt.sessions() as s:
        from db.models import HistoricActivity

        ends = s.scalars(
            select(HistoricActivity.activity_id).where(
                HistoricActivity.instance_id == case_id,
                HistoricActivity.activity_type == "endEvent",
            )
        ).all()
        assert ends == ["passed"]


def test_parallel_multi_instance_runs_to_the_end_when_the_condition_stays_false(compat):
    clock.freeze(MONDAY)
    compat.deploy("mi_parallel.bpmn")
    reviewers = [{"group": "city_supervisors", "days": 1}, {"group": "city_market", "days": 1}]
    case_id = compat.start("mi_parallel", {"case": {"reviewers": reviewers}, "agreed": 0})
    for task in compat.task_list(case_id):
        who = "sup1" if task.candidate_groups == ["city_supervisors"] else "market1"
        compat.complete(who, task, {"vote": "object"})
    case = compat.case(case_id)
    assert case.status == "completed" and case.variables["agreed"] == 0


def test_sequential_multi_instance_over_a_collection_and_over_a_cardinality(compat):
    receipts = {"city_market": "ok", "city_chiefs": "refused", "lizhou_supervisors": "ok"}
    compat.handler("notifyAgency", lambda ctx, agency, index, total: receipts[agency])
    compat.deploy("mi_sequential.bpmn")
    case_id = compat.start(
        "mi_sequential",
        {"agencies": list(receipts), "rounds": 3, "checked": []},
    )
    # One after another, loopCounter and nrOfInstances as arguments; the completion
    # condition stopped after the refusal, before the third agency.
    assert [args for name, _params, args in compat.calls] == [
        ("city_market", 0, 3),
        ("city_chiefs", 1, 3),
    ]
    variables = compat.variables(case_id)
    assert variables["last_receipt"] == "refused"
    assert variables["checked"] == [0, 1, 2]  # loopCardinality ${rounds}
    assert "agency" not in variables and "loopCounter" not in variables
    assert compat.case(case_id).status == "completed"


def test_a_non_interrupting_event_subprocess_shares_the_process_variables(compat):
    compat.deploy("event_subprocess.bpmn")
    case_id = compat.start(
        "event_subprocess", {"supplements": 0, "supplement_titles": [], "case_no": "TS-1"}
    )
    assert compat.correlate("supplement_received", material="现场照片") == ["Execution"]
    assert compat.correlate("supplement_received", material="录音") == ["Execution"]
    variables = compat.variables(case_id)
    assert variables["supplements"] == 2
    assert variables["supplement_titles"] == ["现场照片", "录音"]
    # The main flow was not interrupted, and its gateway now sees the supplements.
    compat.complete("sup1", compat.tasks(case_id)["investigate"], {})
    assert set(compat.tasks(case_id)) == {"review_supplements"}


def test_a_parallel_branch_that_never_set_a_variable_does_not_overwrite_it_at_the_join(compat):
    clock.freeze(MONDAY)
    compat.deploy("parallel_variables.bpmn")
    case_id = compat.start("parallel_variables", {"decision": "reject"})
    assert set(compat.tasks(case_id)) == {"decide"}
    compat.complete("chief", compat.tasks(case_id)["decide"], {"decision": "approve"})
    # The other branch waits on a timer that SpiffWorkflow refreshes from its own copy.
    compat.fire(case_id, MONDAY + timedelta(minutes=30))
    assert compat.variables(case_id)["decision"] == "approve"
    compat.fire(case_id, MONDAY + timedelta(hours=1))
    compat.complete("sup1", compat.tasks(case_id)["check"], {})
    with compat.rt.sessions() as s:
        from db.models import HistoricActivity

        ends = s.scalars(
            select(HistoricActivity.activity_id).where(
                HistoricActivity.instance_id == case_id,
                HistoricActivity.activity_type == "endEvent",
            )
        ).all()
    assert ends == ["approved"]
    assert compat.variables(case_id)["decision"] == "approve"
