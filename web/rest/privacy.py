"""The complainant's personal data through the API: masked unless the reader may see it.

Who may see it is supervision.authz.can_see_personal (domain.md §1.4 rule 5: supervisors;
a bureau only when the supervisor shared the contact); everyone else gets masked values.
Each read of the
unmasked data is written to the audit trail, and a client that echoes masked values back
(for example a generic task list submitting every form variable) does not overwrite the
real data with the mask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from db.models import ProcessInstance
from db.models import User
from supervision import audit
from supervision import authz
from supervision.errors import NotAllowedError
from supervision.intake import mask_id
from supervision.intake import mask_name
from supervision.intake import mask_phone
from supervision.permissions import Permission

PERSONAL_PREFIX = "complainant_"


def is_personal(name: str) -> bool:
    return name.startswith(PERSONAL_PREFIX)


def may_see(user: User, variables: Mapping[str, Any]) -> bool:
    return authz.can_see_personal(user, dict(variables))


def mask(name: str, value: Any) -> Any:
    if value in (None, ""):
        return value
    if not isinstance(value, str):
        return "***"
    if name.endswith("_phone"):
        return mask_phone(value)
    if name.endswith("_id_no"):
        return mask_id(value)
    if name.endswith("_name"):
        return mask_name(value)
    return value[:1] + "***" if len(value) > 1 else "***"


def visible(
    session: Session,
    user: User,
    instance: ProcessInstance,
    variables: Mapping[str, Any],
    *,
    via: str,
) -> dict[str, Any]:
    """`variables` as `user` may read them; audits a disclosure of personal data."""
    full = instance.variables or {}
    result = dict(variables)
    personal = [n for n, v in result.items() if is_personal(n) and v not in (None, "")]
    if not personal:
        return result
    if may_see(user, full):
        audit.append(
            session,
            "personal_data_read",
            actor=user.username,
            instance_id=instance.id,
            details={"fields": sorted(personal), "via": via},
        )
        # Written now, inside the view, so that a write conflict is retried there.
        session.flush()
        return result
    for name in personal:
        result[name] = mask(name, result[name])
    return result


def guard_writes(
    user: User, instance: ProcessInstance, submitted: Mapping[str, Any]
) -> dict[str, Any]:
    """Drop echoed masks; refuse a real change of personal data by someone who cannot see it."""
    current = instance.variables or {}
    if may_see(user, current):
        return dict(submitted)
    result = {}
    for name, value in submitted.items():
        if is_personal(name):
            if value == current.get(name) or value == mask(name, current.get(name)):
                continue
            raise NotAllowedError(
                f"您不能修改诉求人个人信息 (you may not change the complainant's data: {name})",
                permission=str(Permission.CASE_SENSITIVE),
            )
        result[name] = value
    return result
