"""Every route x every role (and a supervisor of another county) gets exactly what
tests/web/access_rules.py says, and no route shows anything of another county's case.

The routes come from the app's URL map, so a route added later is covered without
anyone remembering to: it fails here until its rule is written. Each POST runs on a
fresh copy of the scenario's database, so one role's action cannot change what the next
role is answered.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

import db.models  # noqa: F401
from db.base import Base
from db.models import Incident
from db.models import OpenTask
from db.models import ProcessInstance
from db.session import make_engine
from db.session import make_sessionmaker
from supervision import attachments
from supervision import cases
from supervision import clock
from supervision import identity
from supervision.bootstrap import build_engine
from supervision.calendar import seed_from_chinese_calendar
from tests.conftest import CALENDAR_YEARS
from tests.factories import PASSWORD
from tests.factories import user
from tests.web.access_rules import API
from tests.web.access_rules import ENDPOINT_PARAMS
from tests.web.access_rules import PUBLIC
from tests.web.access_rules import PUBLIC_API
from tests.web.access_rules import ROLES
from tests.web.access_rules import RULES
from tests.web.access_rules import foreign_params
from tests.web.access_rules import params
from tests.web.org import BY_ROLE
from tests.web.org import make_full_org
from tests.web.scenario import NOW
from tests.web.scenario import deploy_review
from tests.web.scenario import open_task
from tests.web.scenario import register_as_major
from tests.web.scenario import start_review

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
API_PREFIXES = ("/engine-rest", "/api/")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class Ids:
    case_a: str
    finance_task: str
    attachment: str
    incident: int
    case_b: str
    case_b_task: str
    case_b_attachment: str
    case_b_incident: int
    case_b_marks: tuple[str, ...]
    token: int
    definition: str


def _scenario(session, engine) -> Ids:
    deploy_review(session, engine)
    case_a = start_review(session, engine)
    register_as_major(session, engine, case_a)
    legal = open_task(session, case_a, "legal_review")
    instance_a = cases.get_case(session, user(session, "sup1"), case_a)
    attachment = attachments.store(
        session, instance_a, attachments.Upload("现场.png", PNG), actor="market1", task_id=legal.id
    )
    incident = Incident(instance_id=case_a, activity_id="finance_review", message="测试故障")
    case_b = start_review(
        session,
        engine,
        starter="zhaohua1",
        bureau="lizhou_market",
        case_no="ZHJD-2026-0099",
        title="昭化区秘密案件",
    )
    register_as_major(session, engine, case_b)
    instance_b = cases.get_case(session, user(session, "sup1"), case_b)
    b_attachment = attachments.store(
        session, instance_b, attachments.Upload("昭化.png", PNG), actor="zhaohua1"
    )
    b_incident = Incident(instance_id=case_b, activity_id="finance_review", message="昭化故障")
    session.add_all([incident, b_incident])
    token, _secret = identity.create_token(session, user(session, "operator"), "热线", "admin")
    session.flush()
    return Ids(
        case_a=case_a,
        finance_task=open_task(session, case_a, "finance_review").id,
        attachment=attachment.id,
        incident=incident.id,
        case_b=case_b,
        case_b_task=open_task(session, case_b, "finance_review").id,
        case_b_attachment=b_attachment.id,
        case_b_incident=b_incident.id,
        case_b_marks=("ZHJD-2026-0099", "昭化区秘密案件", case_b),
        token=token.id,
        definition=session.get(ProcessInstance, case_a).definition_id,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory, monkeypatch_module):
    """The scenario's database, built once; tests work on copies of the file."""
    folder = tmp_path_factory.mktemp("matrix")
    monkeypatch_module.setenv("SUPERVISION_ATTACHMENTS_DIR", str(folder / "attachments"))
    template = folder / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    Base.metadata.create_all(engine)
    with clock.frozen_at(NOW), make_sessionmaker(engine).begin() as session:
        seed_from_chinese_calendar(session, CALENDAR_YEARS)
        make_full_org(session)
        ids = _scenario(session, build_engine())
    engine.dispose()  # checkpoints the WAL into the file we copy
    return folder, template, ids


class Switchboard:
    """One app, one logged-in client per role, and a database that can be swapped."""

    def __init__(self, folder: Path, template: Path) -> None:
        from web import create_app

        self.folder = folder
        self.template = template
        self.copies = 0
        self.app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{self.fresh()}",
                "SECRET_KEY": "matrix",
                "TESTING": True,
                "WTF_CSRF_ENABLED": False,
            }
        )
        self.clients = {"anonymous": self.app.test_client()}
        for role, username in BY_ROLE.items():
            client = self.app.test_client()
            response = client.post("/login", data={"username": username, "password": PASSWORD})
            assert response.status_code == 302, (role, response.status_code)
            self.clients[role] = client

    def clone(self, role: str):
        """A new browser holding the same session cookie as the role's."""
        client = self.app.test_client()
        cookie = self.clients[role].get_cookie("session")
        if cookie is not None:
            client.set_cookie("session", cookie.value)
        return client

    def fresh(self) -> Path:
        self.copies += 1
        path = self.folder / f"copy{self.copies}.db"
        shutil.copyfile(self.template, path)
        return path

    def swap(self) -> None:
        """Point the app at a new copy of the scenario's database."""
        self.app.extensions["db.engine"].dispose()
        engine = make_engine(f"sqlite:///{self.fresh()}")
        self.app.extensions["db.engine"] = engine
        self.app.extensions["db.sessionmaker"] = make_sessionmaker(engine)

    def close(self) -> None:
        self.app.extensions["db.engine"].dispose()


