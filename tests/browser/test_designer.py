"""A process designer uploads a broken diagram, reads the errors (file, line, element ids),
uploads the corrected one, finds the new version with its diagram and starts a test case."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

DATA = Path(__file__).resolve().parent / "data"


def test_a_designer_uploads_a_broken_then_a_good_diagram(ui):
    page = ui.page
    ui.login("designer")
    page.get_by_role("link", name="流程", exact=True).first.click()
    expect(page.get_by_role("heading", name="流程", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("还没有部署任何流程")
    page.get_by_role("link", name="部署流程图").click()

    page.get_by_label("流程图文件").set_input_files(str(DATA / "designer_demo_broken.bpmn"))
    page.get_by_role("button", name="检查并部署").click()
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("未部署：发现 2 个错误")
    expect(problems).to_contain_text("designer_demo_broken.bpmn · 第 23 行")
    expect(problems.locator("code", has_text="review")).to_be_visible()
    expect(problems).to_contain_text("unknown group 'no_such_unit'")
    expect(problems.locator("code", has_text="compute_due")).to_be_visible()
    expect(problems).to_contain_text("script does not compile")
    ui.shot("deploy-errors")

    page.get_by_label("流程图文件").set_input_files(str(DATA / "designer_demo.bpmn"))
    page.get_by_label("部署名称").fill("设计测试流程 第一版")
    page.get_by_role("button", name="检查并部署").click()
    expect(page.get_by_role("status")).to_contain_text("部署成功：1 个流程有了新版本")
    expect(page.locator("tbody")).to_contain_text("新版本")
    ui.shot("deployed")

    page.get_by_role("link", name="设计测试流程").first.click()
    expect(page.get_by_role("heading", name="设计测试流程 v1")).to_be_visible()
    diagram = page.get_by_role("img", name="流程图：设计测试流程")
    expect(diagram).to_be_visible()
    expect(diagram).to_contain_text("审查")
    ui.shot("version")

    page.get_by_role("link", name="发起测试案件").click()
    page.get_by_label("事项名称").fill("")
    page.get_by_label("办理天数").fill("99")
    page.get_by_role("button", name="发起").click()
    expect(page.locator(".error-summary")).to_contain_text("事项名称")
    expect(page.get_by_label("办理天数")).to_have_value("99")
    ui.shot("test-start-errors")
    page.get_by_label("事项名称").fill("试运行")
    page.get_by_label("办理天数").fill("3")
    page.get_by_role("button", name="发起").click()
    expect(page.get_by_role("status").first).to_contain_text("已发起测试案件 TEST-")
    ui.shot("test-case")


def test_the_process_list_on_a_phone(phone_ui):
    ui = phone_ui
    with ui.server.db() as session:
        from tests.factories import deploy

        deploy(
            session,
            ui.server.engine,
            ("designer_demo.bpmn", (DATA / "designer_demo.bpmn").read_bytes()),
        )
    ui.login("designer")
    ui.goto("/designer/")
    expect(ui.page.locator("tbody tr")).to_contain_text("设计测试流程")
    ui.shot("designer-phone")
