"""Describing endpoints for the OpenAPI document.

Every API view carries `@describe(...)`; /api/v1/openapi.json is built from
the URL map, so an endpoint cannot be added without appearing there (a test
checks that each has a description).
"""

from __future__ import annotations

from typing import Any


def describe(
    summary: str,
    *,
    tags: list[str] | None = None,
    auth: str = "token",
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    responses: dict[int, str] | None = None,
    idempotent: bool = False,
):
    """Attach OpenAPI facts to a view. `auth`: "token", "optional" or "none"."""

    def decorate(view):
        view._openapi = {
            "summary": summary,
            "tags": tags or [],
            "auth": auth,
            "body": body,
            "params": params or [],
            "responses": responses or {},
            "idempotent": idempotent,
        }
        return view

    return decorate


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
FEN = {"type": "integer", "description": "amount in fen (1 yuan = 100 fen)"}
PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
]
