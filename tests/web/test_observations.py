"""监督意见: invited supervisors file observations (new, or about a case shared with them),
see only their own, and read the feedback; supervisors see their region's observations."""

from __future__ import annotations

import io
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import Attachment
from db.models import CaseParticipant
from db.models import Observation
from db.models import ProcessInstance
from supervision import clock
from supervision import intake
from supervision import observations
from tests.factories import user
from tests.web.intake_data import TICKET
from tests.web.intake_data import deploy_complaint_flow

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
FORM = {
    "observed_at": "2026-11-25T09:30",
    "location": "利州区东坝街道农贸市场",
    "agency_id": "scjg_510800",
    "officers": "王某（执法证号 51080012345）",
    "observation_text": "两名执法人员检查摊位时未着制服，未主动出示执法证件。",
    "suggestion": "加强执法着装和亮证管理。",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def flow(app, runtime):
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        deploy_complaint_flow(session, runtime.engine)


@pytest.fixture
def invited(login, flow):
    return login("invited1")


def count(runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_who_may_open_the_observation_pages(login, flow):
    assert login("invited1").get("/observations/").status_code == 200
    assert login("invited1").get("/observations/new").status_code == 200
    assert login("sup1").get("/observations/").status_code == 200
    assert login("sup1").get("/observations/new").status_code == 403
    for name in ("operator", "market1", "designer", "admin", "evaluator1"):
        assert login(name).get("/observations/").status_code == 403, name
        assert login(name).post("/observations/new", data=FORM).status_code == 403, name


def test_filing_an_observation_starts_its_process(invited, runtime):
    media = {"media": [(io.BytesIO(PNG), "现场.png")]}
    response = invited.post(
        "/observations/new", data={**FORM, **media}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    with runtime.sessions() as session:
        row = session.scalars(select(Observation)).one()
        assert (row.filed_by, row.status, row.agency_code) == (
            "invited1",
            "submitted",
            "scjg_510800",
        )
        instance = session.get(ProcessInstance, row.instance_id)
        assert instance.definition_key == "observation"
        assert instance.variables["observation_text"].startswith("两名执法人员")
        files = session.scalars(select(Attachment).where(Attachment.instance_id == instance.id))
        assert [f.filename for f in files] == ["现场.png"]
    page = invited.get(response.headers["Location"])
    assert "已提交监督意见" in page.text
    assert "两名执法人员检查摊位时未着制服" in page.text
    assert "监督机构正在办理" in page.text
    listing = invited.get("/observations/")
    assert "已提交" in listing.text and "尚未反馈" in listing.text


def test_a_refused_observation_keeps_the_values_and_stores_nothing(invited, runtime):
    response = invited.post(
        "/observations/new",
        data={**FORM, "observation_text": "", "observed_at": "昨天上午", "agency_id": "nowhere"},
    )
    assert response.status_code == 422
    text = response.text
    assert "此项为必填项" in text and "时间格式应为" in text and "单位不存在" in text
    assert "利州区东坝街道农贸市场" in text
    assert count(runtime, Observation) == 0
    assert count(runtime, ProcessInstance) == 0


def test_a_file_of_the_wrong_kind_is_refused(invited, runtime):
    media = {"media": [(io.BytesIO(b"MZ\x90\x00"), "tool.exe")]}
    response = invited.post(
        "/observations/new", data={**FORM, **media}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "照片、视频或材料" in response.text
    assert count(runtime, Observation) == 0


def test_an_observation_about_a_shared_case(invited, runtime):
    with runtime.sessions.begin() as session:
        case = intake.register_ticket(
            session, runtime.engine, user(session, "operator"), TICKET
        ).instance
        case_no = case.case_no
        session.add(
            CaseParticipant(instance_id=case.id, group_code="invited_supervisors", reason="shared")
        )
    form = invited.get(f"/observations/new?case_no={case_no}")
    assert f'<option value="{case_no}" selected>' in form.text
    response = invited.post("/observations/new", data={**FORM, "about_case_no": case_no})
    assert response.status_code == 302
    with runtime.sessions() as session:
        row = session.scalars(select(Observation)).one()
        assert row.about_instance_id == case.id


def test_a_case_not_shared_cannot_be_referred_to(invited, runtime):
    with runtime.sessions.begin() as session:
        case_no = intake.register_ticket(
            session, runtime.engine, user(session, "operator"), TICKET
        ).instance.case_no
    response = invited.post("/observations/new", data={**FORM, "about_case_no": case_no})
    assert response.status_code == 422
    assert "相关案件编号不存在" in response.text
    assert count(runtime, Observation) == 0


def test_the_filer_reads_the_feedback_and_nobody_else_reads_the_observation(
    invited, login, runtime
):
    invited.post("/observations/new", data=FORM)
    with runtime.sessions.begin() as session:
        row = session.scalars(select(Observation)).one()
        observations.record_reply(
            session, row.id, "经核查属实，已责令该局整改并通报。", actor="sup1"
        )
        observation_id = row.id
    page = invited.get(f"/observations/{observation_id}")
    assert "经核查属实，已责令该局整改并通报。" in page.text
    assert "已反馈" in page.text
    assert "经核查属实" in invited.get("/observations/").text
    # Another invited supervisor, a bureau, a county supervisor: not found.
    with runtime.sessions.begin() as session:
        from supervision import identity
        from tests.web.org import _password_hash

        other = identity.create_user(
            session,
            "invited2",
            password=None,
            roles=["special_supervisor"],
            groups=["invited_supervisors"],
        )
        other.password_hash = _password_hash()
    for name in ("invited2", "lizhou1"):
        assert login(name).get(f"/observations/{observation_id}").status_code == 404, name
    assert login("market1").get(f"/observations/{observation_id}").status_code == 403
    assert invited.get("/observations/999").status_code == 404


def test_supervisors_see_their_regions_observations(invited, login):
    invited.post("/observations/new", data=FORM)
    city = login("sup1").get("/observations/")
    assert "辖区内的监督意见" in city.text
    assert "监督员意见：两名执法人员" in city.text
    county = login("lizhou1").get("/observations/")
    assert "监督员意见：两名执法人员" not in county.text