@pytest.fixture(scope="module")
def board(world):
    folder, template, _ids = world
    with clock.frozen_at(NOW):
        switchboard = Switchboard(folder, template)
    yield switchboard
    switchboard.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(autouse=True)
def _frozen():
    clock.freeze(NOW)
    yield


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & set(METHODS)):
            yield method, rule


def _url(app, rule, values: dict) -> str:
    if rule.rule.startswith(API_PREFIXES):
        # The session is refused before any id is looked at: any value will do.
        values = {a: values.get(a, "1") for a in rule.arguments}
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"add a value for {missing} of {rule.rule} to access_rules.params()"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})


@dataclass
class Answer:
    status_code: int
    location: str
    body: str


def _call(board, role: str, method: str, url: str) -> Answer:
    client = board.clients[role]
    data = None
    if method != "GET":
        # A POST may log the user out or change the session: use a copy of the browser.
        client = board.clone(role)
        # Enough for the upload route to reach its checks; the others ignore it.
        data = {"file": (BytesIO(PNG), "a.png"), "message": "x", "reason": "x"}
    response = client.open(url, method=method, data=data, follow_redirects=False)
    try:
        return Answer(
            response.status_code,
            response.headers.get("Location", ""),
            response.get_data().decode("utf-8", "replace"),
        )
    finally:
        response.close()


def _refused(response: Answer) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    # flask-login sends strangers to /login?next=...; logging out ends on plain /login.
    return response.status_code == 302 and response.location.startswith("/login?next=")


def test_every_route_has_a_rule(board):
    missing = sorted(
        f"{method} {rule.rule} ({rule.endpoint})"
        for method, rule in _routes(board.app)
        if (method, rule.endpoint) not in RULES and not rule.rule.startswith(API_PREFIXES)
    )
    assert missing == [], "write who may use these routes in tests/web/access_rules.py:\n" + (
        "\n".join(missing)
    )


def test_every_route_for_every_role(board, world):
    _folder, _template, ids = world
    values = params(ids)
    failures = []
    checked = 0
    for method, rule in _routes(board.app):
        key = (method, rule.endpoint)
        if rule.rule.startswith(API_PREFIXES):
            access = RULES.get(key) or (PUBLIC if key in PUBLIC_API else API)
        else:
            access = RULES.get(key)
        if access is None:
            continue  # reported by test_every_route_has_a_rule
        url = _url(board.app, rule, {**values, **ENDPOINT_PARAMS.get(rule.endpoint, {})})
        for role in ROLES:
            if method != "GET":
                board.swap()
            response = _call(board, role, method, url)
            checked += 1
            status = response.status_code
            if status >= 500:
                failures.append(f"{method} {url} as {role}: server error {status}")
            elif access.public:
                continue
            elif access.api:
                if status != 401:
                    failures.append(f"{method} {url} as {role}: {status}, expected 401 (API)")
            elif role in access.allowed and _refused(response):
                failures.append(f"{method} {url} as {role}: refused ({status}), should be allowed")
            elif role not in access.allowed and not _refused(response):
                failures.append(f"{method} {url} as {role}: {status}, should be refused")
    assert checked > 100
    assert failures == [], "\n".join(failures)


def test_no_route_shows_another_countys_case(board, world):
    """利州区's supervisor, a city bureau and an invited supervisor ask every route for
    昭化区's case, task, file and incident by id: each is refused and names nothing of it."""
    _folder, _template, ids = world
    values = foreign_params(ids)
    failures = []
    for method, rule in _routes(board.app):
        if rule.rule.startswith(API_PREFIXES):
            continue
        url = _url(board.app, rule, {**values, **ENDPOINT_PARAMS.get(rule.endpoint, {})})
        for role in ("other_county", "bureau_handler", "special_supervisor", "evaluator"):
            if method != "GET":
                board.swap()
            response = _call(board, role, method, url)
            leaked = [m for m in ids.case_b_marks if m in response.body and m not in url]
            if leaked:
                failures.append(f"{method} {url} as {role}: shows {leaked}")
            if set(rule.arguments) & {"case_id", "task_id", "attachment_id", "incident_id"}:
                if not _refused(response):
                    failures.append(f"{method} {url} as {role}: {response.status_code}")
    assert failures == [], "\n".join(failures)
    # The lists do not name it either.
    board.swap()
    for path in ("/tasks?tab=group", "/tasks?tab=mine", "/cases", "/cases?q=ZHJD"):
        body = _call(board, "other_county", "GET", path).body
        assert not [m for m in ids.case_b_marks if m in body], path


def test_scenario_is_what_the_rules_assume(board):
    """Guard the assumptions of RULES: if the scenario changes, the rules must be re-read."""
    board.swap()
    with board.app.app_context():
        session = board.app.extensions["db.sessionmaker"]()
        specs = sorted(t.task_spec_id for t in session.scalars(select(OpenTask)))
        assert specs == ["finance_review", "finance_review", "legal_review", "legal_review"]
        session.close()
