"""GET /api/v1/openapi.json, built from the URL map and each view's description."""

from __future__ import annotations

import re

from flask import current_app, jsonify

from ..core.apidocs import describe
from ..core.input import MAX_ID

_CONVERTER = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_]+)>")
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message"],
        }
    },
}


#: A route id: the `int` converter answers 404 outside this range (core.input).
INT_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _once(params: list[dict]) -> list[dict]:
    """Each parameter once per (name, location); the route's own description of a path
    parameter (its type and bounds) wins over a view's repetition of it."""
    seen: dict[tuple[str, str], dict] = {}
    for param in params:
        key = (param["name"], param["in"])
        if key in seen:
            if param.get("description") and not seen[key].get("description"):
                seen[key] = {**seen[key], "description": param["description"]}
            continue
        seen[key] = param
    return list(seen.values())


def build_document() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        view = current_app.view_functions[rule.endpoint]
        info = getattr(view, "_openapi", None)
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict = {
                # The view's own name: domain blueprints nest under "api." (api.contracts.x).
                "operationId": f"{rule.endpoint.rsplit('.', 1)[-1]}_{method.lower()}",
                "summary": info["summary"] if info else "",
                "tags": info["tags"] if info else [],
                "responses": {
                    str(code): {"description": text}
                    for code, text in (info or {}).get("responses", {}).items()
                }
                or {"200": {"description": "OK"}},
            }
            op["responses"].setdefault(
                "default",
                {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
            )
            params = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": INT_ID if f"<int:{name}>" in rule.rule else {"type": "string", "minLength": 1},
                }
                for name in sorted(rule.arguments)
            ]
            if info:
                params += info["params"]
                if info["auth"] == "none":
                    op["security"] = []
                elif info["auth"] == "optional":
                    op["security"] = [{}, {"bearer": []}]
                if info["body"] and method in ("POST", "PATCH", "PUT"):
                    op["requestBody"] = {
                        "required": True,
                        "content": {"application/json": {"schema": info["body"]}},
                    }
                if info["idempotent"] and method == "POST":
                    params.append(
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                        }
                    )
            if params:
                op["parameters"] = _once(params)
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Heilongjiang Technology Marketplace API",
            "version": "1.0.0",
            "description": "Listings, negotiation, technology contracts, registration and the "
            "turnover ledger. Money is integer fen; dates are YYYY-MM-DD.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }


@describe("This document.", tags=["meta"], auth="none")
def openapi_document():
    return jsonify(build_document())
