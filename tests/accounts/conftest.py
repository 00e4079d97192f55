"""Fixtures of the account tests: the e-mails the app sent."""

from __future__ import annotations

import pytest

from marketplace.core.mail import ConsoleSender


@pytest.fixture
def outbox(app):
    """The list of (to, subject, body) the app sends during the test."""
    sender = ConsoleSender()
    previous = app.extensions.get("mail_sender")
    app.extensions["mail_sender"] = sender
    yield sender.outbox
    if previous is None:
        app.extensions.pop("mail_sender", None)
    else:
        app.extensions["mail_sender"] = previous
