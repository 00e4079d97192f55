"""Outgoing e-mail through a pluggable sender; the default writes to the log."""

from __future__ import annotations

import logging
from typing import Protocol

from flask import current_app

log = logging.getLogger("marketplace.mail")


class Sender(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


class ConsoleSender:
    """Logs each message instead of sending it (development, demo, tests)."""

    def __init__(self) -> None:
        self.outbox: list[tuple[str, str, str]] = []

    def send(self, to: str, subject: str, body: str) -> None:
        self.outbox.append((to, subject, body))
        log.info("e-mail to %s: %s\n%s", to, subject, body)


def get_sender() -> Sender:
    sender = current_app.extensions.get("mail_sender")
    if sender is None:
        sender = ConsoleSender()
        current_app.extensions["mail_sender"] = sender
    return sender


def send_email(to: str, subject: str, body: str) -> None:
    """Send after the commit: callers use it from `after_commit` hooks or views."""
    get_sender().send(to, subject, body)
