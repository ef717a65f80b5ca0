"""Case-level handlers the flows share: defaults, related cases, alerts, messages,
jurisdiction and escalation (domain.md §1.4, §2.1, §2.3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy import update

from db.models import CaseParticipant
from db.models import Group
from db.models import HotlineTicket
from db.models import OpenTask
from supervision import audit
from supervision import clock
from supervision.engine import HandlerContext
from supervision.engine import MessageEvent
from supervision.errors import InvalidInputError
from supervision.handlers import handler

# What a hand-down or a split copies when the diagram says copy="intake".
INTAKE_VARIABLES = (
    "hotline_ticket_no",
    "source_channel",
    "dispatched_at",
    "request_type",
    "hotline_due_date",
    "case_due_at",
    "urgency",
    "is_anonymous",
    "complainant_name",
    "complainant_id_no",
    "complainant_phone",
    "complainant_address",
    "confidentiality_requested",
    "callback_consent",
    "respondent_agency_id",
    "act_type",
    "issue_type",
    "incident_date",
    "incident_location",
    "division_code",
    "complaint_text",
    "requested_outcome",
    "case_title",
)
ALERT_LEVELS = ("yellow", "red", "escalated", "hotline_warning", "hotline_due")


def _group(ctx: HandlerContext, code: Any) -> Group | None:
    if not code:
        return None
    return ctx.session.scalar(select(Group).where(Group.code == str(code)))


def _names(text: Any) -> list[str]:
    return [n.strip() for n in str(text or "").replace("，", ",").split(",") if n.strip()]


@handler("setDefaults", "为尚未赋值的变量设置默认值（字段：变量名 = 默认值表达式）")
def set_defaults(ctx: HandlerContext) -> dict:
    """Give each field's variable the field's value unless the case already has one.

    Gateways read these variables; a form that was not sent, or a ticket without the
    field, then still yields a definite value instead of a failed condition. Write the
    value as an expression to keep its type: ${false}, ${0}, ${'normal'}.
    """
    return {k: v for k, v in ctx.params.items() if ctx.data.get(k) is None}


@handler("sendMessage", "发送消息：给等待中的相关案件、以消息启动的流程，或外部系统（发件箱）")
def send_message(ctx: HandlerContext) -> dict:
    """Throw the message named by the field `message` carrying the variables named in the
    field `variables` (comma separated; input parameters of the task count as variables),
    routed like any thrown message (supervision.messages.route_thrown): to a waiting
    related case, to a process that starts with it, or to the outbox for outside systems.
    The optional field `share_with` (a group code) lets the receiving organ follow the case.
    """
    from supervision import messages

    name = ctx.params.get("message")
    if not name:
        raise InvalidInputError("sendMessage needs the field `message` (the message name)")
    payload = {n: ctx.data.get(n) for n in _names(ctx.params.get("variables"))}
    event = MessageEvent(
        name=str(name),
        payload=None,
        variables=payload,
        instance_id=ctx.instance.id,
        business_key=ctx.instance.business_key,
    )
    messages.route_thrown(ctx.session, ctx.engine, event, None)
    recipient = ctx.params.get("share_with")
    if recipient:
        # The receiving organ's liaisons answer by message about this case (receipts,
        # decisions, feedback), so they may follow it from now on (§1.4 rule 6).
        ctx.session.add(
            CaseParticipant(
                instance_id=ctx.instance.id,
                group_code=str(recipient),
                reason="recipient",
                created_by=ctx.actor,
            )
        )
    return {}


@handler("startRelatedCase", "发起关联案件（交办下级、拆分诉求等），记录上下级关系")
def start_related_case(ctx: HandlerContext) -> dict:
    """Start the latest version of the process `process` as a case related to this one.

    Fields: `process`, `relation` (handed_down, split ...), `copy` (comma separated names
    of the variables the new case gets; "intake" stands for the intake fields). Input
    parameters of the task override copied values (e.g. owner_unit_id of the county).
    A hand-down also moves the 12345 ticket to the new case, so the hotline's callback
    reaches the body that now handles it.
    """
    from supervision import cases

    process = ctx.params.get("process")
    relation = str(ctx.params.get("relation") or "related")
    if not process:
        raise InvalidInputError("startRelatedCase needs the field `process`")
    names: list[str] = []
    for name in _names(ctx.params.get("copy")):
        names.extend(INTAKE_VARIABLES if name == "intake" else [name])
    variables = {n: ctx.data[n] for n in names if n in ctx.data}
    variables["parent_case_no"] = ctx.data.get("case_no")
    result = cases.start_case(
        ctx.session,
        ctx.engine,
        None,
        key=str(process),
        business_key=ctx.instance.business_key,
        variables=variables,
        parent_instance_id=ctx.instance.id,
        relation=relation,
    )
    child = result.instance
    if relation == "handed_down":
        _move_ticket(ctx, child.id)
    audit.append(
        ctx.session,
        "related_case",
        actor=ctx.actor,
        instance_id=ctx.instance.id,
        details={"relation": relation, "case_id": child.id, "case_no": child.case_no},
    )
    return {f"{relation}_case_id": child.id, f"{relation}_case_no": child.case_no}


def _move_ticket(ctx: HandlerContext, child_id: str) -> None:
    ticket = ctx.session.scalar(
        select(HotlineTicket).where(HotlineTicket.instance_id == ctx.instance.id)
    )
    if ticket is None:
        return
    ticket.instance_id = child_id
    # The hotline centre that registered the ticket keeps following it.
    for row in ctx.session.scalars(
        select(CaseParticipant).where(
            CaseParticipant.instance_id == ctx.instance.id, CaseParticipant.reason == "intake"
        )
    ).all():
        ctx.session.add(
            CaseParticipant(
                instance_id=child_id,
                group_code=row.group_code,
                username=row.username,
                reason="intake",
                created_by=row.created_by,
            )
        )


@handler("raiseAlert", "时限预警：黄牌/红牌/升级，标记相关待办并记录")
def raise_alert(ctx: HandlerContext) -> dict:
    """Flag a deadline: field `level` (yellow, red, escalated, hotline_warning,
    hotline_due); `activities` (comma separated task ids whose open tasks get the card);
    `variable` (default alert_level). Red and escalated count as reminders (催办次数).
    """
    level = str(ctx.params.get("level") or "")
    if level not in ALERT_LEVELS:
        raise InvalidInputError(f"raiseAlert level must be one of {', '.join(ALERT_LEVELS)}")
    activities = [a.strip() for a in str(ctx.params.get("activities") or "").split(",")]
    activities = [a for a in activities if a]
    if activities and level in ("yellow", "red", "escalated"):
        ctx.session.execute(
            update(OpenTask)
            .where(OpenTask.instance_id == ctx.instance.id, OpenTask.task_spec_id.in_(activities))
            .values(alert_level=level)
            .execution_options(synchronize_session=False)
        )
    variable = str(ctx.params.get("variable") or "alert_level")
    result: dict[str, Any] = {variable: level, f"{variable}_at": clock.local_now().isoformat()}
    if level in ("red", "escalated"):
        result["reminder_count"] = int(ctx.data.get("reminder_count") or 0) + 1
    audit.append(
        ctx.session,
        "alert",
        actor="timer",
        instance_id=ctx.instance.id,
        activity_id=ctx.activity_id,
        details={"level": level, "activities": activities},
    )
    return result


def supervision_unit_for(session, group: Group | None) -> str | None:
    """The body that supervises `group` (§1.4 rule 1): a city department or a county
    government → the city; a county department or a township → that county."""
    if group is None or not group.region_code:
        return None
    region = group.region_code[:6]
    city = region[:4] + "00"
    if group.level == "city" or (group.kind == "government" and group.level == "county"):
        target = f"jdk_{city}"
    else:
        target = f"jdk_{region}"
    exists = session.scalar(select(Group.code).where(Group.code == target))
    return exists


@handler(
    "resolveJurisdiction", "确定管辖：被投诉单位的层级、主管监督机构、是否交办下级、是否垂直管理"
)
def resolve_jurisdiction(ctx: HandlerContext) -> dict:
    respondent = _group(ctx, ctx.data.get("respondent_agency_id"))
    owner = _group(ctx, ctx.data.get("owner_unit_id"))
    responsible = supervision_unit_for(ctx.session, respondent)
    order = {"province": 0, "city": 1, "county": 2, "township": 3}
    hand_down = bool(
        responsible
        and owner is not None
        and responsible != owner.code
        and order.get(_group(ctx, responsible).level, 9) > order.get(owner.level, 9)
    )
    vertical = bool(ctx.data.get("respondent_is_vertical")) or (
        respondent is not None and respondent.kind == "vertical"
    )
    return {
        "jurisdiction_level": respondent.level if respondent is not None else None,
        "responsible_unit_id": responsible,
        "hand_down": hand_down and not vertical,
        "respondent_is_vertical": vertical,
    }


@handler("escalateCase", "提级监督：案件改由上一级监督机构主管，原机构保留查阅")
def escalate_case(ctx: HandlerContext) -> dict:
    """提级监督 (S1 art. 20 ¶3): ownership moves up; the case keeps its number; the
    former owner keeps read access (§1.4 rule 3)."""
    current = _group(ctx, ctx.data.get("owner_unit_id"))
    if current is None:
        raise InvalidInputError("案件没有主管监督机构 (the case has no owner unit)")
    target = ctx.params.get("to") or f"jdk_{current.region_code[:4]}00"
    upper = _group(ctx, target)
    if upper is None or upper.code == current.code:
        raise InvalidInputError(f"无法提级到 {target} (cannot escalate to {target})")
    ctx.session.add(
        CaseParticipant(
            instance_id=ctx.instance.id,
            group_code=current.code,
            reason="escalated_from",
            created_by=ctx.actor,
        )
    )
    audit.append(
        ctx.session,
        "escalate",
        actor=ctx.actor,
        instance_id=ctx.instance.id,
        details={"from": current.code, "to": upper.code},
    )
    return {
        "owner_unit_id": upper.code,
        "escalated_from_unit_id": current.code,
        "escalated_at": clock.local_now().isoformat(timespec="seconds"),
    }
