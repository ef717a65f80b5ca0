"""Camunda's typed variables in and out, and its date format (no database needed)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.rest.exceptions import InvalidRequest
from web.rest.formats import format_date
from web.rest.formats import parse_date
from web.rest.variables import to_python
from web.rest.variables import typed
from web.rest.variables import variables_to_python


@pytest.mark.parametrize(
    ("dto", "expected"),
    [
        ({"value": "abc", "type": "String"}, "abc"),
        ({"value": 5, "type": "String"}, "5"),
        ({"value": True, "type": "Boolean"}, True),
        ({"value": "false", "type": "boolean"}, False),
        ({"value": 42, "type": "Integer"}, 42),
        ({"value": "42", "type": "Integer"}, 42),
        ({"value": 3.0, "type": "Long"}, 3),
        ({"value": -(2**63), "type": "Long"}, -(2**63)),
        ({"value": 7, "type": "Short"}, 7),
        ({"value": 1.5, "type": "Double"}, 1.5),
        ({"value": "2.25", "type": "Double"}, 2.25),
        ({"value": 3, "type": "Number"}, 3),
        (
            {"value": "2026-11-26T09:30:00.000+0800", "type": "Date"},
            "2026-11-26T09:30:00.000+08:00",
        ),
        ({"value": "2026-11-26T01:30:00Z", "type": "Date"}, "2026-11-26T09:30:00.000+08:00"),
        ({"value": '{"a": [1, 2]}', "type": "Json"}, {"a": [1, 2]}),
        ({"value": {"a": 1}, "type": "Json"}, {"a": 1}),
        (
            {
                "value": '{"x": 1}',
                "type": "Object",
                "valueInfo": {"serializationDataFormat": "application/json"},
            },
            {"x": 1},
        ),
        ({"value": "<a/>", "type": "Xml"}, "<a/>"),
        ({"value": None, "type": "Null"}, None),
        ({"value": None, "type": "Integer"}, None),
        ({"value": [1, "a"]}, [1, "a"]),
        ({"value": "plain"}, "plain"),
    ],
)
def test_values_in(dto, expected):
    assert to_python("v", dto) == expected


@pytest.mark.parametrize(
    "dto",
    [
        {"value": "abc", "type": "Integer"},
        {"value": 1.5, "type": "Integer"},
        {"value": True, "type": "Integer"},
        {"value": 2**31, "type": "Integer"},
        {"value": 2**15, "type": "Short"},
        {"value": "yes", "type": "Boolean"},
        {"value": 1, "type": "Boolean"},
        {"value": {"a": 1}, "type": "String"},
        {"value": "x", "type": "Double"},
        {"value": "26.11.2026", "type": "Date"},
        {"value": "0001-01-01T00:00:00.000+1400", "type": "Date"},
        {"value": "{not json", "type": "Json"},
        {"value": "abc", "type": "Null"},
        {"value": "AAEC", "type": "Bytes"},
        {"value": "x", "type": "File"},
        {"value": "x", "type": "Spaceship"},
        {"value": "rO0AB", "type": "Object", "valueInfo": {"serializationDataFormat": "java"}},
        {"value": 1, "type": 7},
        "just a string",
        {"value": 1, "valueInfo": "x"},
    ],
)
def test_a_value_of_the_wrong_type_is_refused(dto):
    with pytest.raises(InvalidRequest):
        to_python("v", dto)


def test_variable_maps_check_names_and_shape():
    assert variables_to_python(None) == {}
    assert variables_to_python({"a_1": {"value": 1}}) == {"a_1": 1}
    for bad in ([], "x", {"1a": {"value": 1}}, {"a-b": {"value": 1}}, {"": {"value": 1}}):
        with pytest.raises(InvalidRequest):
            variables_to_python(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"type": "Null", "value": None}),
        (True, {"type": "Boolean", "value": True}),
        (7, {"type": "Integer", "value": 7}),
        (2**40, {"type": "Long", "value": 2**40}),
        (0.5, {"type": "Double", "value": 0.5}),
        ("text", {"type": "String", "value": "text"}),
        ("2026-11-26", {"type": "String", "value": "2026-11-26"}),
        ("2026-11-26T09:30:00+08:00", {"type": "Date", "value": "2026-11-26T09:30:00.000+0800"}),
        ("2026-11-26T01:30:00.250Z", {"type": "Date", "value": "2026-11-26T09:30:00.250+0800"}),
        ({"k": [1]}, {"type": "Json", "value": '{"k": [1]}'}),
        (["中文"], {"type": "Json", "value": '["中文"]'}),
    ],
)
def test_values_out(value, expected):
    assert typed(value) == {**expected, "valueInfo": {}}


def test_the_date_format_is_camundas():
    moment = datetime(2026, 11, 26, 1, 30, 5, 123456, tzinfo=UTC)
    assert format_date(moment) == "2026-11-26T09:30:05.123+0800"
    assert format_date(None) is None
    assert parse_date("2026-11-26T09:30:05.123+0800") == moment.replace(microsecond=123000)
    assert parse_date("2026-11-26T09:30:05.123+08:00") == moment.replace(microsecond=123000)
    assert parse_date("2026-11-26T09:30") == datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
    for bad in ("2026-13-01T00:00:00.000+0800", "yesterday", "", 5, "2026-11-26"):
        with pytest.raises(InvalidRequest):
            parse_date(bad)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_what_we_send_comes_back_unchanged(value):
    """A client that sends back the typed value it read stores the same value again."""
    dto = typed(value)
    again = to_python("v", dto)
    if isinstance(value, str) and dto["type"] == "Date":
        assert typed(again) == dto  # the same instant, in our stored form
    else:
        assert again == value


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.just(UTC)
    )
)
def test_dates_survive_the_round_trip_to_the_millisecond(moment):
    text = format_date(moment)
    assert parse_date(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
