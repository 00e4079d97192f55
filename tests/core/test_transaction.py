"""The transaction boundary: one commit per request, side effects after commit only.

A second app, built by the same factory, carries a few routes and a command
that do what real views and commands do (add a row, notify someone, then
succeed or be refused), so that the boundary is seen from the outside."""

from __future__ import annotations

import pytest
from flask import Blueprint, jsonify, redirect
from sqlalchemy import select

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.config import TestConfig
from marketplace.core.errors import Conflict
from marketplace.core.mail import ConsoleSender
from marketplace.core.transaction import after_commit, pending_after_commit
from marketplace.core.web import attempt
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notify

from .. import factories
from ..conftest import IsolatedClient


@pytest.fixture
def probe(app, db):
    """An app of the factory with probe routes and a command, and the e-mails it sends."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SQLALCHEMY_ENGINE_OPTIONS = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        UPLOAD_DIR = app.config["UPLOAD_DIR"]
        SEARCH_INDEX_DIR = app.config["SEARCH_INDEX_DIR"]

    fresh = create_app(Config)
    fresh.test_client_class = IsolatedClient
    bp = Blueprint("probe", __name__)

    def _notify(user_id: int) -> None:
        user = db.session.get(User, user_id)
        notify(user, "probe", "A probe message")

    @bp.post("/probe/<int:user_id>/ok")
    def ok(user_id):
        _notify(user_id)
        return jsonify({"ok": True})

    @bp.post("/probe/<int:user_id>/refused-web")
    def refused_web(user_id):
        def action():
            _notify(user_id)
            raise Conflict()

        attempt(action)
        return redirect("/")  # a refusal shown as a message, answered by a redirect

    @bp.post("/probe/<int:user_id>/refused-api")
    def refused_api(user_id):
        _notify(user_id)
        raise Conflict()  # the error handler answers 409

    @fresh.cli.command("probe-notify")
    def probe_notify():
        user = db.session.scalar(select(User).where(User.email == "cli@example.cn"))
        notify(user, "probe", "A probe message")
        db.session.commit()

    fresh.register_blueprint(bp)
    sender = ConsoleSender()
    fresh.extensions["mail_sender"] = sender
    fresh.sent = sender.outbox
    return fresh


def _notes(db, user) -> int:
    return len(db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all())


def test_a_successful_request_is_committed_and_then_sends_its_email(probe, db):
    user = factories.UserFactory(email="ok@example.cn")
    response = probe.test_client().post(f"/probe/{user.id}/ok")
    assert response.status_code == 200
    assert _notes(db, user) == 1  # committed by the boundary: the view did not commit
    assert [to for to, _subject, _body in probe.sent] == ["ok@example.cn"]


def test_a_refusal_shown_on_the_web_stores_and_sends_nothing(probe, db):
    user = factories.UserFactory(email="web@example.cn")
    response = probe.test_client().post(f"/probe/{user.id}/refused-web")
    assert response.status_code == 302
    assert _notes(db, user) == 0
    assert probe.sent == []


def test_a_refused_api_request_stores_and_sends_nothing(probe, db):
    user = factories.UserFactory(email="api@example.cn")
    response = probe.test_client().post(f"/probe/{user.id}/refused-api")
    assert response.status_code == 409
    assert _notes(db, user) == 0
    assert probe.sent == []


def test_a_commands_email_is_sent_when_it_commits(probe, db):
    user = factories.UserFactory(email="cli@example.cn")
    db.session.flush()
    with probe.app_context():  # the command runs in the probe app, not the test's
        result = probe.test_cli_runner().invoke(args=["probe-notify"])
    assert result.exit_code == 0, result.output
    assert [to for to, _subject, _body in probe.sent] == ["cli@example.cn"]
    assert _notes(db, user) == 1


def test_calls_wait_for_the_commit_and_a_rollback_drops_them(app, db):
    calls: list[str] = []
    after_commit(lambda: calls.append("rolled back"))
    db.session.rollback()
    assert calls == [] and pending_after_commit() == 0
    after_commit(lambda: calls.append("committed"))
    assert calls == []
    db.session.commit()
    assert calls == ["committed"]


def test_a_savepoint_keeps_its_calls_when_released_and_drops_them_when_rolled_back(app, db):
    calls: list[str] = []
    factories.UserFactory()  # something in the transaction
    with db.session.begin_nested():
        after_commit(lambda: calls.append("released"))
    with pytest.raises(ValueError), db.session.begin_nested():
        after_commit(lambda: calls.append("rolled back"))
        raise ValueError
    assert calls == []
    db.session.commit()
    assert calls == ["released"]


def test_calls_with_one_key_run_once_and_a_failing_call_does_not_stop_the_others(app, db):
    calls: list[str] = []
    after_commit(lambda: calls.append("drain"), key="drain")
    after_commit(lambda: calls.append("drain again"), key="drain")

    def broken():
        raise RuntimeError("the mail server is down")

    after_commit(broken)
    after_commit(lambda: calls.append("e-mail"))
    db.session.commit()
    assert calls == ["drain", "e-mail"]


def test_a_call_after_commit_may_use_the_database(app, db):
    user = factories.UserFactory(email="later@example.cn")
    db.session.flush()
    seen: list[str] = []
    after_commit(lambda: seen.append(db.session.get(User, user.id).email))
    db.session.commit()
    assert seen == ["later@example.cn"]
