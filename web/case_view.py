"""What the case and task pages show about a case: summary, parties, timeline, diagram.

Personal data of the complainant is always masked here; the full values are shown only on
request (web/views/cases.py: personal) to users `authz.can_see_personal` allows, and that
view is audited. Field ids in history are shown with the labels of the forms that set them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Attachment
from db.models import AuditEvent
from db.models import Comment
from db.models import Document
from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessDefinition
from db.models import ProcessInstance
from db.models import User
from supervision import audit
from supervision import authz
from supervision import diagram
from supervision import intake
from supervision.engine import WorkflowEngine
from supervision.errors import SupervisionError
from supervision.forms import FormField
from supervision.permissions import Permission
from web.i18n import lang
from web.lookups import display_names
from web.lookups import group_names

PERSONAL_FIELDS = (*intake.PERSONAL_FIELDS, "complainant_email")
MASKS = {
    "complainant_phone": intake.mask_phone,
    "complainant_id_no": intake.mask_id,
    "complainant_name": intake.mask_name,
}

STATUS_LABELS = {
    "active": _l("办理中"),
    "completed": _l("已办结"),
    "cancelled": _l("已撤销"),
    "suspended": _l("已挂起"),
}
STATUS_BADGES = {"active": "blue", "completed": "green", "cancelled": "grey", "suspended": "grey"}
# End states of the flows (domain.md §2.1.4 and the other flows' case_status values).
CASE_STATUS_LABELS = {
    "RETURNED": _l("已退单"),
    "NOT_ACCEPTED_NOTIFIED": _l("不予受理-已告知"),
    "REDIRECTED_REVIEW_LITIGATION": _l("已引导复议/诉讼"),
    "HANDED_DOWN": _l("已交办下级"),
    "VERTICAL_NOTIFIED": _l("已函告上级主管部门"),
    "CLOSED_SATISFIED": _l("办结-满意"),
    "CLOSED_EXPLAINED": _l("办结-不满意已说明"),
    "MERGED": _l("已并单"),
    "ESCALATED_TO_P3": _l("转重点监督"),
}
ACTION_LABELS = {
    "start": _l("发起案件"),
    "complete": _l("完成任务"),
    "claim": _l("签收任务"),
    "unclaim": _l("退回签收"),
    "assign": _l("分派任务"),
    "comment": _l("添加评论"),
    "attachment": _l("上传附件"),
    "message": _l("收到消息"),
    "message_kept": _l("消息暂存待投递"),
    "timer": _l("期限到达"),
    "incident": _l("发生故障"),
    "retry": _l("重试故障步骤"),
    "cancel": _l("撤销案件"),
    "end": _l("案件结束"),
    "variables": _l("修改案件数据"),
    "share": _l("共享案件"),
    "task_update": _l("修改任务期限"),
    "deadline_extended": _l("延长期限"),
    "outbox_requeue": _l("重新发送外部消息"),
    "personal_data_view": _l("查看诉求人信息"),
}
RELATION_LABELS = {
    "called": _l("子流程"),
    "referral": _l("移送"),
    "hand_down": _l("交办下级"),
    "handed_down": _l("交办下级"),
    "document": _l("文书制发"),
    "observation": _l("监督意见"),
}
DOCUMENT_STATUS = {
    "draft": _l("草稿"),
    "signed": _l("已签发"),
    "issued": _l("已印发"),
    "served": _l("已送达"),
    "void": _l("已作废"),
}
MAX_SHOWN = 200


def status_label(instance: ProcessInstance) -> str:
    return str(STATUS_LABELS.get(instance.status, instance.status))


def case_status_label(code: str | None) -> str:
    if not code:
        return ""
    return str(CASE_STATUS_LABELS.get(code, code))


def relation_label(code: str | None) -> str:
    return str(RELATION_LABELS.get(code or "", code or _("关联案件")))


def is_personal(name: str) -> bool:
    return name in PERSONAL_FIELDS or name.startswith("complainant_")


def masked(name: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    mask = MASKS.get(name)
    if mask is not None:
        return mask(str(value))
    return "******"


# ---------------------------------------------------------------- who sees which part


@dataclass(frozen=True)
class Audience:
    """Which parts of a readable case a user sees (domain.md §1.4 rules 5-6).

    Supervision staff (case:sensitive) see the whole case. Everyone else who may read it
    (a bureau, an invited supervisor, an evaluator, a liaison) sees the case's summary and
    diagram, the documents, and only the steps, history, comments and attachments of the
    tasks offered to them or done by them: not the supervisors' internal work.
    """

    full: bool
    username: str
    task_ids: frozenset[str] = frozenset()

    def sees_task(self, task_id: str | None) -> bool:
        return self.full or (task_id is not None and task_id in self.task_ids)

    def sees_event(self, event: AuditEvent) -> bool:
        return (
            self.full
            or event.actor == self.username
            or self.sees_task(event.task_id)
            or event.action in ("start", "end", "cancel")
        )

    def sees_data_of(self, event: AuditEvent) -> bool:
        return self.full or event.actor == self.username or self.sees_task(event.task_id)

    def sees_comment(self, comment: Comment) -> bool:
        return self.full or comment.username == self.username or self.sees_task(comment.task_id)

    def sees_attachment(self, attachment: Attachment, document_files: set[str]) -> bool:
        return (
            self.full
            or attachment.uploaded_by == self.username
            or self.sees_task(attachment.task_id)
            or attachment.id in document_files
        )


def audience(session: Session, user: User, instance: ProcessInstance) -> Audience:
    if authz.has(user, Permission.CASE_SENSITIVE):
        return Audience(full=True, username=user.username)
    groups = user.group_codes
    mine: set[str] = set()
    for task_id, candidate_groups, candidate_users, assignee in session.execute(
        select(
            OpenTask.id, OpenTask.candidate_groups, OpenTask.candidate_users, OpenTask.assignee
        ).where(OpenTask.instance_id == instance.id)
    ):
        if (
            assignee == user.username
            or user.username in (candidate_users or [])
            or groups & set(candidate_groups or [])
        ):
            mine.add(task_id)
    for task_id, candidate_groups, assignee, completed_by in session.execute(
        select(
            HistoricTask.id,
            HistoricTask.candidate_groups,
            HistoricTask.assignee,
            HistoricTask.completed_by,
        ).where(HistoricTask.instance_id == instance.id)
    ):
        if user.username in (assignee, completed_by) or groups & set(candidate_groups or []):
            mine.add(task_id)
    return Audience(full=False, username=user.username, task_ids=frozenset(mine))


def document_file_ids(session: Session, instance: ProcessInstance) -> set[str]:
    return {
        a
        for a in session.scalars(
            select(Document.attachment_id).where(Document.instance_id == instance.id)
        )
        if a
    }


# ---------------------------------------------------------------- field labels and values


def form_fields(
    session: Session, engine: WorkflowEngine, instance: ProcessInstance, activity_ids: Iterable[str]
) -> dict[str, FormField]:
    """Field id -> field (label, options), from the intake form and the tasks' forms."""
    fields = {f.id: f for f in intake.INTAKE_FORM.fields}
    for activity_id in sorted({a for a in activity_ids if a}):
        try:
            view = engine.task_form(session, instance, instance.definition_key, activity_id)
        except SupervisionError:  # a timer, service task or message has no form
            continue
        for f in view.form.fields:
            fields.setdefault(f.id, f)
    return fields


