"""Administration services beyond supervision.identity: editing users and groups, the
holiday calendar and the settings, each checked against the acting administrator and
written to the system audit trail.

Bad input raises FormInvalidError with one bilingual message ("中文 (English)") per field,
so the admin pages can show it next to the field; nothing is changed in that case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ApiToken
from db.models import AuditEvent
from db.models import Group
from db.models import Membership
from db.models import Setting
from db.models import User
from db.models import UserRole
from supervision import audit
from supervision import authz
from supervision import calendar
from supervision import clock
from supervision import identity
from supervision import settings as settings_module
from supervision.errors import FormInvalidError
from supervision.errors import NotFoundError
from supervision.permissions import Permission
from supervision.permissions import Role
from supervision.settings import SETTINGS
from supervision.settings import set_setting

# Unit kinds of the demo organisation (supervision.demo) and of the test organisation.
GROUP_KINDS = (
    "justice_bureau",
    "supervision",
    "supervision_chief",
    "supervision_leader",
    "justice_office",
    "bureau",
    "bureau_head",
    "vertical",
    "government",
    "government_office",
    "hotline",
    "invited_supervisor",
    "evaluator",
    "discipline",
    "police",
    "procuratorate",
    "external",
    "section",
)
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
REGION = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


def _invalid(errors: dict[str, str]) -> None:
    if errors:
        raise FormInvalidError(errors)


def end_of_local_day(day: date) -> datetime:
    """An account valid "until 2026-12-31" works through that whole day in Guangyuan."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LOCAL_TZ) - timedelta(
        seconds=1
    )


def parse_day(raw: str | None, field: str, errors: dict[str, str]) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD (enter a date as YYYY-MM-DD)"
        return None


# ---------------------------------------------------------------- users


@dataclass
class UserPage:
    items: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_users(
    session: Session,
    actor: User,
    *,
    search: str | None = None,
    role: str | None = None,
    group: str | None = None,
    state: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> UserPage:
    authz.require(actor, Permission.ADMIN_USERS)
    stmt = select(User)
    if search and search.strip():
        like = f"%{search.strip()}%"
        stmt = stmt.where(
            or_(User.username.ilike(like), User.display_name.ilike(like), User.email.ilike(like))
        )
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if group:
        members = select(Membership.user_id).join(Group).where(Group.code == group)
        stmt = stmt.where(User.id.in_(members))
    if state == "active":
        stmt = stmt.where(User.active.is_(True))
    elif state == "inactive":
        stmt = stmt.where(User.active.is_(False))
    elif state == "expired":
        stmt = stmt.where(User.valid_until.is_not(None), User.valid_until <= clock.now())
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(User.username).offset((max(page, 1) - 1) * per_page).limit(per_page)
        )
    )
    return UserPage(items, total, page, per_page)


def get_user(session: Session, actor: User, username: str) -> User:
    authz.require(actor, Permission.ADMIN_USERS)
    return identity.require_user(session, username)


def _check_roles_and_groups(
    session: Session, roles: Iterable[str], groups: Iterable[str], errors: dict[str, str]
) -> None:
    unknown = [r for r in roles if r not in Role._value2member_map_]
    if unknown:
        errors["roles"] = f"未知角色 (unknown role): {', '.join(unknown)}"
    codes = list(groups)
    if codes:
        found = set(session.scalars(select(Group.code).where(Group.code.in_(codes))))
        missing = [c for c in codes if c not in found]
        if missing:
            errors["groups"] = f"单位不存在 (no such unit): {', '.join(missing)}"


