"""Case numbers and 发文字号: format, per-scope sequences, and no gaps or duplicates when many
transactions take numbers at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest

from supervision import numbering
from supervision import uow
from supervision.errors import InvalidInputError
from supervision.settings import set_setting


def test_document_numbers_follow_gb_t_9704(runtime):
    with runtime.sessions.begin() as s:
        first = numbering.next_document_number(s, agency_code="广司", type_code="监意", year=2026)
        second = numbering.next_document_number(s, agency_code="广司", type_code="监意", year=2026)
        other_type = numbering.next_document_number(
            s, agency_code="广司", type_code="监督", year=2026
        )
        other_year = numbering.next_document_number(
            s, agency_code="广司", type_code="监意", year=2027
        )
        county = numbering.next_document_number(s, agency_code="利司", type_code="监意", year=2026)
    assert [str(first), str(second)] == ["广司监意〔2026〕1号", "广司监意〔2026〕2号"]
    assert str(other_type) == "广司监督〔2026〕1号"  # one counter per type ...
    assert str(other_year) == "广司监意〔2027〕1号"  # ... per year ...
    assert str(county) == "利司监意〔2026〕1号"  # ... and per issuing organ
    for good in ("广司监意〔2026〕12号", "广府执监决〔2026〕1号", "利司监意〔2026〕4号"):
        assert numbering.is_document_number(good)
    # The wrong forms of domain.md §4.1.
    for bad in (
        "广司监意[2026]12号",
        "广司监意(2026)12号",
        "广司监意〔2026〕第12号",
        "广司监意〔2026〕012号",
        "广司监意〔26〕12号",
    ):
        assert not numbering.is_document_number(bad)


def test_codes_must_be_chinese(runtime):
    with runtime.sessions.begin() as s:
        with pytest.raises(InvalidInputError):
            numbering.next_document_number(s, agency_code="GS", type_code="监意", year=2026)
        with pytest.raises(InvalidInputError):
            numbering.next_document_number(s, agency_code="广司", type_code="", year=2026)


def test_case_numbers_per_unit_type_and_year_with_a_configurable_format(runtime):
    with runtime.sessions.begin() as s:
        assert (
            numbering.next_case_number(s, region="510800", type_code="TS", year=2026)
            == "JD-510800-2026-TS-00001"
        )
        assert (
            numbering.next_case_number(s, region="510800", type_code="TS", year=2026)
            == "JD-510800-2026-TS-00002"
        )
        assert (
            numbering.next_case_number(s, region="510823", type_code="TS", year=2026)
            == "JD-510823-2026-TS-00001"
        )
        assert (
            numbering.next_case_number(s, region="510800", type_code="ZD", year=2026)
            == "JD-510800-2026-ZD-00001"
        )
        set_setting(s, "case_number_format", "{type}{year}-{region}-{serial:04d}", "admin")
    with runtime.sessions.begin() as s:
        # A new format never restarts the serial.
        assert (
            numbering.next_case_number(s, region="510800", type_code="TS", year=2026)
            == "TS2026-510800-0003"
        )
        with pytest.raises(InvalidInputError):
            numbering.next_case_number(s, region="510800", type_code="XX", year=2026)
        with pytest.raises(InvalidInputError):
            numbering.next_case_number(s, region="5108", type_code="TS", year=2026)
        set_setting(s, "case_number_format", "{unit}-{serial}", "admin")
    with runtime.sessions.begin() as s, pytest.raises(InvalidInputError):
        numbering.next_case_number(s, region="510800", type_code="TS", year=2026)


def test_a_rolled_back_number_is_given_again(runtime):
    with runtime.sessions() as s:
        numbering.next_document_number(s, agency_code="广司", type_code="监转", year=2026)
        s.rollback()
    with runtime.sessions.begin() as s:
        number = numbering.next_document_number(s, agency_code="广司", type_code="监转", year=2026)
    assert str(number) == "广司监转〔2026〕1号"


def test_concurrent_signers_get_every_number_once(runtime):
    """Twelve transactions take numbers of one sequence at once: 1..N, no gap, no repeat."""
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def sign() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                number = uow.run(
                    runtime.sessions,
                    lambda s: (
                        numbering.next_document_number(
                            s, agency_code="广司", type_code="监通", year=2026
                        ).serial
                    ),
                    retries=20,
                )
                with lock:
                    results.append(number)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sign) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == list(range(1, 61))
    with runtime.sessions() as s:
        assert numbering.current_value(s, numbering.document_scope("广司", "监通"), 2026) == 60
