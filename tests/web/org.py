"""One organisation with a user for every role, shared by the web and browser tests.

The city (510800) with its supervision section, chiefs, leaders and a city bureau; two
counties (利州区 510802, 昭化区 510811) so that "nobody sees sideways" can be tested; the
hotline centre and the outside roles. Everyone's password is factories.PASSWORD.
"""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session

from supervision import identity
from supervision.passwords import hash_password
from tests.factories import GROUPS
from tests.factories import PASSWORD

EXTRA_GROUPS = [
    ("city_leaders", "市司法局局领导", "city", "510800", "supervision"),
    ("lizhou_market", "利州区市场监管局", "county", "510802", "bureau"),
    ("invited_supervisors", "特邀行政执法监督员", "city", "510800", "external"),
    ("evaluators", "第三方评估机构", "city", "510800", "external"),
    ("liaisons", "市纪委监委联络员", "city", "510800", "external"),
]
# username, display name, roles, groups
PEOPLE = [
    ("sup1", "张明", ("supervisor",), ("city_supervisors",)),
    ("sup2", "李华", ("supervisor",), ("city_supervisors",)),
    ("chief", "王科长", ("section_chief",), ("city_chiefs", "city_supervisors")),
    ("leader", "赵局长", ("bureau_leader",), ("city_leaders", "city_supervisors")),
    ("market1", "陈承办", ("bureau_handler",), ("city_market",)),
    ("market_head", "刘负责人", ("bureau_head",), ("city_market",)),
    ("lizhou1", "周监督", ("supervisor",), ("lizhou_supervisors",)),
    ("zhaohua1", "吴监督", ("supervisor",), ("zhaohua_supervisors",)),
    ("lizhou_market1", "郑承办", ("bureau_handler",), ("lizhou_market",)),
    ("operator", "孙话务", ("hotline_operator",), ("hotline",)),
    ("invited1", "钱监督员", ("special_supervisor",), ("invited_supervisors",)),
    ("evaluator1", "冯评估", ("evaluator",), ("evaluators",)),
    ("liaison1", "蒋联络", ("liaison",), ("liaisons",)),
    ("designer", "韩设计", ("designer",), ()),
    ("admin", "管理员", ("admin",), ()),
]
# One user per role, for the authorisation matrix (plus a supervisor of another county).
BY_ROLE = {
    "hotline_operator": "operator",
    "supervisor": "sup1",
    "section_chief": "chief",
    "bureau_leader": "leader",
    "bureau_handler": "market1",
    "bureau_head": "market_head",
    "special_supervisor": "invited1",
    "evaluator": "evaluator1",
    "liaison": "liaison1",
    "designer": "designer",
    "admin": "admin",
    "other_county": "lizhou1",
}


@functools.cache
def _password_hash() -> str:
    # scrypt is slow on purpose; hashing once per test session keeps fixtures fast.
    return hash_password(PASSWORD)


def make_full_org(session: Session) -> None:
    for code, name, level, region, kind in [*GROUPS, *EXTRA_GROUPS]:
        identity.create_group(session, code, name=name, level=level, region=region, kind=kind)
    for username, display, roles, groups in PEOPLE:
        user = identity.create_user(
            session,
            username,
            password=None,
            display_name=display,
            roles=roles,
            groups=groups,
        )
        user.password_hash = _password_hash()