def create_user(
    session: Session,
    actor: User,
    *,
    username: str,
    display_name: str,
    email: str | None,
    password: str,
    password_again: str,
    roles: list[str],
    groups: list[str],
    valid_until: str | None,
) -> User:
    authz.require(actor, Permission.ADMIN_USERS)
    errors: dict[str, str] = {}
    username = (username or "").strip()
    if not USERNAME.match(username):
        errors["username"] = (
            "用户名只能包含字母、数字和 _ . -，最多64个字符 "
            "(use up to 64 letters, digits, _ . or -)"
        )
    elif identity.get_user(session, username) is not None:
        errors["username"] = f"用户名 {username} 已存在 (user {username} already exists)"
    if not (display_name or "").strip():
        errors["display_name"] = "请填写姓名 (enter the person's name)"
    _check_password(password, password_again, errors)
    _check_roles_and_groups(session, roles, groups, errors)
    until = parse_day(valid_until, "valid_until", errors)
    if until is not None and end_of_local_day(until) <= clock.now():
        errors["valid_until"] = "有效期须晚于今天 (must be after today)"
    _invalid(errors)
    return identity.create_user(
        session,
        username,
        password=password,
        display_name=display_name.strip(),
        roles=roles,
        groups=groups,
        actor=actor.username,
        valid_until=end_of_local_day(until) if until else None,
        email=(email or "").strip() or None,
    )


def _check_password(password: str, again: str, errors: dict[str, str]) -> None:
    if len(password or "") < identity.MIN_PASSWORD_LENGTH:
        errors["password"] = (
            f"密码至少 {identity.MIN_PASSWORD_LENGTH} 位 "
            f"(at least {identity.MIN_PASSWORD_LENGTH} characters)"
        )
    elif password != again:
        errors["password_again"] = "两次输入的密码不一致 (the passwords differ)"


def update_user(
    session: Session,
    actor: User,
    user: User,
    *,
    display_name: str,
    email: str | None,
    phone: str | None,
    roles: list[str],
    groups: list[str],
    valid_until: str | None,
) -> None:
    """Save the account form: name, contact, roles, memberships and validity together."""
    authz.require(actor, Permission.ADMIN_USERS)
    errors: dict[str, str] = {}
    if not (display_name or "").strip():
        errors["display_name"] = "请填写姓名 (enter the person's name)"
    _check_roles_and_groups(session, roles, groups, errors)
    if user.id == actor.id and Role.ADMIN.value not in roles:
        # Nobody may lock the administration out by editing their own account.
        errors["roles"] = (
            "不能移除自己的系统管理员角色 (you cannot remove your own administrator role)"
        )
    until = parse_day(valid_until, "valid_until", errors)
    if user.id == actor.id and until is not None and end_of_local_day(until) <= clock.now():
        errors["valid_until"] = "不能让自己的账号立即失效 (you cannot expire your own account)"
    _invalid(errors)
    before = {
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "valid_until": user.valid_until.isoformat() if user.valid_until else None,
    }
    user.display_name = display_name.strip()
    user.email = (email or "").strip() or None
    user.phone = (phone or "").strip() or None
    user.valid_until = end_of_local_day(until) if until else None
    after = {
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "valid_until": user.valid_until.isoformat() if user.valid_until else None,
    }
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.append(
            session,
            "user_update",
            actor=actor.username,
            details={"username": user.username, "changes": changed},
        )
    if sorted(roles) != sorted(user.roles):
        identity.set_roles(session, user, list(dict.fromkeys(roles)), actor.username)
    if sorted(groups) != sorted(user.group_codes):
        identity.set_groups(session, user, list(dict.fromkeys(groups)), actor.username)
    session.flush()


def set_user_active(session: Session, actor: User, user: User, active: bool) -> None:
    authz.require(actor, Permission.ADMIN_USERS)
    if user.id == actor.id and not active:
        raise FormInvalidError({"active": "不能停用自己的账号 (you cannot deactivate yourself)"})
    if user.active == active:
        return
    user.active = active
    audit.append(
        session,
        "user_activate" if active else "user_deactivate",
        actor=actor.username,
        details={"username": user.username},
    )


