"""流程 pages: listing, deploying with the linter's findings, versions, the diagram, the
cases of a version without their content, test starts and the XML download."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import AuditEvent
from db.models import CaseParticipant
from db.models import Deployment
from db.models import ProcessDefinition
from db.models import ProcessInstance
from supervision import cases
from tests.factories import deploy
from tests.factories import user

DATA = Path(__file__).resolve().parents[1] / "browser" / "data"
GOOD = (DATA / "designer_demo.bpmn").read_bytes()
BROKEN = (DATA / "designer_demo_broken.bpmn").read_bytes()


def upload(client, *files: tuple[str, bytes], name: str = ""):
    data = {"name": name, "files": [(io.BytesIO(content), fname) for fname, content in files]}
    return client.post("/designer/deploy", data=data, content_type="multipart/form-data")


@pytest.fixture
def designer(login):
    return login("designer")


@pytest.fixture
def deployed(app, runtime):
    with runtime.sessions.begin() as session:
        result = deploy(session, runtime.engine, ("designer_demo.bpmn", GOOD))
        return result.definitions[0].id


def count(runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_designer_and_the_administrator_read_the_process_list(login, deployed):
    for name in ("designer", "admin"):
        page = login(name).get("/designer/")
        assert page.status_code == 200
        assert "设计测试流程" in page.text and "designer_demo" in page.text
    for name in ("sup1", "operator", "market1", "invited1"):
        assert login(name).get("/designer/").status_code == 403


def test_a_broken_diagram_is_refused_with_element_ids_and_lines(designer, runtime):
    response = upload(designer, ("designer_demo_broken.bpmn", BROKEN))
    assert response.status_code == 422
    text = response.text
    assert "未部署：发现 2 个错误" in text
    assert "unknown group &#39;no_such_unit&#39; in camunda:candidateGroups" in text
    assert "<code>review</code>" in text and "第 23 行" in text
    assert "<code>compute_due</code>" in text and "script does not compile" in text
    assert count(runtime, ProcessDefinition) == 0
    assert count(runtime, Deployment) == 0


def test_a_good_diagram_becomes_a_version_and_a_repeat_changes_nothing(designer, runtime):
    response = upload(designer, ("designer_demo.bpmn", GOOD), name="演示部署")
    assert response.status_code == 201
    assert "部署成功：1 个流程有了新版本" in response.text
    with runtime.sessions() as session:
        row = session.scalars(select(ProcessDefinition)).one()
        assert (row.key, row.version, row.deployed_by) == ("designer_demo", 1, "designer")
        assert session.scalars(select(Deployment.name)).one() == "演示部署"
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "deploy")) is not None

    again = upload(designer, ("designer_demo.bpmn", GOOD))
    assert again.status_code == 201
    assert "没有产生新版本" in again.text
    assert count(runtime, ProcessDefinition) == 1

    renamed = GOOD.replace('name="审查"'.encode(), 'name="复核"'.encode())
    changed = upload(designer, ("designer_demo.bpmn", renamed))
    assert changed.status_code == 201
    with runtime.sessions() as session:
        versions = session.scalars(
            select(ProcessDefinition.version).order_by(ProcessDefinition.version)
        )
        assert list(versions) == [1, 2]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ((), "请选择要部署的 BPMN 或 DMN 文件"),
        ((("notes.txt", b"hello"),), "不是 BPMN 或 DMN 文件"),
        ((("huge.bpmn", b"<" * 2049),), "超过 2 KB"),
        ((("bad.bpmn", b"<definitions"),), "未部署"),
    ],
)
def test_unusable_uploads_are_refused(app, designer, runtime, files, message):
    app.config["DEPLOY_MAX_FILE_BYTES"] = 2048
    response = upload(designer, *files)
    assert response.status_code == 422
    assert message in response.text
    assert count(runtime, ProcessDefinition) == 0


def test_only_designers_deploy(login):
    assert login("admin").get("/designer/deploy").status_code == 403
    refused = upload(login("admin"), ("designer_demo.bpmn", GOOD))
    assert refused.status_code == 403
    assert login("designer").get("/designer/deploy").status_code == 200


def test_versions_and_the_diagram_of_a_version(designer, deployed):
    page = designer.get("/designer/processes/designer_demo")
    assert page.status_code == 200
    assert "v1" in page.text and "最新" in page.text
    page = designer.get(f"/designer/definitions/{deployed}")
    assert page.status_code == 200
    assert "<svg" in page.text and "审查" in page.text
    assert "没有案件" in page.text
    assert designer.get("/designer/processes/nothing").status_code == 404
    assert designer.get("/designer/definitions/nothing:1:x").status_code == 404


def test_the_cases_of_a_version_show_no_content_to_the_designer(designer, deployed, runtime):
    with runtime.sessions.begin() as session:
        started = cases.start_case(
            session,
            runtime.engine,
            user(session, "sup1"),
            definition_id=deployed,
            start_form={"case_title": "机密事项：某局长违规", "days": "3"},
        )
        case_id = started.instance.id
    page = designer.get(f"/designer/definitions/{deployed}")
    assert page.status_code == 200
    assert case_id in page.text
    assert "机密事项" not in page.text  # no case content
    assert f"/cases/{case_id}" not in page.text  # no link to a case the designer may not read
    assert "审查" in page.text  # the step it waits in (part of the diagram)
    assert "1 件在此等待" in page.text  # the diagram marks where cases wait
    assert designer.get(f"/cases/{case_id}").status_code == 404


def test_a_test_start_validates_the_start_form(designer, deployed, runtime):
    form = designer.get(f"/designer/definitions/{deployed}/start")
    assert form.status_code == 200
    assert "事项名称" in form.text and "办理天数" in form.text
    refused = designer.post(
        f"/designer/definitions/{deployed}/start", data={"case_title": "", "days": "99"}
    )
    assert refused.status_code == 422
    assert "此项为必填项" in refused.text and "不能大于 60" in refused.text
    assert 'value="99"' in refused.text
    assert count(runtime, ProcessInstance) == 0

    started = designer.post(
        f"/designer/definitions/{deployed}/start", data={"case_title": "试运行", "days": "2"}
    )
    assert started.status_code == 302
    with runtime.sessions() as session:
        instance = session.scalars(select(ProcessInstance)).one()
        assert instance.business_key.startswith("TEST-")
        assert instance.started_by == "designer"
        assert instance.variables["case_title"] == "试运行" and instance.variables["days"] == 2
        marks = session.scalars(
            select(CaseParticipant.reason).where(CaseParticipant.instance_id == instance.id)
        ).all()
        assert "test_run" in marks
        start = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "start", AuditEvent.instance_id == instance.id
            )
        )
        assert start.actor == "designer" and start.details["variables"]["test_run"] is True
    page = designer.get(f"/designer/definitions/{deployed}")
    assert "测试" in page.text and "试运行" in page.text  # the designer's own case


def test_only_designers_start_test_cases(login, deployed):
    assert login("admin").get(f"/designer/definitions/{deployed}/start").status_code == 403
    assert (
        login("admin")
        .post(f"/designer/definitions/{deployed}/start", data={"case_title": "x"})
        .status_code
        == 403
    )
    assert login("sup1").get(f"/designer/definitions/{deployed}/start").status_code == 403


def test_the_xml_is_downloaded_as_deployed(designer, deployed):
    response = designer.get(f"/designer/definitions/{deployed}/xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert 'attachment; filename="designer_demo.v1.bpmn"' in response.headers["Content-Disposition"]
    assert response.data == GOOD


def test_the_cases_of_a_version_cost_no_queries_per_case(app, designer, deployed, runtime):
    from tests.web.test_queries import counting

    def start(n: int) -> None:
        with runtime.sessions.begin() as session:
            for i in range(n):
                cases.start_case(
                    session,
                    runtime.engine,
                    user(session, "sup1"),
                    definition_id=deployed,
                    start_form={"case_title": f"事项{i}", "days": "3"},
                )

    def queries() -> int:
        with counting(app) as statements:
            page = designer.get(f"/designer/definitions/{deployed}")
            assert page.status_code == 200
        return len(statements)

    start(2)
    few = queries()
    start(20)
    assert queries() == few
