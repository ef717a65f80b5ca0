"""Readable case numbers and GB/T 9704 document numbers (发文字号), gap-free and unique.

Both kinds come from one counter per scope and year (db.models.NumberSequence). Taking a
number is a single `UPDATE ... SET value = value + 1 RETURNING value` inside the caller's
transaction: the row lock makes concurrent callers queue, and a rollback gives the number
back, so numbers have neither gaps nor duplicates (domain.md §4.1 "counters are allocated
under a database lock"). The format rules are documented in docs/numbering.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import NumberSequence
from supervision.errors import InvalidInputError
from supervision.settings import get_settings

# GB/T 9704-2012 §7.2.5: 机关代字 + 〔year〕 + serial without padding or "第" + 号.
DOC_NO_PATTERN = re.compile(r"^[\u4e00-\u9fa5]{2,10}〔(19|20)\d{2}〕[1-9]\d*号$")
# Case-type codes of domain.md §4.3 (the machine id's type field).
CASE_TYPES = {
    "TS": ("投诉举报", "Complaint"),
    "ZD": ("重点监督", "Major-case supervision"),
    "PG": ("第三方评估", "Third-party evaluation"),
    "XS": ("行刑衔接", "Criminal referral"),
    "JJ": ("线索移送", "Discipline referral"),
    "GC": ("监督员意见", "Invited-supervisor observation"),
}
_FORMAT_FIELDS = {"region", "year", "type", "serial"}


def next_value(session: Session, scope: str, year: int) -> int:
    """Take the next number of (scope, year) inside the caller's transaction.

    The counter row is created on first use; two transactions creating it at once are
    told apart by the unique constraint, and the loser simply increments the winner's row.
    """
    bump = (
        update(NumberSequence)
        .where(NumberSequence.scope == scope, NumberSequence.year == year)
        .values(value=NumberSequence.value + 1)
        .returning(NumberSequence.value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.add(NumberSequence(scope=scope, year=year, value=0))
            session.flush()
    except IntegrityError:
        pass  # created by a concurrent transaction a moment ago: use its row
    return session.execute(bump).scalar_one()


def current_value(session: Session, scope: str, year: int) -> int:
    """The last number taken in (scope, year), 0 if none (for admin pages and tests)."""
    value = session.scalar(
        select(NumberSequence.value).where(
            NumberSequence.scope == scope, NumberSequence.year == year
        )
    )
    return value or 0


# ---------------------------------------------------------------- case numbers


def case_scope(region: str, type_code: str) -> str:
    return f"case:{region}:{type_code}"


def format_case_number(
    template: str, *, region: str, year: int, type_code: str, serial: int
) -> str:
    try:
        return template.format(region=region, year=year, type=type_code, serial=serial)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidInputError(
            f"案件编号格式无效 (invalid case_number_format {template!r}: {exc}); "
            f"available fields: {', '.join(sorted(_FORMAT_FIELDS))}"
        ) from exc


def next_case_number(session: Session, *, region: str, type_code: str, year: int) -> str:
    """JD-510800-2026-TS-00012: unit's division code, opening year, type, serial per all three.

    The format is the setting `case_number_format` (docs/numbering.md); the serial runs per
    (unit, type, year) whatever the format shows, so changing the format never reuses one.
    """
    if type_code not in CASE_TYPES:
        raise InvalidInputError(
            f"unknown case type {type_code!r}; known: {', '.join(sorted(CASE_TYPES))}"
        )
    if not re.fullmatch(r"\d{6}", region or ""):
        raise InvalidInputError(f"the owning unit's region must be 6 digits, got {region!r}")
    template = str(get_settings(session)["case_number_format"])
    serial = next_value(session, case_scope(region, type_code), year)
    return format_case_number(
        template, region=region, year=year, type_code=type_code, serial=serial
    )


# ---------------------------------------------------------------- document numbers


@dataclass(frozen=True)
class DocumentNumber:
    agency_code: str  # 发文机关代字, e.g. 广司
    type_code: str  # 文种代字, e.g. 监意
    year: int
    serial: int

    @property
    def prefix(self) -> str:
        return f"{self.agency_code}{self.type_code}"

    def __str__(self) -> str:
        return format_document_number(self.prefix, self.year, self.serial)


def format_document_number(prefix: str, year: int, serial: int) -> str:
    """广司监意〔2026〕12号: year in full inside 六角括号, no 第, no leading zeros."""
    text = f"{prefix}〔{int(year)}〕{int(serial)}号"
    if not DOC_NO_PATTERN.fullmatch(text):
        raise InvalidInputError(f"不是有效的发文字号 (not a valid document number): {text}")
    return text


def is_document_number(text: str | None) -> bool:
    return bool(text) and DOC_NO_PATTERN.fullmatch(text) is not None


def document_scope(agency_code: str, type_code: str) -> str:
    return f"doc:{agency_code}{type_code}"


def next_document_number(
    session: Session, *, agency_code: str, type_code: str, year: int
) -> DocumentNumber:
    """Take the next 发文字号 of (机关代字, 文种代字, year) in the signing transaction.

    Numbers are taken only when a document is signed (签发), never at drafting; a voided
    document keeps its number (作废), so a number is never issued twice.
    """
    if not re.fullmatch(r"[\u4e00-\u9fa5]{1,6}", agency_code or ""):
        raise InvalidInputError(
            f"发文机关代字应为汉字 (agency code must be Chinese): {agency_code!r}"
        )
    if not re.fullmatch(r"[\u4e00-\u9fa5]{1,4}", type_code or ""):
        raise InvalidInputError(f"文种代字应为汉字 (type code must be Chinese): {type_code!r}")
    serial = next_value(session, document_scope(agency_code, type_code), year)
    number = DocumentNumber(agency_code, type_code, year, serial)
    str(number)  # validates the whole number (length of the prefix)
    return number
