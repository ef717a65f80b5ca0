"""管理 pages: users, tokens, groups, calendar, settings and the audit check.

Every change is checked in the database (and in the system audit trail); every refused
form leaves the database as it was.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import ApiToken
from db.models import AuditEvent
from db.models import CalendarDay
from db.models import CalendarYear
from db.models import Group
from db.models import Setting
from db.models import User
from supervision import clock
from supervision.identity import user_for_token
from supervision.passwords import verify_password
from tests.factories import group
from tests.factories import user

TODAY = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Guangyuan


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(TODAY)


@pytest.fixture
def admin(login):
    return login("admin")


def system_actions(session) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.stream_key == "system")
            .order_by(AuditEvent.seq)
        )
    )


PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/sup1",
    "/admin/tokens",
    "/admin/groups",
    "/admin/groups/new",
    "/admin/groups/city_market",
    "/admin/calendar",
    "/admin/calendar/2027",
    "/admin/settings",
    "/admin/audit",
]


def test_every_admin_page_opens_for_the_administrator(admin):
    for path in PAGES:
        page = admin.get(path)
        assert page.status_code == 200, path
        assert "管理" in page.text


def test_nobody_else_opens_an_admin_page(login):
    for username in ("chief", "designer", "market1"):
        other = login(username)
        refused = {path: other.get(path).status_code for path in PAGES}
        assert set(refused.values()) == {403}, (username, refused)


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_user_list_filters_by_role_and_unit(admin):
    page = admin.get("/admin/users?role=supervisor")
    assert "sup1" in page.text and "lizhou1" in page.text
    assert "market1" not in page.text
    page = admin.get("/admin/users?group=lizhou_supervisors")
    assert "lizhou1" in page.text and "sup1" not in page.text
    page = admin.get("/admin/users?q=张明")
    assert "sup1" in page.text and "sup2" not in page.text


# ---------------------------------------------------------------- users


def test_the_administrator_creates_an_evaluator_valid_until_the_contract_ends(admin, runtime):
    response = admin.post(
        "/admin/users/new",
        data={
            "username": "eval2",
            "display_name": "周评估",
            "email": "eval2@example.org",
            "password": "a-long-password",
            "password_again": "a-long-password",
            "roles": ["evaluator"],
            "groups": ["evaluators"],
            "valid_until": "2027-03-31",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users/eval2")
    with runtime.sessions() as session:
        created = user(session, "eval2")
        assert created.roles == {"evaluator"}
        assert created.group_codes == {"evaluators"}
        assert created.password_hash != "a-long-password"
        assert verify_password("a-long-password", created.password_hash)
        # Valid through the whole last day, Guangyuan time.
        assert created.valid_until == datetime(2027, 3, 31, 15, 59, 59, tzinfo=UTC)
        assert "user_create" in system_actions(session)
    assert admin.get("/admin/users/eval2").status_code == 200


def test_a_refused_new_user_keeps_the_values_and_stores_nothing(admin, runtime):
    response = admin.post(
        "/admin/users/new",
        data={
            "username": "sup1",
            "display_name": "",
            "password": "short",
            "password_again": "short",
            "roles": ["supervisor", "pope"],
            "groups": ["nowhere"],
            "email": "kept@example.org",
            "valid_until": "2026-13-01",
        },
    )
    assert response.status_code == 422
    text = response.text
    assert "用户名 sup1 已存在" in text
    assert "请填写姓名" in text
    assert "密码至少 8 位" in text
    assert "未知角色" in text and "pope" in text
    assert "单位不存在" in text
    assert "日期格式应为 YYYY-MM-DD" in text
    assert 'value="kept@example.org"' in text
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(User.id))) == 15
        assert system_actions(session).count("user_create") == 15


def test_editing_a_user_changes_roles_units_and_is_audited(admin, runtime):
    response = admin.post(
        "/admin/users/sup2",
        data={
            "display_name": "李华（借调）",
            "email": "",
            "phone": "0839-1234567",
            "roles": ["supervisor", "section_chief"],
            "groups": ["city_supervisors", "city_chiefs"],
            "valid_until": "",
        },
    )
    assert response.status_code == 302
    with runtime.sessions() as session:
        sup2 = user(session, "sup2")
        assert sup2.display_name == "李华（借调）"
        assert sup2.phone == "0839-1234567"
        assert sup2.roles == {"supervisor", "section_chief"}
        assert sup2.group_codes == {"city_supervisors", "city_chiefs"}
        actions = system_actions(session)
        assert {"user_update", "user_roles", "user_groups"} <= set(actions)


def test_an_administrator_cannot_lock_themselves_out(admin, runtime):
    response = admin.post(
        "/admin/users/admin",
        data={"display_name": "管理员", "roles": ["supervisor"], "groups": []},
    )
    assert response.status_code == 422
    assert "不能移除自己的系统管理员角色" in response.text
    response = admin.post("/admin/users/admin/active", data={"active": "false"})
    assert response.status_code == 422
    assert "不能停用自己的账号" in response.text
    with runtime.sessions() as session:
        me = user(session, "admin")
        assert me.active and me.roles == {"admin"}


def test_a_deactivated_user_can_no_longer_log_in_and_can_be_reactivated(admin, client, runtime):
    assert admin.post("/admin/users/market1/active", data={"active": "false"}).status_code == 302
    with runtime.sessions() as session:
        assert user(session, "market1").active is False
        assert "user_deactivate" in system_actions(session)
    refused = client.post("/login", data={"username": "market1", "password": "correct-horse-42"})
    assert refused.status_code == 401
    assert admin.post("/admin/users/market1/active", data={"active": "true"}).status_code == 302
    client.login("market1")


def test_resetting_a_password(admin, client, runtime):
    bad = admin.post(
        "/admin/users/sup1/password", data={"password": "new-secret-1", "password_again": "x"}
    )
    assert bad.status_code == 422
    assert "两次输入的密码不一致" in bad.text
    ok = admin.post(
        "/admin/users/sup1/password",
        data={"password": "new-secret-1", "password_again": "new-secret-1"},
    )
    assert ok.status_code == 302
    client.login("sup1", "new-secret-1")
    with runtime.sessions() as session:
        assert "user_password" in system_actions(session)


def test_an_unknown_user_is_a_404(admin):
    assert admin.get("/admin/users/nobody").status_code == 404
    assert admin.post("/admin/users/nobody/active", data={"active": "true"}).status_code == 404


# ---------------------------------------------------------------- tokens


def test_a_token_is_shown_once_works_and_can_be_revoked(admin, runtime):
    response = admin.post(
        "/admin/users/operator/tokens",
        data={"token_name": "12345热线工单推送", "token_expires": "2027-12-31"},
    )
    assert response.status_code == 201
    with runtime.sessions() as session:
        row = session.scalars(select(ApiToken)).one()
        prefix = row.prefix
    start = response.text.index('id="new-token"')
    value_at = response.text.index('value="', start) + len('value="')
    token = response.text[value_at : response.text.index('"', value_at)]
    assert token.startswith(prefix) and len(token) > 20
    # Shown once: the user page does not show it again.
    assert token not in admin.get("/admin/users/operator").text
    assert prefix in admin.get("/admin/tokens").text
    with runtime.sessions.begin() as session:
        assert user_for_token(session, token).username == "operator"
        token_id = session.scalars(select(ApiToken.id)).one()

    assert admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 302
    with runtime.sessions() as session:
        assert user_for_token(session, token) is None
        assert {"token_create", "token_revoke"} <= set(system_actions(session))


def test_a_token_needs_a_purpose(admin, runtime):
    response = admin.post("/admin/users/operator/tokens", data={"token_name": " "})
    assert response.status_code == 422
    assert "请填写令牌用途" in response.text
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(ApiToken.id))) == 0


def test_revoking_an_unknown_token_is_a_404(admin):
    assert admin.post("/admin/tokens/999/revoke").status_code == 404


# ---------------------------------------------------------------- groups


def test_creating_and_editing_a_unit(admin, runtime):
    response = admin.post(
        "/admin/groups/new",
        data={
            "code": "chaotian_supervisors",
            "name": "朝天区司法局",
            "name_en": "Chaotian District Justice Bureau",
            "kind": "supervision",
            "level": "county",
            "region": "510812",
            "doc_code": "朝司监",
            "parent": "city_supervisors",
        },
    )
    assert response.status_code == 302
    response = admin.post(
        "/admin/groups/chaotian_supervisors",
        data={
            "name": "朝天区司法局（行政执法协调监督局）",
            "kind": "supervision",
            "level": "county",
            "region": "510812",
            "doc_code": "朝司监",
            "parent": "",
        },
    )
    assert response.status_code == 302
    with runtime.sessions() as session:
        created = group(session, "chaotian_supervisors")
        assert created.name == "朝天区司法局（行政执法协调监督局）"
        assert created.parent is None and created.doc_code == "朝司监"
        assert {"group_create", "group_update"} <= set(system_actions(session))


def test_a_unit_with_a_bad_region_or_a_parent_loop_is_refused(admin, runtime):
    response = admin.post(
        "/admin/groups/new",
        data={"code": "x", "name": "X", "kind": "bureau", "level": "county", "region": "5108"},
    )
    assert response.status_code == 422
    assert "行政区划代码应为6、9或12位数字" in response.text
    admin.post(
        "/admin/groups/lizhou_market",
        data={
            "name": "利州区市场监管局",
            "kind": "bureau",
            "level": "county",
            "region": "510802",
            "parent": "lizhou_supervisors",
        },
    )
    loop = admin.post(
        "/admin/groups/lizhou_supervisors",
        data={
            "name": "利州区司法局",
            "kind": "supervision",
            "level": "county",
            "region": "510802",
            "parent": "lizhou_market",
        },
    )
    assert loop.status_code == 422
    assert "不能选择本单位或其下级作为上级" in loop.text
    with runtime.sessions() as session:
        assert group(session, "lizhou_supervisors").parent is None
        assert session.scalar(select(Group).where(Group.code == "x")) is None


def test_deactivating_a_unit(admin, runtime):
    assert (
        admin.post("/admin/groups/city_market/active", data={"active": "false"}).status_code == 302
    )
    with runtime.sessions() as session:
        assert group(session, "city_market").active is False


# ---------------------------------------------------------------- calendar


NOTICE_2027 = {
    "notice_no": "国办发明电〔2026〕14号",
    "holidays": (
        "2027-01-01~2027-01-03 元旦\n2027-02-05~2027-02-13 春节\n2027-10-01~2027-10-07 国庆节"
    ),
    "workdays": "2027-02-14 春节调休上班\n2027-10-09 国庆节调休上班",
}


def test_the_calendar_warns_in_november_that_next_year_is_missing(admin):
    page = admin.get("/admin/calendar")
    assert "2027年节假日安排尚未录入" in page.text
    assert "未录入" in page.text
    assert "2027年节假日安排尚未录入" in admin.get("/admin/").text


def test_adding_the_2027_holidays(admin, runtime):
    response = admin.post("/admin/calendar/2027", data=NOTICE_2027)
    assert response.status_code == 302
    with runtime.sessions() as session:
        year = session.get(CalendarYear, 2027)
        assert year.notice_no == "国办发明电〔2026〕14号"
        assert year.source == "manual" and year.updated_by == "admin"
        days = {
            d.day: d
            for d in session.scalars(select(CalendarDay).where(CalendarDay.day >= date(2027, 1, 1)))
        }
        assert len(days) == 3 + 9 + 7 + 2
        assert (
            days[date(2027, 2, 14)].is_workday
            and days[date(2027, 2, 14)].kind == "ADJUSTED_WORKDAY"
        )
        assert not days[date(2027, 10, 4)].is_workday
        assert "calendar_year" in system_actions(session)
    page = admin.get("/admin/calendar")
    assert "2027年节假日安排尚未录入" not in page.text
    assert "国办发明电〔2026〕14号" in page.text
    year_page = admin.get("/admin/calendar/2027")
    assert "2027-02-05~2027-02-13 春节" in year_page.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("workdays", "2027-02-15 春节调休上班", "调休上班日应为周六或周日"),
        ("holidays", "2028-01-01 元旦", "不在 2027 年内"),
        ("holidays", "2027/01/01 元旦", "第1行格式不正确"),
        ("holidays", "2027-02-13~2027-02-05 春节", "日期范围不正确"),
        ("workdays", "2027-01-02 元旦", "同时列为放假和上班"),
        ("notice_no", "", "请填写国务院办公厅通知文号"),
    ],
)
def test_a_wrong_notice_is_refused_and_nothing_is_stored(admin, runtime, field, value, message):
    response = admin.post("/admin/calendar/2027", data={**NOTICE_2027, field: value})
    assert response.status_code == 422
    assert message in response.text
    assert value in response.text  # the typed text is kept
    with runtime.sessions() as session:
        assert session.get(CalendarYear, 2027) is None
        assert (
            session.scalar(
                select(func.count())
                .select_from(CalendarDay)
                .where(CalendarDay.day >= date(2027, 1, 1))
            )
            == 0
        )


def test_an_implausible_year_is_a_404(admin):
    assert admin.get("/admin/calendar/1800").status_code == 404


# ---------------------------------------------------------------- settings


def test_changing_and_resetting_a_setting(admin, runtime):
    page = admin.get("/admin/settings")
    assert "bureau_reply_workdays" in page.text and "[ASSUME]" in page.text
    assert (
        admin.post("/admin/settings/bureau_reply_workdays", data={"value": "10"}).status_code == 302
    )
    with runtime.sessions() as session:
        assert session.get(Setting, "bureau_reply_workdays").value == 10
        from supervision.settings import get_settings

        assert get_settings(session)["bureau_reply_workdays"] == 10
    changed = admin.get("/admin/settings?changed=1")
    assert "bureau_reply_workdays" in changed.text and "sign_for_workdays" not in changed.text
    found = admin.get("/admin/settings?q=回访")
    assert "callback_workdays" in found.text and "bureau_reply_workdays" not in found.text
    reset = admin.post("/admin/settings/bureau_reply_workdays", data={"action": "reset"})
    assert reset.status_code == 302
    with runtime.sessions() as session:
        assert session.get(Setting, "bureau_reply_workdays") is None
        actions = system_actions(session)
        assert actions.count("setting_change") == 1 and "setting_reset" in actions


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("bureau_reply_workdays", "seven", "请输入整数"),
        ("bureau_reply_workdays", "-3", "不能为负数"),
        ("doc_type_codes", "{not json", "不是有效的 JSON"),
        ("doc_type_codes", "[1, 2]", "须为 JSON"),
        ("doc_agency_code", "  ", "此项为必填项"),
    ],
)
def test_a_wrong_setting_value_is_refused(admin, runtime, key, value, message):
    response = admin.post(f"/admin/settings/{key}", data={"value": value})
    assert response.status_code == 422
    assert message in response.text
    with runtime.sessions() as session:
        assert session.get(Setting, key) is None


def test_a_json_setting_is_stored_as_an_object(admin, runtime):
    response = admin.post("/admin/settings/doc_type_codes", data={"value": '{"opinion": "监意"}'})
    assert response.status_code == 302
    with runtime.sessions() as session:
        assert session.get(Setting, "doc_type_codes").value == {"opinion": "监意"}


def test_an_unknown_setting_is_a_404(admin):
    assert admin.post("/admin/settings/no_such_key", data={"value": "1"}).status_code == 404


# ---------------------------------------------------------------- audit


def test_the_audit_check_reports_an_intact_and_then_a_broken_chain(admin, runtime):
    admin.post("/admin/settings/bureau_reply_workdays", data={"value": "9"})
    page = admin.post("/admin/audit/verify")
    assert page.status_code == 200
    assert "审计链完整" in page.text
    assert "修改参数" in admin.get("/admin/audit").text

    with runtime.sessions.begin() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "setting_change")
        ).one()
        event.details = {"key": "bureau_reply_workdays", "old": 7, "new": 99}
    page = admin.post("/admin/audit/verify")
    assert "审计链已被破坏" in page.text
    assert "content does not match its hash" in page.text


def test_the_user_list_costs_no_queries_per_user(app, admin, runtime):
    from supervision import identity
    from tests.web.test_queries import counting

    def queries() -> int:
        with counting(app) as statements:
            assert admin.get("/admin/users").status_code == 200
        return len(statements)

    few = queries()
    with runtime.sessions.begin() as session:
        for n in range(10):
            identity.create_user(
                session, f"extra{n}", password=None, roles=["supervisor"], groups=["city_market"]
            )
    assert queries() == few
