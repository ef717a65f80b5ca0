"""The `supervision` command line, as operators and scripts use it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.models import OpenTask
from db.models import ProcessInstance
from db.session import make_engine
from supervision.cli import cli
from supervision.cli import parse_var
from tests.conftest import data_file


@pytest.fixture
def run(runtime, monkeypatch):
    monkeypatch.setenv("SUPERVISION_DATABASE_URL", runtime.url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def org(run):
    for code, name, level, region in (
        ("city_supervisors", "市司法局监督科", "city", "510800"),
        ("city_chiefs", "科长", "city", "510800"),
        ("city_market", "市市场监管局", "city", "510800"),
    ):
        result = run("create-group", code, "--name", name, "--level", level, "--region", region)
        assert result.exit_code == 0, result.output
    for username, role, group in (
        ("sup1", "supervisor", "city_supervisors"),
        ("market1", "bureau_handler", "city_market"),
    ):
        result = run(
            "create-user", username, "--password", "long-enough-1", "--role", role, "--group", group
        )
        assert result.exit_code == 0, result.output
    return run


def test_parse_var_reads_json_or_text():
    assert parse_var("n=3") == ("n", 3)
    assert parse_var("ok=true") == ("ok", True)
    assert parse_var('s="x"') == ("s", "x")
    assert parse_var("s=hello world") == ("s", "hello world")
    assert parse_var("a=b=c") == ("a", "b=c")


def test_init_db_migrates_and_is_safe_to_repeat(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("SUPERVISION_DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(cli, ["init-db"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "revision 0001" in first.output and "calendar years added: 2004" in first.output
    second = runner.invoke(cli, ["init-db"], catch_exceptions=False)
    assert second.exit_code == 0 and "calendar years added" not in second.output
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("select count(*) from calendar_years").scalar() >= 23
    engine.dispose()


def test_deploy_start_claim_complete(org, runtime):
    result = org("deploy", str(data_file("workflows", "review_parallel.bpmn")))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("review_parallel\tversion 1\treview_parallel:1:")

    again = org("deploy", str(data_file("workflows", "review_parallel.bpmn")))
    assert "unchanged" in again.output

    started = org(
        "start",
        "review_parallel",
        "--business-key",
        "BK-9",
        "--var",
        "bureau=city_market",
        "--var",
        "note=hello world",
    )
    assert started.exit_code == 0, started.output
    case_id = started.output.strip()
    with runtime.sessions() as s:
        instance = s.get(ProcessInstance, case_id)
        assert instance.business_key == "BK-9"
        assert instance.variables["note"] == "hello world"
        task_id = s.scalars(select(OpenTask.id).where(OpenTask.instance_id == case_id)).one()

    listed = org("tasks", "--group", "city_supervisors")
    fields = listed.output.strip().split("\t")
    assert fields[0] == task_id and fields[2] == "register" and fields[4] == "city_supervisors"
    assert org("tasks", "--user", "market1").output == ""

    refused = org("claim", task_id, "--user", "market1")
    assert refused.exit_code != 0 and "not a candidate" in refused.output
    claimed = org("claim", task_id, "--user", "sup1")
    assert claimed.exit_code == 0 and "claimed by sup1" in claimed.output

    invalid = org("complete", task_id, "--user", "sup1", "--var", "category=enormous")
    assert invalid.exit_code != 0
    assert "category:" in invalid.output and "case_title:" in invalid.output
    done = org(
        "complete", task_id, "--user", "sup1", "--var", "case_title=标题", "--var", "category=minor"
    )
    assert done.exit_code == 0, done.output
    with runtime.sessions() as s:
        assert s.scalars(
            select(OpenTask.task_spec_id).where(OpenTask.instance_id == case_id)
        ).all() == ["simple_review"]


def test_deploy_errors_print_file_element_line_and_store_nothing(org, runtime):
    result = org("deploy", str(data_file("workflows", "bad", "unknown_called.bpmn")))
    assert result.exit_code != 0
    assert "unknown_called.bpmn:5 [call_missing]: error:" in result.output
    assert "nothing was deployed" in result.output


def test_unknown_role_and_duplicate_user_are_refused(org):
    bad_role = org("create-user", "x1", "--password", "long-enough-1", "--role", "emperor")
    assert bad_role.exit_code != 0 and "unknown role" in bad_role.output
    duplicate = org("create-user", "sup1", "--password", "long-enough-1")
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_audit_verify_reports_intact_chain(org):
    result = org("audit", "verify")
    assert result.exit_code == 0 and "intact" in result.output
