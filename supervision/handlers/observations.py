"""`recordObservationReply`: hand the feedback of the triage process to the filer."""

from __future__ import annotations

from supervision import observations
from supervision.engine import HandlerContext
from supervision.handlers import handler


@handler("recordObservationReply", "把反馈意见写入特邀监督员的意见记录（监督员可见）")
def record_observation_reply(ctx: HandlerContext) -> dict:
    observation_id = ctx.params.get("observation_id") or ctx.data.get("observation_id")
    text = ctx.params.get("text") or ctx.data.get("feedback_text")
    row = observations.record_reply(
        ctx.session, int(observation_id), str(text or ""), actor=ctx.actor
    )
    return {"feedback_at": row.replied_at.isoformat() if row.replied_at else None}


@handler("setObservationStatus", "更新特邀监督员意见的状态（已研判/已办结）")
def set_observation_status(ctx: HandlerContext) -> dict:
    observation_id = ctx.params.get("observation_id") or ctx.data.get("observation_id")
    observations.set_status(ctx.session, int(observation_id), str(ctx.params.get("status")))
    return {}
