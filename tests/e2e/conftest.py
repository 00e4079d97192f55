"""Browser tests: the real server in a subprocess (its own SQLite database,
migrated and seeded with the demo data), driven by Playwright through the
system Chromium. Without Chromium these tests are skipped, and say why."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import REQUIRE_SERVICES, service_missing

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)


NO_CHROMIUM = (
    f"no Chromium at {CHROMIUM}: install Debian's chromium and fonts-noto-cjk "
    "(.ci/run does) to run the browser tests"
)


def pytest_collection_modifyitems(config, items):
    if HAVE_CHROMIUM or REQUIRE_SERVICES:
        return  # where services are required, pytest_runtest_setup fails these instead
    skip = pytest.mark.skip(reason=NO_CHROMIUM)
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(skip)


def pytest_runtest_setup(item):
    if not HAVE_CHROMIUM and "e2e" in str(item.fspath):
        service_missing(NO_CHROMIUM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Where the live server writes the e-mails it sends (one JSON object a line).
MAILBOX: list[Path] = []
# The live server's SQLite database (a test that must move time sets a row there).
DATABASE: list[Path] = []


def sent_mail(to: str) -> list[dict]:
    """The e-mails the live server has sent to `to`, oldest first."""
    import json

    if not MAILBOX or not MAILBOX[0].exists():
        return []
    lines = MAILBOX[0].read_text(encoding="utf-8").splitlines()
    return [m for m in (json.loads(line) for line in lines if line.strip()) if m["to"] == to]


@pytest.fixture(scope="session")
def live_server():
    """Base URL of a real server: migrated, seeded, on a free local port."""
    folder = tempfile.mkdtemp(prefix="marketplace-e2e-")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/e2e.db",
        "INSTANCE_PATH": folder,
        "SECRET_KEY": "e2e-secret",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "SIGNUP_RATE_LIMIT": "1000 per minute",
        "PASSWORD_RATE_LIMIT": "1000 per minute",
        "MAIL_SENDER": f"file:{folder}/mail.jsonl",
        "FLASK_APP": "wsgi",
    }
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["demo", "seed"]):
        done = subprocess.run(flask + args, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    port = _free_port()
    log = open(Path(folder) / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        flask + ["run", "--port", str(port), "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    MAILBOX[:] = [Path(folder) / "mail.jsonl"]
    DATABASE[:] = [Path(folder) / "e2e.db"]
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError(
                    "the server did not start: " + (Path(folder) / "server.log").read_text()
                ) from None
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_factory(browser, live_server):
    """New pages (each its own browser context, like another person) at the live server.

    Every request that leaves the server is recorded, so a test can assert none does.
    """
    contexts = []

    def make(locale: str = "zh-CN", width: int = 1280, height: int = 900):
        context = browser.new_context(
            base_url=live_server, locale=locale, viewport={"width": width, "height": height}
        )
        external: list[str] = []
        context.on(
            "request",
            lambda r: None
            if r.url.startswith(live_server) or r.url.startswith("data:")
            else external.append(r.url),
        )
        contexts.append(context)
        page = context.new_page()
        page.external_requests = external  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    """Save a screenshot under tests/e2e/screenshots/ (the README's come from the
    viewport-sized ones: full_page=False)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def login(page, email: str, password: str = "demo-pass-2025") -> None:
    page.goto("/login")
    page.get_by_label("电子邮箱").or_(page.get_by_label("E-mail")).first.fill(email)
    page.get_by_label("密码").or_(page.get_by_label("Password")).first.fill(password)
    page.locator("main form button[type=submit]").click()
