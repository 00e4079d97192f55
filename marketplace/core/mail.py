"""Outgoing e-mail through a pluggable sender; the default writes to the log."""

from __future__ import annotations

import json
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


class FileSender(ConsoleSender):
    """Also appends each message to a file, one JSON object a line
    (`MAIL_SENDER=file:/path/mail.jsonl`: to read what a demo or browser test sent)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def send(self, to: str, subject: str, body: str) -> None:
        super().send(to, subject, body)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"to": to, "subject": subject, "body": body}, ensure_ascii=False) + "\n")


def get_sender() -> Sender:
    sender = current_app.extensions.get("mail_sender")
    if sender is None:
        setting = str(current_app.config.get("MAIL_SENDER") or "console")
        sender = FileSender(setting[5:]) if setting.startswith("file:") else ConsoleSender()
        current_app.extensions["mail_sender"] = sender
    return sender


def send_email(to: str, subject: str, body: str) -> None:
    """Send after the commit: callers use it from `after_commit` hooks or views."""
    get_sender().send(to, subject, body)
