"""Every model, importable from one place (Alembic's autogenerate needs them all loaded)."""

from db.models.calendar import CalendarDay
from db.models.calendar import CalendarYear
from db.models.content import Attachment
from db.models.content import Document
from db.models.content import HotlineTicket
from db.models.content import NumberSequence
from db.models.content import Observation
from db.models.definitions import Deployment
from db.models.definitions import DeploymentResource
from db.models.definitions import ProcessDefinition
from db.models.history import AuditEvent
from db.models.history import AuditStream
from db.models.history import Comment
from db.models.history import HistoricActivity
from db.models.history import HistoricTask
from db.models.identity import ApiToken
from db.models.identity import Group
from db.models.identity import LoginAttempt
from db.models.identity import Membership
from db.models.identity import Setting
from db.models.identity import User
from db.models.identity import UserRole
from db.models.instances import CaseParticipant
from db.models.instances import EventSubscription
from db.models.instances import Incident
from db.models.instances import OpenTask
from db.models.instances import PendingMessage
from db.models.instances import ProcessInstance
from db.models.instances import TaskCandidate
from db.models.notifications import Notification
from db.models.notifications import OutboxMessage
from db.models.operations import TimerStartSchedule
from db.models.operations import WorkerHeartbeat

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "AuditStream",
    "CalendarDay",
    "CalendarYear",
    "CaseParticipant",
    "Comment",
    "Deployment",
    "DeploymentResource",
    "Document",
    "EventSubscription",
    "Group",
    "HistoricActivity",
    "HistoricTask",
    "HotlineTicket",
    "Incident",
    "LoginAttempt",
    "Membership",
    "NumberSequence",
    "Notification",
    "Observation",
    "OpenTask",
    "OutboxMessage",
    "PendingMessage",
    "ProcessDefinition",
    "ProcessInstance",
    "Setting",
    "TaskCandidate",
    "TimerStartSchedule",
    "User",
    "UserRole",
    "WorkerHeartbeat",
]
