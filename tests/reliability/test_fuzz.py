"""Bad input is refused with a clear error and changes nothing.

Through the REST API, as the Modeler and integrations send it: a corpus of malformed and
hostile BPMN files, random damage to a valid diagram (Hypothesis), and random form
submissions to a task (Hypothesis). Each answer is a success or a 4xx with a message,
never a 5xx; a refusal leaves every table as it was; the audit chain verifies after.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.models import HistoricTask
from db.models import Incident
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import audit
from supervision import cases
from supervision import identity
from tests.conftest import data_file
from tests.conftest import read_workflow
from tests.factories import user
from tests.reliability import invariants

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VALID = read_workflow("review_parallel.bpmn").decode("utf-8")
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" '
    'targetNamespace="http://bpmn.io/schema/bpmn">'
)


def _process(body: str, pid: str = "hostile") -> bytes:
    return (
        f'{HEAD}<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process>'
        "</bpmn:definitions>"
    ).encode()


def _script(code: str) -> bytes:
    return _process(
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:scriptTask id="t" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming>'
        f"<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>"
        '<bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    )


def _condition(expression: str) -> bytes:
    return _process(
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:exclusiveGateway id="g" default="f3"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing>"
        "</bpmn:exclusiveGateway>"
        '<bpmn:endEvent id="e1"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:endEvent id="e2"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e1">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{expression}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="e2"/>'
    )


HOSTILE = {
    **{
        name: data_file("workflows", "bad", f"{name}.bpmn").read_bytes()
        for name in (
            "billion_laughs",
            "xxe",
            "malformed",
            "no_start",
            "schema_violation",
            "unknown_called",
        )
    },
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "html": b"<html><body><h1>not a diagram</h1></body></html>",
    "json": json.dumps({"process": "x"}).encode(),
    "external_dtd": (
        b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">'
        + _process("")[len(b'<?xml version="1.0" encoding="UTF-8"?>\n') :]
    ),
    "xinclude": _process(
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
        'parse="text"/>'
    ),
    "deep_nesting": _process(
        "<bpmn:documentation>" + "<x>" * 5000 + "</x>" * 5000 + "</bpmn:documentation>"
    ),
    "no_process": (HEAD + "</bpmn:definitions>").encode(),
    "not_executable": _process("", pid="p").replace(
        b'isExecutable="true"', b'isExecutable="false"'
    ),
    "dangling_flow": _process(
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="nowhere"/>'
    ),
    "duplicate_ids": _process(
        '<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:endEvent id="s"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="s"/>'
    ),
    "script_import": _script("import os\nos.system('true')"),
    "script_open": _script("data = open('/etc/passwd').read()"),
    "script_dunder": _script("x = ().__class__.__bases__[0].__subclasses__()"),
    "script_syntax": _script("if x ==:\n  pass"),
    "condition_juel_garbage": _condition("${a &amp;&amp; }"),
    "condition_dunder": _condition("${''.__class__}"),
    "condition_import": _condition("__import__('os').system('true') == 0"),
}


@pytest.fixture
def api(deployed, tmp_path, monkeypatch):
    """A Flask test client on the runtime's database, with a token per user."""
    from web import create_app

    monkeypatch.setenv("SUPERVISION_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    app = create_app({"DATABASE_URL": deployed.url, "SECRET_KEY": "fuzz-tests", "TESTING": True})
    app.extensions["supervision.engine"] = deployed.engine
    keys = {}
    with deployed.sessions.begin() as session:
        for name in ("designer", "sup1"):
            _, keys[name] = identity.create_token(session, user(session, name), "fuzz", None)
    client = app.test_client()

    class Api:
        rt = deployed

        def post(self, who: str, path: str, **kwargs):
            headers = {"Authorization": f"Bearer {keys[who]}"}
            return client.post(f"/engine-rest{path}", headers=headers, **kwargs)

        def counts(self) -> dict[str, int]:
            with deployed.sessions() as session:
                counts = invariants.table_counts(session)
            # Every API call with a token stamps its last use; that is not a change of data.
            counts.pop("api_tokens", None)
            return counts

    yield Api()
    app.extensions["db.engine"].dispose()


def _deploy(api, name: str, content: bytes):
    return api.post(
        "designer",
        "/deployment/create",
        data={"deployment-name": name, "data": (_as_file(content), f"{name}.bpmn")},
        content_type="multipart/form-data",
    )


def _as_file(content: bytes):
    import io

    return io.BytesIO(content)


def _assert_clear_refusal(response) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:500])
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and body.get("message"), response.data[:500]
    assert "Traceback" not in body["message"]
    return body["message"]


def test_hostile_diagrams_are_refused_and_change_nothing(api):
    before = api.counts()
    accepted = {}
    for name, content in sorted(HOSTILE.items()):
        response = _deploy(api, name, content)
        if not 400 <= response.status_code < 500:
            accepted[name] = (response.status_code, response.data[:200])
            continue
        _assert_clear_refusal(response)
    assert accepted == {}
    assert api.counts() == before
    with api.rt.sessions() as session:
        assert audit.verify(session).ok


def test_a_script_that_reads_a_file_deploys_but_cannot_read_it(api):
    """The lint refuses a direct open() call; through a variable it cannot tell, so the
    script deploys, but the restricted script environment has no open(): running it
    becomes an incident and reads nothing."""
    direct = _deploy(api, "reader", _script("data = open('/etc/passwd').read()"))
    assert direct.status_code == 400 and b"open()" in direct.data, direct.data[:300]
    response = _deploy(api, "reader", _script("f = open\ndata = f('/etc/passwd').read()"))
    assert response.status_code == 200, response.data[:300]
    rt = api.rt
    with rt.sessions.begin() as session:
        result = cases.start_case(session, rt.engine, user(session, "sup1"), key="hostile")
        case_id = result.instance.id
    with rt.sessions() as session:
        instance = session.get(ProcessInstance, case_id)
        assert "data" not in (instance.variables or {})
        assert instance.status == "active"
        incidents = session.scalars(
            select(Incident.message).where(Incident.instance_id == case_id)
        ).all()
        assert len(incidents) == 1 and "open" in incidents[0], incidents
        assert audit.verify(session).ok


