"""Identity: password checks (and their short memory for API clients) and API tokens."""

from __future__ import annotations

from supervision import identity
from tests.factories import PASSWORD
from tests.factories import make_org
from tests.factories import user


def test_a_remembered_password_stops_working_when_it_is_changed(runtime):
    identity.verified_passwords.clear()
    with runtime.sessions.begin() as s:
        make_org(s)
    with runtime.sessions() as s:
        assert identity.authenticate(s, "sup1", PASSWORD).username == "sup1"
        assert identity.verified_passwords.lookup("sup1", PASSWORD) is not None
        assert identity.authenticate(s, "sup1", "wrong password") is None
        assert identity.verified_passwords.lookup("sup1", "wrong password") is None
    with runtime.sessions.begin() as s:
        identity.set_password(s, user(s, "sup1"), "another-password-9", actor="admin")
    with runtime.sessions() as s:
        # The remembered pair no longer matches the stored hash: checked again, refused.
        assert identity.authenticate(s, "sup1", PASSWORD) is None
        assert identity.authenticate(s, "sup1", "another-password-9").username == "sup1"


def test_a_remembered_password_of_a_disabled_user_is_refused(runtime):
    identity.verified_passwords.clear()
    with runtime.sessions.begin() as s:
        make_org(s)
    with runtime.sessions() as s:
        assert identity.authenticate(s, "sup2", PASSWORD) is not None
    with runtime.sessions.begin() as s:
        user(s, "sup2").active = False
    with runtime.sessions() as s:
        assert identity.authenticate(s, "sup2", PASSWORD) is None


def test_tokens_resolve_to_their_user_until_revoked(runtime):
    with runtime.sessions.begin() as s:
        make_org(s)
        row, token = identity.create_token(s, user(s, "operator"), "hotline", actor="admin")
        token_id = row.id
    with runtime.sessions() as s:
        found = identity.user_for_token(s, token)
        assert found.username == "operator" and "hotline" in found.group_codes
        assert identity.user_for_token(s, token + "x") is None
    with runtime.sessions.begin() as s:
        identity.revoke_token(s, token_id, actor="admin")
    with runtime.sessions() as s:
        assert identity.user_for_token(s, token) is None
