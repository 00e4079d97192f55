"""The public JSON API under /api/v1 (see ../shared/API.md).

Each domain keeps its endpoints in its own `api.py`, adding routes to
`api_bp`; `register_api` imports them explicitly before registering.
"""

from __future__ import annotations

from flask import Blueprint, Flask

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")


def register_api(app: Flask) -> None:
    # Explicit imports: each adds its routes to api_bp.
    from ..accounts import api as _accounts_api  # noqa: F401
    from ..contracts import api as _contracts_api  # noqa: F401
    from ..extensions import csrf
    from ..industrialization import api as _industrialization_api  # noqa: F401
    from ..ip import api as _ip_api  # noqa: F401
    from ..ledger import api as _ledger_api  # noqa: F401
    from ..listings import api as _listings_api  # noqa: F401
    from ..notifications import api as _notifications_api  # noqa: F401
    from ..offers import api as _offers_api  # noqa: F401
    from ..payments import api as _payments_api  # noqa: F401
    from . import openapi as _openapi  # noqa: F401

    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
