"""`provisionEvaluators`: time-boxed access for a contracted evaluator (§2.2 T2_4)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models import CaseParticipant
from db.models import Group
from supervision import audit
from supervision import deadlines
from supervision import identity
from supervision.engine import HandlerContext
from supervision.errors import InvalidInputError
from supervision.handlers import handler


@handler("provisionEvaluators", "开通评估员账号：合同期满（加宽限期）自动失效，并限时共享本项目")
def provision_evaluators(ctx: HandlerContext) -> dict:
    """Evaluator accounts of `evaluator_org` expire at the end of `contract_to` plus the
    setting evaluator_access_grace_days; the project case is shared with the organisation
    until then (evaluators see only what is shared with them, §1.4 rule 6)."""
    org = ctx.data.get("evaluator_org")
    contract_to = ctx.data.get("contract_to")
    group = ctx.session.scalar(select(Group).where(Group.code == str(org or "")))
    if group is None or not contract_to:
        raise InvalidInputError("评估机构或合同期限缺失 (evaluator_org / contract_to missing)")
    end = deadlines.parse_instant(contract_to) + timedelta(days=1)
    until = end + timedelta(days=int(ctx.setting("evaluator_access_grace_days", 30)))
    accounts = []
    for user in identity.group_members(ctx.session, group.code):
        if "evaluator" in user.roles:
            user.valid_until = until
            accounts.append(user.username)
    ctx.session.add(
        CaseParticipant(
            instance_id=ctx.instance.id,
            group_code=group.code,
            reason="evaluator",
            created_by=ctx.actor,
            expires_at=until,
        )
    )
    audit.append(
        ctx.session,
        "evaluator_access",
        actor=ctx.actor,
        instance_id=ctx.instance.id,
        details={"group": group.code, "accounts": accounts, "until": until},
    )
    return {"evaluator_access_until": until.isoformat(), "evaluator_accounts": accounts}


def _agency(ctx: HandlerContext) -> str:
    target = ctx.data.get("target")
    agency = target.get("agency") if isinstance(target, dict) else target
    if not agency:
        raise InvalidInputError("no evaluated unit (element variable `target`) in this step")
    return str(agency)


@handler("recordAgencyResult", "记录一个被评估单位在本环节的结果（多实例中每个单位一份）")
def record_agency_result(ctx: HandlerContext) -> dict:
    """Keep what one unit's instance entered (the variables named in the field `fields`)
    under a variable of its own, eval_<stage>__<unit>: parallel instances of a
    multi-instance step then never overwrite each other's results."""
    stage = str(ctx.params.get("stage") or "result")
    names = [n.strip() for n in str(ctx.params.get("fields") or "").split(",") if n.strip()]
    return {f"eval_{stage}__{_agency(ctx)}": {n: ctx.data.get(n) for n in names}}


@handler("collectAgencyResults", "把各被评估单位在本环节的结果汇总到 eval_targets")
def collect_agency_results(ctx: HandlerContext) -> dict:
    stage = str(ctx.params.get("stage") or "result")
    targets = []
    for target in ctx.data.get("eval_targets") or []:
        merged = dict(target)
        merged.update(ctx.data.get(f"eval_{stage}__{target['agency']}") or {})
        targets.append(merged)
    return {"eval_targets": targets}
