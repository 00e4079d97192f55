"""One error format for the whole API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..extensions import db

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
}


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = {k: [str(m) for m in v] for k, v in fields.items()}
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def http_message(status: int) -> str:
    messages = {
        400: _("The request is malformed."),
        401: _("Authentication is required: send Authorization: Bearer <token>."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("This conflicts with the current state."),
        413: _("The request is too large."),
        415: _("Send the body as application/json."),
        422: _("Some fields are not valid."),
        429: _("Too many requests; please wait a moment."),
        500: _("Something went wrong on our side; nothing was changed."),
    }
    return messages.get(status, _("The request cannot be processed."))


def exception_headers(exc: HTTPException) -> dict[str, str]:
    """Headers an HTTP error must carry whatever its body: `Allow` on a 405."""
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        return {"Allow": ", ".join(sorted(exc.valid_methods))}
    return {}


def handle_http_error(exc: HTTPException):
    status = exc.code or 500
    response = error_response(status, HTTP_CODES.get(status, "error"), http_message(status))
    response.headers.update(exception_headers(exc))
    return response


def handle_unexpected(exc: Exception):
    db.session.rollback()
    current_app.logger.exception("Unhandled error in API %s %s", request.method, request.path)
    return error_response(500, "server_error", http_message(500))
