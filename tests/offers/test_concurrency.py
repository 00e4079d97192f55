"""Exclusivity holds when acceptances race (PostgreSQL row locks).

Twenty acceptances at once through the API, each request in its own session and
connection with real commits (outside the test's rolled-back transaction), five
rounds: transfers on one listing, then exclusive licences of the same asset on
twenty listings. Exactly one wins each round; the others get 409 and nothing of
theirs is stored. Everything created is deleted afterwards."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select

from marketplace.accounts.services import issue_token
from marketplace.contracts.models import Contract
from marketplace.extensions import db as _db
from marketplace.ip.models import Encumbrance
from marketplace.listings.models import ListingAsset
from marketplace.offers import services
from marketplace.offers.models import Offer
from marketplace.offers.services import TermsInput
from tests import factories

THREADS = 20
ROUNDS = 5


def _max_ids() -> dict[str, int]:
    return {
        t.name: _db.session.scalar(select(func.coalesce(func.max(t.c.id), 0)))
        for t in _db.metadata.sorted_tables
        if "id" in t.c
    }


def _clean_up(before: dict[str, int]) -> None:
    from marketplace.contracts.models import ContractAsset

    _db.session.execute(delete(ContractAsset).where(ContractAsset.contract_id > before["contracts"]))
    _db.session.execute(delete(ListingAsset).where(ListingAsset.listing_id > before["listings"]))
    for table in reversed(_db.metadata.sorted_tables):
        if table.name in before:
            _db.session.execute(delete(table).where(table.c.id > before[table.name]))
    _db.session.commit()


def _prepare(round_no: int):
    """A seller, THREADS buyers each with an offer countered by the seller (the buyer's turn)."""
    seller = factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    exclusive = round_no % 2 == 1
    if exclusive:
        kinds = [{"deal_kind": "license", "license_type": "exclusive", "upfront_fen": 1}]
        listings = [factories.ListingFactory(seller=seller, published=True, assets=[asset], deal_terms=kinds)
                    for _ in range(THREADS)]  # fmt: skip
        terms = TermsInput(
            deal_kind="license", license_type="exclusive", upfront_fen=10_000_000, territory="黑龙江"
        )
    else:
        one = factories.ListingFactory(seller=seller, published=True, assets=[asset],
                                       deal_terms=[{"deal_kind": "transfer", "price_fen": 1}])  # fmt: skip
        listings = [one] * THREADS
        terms = TermsInput(deal_kind="transfer", price_fen=300_000_000)
    from datetime import timedelta

    from marketplace.core.timeutil import today_shanghai

    tokens, offer_ids = [], []
    for listing in listings:
        buyer = factories.user_with_role("buyer")
        offer = services.make_offer(
            listing, terms, expires_on=today_shanghai() + timedelta(days=9), actor=buyer
        )
        changed = TermsInput(**{**terms.__dict__, "upfront_fen": 12_000_000} if exclusive
                             else {**terms.__dict__, "price_fen": 320_000_000})  # fmt: skip
        services.counter_offer(offer, changed, actor=seller)
        tokens.append(issue_token(buyer, "race", actor=buyer)[1])
        offer_ids.append(offer.id)
    _db.session.commit()
    return asset.id, tokens, offer_ids


def _race(client, offer_ids: list[int], tokens: list[str]) -> list[int]:
    """Every buyer accepts its offer at the same moment, each request in its own thread."""
    barrier = threading.Barrier(len(offer_ids))
    statuses = [0] * len(offer_ids)

    def accept(i: int) -> None:
        barrier.wait(10)
        response = client.post(
            f"/api/v1/offers/{offer_ids[i]}/accept", headers={"Authorization": f"Bearer {tokens[i]}"}
        )
        statuses[i] = response.status_code

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(offer_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


@pytest.mark.postgres
def test_racing_acceptances_make_exactly_one_deal(app):
    client = app.test_client()
    with app.app_context():
        factories.bind(_db.session)
        before = _max_ids()
    try:
        for round_no in range(ROUNDS):
            with app.test_request_context("/"):
                asset_id, tokens, offer_ids = _prepare(round_no)
                _db.session.remove()
            statuses = _race(client, offer_ids, tokens)
            assert sorted(statuses) == [200] + [409] * (THREADS - 1), statuses
            with app.app_context():
                accepted = _db.session.scalars(
                    select(Offer).where(Offer.id.in_(offer_ids), Offer.status == "accepted")
                ).all()
                assert len(accepted) == 1
                deals = _db.session.scalar(
                    select(func.count(Encumbrance.id)).where(Encumbrance.asset_id == asset_id,
                                                             Encumbrance.kind == "committed_deal")
                )  # fmt: skip
                assert deals == 1
                contracts = _db.session.scalar(
                    select(func.count(Contract.id)).where(
                        Contract.source_ref.in_([f"offer:{i}" for i in offer_ids])
                    )
                )
                assert contracts == 1
                _db.session.remove()
    finally:
        with app.app_context():
            _clean_up(before)
            _db.session.remove()
