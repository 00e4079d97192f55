"""Domain errors. Services raise these; the web layer flashes their message,
the API answers with the error format and the status given here."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = _l("The request cannot be processed.")

    def __init__(
        self, message: Any = None, *, fields: dict[str, list[Any]] | None = None, code: str | None = None
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {k: [str(m) for m in v] for k, v in self.fields.items()}
        return {"error": body}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    default_message = _l("The request body is not valid JSON.")


class ValidationError(DomainError):
    status = 422
    code = "validation_error"
    default_message = _l("Some fields are not valid.")


class FieldChecks:
    """Run a service's independent field rules and refuse once with all their
    messages, so a form or an API answer lists every problem at once:

        checks = FieldChecks()
        title = checks.run(lambda: clean_title(data))
        assets = checks.run(lambda: load_assets(data.asset_ids))
        checks.raise_if_any()

    `run` answers the call's result, or None when it raised a ValidationError
    (whose field messages are kept; an error without fields is raised at once)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[Any]] = {}

    def run(self, check):
        try:
            return check()
        except ValidationError as exc:
            if not exc.fields:
                raise
            for name, messages in exc.fields.items():
                self.fields.setdefault(name, []).extend(messages)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(fields=self.fields)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _l("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    default_message = _l("You are not allowed to do this.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _l("This conflicts with the current state.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = _l("This action is not possible in the current state.")
