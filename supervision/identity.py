"""Users, groups, memberships, roles and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from db.models import ApiToken
from db.models import Group
from db.models import Membership
from db.models import User
from db.models import UserRole
from supervision import audit
from supervision import clock
from supervision.errors import DuplicateError
from supervision.errors import InvalidInputError
from supervision.errors import NotFoundError
from supervision.passwords import hash_password
from supervision.passwords import hash_token
from supervision.passwords import new_token
from supervision.passwords import verify_password
from supervision.permissions import Role
from supervision.permissions import valid_role

LEVELS = ("city", "county", "township", "province")
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_REGION = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")
MIN_PASSWORD_LENGTH = 8


def get_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def require_user(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise NotFoundError(f"用户 {username} 不存在 (no such user)")
    return user


def get_group(session: Session, code: str) -> Group | None:
    return session.scalar(select(Group).where(Group.code == code))


def create_group(
    session: Session,
    code: str,
    *,
    name: str,
    level: str,
    region: str,
    kind: str = "section",
    name_en: str | None = None,
    parent: str | None = None,
    doc_code: str | None = None,
    actor: str | None = None,
) -> Group:
    if not _CODE.match(code or ""):
        raise InvalidInputError("group code must be 1-64 letters, digits, _ . -")
    if level not in LEVELS:
        raise InvalidInputError(f"level must be one of {', '.join(LEVELS)}")
    if not _REGION.match(region or ""):
        raise InvalidInputError("region must be a 6, 9 or 12 digit administrative division code")
    if get_group(session, code) is not None:
        raise DuplicateError(f"group {code} already exists")
    parent_row = None
    if parent:
        parent_row = get_group(session, parent)
        if parent_row is None:
            raise NotFoundError(f"parent group {parent} does not exist")
    group = Group(
        code=code,
        name=name or code,
        name_en=name_en,
        level=level,
        region_code=region,
        kind=kind,
        parent=parent_row,
        doc_code=doc_code,
    )
    session.add(group)
    session.flush()
    audit.append(
        session,
        "group_create",
        actor=actor,
        details={"code": code, "name": name, "level": level, "region": region},
    )
    return group


def create_user(
    session: Session,
    username: str,
    *,
    password: str | None,
    display_name: str | None = None,
    roles: list[str] | tuple[str, ...] = (),
    groups: list[str] | tuple[str, ...] = (),
    actor: str | None = None,
    valid_until: datetime | None = None,
    email: str | None = None,
) -> User:
    if not _CODE.match(username or ""):
        raise InvalidInputError("username must be 1-64 letters, digits, _ . -")
    if get_user(session, username) is not None:
        raise DuplicateError(f"user {username} already exists")
    for role in roles:
        if not valid_role(role):
            raise InvalidInputError(
                f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}"
            )
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password) if password else "",
        valid_until=valid_until,
        email=email,
    )
    session.add(user)
    for role in dict.fromkeys(roles):
        user.role_rows.append(UserRole(role=role))
    for code in dict.fromkeys(groups):
        group = get_group(session, code)
        if group is None:
            raise NotFoundError(f"group {code} does not exist")
        user.memberships.append(Membership(group=group))
    session.flush()
    audit.append(
        session,
        "user_create",
        actor=actor,
        details={"username": username, "roles": list(roles), "groups": list(groups)},
    )
    return user


def set_roles(session: Session, user: User, roles: list[str], actor: str | None) -> None:
    for role in roles:
        if not valid_role(role):
            raise InvalidInputError(f"unknown role {role!r}")
    old = sorted(user.roles)
    user.role_rows = [r for r in user.role_rows if r.role in roles]
    for role in roles:
        if role not in user.roles:
            user.role_rows.append(UserRole(role=role))
    audit.append(
        session,
        "user_roles",
        actor=actor,
        details={"username": user.username, "old": old, "new": sorted(roles)},
    )


def set_groups(session: Session, user: User, codes: list[str], actor: str | None) -> None:
    groups = []
    for code in codes:
        group = get_group(session, code)
        if group is None:
            raise NotFoundError(f"group {code} does not exist")
        groups.append(group)
    old = sorted(user.group_codes)
    user.memberships = [m for m in user.memberships if m.group.code in codes]
    have = {m.group.code for m in user.memberships}
    for group in groups:
        if group.code not in have:
            user.memberships.append(Membership(group=group))
    audit.append(
        session,
        "user_groups",
        actor=actor,
        details={"username": user.username, "old": old, "new": sorted(codes)},
    )


def set_password(session: Session, user: User, password: str, actor: str | None) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(password)
    audit.append(session, "user_password", actor=actor, details={"username": user.username})


class _VerifiedPasswords:
    """Remember, for a minute, that a user name and password pair was right.

    API clients (Camunda Modeler, scripts) send HTTP Basic credentials with every call;
    scrypt is slow on purpose (tens of milliseconds), which would make every API call
    that slow. Only a keyed hash of the pair is kept, in memory, together with the
    password hash it was checked against: a changed password or a disabled user is
    noticed at once.
    """

    TTL_SECONDS = 60.0
    MAX_ENTRIES = 1024

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[float, int, str]] = {}
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        message = username.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def lookup(self, username: str, password: str) -> tuple[int, str] | None:
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or time.monotonic() - entry[0] > self.TTL_SECONDS:
            return None
        return entry[1], entry[2]

    def remember(self, username: str, password: str, user: User) -> None:
        digest = self._digest(username, password)
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = (time.monotonic(), user.id, user.password_hash)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified_passwords = _VerifiedPasswords()


def authenticate(session: Session, username: str, password: str) -> User | None:
    from supervision.authz import is_usable

    remembered = verified_passwords.lookup(username, password or "")
    if remembered is not None:
        user = session.get(
            User,
            remembered[0],
            options=[
                joinedload(User.role_rows),
                joinedload(User.memberships).joinedload(Membership.group),
            ],
        )
        if user is not None and user.username == username and (user.password_hash == remembered[1]):
            return user if is_usable(user) else None
    user = get_user(session, username)
    if user is None or not user.password_hash:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        verify_password(
            password or "x",
            "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )
        return None
    if not verify_password(password, user.password_hash):
        return None
    verified_passwords.remember(username, password, user)
    return user if is_usable(user) else None


def create_token(
    session: Session, user: User, name: str, actor: str | None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create an API token; the clear text is returned once and never stored."""
    token = new_token()
    row = ApiToken(
        user_id=user.id,
        name=name or "token",
        token_hash=hash_token(token),
        prefix=token[:10],
        created_by=actor,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        "token_create",
        actor=actor,
        details={"username": user.username, "name": name, "token_id": row.id},
    )
    return row, token


def revoke_token(session: Session, token_id: int, actor: str | None) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFoundError("token not found")
    row.revoked_at = clock.now()
    audit.append(session, "token_revoke", actor=actor, details={"token_id": token_id})


def user_for_token(session: Session, token: str) -> User | None:
    # One query for the token, its user, the roles and the groups: every API call does it.
    row = (
        session.scalars(
            select(ApiToken)
            .where(ApiToken.token_hash == hash_token(token))
            .options(
                joinedload(ApiToken.user).joinedload(User.role_rows),
                joinedload(ApiToken.user).joinedload(User.memberships).joinedload(Membership.group),
            )
        )
        .unique()
        .one_or_none()
    )
    now = clock.now()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    row.last_used_at = now
    from supervision.authz import is_usable

    return row.user if is_usable(row.user) else None


def group_members(session: Session, code: str) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .join(Group, Group.id == Membership.group_id)
            .where(Group.code == code)
            .order_by(User.username)
        )
    )
