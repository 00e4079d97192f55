"""The main menu. An entry shows once its endpoint exists and the user may use it."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user


def _anyone(user) -> bool:
    return True


def _logged_in(user) -> bool:
    return user.is_authenticated


def _role(*roles):
    return lambda user: user.is_authenticated and user.acts_as(*roles)


NAV = [
    ("portal.workbench", _l("Workbench"), _logged_in),
    ("listings.search", _l("Technologies"), _anyone),
    ("listings.demands", _l("Demands"), _anyone),
    ("ip.my_assets", _l("My IP"), _role("seller", "admin")),
    ("listings.my_listings", _l("My listings"), _role("seller", "agency", "admin")),
    ("listings.review_queue", _l("Review"), _role("agency", "admin")),
    ("offers.index", _l("Negotiations"), _logged_in),
    ("trading.index", _l("Online bidding"), _anyone),
    ("contracts.index", _l("Contracts"), _logged_in),
    ("payments.index", _l("Payments"), _role("seller", "buyer", "agency", "regulator", "admin")),
    ("industrialization.index", _l("Industrialization"), _logged_in),
    ("services.provider_index", _l("Services"), _anyone),
    ("services.policy_index", _l("Policies"), _anyone),
    ("finance.index", _l("Finance"), _role("seller", "financier", "regulator", "admin")),
    ("contracts.queue", _l("Registration queue"), _role("regulator")),
    ("ledger.dashboard", _l("Dashboard"), _role("regulator", "admin")),
    ("ledger.targets", _l("Plan targets"), _anyone),
    ("network.index", _l("Docking network"), _anyone),
    ("admin.organizations", _l("Administration"), _role("admin")),
]


def nav_items():
    existing = current_app.view_functions
    return [
        (endpoint, label, predicate(current_user))
        for endpoint, label, predicate in NAV
        if endpoint in existing
    ]
