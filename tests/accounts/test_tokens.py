"""API tokens: issued once in plaintext, stored as a hash, revocable."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from marketplace.accounts.models import ApiToken
from marketplace.accounts.services import issue_token, revoke_token, user_for_token

from ..factories import UserFactory


def test_token_is_stored_only_as_a_hash(db):
    user = UserFactory()
    token, plaintext = issue_token(user, "CRM", actor=user)
    assert plaintext.startswith("tm_") and len(plaintext) > 40
    assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in {token.name, token.token_hash, token.prefix}
    assert user_for_token(plaintext) == user
    assert user_for_token(plaintext + "x") is None
    revoke_token(token, actor=user)
    assert user_for_token(plaintext) is None


def test_issue_and_revoke_on_the_account_page(client, db, login_as):
    user = login_as("seller")
    response = client.post("/account/tokens", data={"name": "我们的CRM"})
    page = response.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.name == "我们的CRM"
    shown = page.split('id="new-token">')[1].split("<")[0]
    assert user_for_token(shown) == user
    # Shown once: the account page does not show it again.
    assert shown not in client.get("/account").get_data(as_text=True)
    client.post(f"/account/tokens/{token.id}/revoke")
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(client, db, login_as):
    other = UserFactory()
    token, _ = issue_token(other, "x", actor=other)
    login_as("buyer")
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert token.revoked_at is None


def test_cli_issues_a_token(app, db):
    user = UserFactory(email="cli@example.cn")
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["tokens", "issue", "cli@example.cn"])
    assert result.exit_code == 0, result.output
    assert user_for_token(result.output.strip()) == user