def reset_password(
    session: Session, actor: User, user: User, password: str, password_again: str
) -> None:
    authz.require(actor, Permission.ADMIN_USERS)
    errors: dict[str, str] = {}
    _check_password(password, password_again, errors)
    _invalid(errors)
    identity.set_password(session, user, password, actor.username)


# ---------------------------------------------------------------- API tokens


def tokens_of(session: Session, actor: User, user: User | None = None) -> list[ApiToken]:
    authz.require(actor, Permission.ADMIN_TOKENS)
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return list(session.scalars(stmt))


def create_token(
    session: Session, actor: User, user: User, name: str, expires: str | None
) -> tuple[ApiToken, str]:
    """A new token for `user`; the clear text is returned once and never stored."""
    authz.require(actor, Permission.ADMIN_TOKENS)
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["token_name"] = "请填写令牌用途 (say what the token is for)"
    elif len(name) > 100:
        errors["token_name"] = "最多100个字 (at most 100 characters)"
    until = parse_day(expires, "token_expires", errors)
    if until is not None and end_of_local_day(until) <= clock.now():
        errors["token_expires"] = "有效期须晚于今天 (must be after today)"
    if not user.active:
        errors["token_name"] = "账号已停用，不能签发令牌 (the account is deactivated)"
    _invalid(errors)
    return identity.create_token(
        session, user, name, actor.username, end_of_local_day(until) if until else None
    )


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    authz.require(actor, Permission.ADMIN_TOKENS)
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError("令牌不存在 (no such token)")
    if row.revoked_at is None:
        identity.revoke_token(session, token_id, actor.username)
    return row


# ---------------------------------------------------------------- groups


def list_groups(session: Session, actor: User) -> list[tuple[Group, int]]:
    """Every unit with its number of members, in tree-ish order (level, region, name)."""
    authz.require(actor, Permission.ADMIN_GROUPS)
    counts = (
        select(Membership.group_id, func.count(Membership.id).label("n"))
        .group_by(Membership.group_id)
        .subquery()
    )
    level_order = {"province": 0, "city": 1, "county": 2, "township": 3}
    rows = session.execute(
        select(Group, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.group_id == Group.id)
    ).all()
    rows = sorted(
        rows, key=lambda r: (r[0].region_code, level_order.get(r[0].level, 9), r[0].kind, r[0].name)
    )
    return [(g, int(n)) for g, n in rows]


def get_group(session: Session, actor: User, code: str) -> Group:
    authz.require(actor, Permission.ADMIN_GROUPS)
    group = identity.get_group(session, code)
    if group is None:
        raise NotFoundError(f"单位 {code} 不存在 (no such unit)")
    return group


@dataclass
class GroupInput:
    name: str
    name_en: str | None
    kind: str
    level: str
    region: str
    doc_code: str | None
    parent: str | None


def _check_group(
    session: Session, data: GroupInput, errors: dict[str, str], itself: Group | None = None
) -> Group | None:
    if not (data.name or "").strip():
        errors["name"] = "请填写单位名称 (enter the unit's name)"
    if data.kind not in GROUP_KINDS and not (itself is not None and data.kind == itself.kind):
        errors["kind"] = "请从列表中选择 (choose one of the listed values)"
    if data.level not in identity.LEVELS:
        errors["level"] = "请从列表中选择 (choose one of the listed values)"
    if not REGION.match(data.region or ""):
        errors["region"] = (
            "行政区划代码应为6、9或12位数字 (a 6, 9 or 12 digit administrative division code)"
        )
    if data.doc_code and len(data.doc_code) > 32:
        errors["doc_code"] = "最多32个字 (at most 32 characters)"
    parent = None
    if data.parent:
        parent = identity.get_group(session, data.parent)
        if parent is None:
            errors["parent"] = "上级单位不存在 (no such unit)"
        elif itself is not None and _is_descendant(parent, itself):
            errors["parent"] = (
                "不能选择本单位或其下级作为上级 (a unit cannot be placed under itself)"
            )
    return parent