def _damage(text: str, data) -> bytes:
    kind = data.draw(st.sampled_from(["truncate", "cut", "insert", "attribute"]))
    if kind == "truncate":
        return text[: data.draw(st.integers(0, len(text) - 1))].encode()
    if kind == "cut":
        start = data.draw(st.integers(0, len(text) - 1))
        return (text[:start] + text[start + data.draw(st.integers(1, 400)) :]).encode()
    if kind == "insert":
        at = data.draw(st.integers(0, len(text)))
        junk = data.draw(st.text(alphabet=st.sampled_from('<>&"=/ ${}aé中\x00'), max_size=30))
        return (text[:at] + junk + text[at:]).encode("utf-8", "surrogatepass")
    names = ["sourceRef", "targetRef", "id", "camunda:candidateGroups", "default", "name"]
    attribute = data.draw(st.sampled_from(names))
    value = data.draw(st.text(max_size=20).filter(lambda v: '"' not in v and "&" not in v))
    return text.replace(f'{attribute}="', f'{attribute}="{value}', 1).encode()


@FUZZ
@given(data=st.data())
def test_damaged_diagrams_deploy_or_are_refused_cleanly(api, data):
    content = _damage(VALID, data)
    before = api.counts()
    response = _deploy(api, "damaged", content)
    if response.status_code == 200:
        return  # still a valid diagram (a harmless change)
    _assert_clear_refusal(response)
    assert api.counts() == before


# ---------------------------------------------------------------- form submissions

TYPES = ["String", "Long", "Integer", "Boolean", "Double", "Json", "Object", "Date", "Null", "x"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    st.sampled_from(["major", "minor", "", "true", "1e9", "１２", "2026-13-45"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
FIELDS = st.sampled_from(["case_title", "category", "affected", "urgent", "extra", "__class__"])
VARIABLE = st.one_of(
    st.fixed_dictionaries({"value": VALUES}, optional={"type": st.sampled_from(TYPES)}),
    VALUES,
)
BODIES = st.one_of(
    st.fixed_dictionaries({"variables": st.dictionaries(FIELDS, VARIABLE, max_size=5)}),
    st.dictionaries(st.text(max_size=10), VALUES, max_size=3),
    st.lists(st.integers(), max_size=3),
    VALUES,
)


def _new_register_task(api) -> str:
    rt = api.rt
    with rt.sessions.begin() as session:
        result = cases.start_case(
            session,
            rt.engine,
            user(session, "sup1"),
            key="review_parallel",
            variables={"bureau": "city_market"},
        )
        case_id = result.instance.id
    with rt.sessions() as session:
        return session.scalars(select(OpenTask.id).where(OpenTask.instance_id == case_id)).one()


def _valid_completion(values: dict) -> bool:
    title, category, affected = (
        values.get("case_title"),
        values.get("category"),
        values.get("affected"),
    )
    return (
        isinstance(title, str)
        and 0 < len(title) <= 50
        and category in ("major", "minor")
        and (affected is None or (isinstance(affected, int) and 0 <= affected <= 100000))
        and values.get("urgent") in (None, True, False)
    )


@FUZZ
@given(body=BODIES, raw=st.booleans())
def test_random_form_submissions_are_validated_or_refused(api, body, raw):
    if not hasattr(api, "task_id"):
        api.task_id = _new_register_task(api)
    task_id = api.task_id
    with api.rt.sessions() as session:
        version = session.scalar(
            select(ProcessInstance.version)
            .join(OpenTask, OpenTask.instance_id == ProcessInstance.id)
            .where(OpenTask.id == task_id)
        )
    before = api.counts()
    payload = json.dumps(body, allow_nan=True) if not raw else json.dumps(body)[:-1]
    response = api.post(
        "sup1", f"/task/{task_id}/complete", data=payload, content_type="application/json"
    )
    if response.status_code in (200, 204):
        with api.rt.sessions() as session:
            stored = session.get(HistoricTask, task_id).variables
        assert _valid_completion(stored), stored
        del api.task_id
        return
    _assert_clear_refusal(response)
    assert api.counts() == before
    with api.rt.sessions() as session:
        assert session.get(OpenTask, task_id) is not None
        instance = session.scalars(
            select(ProcessInstance)
            .join(OpenTask, OpenTask.instance_id == ProcessInstance.id)
            .where(OpenTask.id == task_id)
        ).one()
        assert instance.version == version


def test_after_the_fuzzing_every_invariant_holds(api):
    """The same checks the soak ends with, after a burst of refused and accepted input."""
    for name in ("malformed", "xxe", "script_import"):
        _assert_clear_refusal(_deploy(api, name, HOSTILE[name]))
    task_id = _new_register_task(api)
    bad = {"variables": {"category": {"value": "huge"}, "affected": {"value": "many"}}}
    _assert_clear_refusal(api.post("sup1", f"/task/{task_id}/complete", json=bad))
    good = {
        "variables": {
            "case_title": {"value": "检查"},
            "category": {"value": "minor"},
            "affected": {"value": 2, "type": "Long"},
        }
    }
    assert api.post("sup1", f"/task/{task_id}/complete", json=good).status_code in (200, 204)
    with api.rt.sessions() as session:
        assert invariants.problems(session) == []
