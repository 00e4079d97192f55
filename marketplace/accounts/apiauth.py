"""Bearer-token authentication for API views (the JSON body helpers are in core.jsonbody)."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from ..core.dbsetup import write_transaction
from ..core.errors import DomainError, PermissionDenied
from .services import record_token_use, token_for, token_use_due


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    default_message = _l("Authentication is required: send Authorization: Bearer <token>.")


def current_api_user():
    """The user of the request's bearer token, or None (cached per request)."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = token_for(value.strip()) if scheme.lower() == "bearer" else None
        if token is not None and token_use_due(token):
            _record_use(token.id)
        g.api_user = token.user if token is not None else None
        if header and g.api_user is None:
            g.api_bad_token = True
    return g.api_user


def _record_use(token_id: int) -> None:
    """Token use, at most once a minute, committed on its own: a read-only or a
    failed request does not take it back, and it holds no lock during the request."""
    try:
        with write_transaction():
            record_token_use(token_id)
    except SQLAlchemyError:
        # Only a record of use: the request goes on without it.
        current_app.logger.warning("Could not record the use of API token %s", token_id, exc_info=True)


def token_required(view):
    """Require a valid bearer token; the user is passed as `actor`."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user = current_api_user()
        if user is None:
            raise Unauthorized()
        return view(*args, actor=user, **kwargs)

    return wrapped


def token_optional(view):
    """A bad token is refused; no token means anonymous (`actor=None`)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user = current_api_user()
        if user is None and g.get("api_bad_token"):
            raise Unauthorized(_l("The token is not valid or was revoked."))
        return view(*args, actor=user, **kwargs)

    return wrapped


def require_role(actor, *roles: str) -> None:
    if not actor.acts_as(*roles):
        raise PermissionDenied()
