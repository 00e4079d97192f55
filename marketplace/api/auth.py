"""Bearer-token authentication and request helpers for API views."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import MultiDict

from ..accounts.services import record_token_use, token_for, token_use_due
from ..core.dbsetup import write_transaction
from ..core.errors import BadRequest, DomainError, PermissionDenied, ValidationError


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


def json_body() -> dict[str, Any]:
    """The request's JSON object; BadRequest (400) when it is not one."""
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise BadRequest(_l("The request body must be a JSON object."))
    return data


def to_formdata(data: dict[str, Any], prefix: str = "") -> MultiDict:
    """Flatten a JSON object into form data, so one WTForms form validates both.

    Scalars become strings (booleans "y" or absent, null absent); a list of
    scalars becomes repeated keys; a list of objects becomes `name-0-sub`;
    a nested object becomes `name-sub` (WTForms' FormField naming).
    """
    out = MultiDict()
    for key, value in data.items():
        name = f"{prefix}{key}"
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                out.add(name, "y")
        elif isinstance(value, dict):
            for k, v in to_formdata(value, prefix=f"{name}-").items(multi=True):
                out.add(k, v)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    for k, v in to_formdata(item, prefix=f"{name}-{index}-").items(multi=True):
                        out.add(k, v)
                elif item is not None:
                    out.add(name, str(item) if not isinstance(item, bool) else ("y" if item else ""))
        else:
            out.add(name, str(value))
    return out


def validate_json(form_cls, data: dict[str, Any] | None = None, **kwargs):
    """Validate a JSON body with a WTForms form; ValidationError (422) with fields when invalid."""
    body = json_body() if data is None else data
    form = form_cls(formdata=to_formdata(body), meta={"csrf": False}, **kwargs)
    if not form.validate():
        raise ValidationError(
            fields={
                k: list(v) if isinstance(v, list) else [v] for k, v in _flatten_errors(form.errors).items()
            }
        )
    return form


def _flatten_errors(errors, prefix: str = "") -> dict[str, list]:
    flat: dict[str, list] = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten_errors(value, f"{name}."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                if item:
                    flat.update(_flatten_errors(item, f"{name}.{index}."))
        elif isinstance(value, list) and value and isinstance(value[0], list):
            for index, item in enumerate(value):
                if item:
                    flat[f"{name}.{index}"] = [str(m) for m in item]
        else:
            flat[name] = [str(m) for m in value]
    return flat
