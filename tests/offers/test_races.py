"""An acceptance and a withdrawal of the same offer at the same moment
(PostgreSQL row locks), ROUNDS rounds over two real connections: exactly one
wins, the offer ends accepted with its contract draft or withdrawn without
one, and the next step works (the draft can be signed; the buyer can make a
new offer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.contracts import services as contracts
from marketplace.contracts.models import Contract
from marketplace.core.timeutil import today_shanghai
from marketplace.extensions import db as _db
from marketplace.ip.models import Encumbrance
from marketplace.offers import services
from marketplace.offers.models import Offer
from marketplace.offers.services import TermsInput
from tests import factories
from tests.race import ROUNDS, act, audit_chain, committed, lead_of, race, rounds

pytestmark = pytest.mark.postgres

TERMS = TermsInput(
    deal_kind="license", license_type="non_exclusive", upfront_fen=5_000_000, territory="黑龙江"
)


def _offer() -> dict[str, int]:
    """A buyer's open offer on a published non-exclusive licence: the seller's turn."""
    seller = factories.user_with_role("seller")
    listing = factories.ListingFactory(seller=seller, published=True)
    buyer = factories.user_with_role("buyer")
    offer = services.make_offer(listing, TERMS, expires_on=today_shanghai() + timedelta(days=9), actor=buyer)
    return {"offer": offer.id, "seller": seller.id, "buyer": buyer.id, "asset": listing.assets[0].id}


def test_accept_against_a_withdrawal(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _offer()
            outcomes = race(
                app,
                act(Offer, ids["offer"], ids["seller"], services.accept_offer),
                act(Offer, ids["offer"], ids["buyer"], services.withdraw_offer),
                lead=lead_of(round_no),
            )
            accepted = outcomes[0] == "ok"
            assert outcomes in (["ok", "already_accepted"], ["invalid_transition", "ok"]), outcomes
            with app.test_request_context("/"):
                offer = _db.session.get(Offer, ids["offer"])
                audit_chain(offer)
                deals = _db.session.scalar(
                    select(func.count(Encumbrance.id)).where(
                        Encumbrance.asset_id == ids["asset"], Encumbrance.kind == "committed_deal"
                    )
                )
                contracts_made = _db.session.scalar(
                    select(func.count(Contract.id)).where(Contract.source_ref == offer.reference)
                )
                seller, buyer = _db.session.get(User, ids["seller"]), _db.session.get(User, ids["buyer"])
                if accepted:
                    assert offer.status == "accepted" and offer.contract_id is not None
                    assert (deals, contracts_made) == (1, 1)
                    contract = _db.session.get(Contract, offer.contract_id)
                    contracts.update_contract(contract, {"valid_to": today_shanghai() + timedelta(days=400)},
                                              actor=seller)  # fmt: skip
                    assert contract.status == "draft"
                else:
                    assert offer.status == "withdrawn" and offer.contract_id is None
                    assert (deals, contracts_made) == (0, 0)
                    again = services.make_offer(
                        offer.listing, TERMS, expires_on=today_shanghai() + timedelta(days=9), actor=buyer
                    )
                    assert again.status == "open"
                _db.session.commit()
                _db.session.remove()