def _is_descendant(candidate: Group, group: Group) -> bool:
    seen = set()
    node: Group | None = candidate
    while node is not None and node.id not in seen:
        if node.id == group.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def create_group(session: Session, actor: User, code: str, data: GroupInput) -> Group:
    authz.require(actor, Permission.ADMIN_GROUPS)
    errors: dict[str, str] = {}
    code = (code or "").strip()
    if not USERNAME.match(code):
        errors["code"] = (
            "代码只能包含字母、数字和 _ . -，最多64个字符 (use up to 64 letters, digits, _ . or -)"
        )
    elif identity.get_group(session, code) is not None:
        errors["code"] = f"单位代码 {code} 已存在 (unit {code} already exists)"
    _check_group(session, data, errors)
    _invalid(errors)
    return identity.create_group(
        session,
        code,
        name=data.name.strip(),
        name_en=(data.name_en or "").strip() or None,
        level=data.level,
        region=data.region,
        kind=data.kind,
        parent=data.parent or None,
        doc_code=(data.doc_code or "").strip() or None,
        actor=actor.username,
    )


def update_group(session: Session, actor: User, group: Group, data: GroupInput) -> None:
    authz.require(actor, Permission.ADMIN_GROUPS)
    errors: dict[str, str] = {}
    parent = _check_group(session, data, errors, itself=group)
    _invalid(errors)
    before = _group_fields(group)
    group.name = data.name.strip()
    group.name_en = (data.name_en or "").strip() or None
    group.kind = data.kind
    group.level = data.level
    group.region_code = data.region
    group.doc_code = (data.doc_code or "").strip() or None
    group.parent = parent
    after = _group_fields(group)
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.append(
            session,
            "group_update",
            actor=actor.username,
            details={"code": group.code, "changes": changed},
        )


def set_group_active(session: Session, actor: User, group: Group, active: bool) -> None:
    authz.require(actor, Permission.ADMIN_GROUPS)
    if group.active == active:
        return
    group.active = active
    audit.append(
        session,
        "group_activate" if active else "group_deactivate",
        actor=actor.username,
        details={"code": group.code},
    )


def _group_fields(group: Group) -> dict[str, Any]:
    return {
        "name": group.name,
        "name_en": group.name_en,
        "kind": group.kind,
        "level": group.level,
        "region": group.region_code,
        "doc_code": group.doc_code,
        "parent": group.parent.code if group.parent else None,
    }


# ---------------------------------------------------------------- calendar

_RANGE = re.compile(
    r"^(?P<a>\d{4}-\d{2}-\d{2})(?:\s*(?:~|～|至|--|—|–|to)\s*(?P<b>\d{4}-\d{2}-\d{2}))?"
    r"(?:\s+(?P<name>.+))?$"
)
MAX_RANGE_DAYS = 31