def show_value(value: Any, f: FormField | None = None) -> str:
    """A variable's value as people read it (enum names, 是/否, lists joined)."""
    if value is None or value == "":
        return "—"
    if f is not None and f.type == "enum":
        names = {o.id: o.name for o in f.options}
        return names.get(str(value), str(value))
    if isinstance(value, bool) or (f is not None and f.type == "boolean"):
        truthy = value is True or str(value).lower() in ("true", "1", "on")
        return _("是") if truthy else _("否")
    if isinstance(value, list | tuple):
        return "、".join(show_value(v) for v in value) or "—"
    if isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


@dataclass
class Change:
    label: str
    value: str


def changes(
    values: Mapping[str, Any],
    fields: Mapping[str, FormField],
    units: Mapping[str, str] | None = None,
) -> list[Change]:
    result = []
    for name, value in values.items():
        f = fields.get(name)
        label = f.label if f is not None else name
        if is_personal(name):
            shown = masked(name, value)
        elif f is not None and f.type == "group" and units and isinstance(value, str):
            shown = units.get(value, value)
        else:
            shown = show_value(value, f)
        result.append(Change(label, shown))
    return result


def _unit_values(events: list[AuditEvent], fields: Mapping[str, FormField]) -> list[str]:
    """Every unit code the events' data names, to look their names up at once."""
    codes = []
    for event in events:
        details = event.details or {}
        values = details.get("values") or details.get("variables") or {}
        if isinstance(values, dict):
            for name, value in values.items():
                f = fields.get(name)
                if f is not None and f.type == "group" and isinstance(value, str):
                    codes.append(value)
    return codes


# ---------------------------------------------------------------- timeline


@dataclass
class Entry:
    at: Any
    actor: str
    action: str
    activity: str | None
    changes: list[Change] = field(default_factory=list)
    note: str | None = None


def audit_events(session: Session, instance: ProcessInstance) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.stream_key == audit.stream_for(instance.id))
            .order_by(AuditEvent.seq.desc())
        )
    )


def timeline(
    session: Session,
    engine: WorkflowEngine,
    instance: ProcessInstance,
    events: list[AuditEvent],
    activity_names: Mapping[str, str],
    viewer: Audience | None = None,
) -> list[Entry]:
    """Who did what when, newest first, with the data each step set."""
    if viewer is not None:
        events = [e for e in events if viewer.sees_event(e)]
    fields = form_fields(session, engine, instance, (e.activity_id for e in events))
    people = display_names(session, [e.actor for e in events] + _assignees(events))
    units = group_names(session, _unit_values(events, fields))
    entries = []
    for event in events:
        details = event.details or {}
        values = details.get("values") or details.get("variables") or {}
        entry = Entry(
            at=event.at,
            actor=people.get(event.actor, event.actor) if event.actor else _("系统"),
            action=str(ACTION_LABELS.get(event.action, event.action)),
            activity=details.get("name") or activity_names.get(event.activity_id or ""),
            changes=(
                changes(values, fields, units)
                if isinstance(values, dict) and (viewer is None or viewer.sees_data_of(event))
                else []
            ),
        )
        entry.note = _note(event, details, people)
        entries.append(entry)
    return entries


