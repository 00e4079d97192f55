"""The public JSON API under /api/v1 (see ../shared/API.md).

Each domain keeps its endpoints in its own `api.py`, as a blueprint of its
own; `register_api` nests them under one `/api/v1` blueprint. Nothing below
imports this package: it sits above the domains, beside the app factory.
"""

from __future__ import annotations

from flask import Blueprint, Flask


def register_api(app: Flask) -> None:
    from ..accounts import api as accounts_api
    from ..contracts import api as contracts_api
    from ..extensions import csrf
    from ..finance import api as finance_api
    from ..industrialization import api as industrialization_api
    from ..ip import api as ip_api
    from ..ledger import api as ledger_api
    from ..listings import api as listings_api
    from ..network import api as network_api
    from ..notifications import api as notifications_api
    from ..offers import api as offers_api
    from ..payments import api as payments_api
    from ..portal import api as portal_api
    from ..services import api as services_api
    from ..trading import api as trading_api
    from . import caching
    from .openapi import openapi_document

    # A parent of its own per app: nesting mutates the parent blueprint.
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.add_url_rule("/openapi.json", view_func=openapi_document, methods=["GET"])
    for module in (
        accounts_api,
        notifications_api,
        ip_api,
        listings_api,
        offers_api,
        contracts_api,
        ledger_api,
        payments_api,
        industrialization_api,
        services_api,
        finance_api,
        portal_api,
        trading_api,
        network_api,
    ):
        api.register_blueprint(module.bp)
    caching.register(app, api)
    app.register_blueprint(api)
    # Token-authenticated: no CSRF token (Flask-WTF looks at the request's own blueprint).
    csrf.exempt(api)
    for name, blueprint in app.blueprints.items():
        if name.startswith("api."):
            csrf.exempt(blueprint)
