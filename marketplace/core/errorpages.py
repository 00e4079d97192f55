"""Error answers: translated pages on the web, the JSON error format in the API."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from .errors import DomainError


def _is_api() -> bool:
    return request.path.startswith("/api/")


def register(app: Flask) -> None:
    from .apierrors import (
        error_response,
        exception_headers,  # Allow on a 405
        handle_http_error,
        handle_unexpected,
        http_message,
    )

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if _is_api():
            return error_response(400, "csrf", http_message(400))
        return render_template(
            "errors/error.html",
            status=400,
            title=_("The form has expired"),
            message=_(
                "The page was open too long or the form came from elsewhere. Go back, "
                "reload the page and try again."
            ),
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _is_api():
            return handle_http_error(exc)
        status = exc.code or 500
        titles = {
            400: _("Bad request"),
            403: _("Not allowed"),
            404: _("Page not found"),
            405: _("Method not allowed"),
            413: _("The upload is too large"),
            429: _("Too many attempts"),
        }
        messages = {
            404: _("The page does not exist, or you may not see it."),
            413: _("The file is larger than the platform accepts."),
            429: _("Too many attempts in a short time. Please wait a minute and try again."),
        }
        return (
            render_template(
                "errors/error.html",
                status=status,
                title=titles.get(status, _("Error")),
                message=messages.get(status, http_message(status)),
            ),
            status,
            exception_headers(exc),
        )

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if _is_api():
            return error_response(exc.status, exc.code, str(exc.message), exc.fields)
        return render_template(
            "errors/error.html", status=exc.status, title=_("Error"), message=str(exc.message)
        ), exc.status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if _is_api():
            return handle_unexpected(exc)
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_template(
            "errors/error.html",
            status=500,
            title=_("Something went wrong"),
            message=_("Something went wrong on our side; nothing was changed. Please try again."),
        ), 500
