"""Fixtures of the negotiation tests: a published listing, its seller, buyers and agencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from marketplace.core.mail import ConsoleSender
from marketplace.core.timeutil import today_shanghai
from marketplace.offers import services
from marketplace.offers.services import TermsInput
from tests import factories

LICENCE = {
    "deal_kind": "license",
    "license_type": "non_exclusive",
    "upfront_fen": 10_000_000,
    "royalty_bp": 300,
}
TRANSFER = {"deal_kind": "transfer", "price_fen": 300_000_000}


def published_listing(seller, *, deal_terms=None, assets=None):
    kwargs = {"seller": seller, "published": True}
    if deal_terms is not None:
        kwargs["deal_terms"] = deal_terms
    if assets is not None:
        kwargs["assets"] = assets
    return factories.ListingFactory(**kwargs)


@dataclass
class World:
    seller: object
    buyer: object
    listing: object
    buyer_agent: object
    seller_agent: object
    third_buyer: object


@pytest.fixture
def world(db):
    """A published listing offering a licence and a transfer; a buyer; an agency brokering for each side."""
    seller = factories.user_with_role("seller")
    buyer = factories.user_with_role("buyer")
    buyer_agent = factories.user_with_role("agency")
    seller_agent = factories.user_with_role("agency")
    factories.MandateFactory(agency=buyer_agent.organization, client=buyer.organization, side="buyer")
    factories.MandateFactory(agency=seller_agent.organization, client=seller.organization, side="seller",
                             commission_bp=300)  # fmt: skip
    listing = published_listing(
        seller,
        deal_terms=[
            {"deal_kind": "license", "license_type": "non_exclusive", "upfront_fen": 20_000_000},
            {"deal_kind": "transfer", "price_fen": 500_000_000},
        ],
    )
    return World(seller, buyer, listing, buyer_agent, seller_agent, factories.user_with_role("buyer"))


@pytest.fixture
def offer_on(db):
    """Make an offer through the service: offer_on(listing, buyer, **terms)."""

    def _make(
        listing, buyer, terms=None, *, anonymous=False, expires_in=30, message=None, client_org_id=None
    ):
        return services.make_offer(
            listing,
            TermsInput.from_dict(terms or LICENCE),
            expires_on=today_shanghai() + timedelta(days=expires_in),
            anonymous=anonymous,
            message=message,
            client_org_id=client_org_id,
            actor=buyer,
        )

    return _make


@pytest.fixture
def outbox(app):
    """The e-mails sent during the test (the console sender keeps them)."""
    sender = ConsoleSender()
    previous = app.extensions.get("mail_sender")
    app.extensions["mail_sender"] = sender
    yield sender.outbox
    if previous is None:
        app.extensions.pop("mail_sender", None)
    else:
        app.extensions["mail_sender"] = previous


@pytest.fixture
def request_ctx(app, db):
    with app.test_request_context("/api/v1/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def english(client):
    with client.session_transaction() as sess:
        sess["lang"] = "en"