def _assignees(events: list[AuditEvent]) -> list[str]:
    names = []
    for e in events:
        for key in ("assignee", "previous_assignee", "username"):
            value = (e.details or {}).get(key)
            if isinstance(value, str):
                names.append(value)
    return names


def _note(event: AuditEvent, details: Mapping[str, Any], people: Mapping[str, str]) -> str | None:
    if event.action in ("comment", "incident"):
        return str(details.get("message") or "")
    if event.action == "cancel":
        return str(details.get("reason") or "")
    if event.action == "assign":
        who = details.get("assignee")
        return _("分派给 %(name)s", name=people.get(who, who)) if who else None
    if event.action == "unclaim" and details.get("previous_assignee"):
        who = details["previous_assignee"]
        return _("原签收人 %(name)s", name=people.get(who, who))
    if event.action == "attachment":
        return str(details.get("filename") or "")
    if event.action == "share":
        target = details.get("group") or details.get("username")
        return _("共享给 %(target)s", target=target) if target else None
    if event.action == "message":
        return str(details.get("name") or "")
    if event.action == "end" and details.get("case_status"):
        return case_status_label(details["case_status"])
    return None


# ---------------------------------------------------------------- diagram


@dataclass
class Diagram:
    svg: Markup | None
    error: str | None = None


def case_diagram(session: Session, engine: WorkflowEngine, instance: ProcessInstance) -> Diagram:
    """The case's BPMN with completed, active and failed elements highlighted."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    if definition is None:
        return Diagram(None, _("流程定义缺失"))
    state = engine.activity_state(session, instance)
    states: dict[str, str] = {}
    for name in ("completed", "cancelled", "active", "incident"):
        for element in getattr(state, name):
            states[element] = name
    try:
        svg = diagram.render_svg(
            definition.bpmn_xml,
            states=states,
            titles=dict(state.details),
            process_id=definition.key,
            lang=lang(),
        )
    except diagram.DiagramError as exc:
        return Diagram(None, _("无法显示流程图：%(reason)s", reason=str(exc)))
    # The renderer escapes every text it draws (see supervision.diagram).
    return Diagram(Markup(svg))


# ---------------------------------------------------------------- summary


@dataclass
class Summary:
    rows: list[tuple[str, str]]
    personal: list[tuple[str, str]]
    anonymous: bool
    has_personal: bool


SUMMARY_FIELDS = (
    ("source_channel", _l("来源渠道")),
    ("request_type", _l("诉求类型")),
    ("urgency", _l("紧急程度")),
    ("act_type", _l("执法行为类别")),
    ("issue_type", _l("问题类型")),
    ("incident_date", _l("事发时间")),
    ("incident_location", _l("事发地点")),
    ("hotline_ticket_no", _l("工单编号")),
)


def summary(session: Session, instance: ProcessInstance) -> Summary:
    variables = instance.variables or {}
    fields = {f.id: f for f in intake.INTAKE_FORM.fields}
    rows = []
    for name, label in SUMMARY_FIELDS:
        if variables.get(name) not in (None, ""):
            rows.append((str(label), show_value(variables[name], fields.get(name))))
    anonymous = variables.get("is_anonymous") in (True, "true")
    personal = []
    for name in PERSONAL_FIELDS:
        if variables.get(name) not in (None, ""):
            f = fields.get(name)
            personal.append((f.label if f else name, masked(name, variables[name])))
    return Summary(rows=rows, personal=personal, anonymous=anonymous, has_personal=bool(personal))


def personal_values(instance: ProcessInstance) -> list[tuple[str, str]]:
    """The complainant's data in full (only for users allowed; the caller audits it)."""
    variables = instance.variables or {}
    fields = {f.id: f for f in intake.INTAKE_FORM.fields}
    result = []
    for name in sorted(
        (n for n in variables if is_personal(n)),
        key=lambda n: (PERSONAL_FIELDS.index(n) if n in PERSONAL_FIELDS else 99, n),
    ):
        if variables.get(name) in (None, ""):
            continue
        f = fields.get(name)
        result.append((f.label if f else name, str(variables[name])))
    return result


def unit_codes(instance: ProcessInstance) -> list[str]:
    variables = instance.variables or {}
    return [
        c
        for c in (
            instance.bureau_code,
            instance.owner_group_code,
            variables.get("respondent_agency_id"),
            variables.get("target_agency_id"),
        )
        if isinstance(c, str) and c
    ]


def units(session: Session, instance: ProcessInstance) -> dict[str, str]:
    return group_names(session, unit_codes(instance))
