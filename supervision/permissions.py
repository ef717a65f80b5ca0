"""Roles and the permissions they grant ("<resource>:<action>")."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    HOTLINE_OPERATOR = "hotline_operator"
    SUPERVISOR = "supervisor"
    SECTION_CHIEF = "section_chief"
    BUREAU_LEADER = "bureau_leader"
    BUREAU_HANDLER = "bureau_handler"
    BUREAU_HEAD = "bureau_head"
    SPECIAL_SUPERVISOR = "special_supervisor"
    EVALUATOR = "evaluator"
    LIAISON = "liaison"
    DESIGNER = "designer"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.HOTLINE_OPERATOR: ("12345热线话务员", "Hotline operator"),
    Role.SUPERVISOR: ("行政执法监督人员", "Supervisor"),
    Role.SECTION_CHIEF: ("科长", "Section chief"),
    Role.BUREAU_LEADER: ("局领导", "Bureau leader"),
    Role.BUREAU_HANDLER: ("执法机关承办人", "Bureau handler"),
    Role.BUREAU_HEAD: ("执法机关负责人", "Bureau head"),
    Role.SPECIAL_SUPERVISOR: ("特邀行政执法监督员", "Special invited supervisor"),
    Role.EVALUATOR: ("第三方评估员", "Third-party evaluator"),
    Role.LIAISON: ("外部机关联络员", "Outside-organ liaison"),
    Role.DESIGNER: ("流程设计员", "Process designer"),
    Role.ADMIN: ("系统管理员", "Administrator"),
}


class Permission(StrEnum):
    ADMIN_AUDIT = "admin:audit"
    ADMIN_CALENDAR = "admin:calendar"
    ADMIN_GROUPS = "admin:groups"
    ADMIN_SETTINGS = "admin:settings"
    ADMIN_TOKENS = "admin:tokens"
    ADMIN_USERS = "admin:users"
    CASE_CANCEL = "case:cancel"
    CASE_INTAKE = "case:intake"
    CASE_READ = "case:read"
    CASE_SENSITIVE = "case:sensitive"
    CASE_SHARE = "case:share"
    CASE_START = "case:start"
    DEFINITION_DEPLOY = "definition:deploy"
    DEFINITION_READ = "definition:read"
    DEFINITION_TEST = "definition:test"
    INCIDENT_RETRY = "incident:retry"
    MESSAGE_SEND = "message:send"
    OBSERVATION_FILE = "observation:file"
    OBSERVATION_TRIAGE = "observation:triage"
    STATS_READ = "stats:read"
    TASK_ASSIGN = "task:assign"
    TASK_WORK = "task:work"


P = Permission
_SUPERVISION = {
    P.CASE_READ,
    P.CASE_START,
    P.TASK_WORK,
    P.CASE_SHARE,
    P.CASE_SENSITIVE,
    P.OBSERVATION_TRIAGE,
    P.STATS_READ,
    P.MESSAGE_SEND,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.HOTLINE_OPERATOR: frozenset({P.CASE_READ, P.CASE_INTAKE, P.MESSAGE_SEND}),
    Role.SUPERVISOR: frozenset(_SUPERVISION),
    Role.SECTION_CHIEF: frozenset(_SUPERVISION | {P.TASK_ASSIGN, P.CASE_CANCEL, P.INCIDENT_RETRY}),
    Role.BUREAU_LEADER: frozenset(_SUPERVISION | {P.TASK_ASSIGN, P.CASE_CANCEL, P.INCIDENT_RETRY}),
    Role.BUREAU_HANDLER: frozenset({P.CASE_READ, P.TASK_WORK}),
    Role.BUREAU_HEAD: frozenset({P.CASE_READ, P.TASK_WORK, P.TASK_ASSIGN}),
    Role.SPECIAL_SUPERVISOR: frozenset({P.CASE_READ, P.TASK_WORK, P.OBSERVATION_FILE}),
    Role.EVALUATOR: frozenset({P.CASE_READ, P.TASK_WORK}),
    Role.LIAISON: frozenset({P.CASE_READ, P.TASK_WORK, P.MESSAGE_SEND}),
    Role.DESIGNER: frozenset(
        {P.DEFINITION_READ, P.DEFINITION_DEPLOY, P.DEFINITION_TEST, P.INCIDENT_RETRY}
    ),
    Role.ADMIN: frozenset(
        {
            P.ADMIN_AUDIT,
            P.ADMIN_CALENDAR,
            P.ADMIN_GROUPS,
            P.ADMIN_SETTINGS,
            P.ADMIN_TOKENS,
            P.ADMIN_USERS,
            P.DEFINITION_READ,
            P.INCIDENT_RETRY,
            P.STATS_READ,
            P.CASE_CANCEL,
        }
    ),
}

# Roles that see every case of their region (downward), not only the ones they take part in.
REGIONAL_ROLES = frozenset({Role.SUPERVISOR, Role.SECTION_CHIEF, Role.BUREAU_LEADER})


def permissions_for(roles) -> frozenset[Permission]:
    result: set[Permission] = set()
    for role in roles:
        try:
            result |= ROLE_PERMISSIONS[Role(role)]
        except ValueError:
            continue
    return frozenset(result)


def valid_role(name: str) -> bool:
    return name in Role._value2member_map_
