"""Small builders for test data (groups, users, deployments)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from db.models import Group
from db.models import User
from supervision import deployments
from supervision import identity
from supervision.engine import WorkflowEngine

PASSWORD = "correct-horse-42"

# A small organisation: the city supervision section and chiefs, a city bureau, two
# counties (to test that nobody sees sideways).
GROUPS = [
    ("city_supervisors", "市司法局行政执法协调监督科", "city", "510800", "supervision"),
    ("city_chiefs", "市司法局科长", "city", "510800", "supervision"),
    ("city_market", "市市场监管局", "city", "510800", "bureau"),
    ("lizhou_supervisors", "利州区司法局", "county", "510802", "supervision"),
    ("zhaohua_supervisors", "昭化区司法局", "county", "510811", "supervision"),
    ("hotline", "12345热线中心", "city", "510800", "hotline"),
]
USERS = [
    ("sup1", ("supervisor",), ("city_supervisors",)),
    ("sup2", ("supervisor",), ("city_supervisors",)),
    ("chief", ("section_chief",), ("city_chiefs", "city_supervisors")),
    ("market1", ("bureau_handler",), ("city_market",)),
    ("lizhou1", ("supervisor",), ("lizhou_supervisors",)),
    ("zhaohua1", ("supervisor",), ("zhaohua_supervisors",)),
    ("operator", ("hotline_operator",), ("hotline",)),
    ("designer", ("designer",), ()),
    ("admin", ("admin",), ()),
]


def make_org(session: Session, groups: Iterable = GROUPS, users: Iterable = USERS) -> None:
    for code, name, level, region, kind in groups:
        identity.create_group(session, code, name=name, level=level, region=region, kind=kind)
    for username, roles, member_of in users:
        identity.create_user(session, username, password=PASSWORD, roles=roles, groups=member_of)


def user(session: Session, username: str) -> User:
    found = identity.get_user(session, username)
    assert found is not None, username
    return found


def group(session: Session, code: str) -> Group:
    found = identity.get_group(session, code)
    assert found is not None, code
    return found


def deploy(session: Session, engine: WorkflowEngine, *files: tuple[str, bytes], actor="designer"):
    return deployments.deploy(session, engine, list(files), actor=actor)
