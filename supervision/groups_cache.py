"""A small process-wide cache of the organisation's groups for the engine's hot path.

Every save resolves candidate groups, lanes and the owning unit's region. Groups change
rarely; reading them on every step of every case cost a query each. The cache refreshes
every few seconds and on any miss, so a group created a moment ago is found at once and a
renamed or re-regioned one within the refresh interval.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Group

REFRESH_SECONDS = 10.0


@dataclass(frozen=True)
class GroupInfo:
    code: str
    name: str
    region_code: str
    level: str


class _GroupCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_db: dict[str, tuple[float, dict[str, GroupInfo], dict[str, str]]] = {}

    @staticmethod
    def _db_key(session: Session) -> str:
        bind = session.get_bind()
        return getattr(bind, "engine", bind).url.render_as_string(hide_password=True)

    def _load(self, session: Session, key: str) -> tuple[dict[str, GroupInfo], dict[str, str]]:
        rows = session.execute(select(Group.code, Group.name, Group.region_code, Group.level))
        by_code = {r.code: GroupInfo(r.code, r.name, r.region_code, r.level) for r in rows}
        by_name = {info.name: code for code, info in by_code.items()}
        with self._lock:
            self._by_db[key] = (time.monotonic(), by_code, by_name)
        return by_code, by_name

    def _maps(self, session: Session, refresh: bool = False):
        key = self._db_key(session)
        with self._lock:
            entry = self._by_db.get(key)
        if refresh or entry is None or time.monotonic() - entry[0] > REFRESH_SECONDS:
            return self._load(session, key)
        return entry[1], entry[2]

    def get(self, session: Session, code: str) -> GroupInfo | None:
        by_code, _ = self._maps(session)
        info = by_code.get(code)
        if info is None:
            by_code, _ = self._maps(session, refresh=True)
            info = by_code.get(code)
        return info

    def code_for_lane(self, session: Session, lane: str) -> str | None:
        """A lane names a group by its code or its (Chinese) name."""
        for refresh in (False, True):
            by_code, by_name = self._maps(session, refresh=refresh)
            if lane in by_code:
                return lane
            if lane in by_name:
                return by_name[lane]
        return None

    def unknown(self, session: Session, codes: list[str]) -> list[str]:
        return [c for c in codes if self.get(session, c) is None]

    def clear(self) -> None:
        with self._lock:
            self._by_db.clear()


groups_cache = _GroupCache()