def parse_day_lines(text: str, field: str, errors: dict[str, str]) -> list[tuple[date, str]]:
    """One entry per line: "2027-01-01 元旦" or "2027-02-10~2027-02-17 春节"."""
    days: list[tuple[date, str]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _RANGE.match(line)
        try:
            if match is None:
                raise ValueError
            first = date.fromisoformat(match["a"])
            last = date.fromisoformat(match["b"]) if match["b"] else first
        except ValueError:
            errors[field] = (
                f"第{number}行格式不正确：{line[:40]} "
                f"(line {number}: write YYYY-MM-DD name, or YYYY-MM-DD~YYYY-MM-DD name)"
            )
            return []
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            errors[field] = (
                f"第{number}行的日期范围不正确 (line {number}: the range is reversed or too long)"
            )
            return []
        name = (match["name"] or "").strip()
        day = first
        while day <= last:
            days.append((day, name))
            day += timedelta(days=1)
    return days


def format_day_lines(entries: Iterable[tuple[date, date, str | None]]) -> str:
    lines = []
    for first, last, name in entries:
        span = first.isoformat() if first == last else f"{first.isoformat()}~{last.isoformat()}"
        lines.append(f"{span} {name}".rstrip() if name else span)
    return "\n".join(lines)


def calendar_years(session: Session, actor: User, today: date) -> list[calendar.YearSummary]:
    """The years the calendar covers, plus this year and next year even when missing."""
    authz.require(actor, Permission.ADMIN_CALENDAR)
    from db.models import CalendarYear

    years = set(session.scalars(select(CalendarYear.year)))
    years |= {today.year, today.year + 1}
    return [calendar.year_summary(session, y) for y in sorted(years, reverse=True)]


def set_calendar_year(
    session: Session,
    actor: User,
    year: int,
    *,
    holidays: str,
    workdays: str,
    notice_no: str | None,
) -> None:
    """Replace one year's holidays and make-up working days from the 国务院办公厅 notice."""
    authz.require(actor, Permission.ADMIN_CALENDAR)
    errors: dict[str, str] = {}
    if not 2000 <= year <= 2100:
        errors["year"] = "年份不正确 (not a plausible year)"
    off = parse_day_lines(holidays, "holidays", errors)
    on = parse_day_lines(workdays, "workdays", errors)
    if not (notice_no or "").strip():
        errors["notice_no"] = "请填写国务院办公厅通知文号 (enter the State Council notice number)"
    elif len(notice_no.strip()) > 100:
        errors["notice_no"] = "最多100个字 (at most 100 characters)"
    if not off and "holidays" not in errors:
        errors["holidays"] = "请至少录入一个节假日 (enter at least one holiday)"
    _check_notice(year, off, on, errors)
    _invalid(errors)
    try:
        calendar.set_year(session, year, off, on, notice_no, actor.username)
    except ValueError as exc:
        # The calendar names the inconsistency (a day both off and on, a weekday make-up
        # day, a day of another year): show it with the field it came from.
        text = str(exc)
        field = "workdays" if "workday" in text and "holiday and" not in text else "holidays"
        raise FormInvalidError({field: f"节假日安排有误 ({text})"}) from exc
    audit.append(
        session,
        "calendar_year",
        actor=actor.username,
        details={
            "year": year,
            "notice_no": notice_no.strip(),
            "holidays": len(off),
            "workdays": len(on),
        },
    )


def _check_notice(
    year: int,
    off: list[tuple[date, str]],
    on: list[tuple[date, str]],
    errors: dict[str, str],
) -> None:
    """The calendar's own checks, worded for the person typing the notice in."""
    for field, entries in (("holidays", off), ("workdays", on)):
        if field in errors:
            continue
        other = [d for d, _ in entries if d.year != year]
        if other:
            errors[field] = (
                f"{other[0].isoformat()} 不在 {year} 年内 ({other[0].isoformat()} is not in {year})"
            )
            continue
        names: dict[date, str] = {}
        for day, name in entries:
            if day in names and names[day] != name:
                errors[field] = (
                    f"{day.isoformat()} 重复录入且名称不同 "
                    f"({day.isoformat()} is listed twice with different names)"
                )
                break
            names[day] = name
    if "workdays" not in errors:
        weekdays = sorted({d for d, _ in on if d.weekday() < 5})
        if weekdays:
            listed = ", ".join(d.isoformat() for d in weekdays)
            errors["workdays"] = (
                f"调休上班日应为周六或周日：{listed} "
                f"(make-up working days must be Saturdays or Sundays: {listed})"
            )
    if "holidays" not in errors and "workdays" not in errors:
        both = sorted({d for d, _ in off} & {d for d, _ in on})
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            errors["workdays"] = (
                f"以下日期同时列为放假和上班：{listed} "
                f"(listed both as holiday and as working day: {listed})"
            )


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class SettingRow:
    key: str
    description: str
    source: str
    default: Any
    value: Any
    changed: bool
    updated_by: str | None
    updated_at: datetime | None

    @property
    def kind(self) -> str:
        return setting_kind(self.default)

    @property
    def text(self) -> str:
        return format_setting(self.value)

    @property
    def default_text(self) -> str:
        return format_setting(self.default)


def setting_kind(default: Any) -> str:
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, dict | list):
        return "json"
    return "text"


