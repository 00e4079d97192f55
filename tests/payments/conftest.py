"""Payments test helpers: a signed contract with its parties, and localstripe.

localstripe (a fake Stripe server, in requirements-dev.txt) runs once per test
session on a free port; the real `stripe` client talks to it through the app's
configuration (STRIPE_SECRET_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET).

Webhooks: localstripe delivers its signed events over HTTP to a small
receiver started here, which keeps the raw body and the Stripe-Signature
header. Tests then post those exact bytes to /payments/stripe/webhook through
the test client. The app is not run as a live server because every test runs
inside one database transaction that is rolled back afterwards; a server in
another thread would not see the test's data. The signatures checked are
localstripe's own, on the bytes it sent.
"""

from __future__ import annotations

import http.server
import itertools
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from marketplace.contracts.models import Contract, ContractMilestone
from marketplace.core.timeutil import today_shanghai
from marketplace.payments.gateway import reset_gateways
from tests import factories
from tests.conftest import service_missing

WEBHOOK_SECRET = "whsec_test_localstripe_secret"
_regnos = itertools.count(1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Deal:
    contract: Contract
    seller: object
    buyer: object
    agency: object | None
    milestones: list[ContractMilestone]


@pytest.fixture
def in_request(app):
    with app.test_request_context("/"):
        yield


@pytest.fixture
def make_deal(db):
    """A contract between a university (seller) and an enterprise (buyer), brokered by
    an agency, with milestones [(days from today, amount_fen), ...]."""

    def _make(
        *,
        status: str = "signed",
        milestones=((30, 300_000), (90, 700_000)),
        commission_bp: int | None = 500,
        agency: bool = True,
        seller_region: str = "230100",
    ) -> Deal:
        seller = factories.user_with_role("seller", region=seller_region)
        buyer = factories.user_with_role("buyer")
        agency_user = factories.user_with_role("agency") if agency else None
        terms = {"deal_kind": "transfer", "price_fen": sum(a for _d, a in milestones)}
        if commission_bp is not None:
            terms["agency_commission_bp"] = commission_bp
        contract = Contract(
            status=status,
            source="offer",
            category="transfer_patent",
            title="一种寒地大豆高产栽培技术转让合同",
            terms=terms,
            seller_org_id=seller.organization_id,
            buyer_org_id=buyer.organization_id,
            agency_org_id=agency_user.organization_id if agency_user else None,
            industry="agri_processing",
            turnover_fen=sum(a for _d, a in milestones),
            tech_income_fen=sum(a for _d, a in milestones),
            signed_on=today_shanghai() - timedelta(days=10),
            registration_no=f"20252301{next(_regnos):08d}" if status == "registered" else None,
        )
        db.session.add(contract)
        rows = [
            ContractMilestone(seq=i, due_on=today_shanghai() + timedelta(days=d), amount_fen=a)
            for i, (d, a) in enumerate(milestones, start=1)
        ]
        contract.milestones.extend(rows)
        db.session.flush()
        return Deal(contract, seller, buyer, agency_user, rows)

    return _make


@pytest.fixture
def today() -> date:
    return today_shanghai()


# -- localstripe ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _localstripe_command() -> list[str] | None:
    exe = Path(sys.executable).with_name("localstripe")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("localstripe")
    return [found] if found else None


class WebhookInbox:
    """What localstripe delivered: raw bodies and Stripe-Signature headers, in order."""

    def __init__(self) -> None:
        self.items: list[tuple[bytes, str]] = []
        self.cond = threading.Condition()

    def add(self, body: bytes, signature: str) -> None:
        with self.cond:
            self.items.append((body, signature))
            self.cond.notify_all()

    def wait_for(self, intent_id: str, event_type: str, timeout: float = 10.0) -> tuple[bytes, str]:
        import json

        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for body, sig in self.items:
                    event = json.loads(body)
                    if event["type"] == event_type and event["data"]["object"].get("id") == intent_id:
                        return body, sig
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"localstripe did not deliver {event_type} for {intent_id}")
                self.cond.wait(remaining)


@dataclass
class LocalStripe:
    api_base: str
    inbox: WebhookInbox


@pytest.fixture(scope="session")
def localstripe():
    command = _localstripe_command()
    if command is None:
        service_missing("localstripe is not installed (pip install -r requirements-dev.txt)")
    port = _free_port()
    log = open(os.devnull, "wb")
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT
    )
    api_base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            req = urllib.request.Request(
                api_base + "/v1/balance", headers={"Authorization": "Bearer sk_test_x"}
            )
            urllib.request.urlopen(req, timeout=1).read()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                service_missing(f"localstripe did not start on port {port} (exit code {proc.poll()})")
            time.sleep(0.1)

    inbox = WebhookInbox()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            inbox.add(body, self.headers.get("Stripe-Signature", ""))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    data = urllib.parse.urlencode(
        {"url": f"http://127.0.0.1:{receiver.server_port}/payments/stripe/webhook", "secret": WEBHOOK_SECRET}
    ).encode()
    urllib.request.urlopen(api_base + "/_config/webhooks/tests", data, timeout=5).read()
    try:
        yield LocalStripe(api_base=api_base, inbox=inbox)
    finally:
        receiver.shutdown()
        receiver.server_close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def stripe_on(app, localstripe):
    """Stripe configured as in production, against localstripe."""
    saved = {k: app.config.get(k) for k in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")}
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_localstripe",
        STRIPE_API_BASE=localstripe.api_base,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    reset_gateways(app)
    yield localstripe
    app.config.update(saved)
    reset_gateways(app)
