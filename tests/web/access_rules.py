"""Who may use each route: the expectations of tests/web/test_authz_matrix.py.

Every route of the app needs a rule here, keyed by (HTTP method, endpoint); the matrix
fails on any route without one, so a new page cannot ship without someone deciding who
may open it. A rule names the users (one per role, see tests/web/org.py: BY_ROLE, plus
"other_county", a supervisor of 利州区, and "anonymous") who get through; everybody else
must be refused (401, 403, 404, or a redirect to the login page). The routes are called
with the ids of the matrix's scenario (PARAMS below): case A is a city case of
市市场监管局 after 登记, with 经费审查 (city_supervisors) and 执法机关核查 (city_market) open.

Routes under /engine-rest and /api/ take credentials, never the browser session, so with
only a session every user gets 401 (`API`); list public API routes in PUBLIC_API.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = (
    "anonymous",
    "hotline_operator",
    "supervisor",
    "section_chief",
    "bureau_leader",
    "bureau_handler",
    "bureau_head",
    "special_supervisor",
    "evaluator",
    "liaison",
    "designer",
    "admin",
    "other_county",
)


@dataclass(frozen=True)
class Access:
    allowed: frozenset[str] = frozenset()
    public: bool = False  # anyone at all; only "no server error" is checked
    api: bool = False  # credentials only: a browser session gets 401


def only(*roles: str) -> Access:
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return Access(frozenset(roles))


PUBLIC = Access(public=True)
API = Access(api=True)
LOGGED_IN = only(*(r for r in ROLES if r != "anonymous"))
SUPERVISION = ("supervisor", "section_chief", "bureau_leader")
CHIEFS = ("section_chief", "bureau_leader")
BUREAU = ("bureau_handler", "bureau_head")
TASK_WORKERS = (
    *SUPERVISION,
    *BUREAU,
    "special_supervisor",
    "evaluator",
    "liaison",
    "other_county",
)
CASE_READERS = (*TASK_WORKERS, "hotline_operator")

RULES: dict[tuple[str, str], Access] = {
    # ---- frame
    ("GET", "static"): PUBLIC,
    ("GET", "auth.login"): PUBLIC,
    ("POST", "auth.login"): PUBLIC,
    ("POST", "auth.set_language"): PUBLIC,
    ("POST", "auth.logout"): LOGGED_IN,
    ("GET", "auth.home"): LOGGED_IN,
    # Camunda Modeler's discovery of the engine (no data in it)
    ("GET", "camunda_wellknown.webapps"): PUBLIC,
    # ---- inbox and task page (task = 经费审查, offered to city_supervisors)
    ("GET", "tasks.inbox"): only(*TASK_WORKERS),
    ("GET", "tasks.show"): only(*SUPERVISION),
    ("POST", "tasks.claim"): only(*SUPERVISION),
    ("POST", "tasks.unclaim"): only(*SUPERVISION),
    ("POST", "tasks.assign"): only(*CHIEFS),
    ("POST", "tasks.complete"): only(*SUPERVISION),
    ("POST", "tasks.comment"): only(*SUPERVISION),
    ("POST", "tasks.upload"): only(*SUPERVISION),
    # ---- cases (case A: city region; the bureau takes part through 执法机关核查)
    ("GET", "cases.index"): only(*CASE_READERS),
    ("GET", "cases.show"): only(*SUPERVISION, *BUREAU),
    ("POST", "cases.personal"): only(*SUPERVISION),
    ("POST", "cases.comment"): only(*SUPERVISION, *BUREAU),
    ("POST", "cases.cancel"): only(*CHIEFS),
    ("POST", "cases.share"): only(*SUPERVISION),
    ("POST", "cases.retry"): only(*CHIEFS),
    # attachment = uploaded by the bureau on 执法机关核查
    ("GET", "cases.attachment"): only(*SUPERVISION, *BUREAU),
    # ---- statistics (scoped to the reader's region by the service)
    ("GET", "stats.index"): only(*SUPERVISION, "admin", "other_county"),
    ("GET", "stats.export"): only(*SUPERVISION, "admin", "other_county"),
    # ---- process designer pages (definition:read for designers and administrators)
    ("GET", "designer.index"): only("designer", "admin"),
    ("GET", "designer.process"): only("designer", "admin"),
    ("GET", "designer.definition"): only("designer", "admin"),
    ("GET", "designer.xml"): only("designer", "admin"),
    ("GET", "designer.deploy"): only("designer"),
    ("POST", "designer.deploy"): only("designer"),
    ("GET", "designer.start"): only("designer"),
    ("POST", "designer.start"): only("designer"),
    # ---- notifications: each user's own; operations: the administrator; /metrics from
    # this machine or with the metrics token (tests/worker/test_views.py checks both)
    ("GET", "notifications.index"): LOGGED_IN,
    ("GET", "notifications.count"): LOGGED_IN,
    ("POST", "notifications.read"): LOGGED_IN,
    ("POST", "notifications.read_all"): LOGGED_IN,
    ("GET", "operations.index"): only("admin"),
    ("POST", "operations.retry"): only("admin"),
    ("POST", "operations.requeue"): only("admin"),
    ("GET", "operations.prometheus"): PUBLIC,
    # ---- hotline intake (the operator's centre) and observations (invited supervisors
    # file, supervisors of the region look on). The scenario has no ticket and no
    # observation, so their detail pages answer 404 to everyone here; tests/web/
    # test_intake.py and test_observations.py check who sees an existing one.
    ("GET", "intake.index"): only("hotline_operator"),
    ("GET", "intake.new"): only("hotline_operator"),
    ("POST", "intake.new"): only("hotline_operator"),
    ("GET", "intake.ticket"): only(),
    ("GET", "observations.index"): only(*SUPERVISION, "special_supervisor", "other_county"),
    ("GET", "observations.new"): only("special_supervisor"),
    ("POST", "observations.new"): only("special_supervisor"),
    ("GET", "observations.show"): only(),
    # ---- administration: the administrator only (who holds every admin:* permission)
    **{
        (method, f"admin.{name}"): only("admin")
        for method, name in [
            ("GET", "index"),
            ("GET", "audit"),
            ("POST", "audit_verify"),
            ("GET", "calendar"),
            ("GET", "calendar_year"),
            ("POST", "calendar_year"),
            ("GET", "groups"),
            ("GET", "group_new"),
            ("POST", "group_new"),
            ("GET", "group_edit"),
            ("POST", "group_edit"),
            ("POST", "group_active"),
            ("GET", "settings"),
            ("POST", "setting_change"),
            ("GET", "tokens"),
            ("POST", "token_revoke"),
            ("GET", "users"),
            ("GET", "user_new"),
            ("POST", "user_new"),
            ("GET", "user_edit"),
            ("POST", "user_edit"),
            ("POST", "user_active"),
            ("POST", "user_password"),
            ("POST", "token_create"),
        ]
    },
}

# API routes that answer without credentials (documentation, discovery).
PUBLIC_API: set[tuple[str, str]] = {
    ("GET", "api_docs.index"),
    ("GET", "api_docs.page"),
    ("GET", "api_docs.openapi_json"),
}


# Where two pages use one parameter name for different things.
ENDPOINT_PARAMS: dict[str, dict[str, object]] = {
    "designer.process": {"key": "review_parallel"},
}


def params(ids) -> dict[str, object]:
    """Values for the URL parameters of every route, from the matrix's scenario."""
    return {
        "definition_id": ids.definition,
        "case_id": ids.case_a,
        "task_id": ids.finance_task,
        "attachment_id": ids.attachment,
        "incident_id": ids.incident,
        "filename": "css/app.css",
        "username": "market1",
        "code": "city_market",
        "year": 2026,
        "key": "sign_for_workdays",
        "token_id": ids.token,
        "ticket_no": "GY-NONE-0001",
        "observation_id": 1,
    }


def foreign_params(ids) -> dict[str, object]:
    """The same parameters pointing at case B, of 昭化区: nothing of it may leak to 利州区."""
    return {
        "definition_id": ids.definition,
        "case_id": ids.case_b,
        "task_id": ids.case_b_task,
        "attachment_id": ids.case_b_attachment,
        "incident_id": ids.case_b_incident,
        "filename": "css/app.css",
        "username": "zhaohua1",
        "code": "zhaohua_supervisors",
        "year": 2026,
        "key": "sign_for_workdays",
        "token_id": ids.token,
        "ticket_no": "GY-NONE-0001",
        "observation_id": 1,
    }
