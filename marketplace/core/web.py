"""Small helpers for HTML views."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, flash

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


def validated(form, action: Callable[[], object]) -> bool:
    """Validate a submitted form, and when its fields are refused, show the service's
    own rules (those that compare fields: shares adding up, a title in one language,
    dates in order) beside the field errors at once, not in a second round.

    `action` is the service call the view makes once the form is valid. On a refused
    form it is run in a savepoint that is always undone, so nothing of it is stored
    and nothing it queued after commit is sent; its field messages are placed on the
    fields that have no message yet. A call that cannot even run on the refused data
    (a value missing that it needs) adds nothing: the field errors say what to fix."""
    if form.validate_on_submit():
        return True
    if not form.is_submitted() or "csrf_token" in form.errors:
        return False
    savepoint = db.session.begin_nested()
    refusal: DomainError | None = None
    try:
        action()
    except DomainError as exc:
        refusal = exc
    except Exception:  # the refused data did not get that far; the field errors stand
        current_app.logger.debug("service preview of a refused form stopped", exc_info=True)
    finally:
        savepoint.rollback()
    for name, messages in ((refusal.fields or {}) if refusal is not None else {}).items():
        field = form._fields.get(name)
        if field is not None and not field.errors:
            field.errors = [str(m) for m in messages]
    form._errors = None  # WTForms caches the errors it gathered
    return False


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
