"""`assignCaseNumber`: give a case (or a referral inside it) its readable number."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Group
from db.models import Membership
from db.models import User
from supervision import clock
from supervision import numbering
from supervision.engine import HandlerContext
from supervision.errors import InvalidInputError
from supervision.handlers import handler


def default_owner(ctx: HandlerContext) -> str:
    """The supervision body a case belongs to when the diagram did not say: the starter's
    own supervision unit (a county supervisor's intake stays in the county), else the
    default unit of the settings (the city section, which receives 12345 tickets)."""
    if ctx.instance.started_by:
        code = ctx.session.scalar(
            select(Group.code)
            .join(Membership, Membership.group_id == Group.id)
            .join(User, User.id == Membership.user_id)
            .where(User.username == ctx.instance.started_by, Group.kind == "supervision")
            .order_by(Group.code)
            .limit(1)
        )
        if code:
            return code
    return str(ctx.setting("default_owner_unit"))


@handler("assignCaseNumber", "案件编号：JD-<单位区划>-<年>-<类型>-<序号>（类型 TS/ZD/PG/XS/JJ/GC）")
def assign_case_number(ctx: HandlerContext, type_code: str | None = None) -> dict:
    """Number the case once (a retry or a reopen keeps the number it has).

    Fields: `type` (TS, ZD, PG, XS, JJ, GC), `variable` (default case_no; a referral
    inside a case uses referral_no). Also fixes owner_unit_id when it was not given.
    """
    type_code = type_code or ctx.params.get("type") or "TS"
    variable = ctx.params.get("variable") or "case_no"
    if ctx.data.get(variable):
        return {}
    owner_code = ctx.data.get("owner_unit_id") or default_owner(ctx)
    owner = ctx.session.scalar(select(Group).where(Group.code == owner_code))
    if owner is None:
        raise InvalidInputError(f"主管监督机构 {owner_code} 不存在 (unknown owner unit)")
    number = numbering.next_case_number(
        ctx.session,
        region=owner.region_code[:6],
        type_code=type_code,
        year=ctx.now.astimezone(clock.LOCAL_TZ).year,
    )
    result = {variable: number}
    if variable == "case_no":
        result.update(owner_unit_id=owner.code, owner_level=owner.level)
    return result
