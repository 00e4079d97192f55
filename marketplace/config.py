"""Configuration from environment variables.

Every setting a deployment may change is read from the environment here;
`.env.example` lists them. `TestConfig` is what the test suite runs with.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class ConfigurationError(RuntimeError):
    """Raised at start-up when production configuration is incomplete."""


class Config:
    ENV_NAME = os.environ.get("MARKETPLACE_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'marketplace.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # SQLite only: how long a transaction that will write waits for another to finish.
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "30000"))
    if os.environ.get("DATABASE_PREPARE_THRESHOLD", "").strip().lower() == "none":
        # PgBouncer < 1.21 in transaction mode: psycopg must never prepare statements
        SQLALCHEMY_ENGINE_OPTIONS = {**SQLALCHEMY_ENGINE_OPTIONS, "connect_args": {"prepare_threshold": None}}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE_DIR / "search"))
    # "whoosh" (one host, index in SEARCH_INDEX_DIR), "postgres" (several app servers) or "module:factory"
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    # Whoosh: drain the outbox in the request that queued a change (off when `flask search worker` runs)
    SEARCH_DRAIN_IN_REQUEST = _bool("SEARCH_DRAIN_IN_REQUEST", True)
    # "filesystem" (UPLOAD_DIR on this host) or "database" (every app server sees the files)
    UPLOAD_STORAGE = os.environ.get("UPLOAD_STORAGE", "filesystem")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_MB", "10")) * 1024 * 1024

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Production refuses insecure session cookies unless this says it is served over plain HTTP.
    ALLOW_PLAIN_HTTP = _bool("ALLOW_PLAIN_HTTP", False)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    # The site's address for links in e-mails (e.g. https://tech.example.cn); unset, the
    # request's host is used.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # Proxies (nginx) in front of the app whose X-Forwarded-For/-Proto are trusted; 0 = none
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0") or 0)

    # i18n
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans", "en")

    # Rate limits (memory by default; REDIS_URL or RATELIMIT_STORAGE_URI for several servers)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", os.environ.get("REDIS_URL", "memory://"))
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Attempts counted in a store every worker shares (see marketplace/accounts/throttle.py):
    # per address and per account (e-mail) for log-in and password reset.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute; 50 per hour")
    SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "5 per minute; 20 per hour")
    PASSWORD_RATE_LIMIT = os.environ.get("PASSWORD_RATE_LIMIT", "5 per minute; 20 per hour")
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))

    WTF_CSRF_TIME_LIMIT = None
    PASSWORD_HASH_METHOD = "scrypt"

    # Payments: without keys the platform offers bank transfer only.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
    # Comma-separated Stripe payment method types offered (card, alipay, wechat_pay).
    STRIPE_PAYMENT_METHOD_TYPES = os.environ.get("STRIPE_PAYMENT_METHOD_TYPES", "card")

    # Public trading (网络竞价, 挂牌公示): days and minutes of its rules.
    BIDDING_ANNOUNCE_DAYS = int(os.environ.get("BIDDING_ANNOUNCE_DAYS", "7"))
    BIDDING_EXTENSION_MINUTES = int(os.environ.get("BIDDING_EXTENSION_MINUTES", "5"))
    BIDDING_SIGN_DAYS = int(os.environ.get("BIDDING_SIGN_DAYS", "10"))
    BIDDING_RERUN_MAX_REDUCTION_PCT = int(os.environ.get("BIDDING_RERUN_MAX_REDUCTION_PCT", "20"))
    NOTICE_DEFAULT_DAYS = int(os.environ.get("NOTICE_DEFAULT_DAYS", "15"))
    NOTICE_MIN_DAYS = int(os.environ.get("NOTICE_MIN_DAYS", "5"))
    NOTICE_MAX_DAYS = int(os.environ.get("NOTICE_MAX_DAYS", "30"))
    RESULT_NOTICE_REQUIRED = _bool("RESULT_NOTICE_REQUIRED", False)

    MAIL_SENDER = os.environ.get("MAIL_SENDER", "console")

    # How long a shared cache (the reverse proxy) may keep an API answer given without a
    # token (the same for everyone); token holders' answers are private (api/caching.py).
    API_PUBLIC_MAX_AGE = int(os.environ.get("API_PUBLIC_MAX_AGE", "30"))
    # Seconds a shared cache may keep a public HTML page (one shown without a session).
    PAGE_PUBLIC_MAX_AGE = int(os.environ.get("PAGE_PUBLIC_MAX_AGE", "30"))

    @classmethod
    def check(cls, config: dict) -> None:
        """Stop start-up in production when a secret is missing."""
        if config.get("ENV_NAME") != "production" or config.get("TESTING"):
            return
        missing = []
        if not os.environ.get("SECRET_KEY"):
            missing.append("SECRET_KEY")
        if not os.environ.get("DATABASE_URL"):
            missing.append("DATABASE_URL")
        if config.get("STRIPE_SECRET_KEY") and not config.get("STRIPE_WEBHOOK_SECRET"):
            missing.append("STRIPE_WEBHOOK_SECRET")
        if missing:
            raise ConfigurationError(
                "Production mode (MARKETPLACE_ENV=production) needs these environment "
                "variables: " + ", ".join(missing)
            )
        if not config.get("SESSION_COOKIE_SECURE") and not config.get("ALLOW_PLAIN_HTTP"):
            raise ConfigurationError(
                "Production mode (MARKETPLACE_ENV=production) sends session cookies only over HTTPS: "
                "set SESSION_COOKIE_SECURE=1 (and serve over HTTPS), or ALLOW_PLAIN_HTTP=1 if it "
                "really is served over plain HTTP."
            )


class TestConfig(Config):
    TESTING = True
    ENV_NAME = "test"
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SERVER_NAME = "localhost"
    STRIPE_SECRET_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""
    SEARCH_BACKEND = "whoosh"  # the search and upload tests choose the others themselves
    SEARCH_DRAIN_IN_REQUEST = True
    UPLOAD_STORAGE = "filesystem"
