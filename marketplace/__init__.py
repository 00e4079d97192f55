"""Heilongjiang technology transaction marketplace."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from .config import BASE_DIR, Config


def create_app(config: type[Config] | None = None) -> Flask:
    """The application factory: extensions, blueprints, error handlers, commands."""
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=os.environ.get("INSTANCE_PATH", str(BASE_DIR / "instance")),
        instance_relative_config=False,
    )
    app.config.from_object(config or Config)
    register_input_guards(app)
    app.json.ensure_ascii = False  # Chinese text as is in the API (UTF-8)
    Config.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_subscribers(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_commands(app)
    if app.config.get("TRUSTED_PROXY_COUNT"):
        # Behind nginx: the client's address (rate limits, audit) and scheme come
        # from the X-Forwarded-* headers that many proxies in front of us set.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def register_input_guards(app: Flask) -> None:
    """Bounded ids in routes, depth-limited JSON, no NUL or lone surrogate in any text
    (before the blueprints: the `int` converter must be in place when routes are added)."""
    from .core import input as input_guards
    from .core.i18n import escape_lazy_strings

    input_guards.register(app)
    escape_lazy_strings()


def register_extensions(app: Flask) -> None:
    from .core.dbsetup import configure_engines
    from .core.i18n import install_translations, select_locale
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    translation_dirs = sorted(str(p) for p in Path(app.root_path).glob("**/translations") if p.is_dir())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)
    db.init_app(app)
    from .core import transaction

    transaction.register(app)  # the first after_request hook, so the last to run
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_translations(app)
    limiter.init_app(app)
    configure_engines(app)
    from . import models  # noqa: F401 - the complete metadata
    from .accounts import sessions

    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    # The session's user, if its session version is current (log-out ends every session).
    login_manager.user_loader(sessions.load_user)
    sessions.register(app)


def register_blueprints(app: Flask) -> None:
    from .accounts.admin_views import bp as admin_bp
    from .accounts.views import bp as accounts_bp
    from .api import register_api
    from .contracts.views import bp as contracts_bp
    from .core.views import bp as core_bp
    from .finance.web import bp as finance_bp
    from .industrialization.views import bp as industrialization_bp
    from .ip.views import bp as ip_bp
    from .ledger.views import bp as ledger_bp
    from .listings.views import bp as listings_bp
    from .network.views import bp as network_bp
    from .notifications.views import bp as notifications_bp
    from .offers.views import bp as offers_bp
    from .payments.views import bp as payments_bp
    from .portal.views import bp as portal_bp
    from .services.views import bp as services_bp
    from .trading.views import bp as trading_bp

    for bp in (
        portal_bp,
        core_bp,
        accounts_bp,
        admin_bp,
        notifications_bp,
        ip_bp,
        listings_bp,
        offers_bp,
        contracts_bp,
        ledger_bp,
        payments_bp,
        industrialization_bp,
        services_bp,
        finance_bp,
        trading_bp,
        network_bp,
    ):
        app.register_blueprint(bp)
    register_api(app)


def register_subscribers(app: Flask) -> None:
    """Where a lower domain asks or tells a higher one, connected explicitly: the
    ports each domain declares (core.wiring) get this app's answers, and domains
    that react to another's signals subscribe."""
    from .contracts import ports as contracts_ports
    from .industrialization import services as industrialization
    from .ip import permissions as ip_permissions
    from .ledger import ports as ledger_ports
    from .listings import ownership as listings_ownership
    from .listings import ports as listings_ports
    from .listings import search_docs
    from .listings import services as listings
    from .network import api as network_api
    from .offers import services as offers
    from .payments import services as payments
    from .search import ports as search_ports
    from .services import evaluations as services_evaluations
    from .trading import sessions as trading_sessions

    ledger_ports.contract_link.plug(app, contracts_ports.contract_url)
    ledger_ports.cash_received_fen.plug(app, payments.cash_received_fen)
    ledger_ports.industrialized_counts.plug(app, industrialization.industrialized_counts)
    ledger_ports.plan_targets.plug(app, network_api.plan_targets)
    contracts_ports.paid_fen.plug(app, payments.paid_fen)
    contracts_ports.paid_fen_of_milestones.plug(app, payments.paid_fen_of_milestones)
    ip_permissions.publicly_listed.plug(app, listings.is_publicly_listed)
    listings_ports.offer_accepted_on.plug(app, offers.offer_accepted_on)
    search_ports.published_docs.plug(app, search_docs.published_docs)
    search_ports.iter_published_docs.plug(app, search_docs.iter_published_docs)
    search_ports.published_count.plug(app, search_docs.published_count)
    search_ports.published_listings.plug(app, search_docs.published_listings)
    search_ports.listing_facet_values.plug(app, search_docs.facet_values)
    listings_ports.trl_by_listing.plug(app, services_evaluations.trl_by_listing)
    listings_ownership.register()
    from .ip import encumbrances as ip_encumbrances

    ip_encumbrances.bidding_hold.plug(app, trading_sessions.hold_on_asset)
    from .trading import results as trading_results

    contracts_ports.trading_checks.plug(app, trading_results.contract_checks)
    from .payments import intents as payment_intents
    from .trading import online_deposits as trading_deposits

    payment_intents.intent_changed.plug(app, trading_deposits.intent_changed)


def register_errorhandlers(app: Flask) -> None:
    from .core.errorpages import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .core.templating import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from .core import httpcache
    from .core.security import register

    register(app)
    httpcache.register(app)


def register_commands(app: Flask) -> None:
    from .accounts import cli as accounts_cli
    from .contracts import cli as contracts_cli
    from .demo import cli as demo_cli
    from .finance import cli as finance_cli
    from .ip import cli as ip_cli
    from .ledger import cli as ledger_cli
    from .listings import cli as listings_cli
    from .offers import cli as offers_cli
    from .payments import cli as payments_cli
    from .search import cli as search_cli
    from .storage import cli as storage_cli
    from .trading import cli as trading_cli

    for module in (
        accounts_cli,
        demo_cli,
        ip_cli,
        listings_cli,
        offers_cli,
        contracts_cli,
        ledger_cli,
        payments_cli,
        search_cli,
        storage_cli,
        trading_cli,
        finance_cli,
    ):
        module.register(app)
