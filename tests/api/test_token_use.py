"""A token's last use: recorded by reads and failed requests alike, at most once a minute."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import ApiToken
from marketplace.accounts.services import issue_token, record_token_use
from marketplace.core.timeutil import utcnow
from tests import factories


def _caller(db):
    user = factories.user_with_role("buyer")
    token, plaintext = issue_token(user, "use", actor=user)
    db.session.flush()
    return token, {"Authorization": f"Bearer {plaintext}"}


def test_a_read_records_the_use_and_keeps_it(client, db):
    token, headers = _caller(db)
    assert token.last_used_at is None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id))
    assert first is not None and utcnow() - first < timedelta(seconds=30)


def test_use_is_written_at_most_once_a_minute(client, db):
    token, headers = _caller(db)
    client.get("/api/v1/me", headers=headers)
    first = db.session.get(ApiToken, token.id).last_used_at
    client.get("/api/v1/contracts", headers=headers)
    assert db.session.get(ApiToken, token.id).last_used_at == first
    token = db.session.get(ApiToken, token.id)
    token.last_used_at = utcnow() - timedelta(minutes=2)
    db.session.flush()
    client.get("/api/v1/me", headers=headers)
    assert utcnow() - db.session.get(ApiToken, token.id).last_used_at < timedelta(seconds=30)


def test_a_failed_request_keeps_the_record_of_use(client, db):
    token, headers = _caller(db)
    response = client.post("/api/v1/demands", json={"title": ""}, headers=headers)
    assert response.status_code == 422
    assert db.session.get(ApiToken, token.id).last_used_at is not None


def test_the_conditional_update_writes_once(db):
    token, _headers = _caller(db)
    now = utcnow()
    assert record_token_use(token.id, now) is True
    assert record_token_use(token.id, now + timedelta(seconds=59)) is False
    assert record_token_use(token.id, now + timedelta(seconds=61)) is True
