"""来电登记: registering tickets on the deployed Flow 1, validation, masking, duplicates,
idempotent ticket numbers and who may see which ticket."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import HotlineTicket
from db.models import ProcessInstance
from supervision import clock
from supervision import identity
from tests.web.intake_data import TICKET
from tests.web.intake_data import deploy_complaint_flow
from tests.web.org import _password_hash

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def flow(app, runtime):
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        deploy_complaint_flow(session, runtime.engine)


@pytest.fixture
def operator(login, flow):
    return login("operator")


def counts(runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(HotlineTicket)),
            session.scalar(select(func.count()).select_from(ProcessInstance)),
        )


def test_only_hotline_operators_use_intake(login, flow):
    assert login("operator").get("/intake/").status_code == 200
    for name in ("sup1", "chief", "market1", "invited1", "designer", "admin", "lizhou1"):
        other = login(name)
        assert other.get("/intake/").status_code == 403, name
        assert other.get("/intake/new").status_code == 403, name
        assert other.post("/intake/new", data=TICKET).status_code == 403, name


def test_registering_a_ticket_opens_a_case_and_lists_it_masked(operator, runtime):
    form = operator.get("/intake/new")
    assert form.status_code == 200
    assert "工单编号" in form.text and "广元市市场监督管理局" in form.text

    response = operator.post("/intake/new", data={**TICKET, "action": "register"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/intake/tickets/GY-2026-1001")
    with runtime.sessions() as session:
        ticket = session.get(HotlineTicket, "GY-2026-1001")
        instance = session.get(ProcessInstance, ticket.instance_id)
        assert instance.definition_key == "complaint_intake"
        assert instance.business_key == "GY-2026-1001"
        assert instance.variables["complainant_phone"] == "13812345678"
        assert "complainant_phone" not in ticket.payload  # the ticket row keeps no number

    page = operator.get("/intake/tickets/GY-2026-1001")
    assert page.status_code == 200
    assert "已登记工单 GY-2026-1001" in page.text
    for text in (operator.get("/intake/").text, page.text):
        assert "GY-2026-1001" in text
        assert "138****5678" in text and "张*" in text
        assert "13812345678" not in text and "张三丰" not in text
        assert "11010519491231002X" not in text


def test_a_refused_ticket_keeps_the_values_and_stores_nothing(operator, runtime):
    response = operator.post(
        "/intake/new",
        data={
            **TICKET,
            "complaint_text": "",
            "complainant_phone": "12345",
            "request_type": "gossip",
        },
    )
    assert response.status_code == 422
    text = response.text
    assert "表单有 3 处需要修改" in text
    assert "此项为必填项" in text and "格式不正确" in text and "请从列表中选择" in text
    assert 'value="GY-2026-1001"' in text and 'value="12345"' in text
    wrong_id = operator.post(
        "/intake/new", data={**TICKET, "complainant_id_no": "110105194912310021"}
    )
    assert wrong_id.status_code == 422
    assert "证件号码校验位不正确" in wrong_id.text
    assert counts(runtime) == (0, 0)


def test_an_anonymous_ticket_carries_no_personal_data(operator, runtime):
    response = operator.post(
        "/intake/new", data={**TICKET, "is_anonymous": "true", "action": "register"}
    )
    assert response.status_code == 302
    with runtime.sessions() as session:
        instance = session.scalars(select(ProcessInstance)).one()
        assert instance.variables["is_anonymous"] is True
        for name in ("complainant_name", "complainant_phone", "complainant_id_no"):
            assert instance.variables.get(name) is None
    assert "匿名" in operator.get("/intake/").text


def test_a_repeated_ticket_number_shows_the_existing_case(operator, runtime):
    first = operator.post("/intake/new", data=TICKET)
    again = operator.post("/intake/new", data={**TICKET, "complaint_text": "再次来电"})
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    page = operator.get(again.headers["Location"])
    assert "已经登记过" in page.text
    assert counts(runtime) == (1, 1)


def test_duplicates_are_shown_before_and_after_registering(operator, runtime):
    operator.post("/intake/new", data=TICKET)
    checked = operator.post(
        "/intake/new",
        data={
            **TICKET,
            "hotline_ticket_no": "GY-2026-1002",
            "complainant_phone": "138-1234-5678",
            "respondent_agency_id": "",
            "action": "check",
        },
    )
    assert checked.status_code == 200
    assert "发现 1 张可能重复的工单" in checked.text
    assert "GY-2026-1001" in checked.text and "同一来电号码" in checked.text
    assert counts(runtime) == (1, 1)  # checking registers nothing

    operator.post("/intake/new", data={**TICKET, "hotline_ticket_no": "GY-2026-1002"})
    page = operator.get("/intake/tickets/GY-2026-1002")
    assert "可能重复的工单" in page.text and "GY-2026-1001" in page.text
    assert "同一被投诉机关" in page.text


def test_looking_up_a_ticket_number(operator):
    operator.post("/intake/new", data=TICKET)
    found = operator.get("/intake/?ticket=GY-2026-1001")
    assert found.status_code == 302 and found.headers["Location"].endswith("GY-2026-1001")
    missing = operator.get("/intake/?ticket=NOPE-1", follow_redirects=True)
    assert "没有找到工单 NOPE-1" in missing.text
    assert operator.get("/intake/tickets/NOPE-1").status_code == 404


def test_another_centre_cannot_see_the_ticket(operator, login, runtime):
    operator.post("/intake/new", data=TICKET)
    with runtime.sessions.begin() as session:
        identity.create_group(
            session, "lizhou_hotline", name="利州区热线", level="county", region="510802"
        )
        other = identity.create_user(
            session,
            "operator2",
            password=None,
            roles=["hotline_operator"],
            groups=["lizhou_hotline"],
        )
        other.password_hash = _password_hash()
    elsewhere = login("operator2")
    assert elsewhere.get("/intake/tickets/GY-2026-1001").status_code == 404
    assert "GY-2026-1001" not in elsewhere.get("/intake/").text


def test_the_list_pages(operator, runtime):
    for n in range(27):
        operator.post("/intake/new", data={**TICKET, "hotline_ticket_no": f"GY-2026-2{n:03d}"})
    first = operator.get("/intake/")
    assert "共 27 条，第 1 / 2 页" in first.text
    second = operator.get("/intake/?page=2")
    assert second.text.count('class="mono">GY-2026-2') == 2


def test_the_ticket_list_costs_no_queries_per_ticket(app, operator):
    from tests.web.test_queries import counting

    def queries() -> int:
        with counting(app) as statements:
            assert operator.get("/intake/").status_code == 200
        return len(statements)

    for n in range(3):
        operator.post("/intake/new", data={**TICKET, "hotline_ticket_no": f"GY-2026-3{n:03d}"})
    few = queries()
    for n in range(3, 25):
        operator.post("/intake/new", data={**TICKET, "hotline_ticket_no": f"GY-2026-3{n:03d}"})
    assert queries() == few
