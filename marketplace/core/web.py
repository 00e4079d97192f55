"""Small helpers for HTML views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, flash

from ..extensions import db
from .errors import DomainError

T = TypeVar("T")


def safe_next(target: str | None, default: str) -> str:
    """A relative path to go back to; anything else (another host, a scheme) is ignored."""
    if not target:
        return default
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def flash_domain_error(error: DomainError, form=None) -> None:
    """Show a service's refusal: on the form fields where it can, as a flash message otherwise."""
    if form is not None and form.apply_errors(error):
        flash(str(error.message) if not error.fields else _fields_summary(), "error")
        return
    flash(str(error.message), "error")


def attempt(
    action: Callable[[], T],
    *,
    success: str | None = None,
    form=None,
    each_message: bool = False,
    fields_after: bool = False,
) -> tuple[bool, T | None]:
    """Run a view's service call: flash `success` when it works (the request's boundary
    commits it, see core.transaction); roll back and show the refusal (on the form's
    fields where possible) when it raises a DomainError. Answers (True, the call's
    result) or (False, None).

    For a page with no form to mark fields on, the refusal's field messages are
    flashed one each: with `each_message`, the last in place of the refusal's own
    message; with `fields_after`, after it (a button's refusal, then what is missing)."""
    ok, result, _status = attempt_with_status(
        action, success=success, form=form, each_message=each_message, fields_after=fields_after
    )
    return ok, result


def attempt_with_status(
    action: Callable[[], T],
    *,
    success: str | None = None,
    form=None,
    each_message: bool = False,
    fields_after: bool = False,
) -> tuple[bool, T | None, int]:
    """`attempt`, also answering the status of a refusal (200 when it worked), for a
    form that is shown again with the status the service gave (422, 409...)."""
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        if each_message:
            messages = [m for ms in (exc.fields or {}).values() for m in ms]
            if messages:
                for message in messages[:-1]:
                    flash(str(message), "error")
                exc.message, exc.fields = messages[-1], {}
        flash_domain_error(exc, form)
        if fields_after:
            for messages in (exc.fields or {}).values():
                for message in messages:
                    flash(str(message), "error")
        return False, None, exc.status
    if success is not None:
        flash(success, "success")
    return True, result, 200


def _fields_summary() -> str:
    from flask_babel import gettext

    return gettext("Please correct the marked fields.")


def get_or_404(model, ident, visible=None):
    """Load a row by id; 404 if missing or if `visible(obj)` is false (ids do not leak)."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        abort(404)
    obj = db.session.get(model, ident)
    if obj is None or (visible is not None and not visible(obj)):
        abort(404)
    return obj
