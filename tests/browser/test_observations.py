"""A special invited supervisor files an observation with a photo, finds it in their list,
and later reads the feedback the supervision body gave."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from db.models import Observation
from supervision import clock
from supervision import observations
from tests.web.intake_data import deploy_complaint_flow
from tests.web.test_observations import NOW
from tests.web.test_observations import PNG


@pytest.fixture
def flow(live_server):
    clock.freeze(NOW)
    with live_server.db() as session:
        deploy_complaint_flow(session, live_server.engine)


def test_an_invited_supervisor_files_an_observation_and_reads_the_reply(ui, flow, tmp_path):
    page = ui.page
    ui.login("invited1")
    page.get_by_role("link", name="监督意见", exact=True).first.click()
    expect(page.locator("main")).to_contain_text("您还没有提交监督意见")
    page.get_by_role("link", name="提交监督意见").click()

    page.get_by_label("观察时间").fill("2026-11-25T09:30")
    page.get_by_label("地点").fill("利州区东坝街道农贸市场")
    page.get_by_label("被观察执法机关").select_option(label="广元市市场监督管理局")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("观察内容：此项为必填项")
    expect(page.get_by_label("地点")).to_have_value("利州区东坝街道农贸市场")
    ui.shot("observation-error")

    page.get_by_label("观察内容").fill("两名执法人员检查摊位时未着制服，未主动出示执法证件。")
    page.get_by_label("建议").fill("加强执法着装和亮证管理。")
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    page.get_by_label("照片、视频或材料").set_input_files(str(photo))
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("已提交监督意见")
    expect(page.locator("main")).to_contain_text("监督机构正在办理")
    ui.shot("observation-filed")

    with ui.server.db() as session:
        row = session.scalars(select(Observation)).one()
        observations.record_reply(
            session, row.id, "经核查属实，已责令该局整改并在全市通报。", actor="sup1"
        )
    page.get_by_role("link", name="监督意见", exact=True).first.click()
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("已反馈")
    expect(row).to_contain_text("经核查属实")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("region", name="办理反馈")).to_contain_text(
        "经核查属实，已责令该局整改并在全市通报。"
    )
    ui.shot("observation-reply")
