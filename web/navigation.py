"""The main navigation: which sections a user sees, in one list.

An entry shows only when its endpoint is registered and the user holds one of its
permissions, so pages written later (intake, observations, designer, admin, statistics)
appear in the menu as soon as their blueprint exists. A blueprint that is not listed here
can add itself with `register(NavItem(...))` when its module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask import request
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from supervision import authz
from supervision.permissions import Permission

P = Permission


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, rendered in the request's language
    permissions: tuple[Permission, ...]
    order: int = 50

    @property
    def blueprint(self) -> str:
        return self.endpoint.split(".", 1)[0]


_ITEMS: list[NavItem] = [
    NavItem("tasks.inbox", _l("任务"), (P.TASK_WORK, P.TASK_ASSIGN), 10),
    NavItem("cases.index", _l("案件"), (P.CASE_READ,), 20),
    NavItem("intake.index", _l("来电登记"), (P.CASE_INTAKE,), 30),
    NavItem("observations.index", _l("监督意见"), (P.OBSERVATION_FILE, P.OBSERVATION_TRIAGE), 40),
    NavItem("designer.index", _l("流程"), (P.DEFINITION_READ,), 50),
    NavItem("stats.index", _l("统计"), (P.STATS_READ,), 60),
    NavItem(
        "admin.index",
        _l("管理"),
        (P.ADMIN_USERS, P.ADMIN_GROUPS, P.ADMIN_CALENDAR, P.ADMIN_SETTINGS, P.ADMIN_AUDIT),
        70,
    ),
]


def register(item: NavItem) -> None:
    """Add a section to the menu (idempotent per endpoint)."""
    if all(existing.endpoint != item.endpoint for existing in _ITEMS):
        _ITEMS.append(item)


@dataclass(frozen=True)
class VisibleItem:
    url: str
    label: str
    active: bool
    endpoint: str


def visible_items() -> list[VisibleItem]:
    """The sections the current user may open, with the current one marked."""
    if not getattr(current_user, "is_authenticated", False):
        return []
    endpoints = current_app.view_functions
    here = request.blueprint if request else None
    result = []
    for item in sorted(_ITEMS, key=lambda i: i.order):
        if item.endpoint not in endpoints:
            continue
        if not any(authz.has(current_user, p) for p in item.permissions):
            continue
        result.append(
            VisibleItem(
                url=url_for(item.endpoint),
                label=str(item.label),
                active=here == item.blueprint,
                endpoint=item.endpoint,
            )
        )
    return result


def landing_url() -> str | None:
    """Where "/" sends the user: the first section they may open."""
    items = visible_items()
    return items[0].url if items else None