def format_setting(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def settings_rows(session: Session, actor: User) -> list[SettingRow]:
    authz.require(actor, Permission.ADMIN_SETTINGS)
    stored = {row.key: row for row in session.scalars(select(Setting))}
    rows = []
    for key, spec in SETTINGS.items():
        row = stored.get(key)
        rows.append(
            SettingRow(
                key=key,
                description=spec.description,
                source=spec.source,
                default=spec.default,
                value=row.value if row is not None else spec.default,
                changed=row is not None,
                updated_by=row.updated_by if row is not None else None,
                updated_at=row.updated_at if row is not None else None,
            )
        )
    return rows


def _parse_setting(key: str, raw: str) -> Any:
    default = SETTINGS[key].default
    text = (raw or "").strip()
    kind = setting_kind(default)
    if kind == "integer":
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise FormInvalidError({key: "请输入整数 (enter a whole number)"})
        value = int(text)
        if value < 0:
            raise FormInvalidError({key: "不能为负数 (must not be negative)"})
        return value
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise FormInvalidError({key: "请选择是或否 (choose yes or no)"})
        return text.lower() == "true"
    if kind == "json":
        try:
            value = json.loads(text or "null")
        except ValueError:
            raise FormInvalidError({key: "不是有效的 JSON (not valid JSON)"}) from None
        if not isinstance(value, type(default)):
            raise FormInvalidError(
                {key: f"须为 JSON {type(default).__name__} (must be a JSON object)"}
            )
        return value
    if not text:
        raise FormInvalidError({key: "此项为必填项 (this field is required)"})
    if len(text) > 500:
        raise FormInvalidError({key: "最多500个字 (at most 500 characters)"})
    return text


def change_setting(session: Session, actor: User, key: str, raw: str) -> None:
    authz.require(actor, Permission.ADMIN_SETTINGS)
    if key not in SETTINGS:
        raise NotFoundError(f"设置项 {key} 不存在 (no such setting)")
    value = _parse_setting(key, raw)
    row = session.get(Setting, key)
    old = row.value if row is not None else SETTINGS[key].default
    if row is not None and row.value == value:
        return
    set_setting(session, key, value, actor.username)
    audit.append(
        session,
        "setting_change",
        actor=actor.username,
        details={"key": key, "old": old, "new": value},
    )


def reset_setting(session: Session, actor: User, key: str) -> None:
    """Go back to the default: the stored row is removed."""
    authz.require(actor, Permission.ADMIN_SETTINGS)
    if key not in SETTINGS:
        raise NotFoundError(f"设置项 {key} 不存在 (no such setting)")
    row = session.get(Setting, key)
    if row is None:
        return
    old = row.value
    session.delete(row)
    session.flush()
    settings_module.mark_changed(session)
    audit.append(
        session,
        "setting_reset",
        actor=actor.username,
        details={"key": key, "old": old, "new": SETTINGS[key].default},
    )


# ---------------------------------------------------------------- audit


def verify_audit(session: Session, actor: User) -> audit.VerifyResult:
    authz.require(actor, Permission.ADMIN_AUDIT)
    return audit.verify(session)


@dataclass
class EventPage:
    items: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def system_events(session: Session, actor: User, *, page: int = 1, per_page: int = 50) -> EventPage:
    """The administration and deployment trail (the 'system' stream), newest first.

    Case streams are not listed: administrators do not read case content by default.
    """
    authz.require(actor, Permission.ADMIN_AUDIT)
    stmt = select(AuditEvent).where(AuditEvent.stream_key == audit.SYSTEM_STREAM)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(
        session.scalars(
            stmt.order_by(AuditEvent.seq.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )
    return EventPage(items, total, page, per_page)
