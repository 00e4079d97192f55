"""A co-owner withdrawing its consent while the seller accepts a transfer offer
(PostgreSQL: both decide under the listing's row lock)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db as _db
from marketplace.listings import services as listings
from marketplace.listings.models import Listing
from marketplace.offers import services
from marketplace.offers.models import Offer
from marketplace.offers.services import TermsInput
from tests import factories
from tests.race import ROUNDS, act, committed, lead_of, race, rounds

pytestmark = pytest.mark.postgres

TRANSFER = TermsInput(deal_kind="transfer", price_fen=300_000_000)


def _setup() -> dict[str, int]:
    a = factories.user_with_role("seller")
    b = factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=[(a.organization, 5000), (b.organization, 5000)])
    listing = factories.ListingFactory(
        seller=a, assets=[asset], deal_terms=[{"deal_kind": "transfer", "price_fen": 1}], published=True
    )
    listings.give_consent(listing, actor=b)
    buyer = factories.user_with_role("buyer")
    offer = services.make_offer(
        listing, TRANSFER, expires_on=today_shanghai() + timedelta(days=9), actor=buyer
    )
    return {
        "offer": offer.id,
        "listing": listing.id,
        "a": a.id,
        "b": b.id,
        "asset": asset.id,
        "buyer": buyer.id,
    }


def test_accept_against_a_consent_withdrawal(app):
    from marketplace.ip.models import IpAsset

    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _setup()
            outcomes = race(
                app,
                act(Offer, ids["offer"], ids["a"], services.accept_offer),
                act(Listing, ids["listing"], ids["b"], listings.withdraw_consent),
                lead=lead_of(round_no),
            )
            assert outcomes in (["ok", "consent_bound"], ["co_owner_consent_required", "ok"]), outcomes
            with app.test_request_context("/"):
                offer = _db.session.get(Offer, ids["offer"])
                listing = _db.session.get(Listing, ids["listing"])
                if outcomes[0] == "ok":
                    assert offer.status == "accepted" and [c.org_id for c in listing.consents]
                    assert listing.status == "closed"
                else:
                    assert offer.status == "open" and listing.consents == []
                    # The next step works: the co-owner consents again and the seller accepts.
                    from marketplace.accounts.models import User

                    listings.give_consent(listing, actor=_db.session.get(User, ids["b"]))
                    services.accept_offer(offer, actor=_db.session.get(User, ids["a"]))
                    _db.session.commit()
                    assert offer.status == "accepted"
                asset = _db.session.get(IpAsset, ids["asset"])
                assert asset is not None
