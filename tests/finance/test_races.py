"""Concurrent decisions on PostgreSQL: signing a pledge against a transfer or an exclusive
licence of the same asset, a repayment against a transfer, two bank decisions at once.
Each decides under the loan's and the asset's row locks, so the outcomes are those of
one order or the other, never both."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.extensions import db as _db
from marketplace.finance import loans
from marketplace.finance.models import PledgeLoan
from marketplace.ip.deals import DealTerms
from marketplace.ip.encumbrances import record_committed_deal
from marketplace.ip.models import Encumbrance, IpAsset
from tests.race import ROUNDS, act, audit_chain, committed, lead_of, race, rounds

from .factories import SIGNED_ON, to_state, world

pytestmark = pytest.mark.postgres


def _setup(state: str) -> dict[str, int]:
    w = world()
    loan = to_state(w, state)
    if state == "approved":
        loans.sign_loan(loan, actor=w.owner)
    return {"loan": loan.id, "asset": w.assets[0].id, "owner": w.owner.id, "bank": w.bank.id}


def _commit_deal(asset_id: int, user_id: int, terms: DealTerms, reference: str):
    def prepare():
        asset = _db.session.get(IpAsset, asset_id)
        user = _db.session.get(User, user_id)
        assert asset.encumbrances is not None  # read what a page would show first
        return lambda: record_committed_deal(asset, terms, reference=reference, actor=user)

    return prepare


def _encumbrances(asset_id: int) -> list[Encumbrance]:
    return list(
        _db.session.scalars(
            select(Encumbrance).where(Encumbrance.asset_id == asset_id).order_by(Encumbrance.id)
        )
    )


@pytest.mark.parametrize(
    "terms",
    [DealTerms("transfer"), DealTerms("license", license_type="exclusive")],
    ids=["transfer", "exclusive"],
)
def test_signing_against_a_transfer_or_exclusive_licence(app, terms):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _setup("approved")
            outcomes = race(
                app,
                act(
                    PledgeLoan,
                    ids["loan"],
                    ids["bank"],
                    loans.sign_loan,
                    pledge_registration_no=f"Y-RACE-{round_no}",
                    signed_on=SIGNED_ON,
                ),
                _commit_deal(ids["asset"], ids["owner"], terms, f"C-RACE-{round_no}"),
                lead=lead_of(round_no),
            )
            with app.app_context():
                loan = _db.session.get(PledgeLoan, ids["loan"])
                encs = _encumbrances(ids["asset"])
                pledges = [e for e in encs if e.kind == "pledge"]
                deals = [e for e in encs if e.kind == "committed_deal"]
                if terms.deal_kind == "transfer":
                    # Exactly one wins: a pledged asset is not sold, a sold one not pledged.
                    assert outcomes in (["ok", "deal_excluded"], ["deal_excluded", "ok"]), outcomes
                else:
                    # A licence committed before the pledge stays; one after it is refused.
                    assert outcomes in (["ok", "deal_excluded"], ["ok", "ok"]), outcomes
                if outcomes[0] == "ok":
                    assert loan.status == "signed" and len(pledges) == 1 and not pledges[0].is_released
                    assert loan.asset_links[0].encumbrance_id == pledges[0].id
                else:
                    assert loan.status == "approved" and not pledges and loan.bank_signed_at is None
                if outcomes[1] == "ok":
                    assert len(deals) == 1
                    if pledges:
                        assert deals[0].id < pledges[0].id  # committed first
                else:
                    assert not deals
                audit_chain(loan)
                _db.session.remove()


def test_repayment_against_a_transfer(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _setup("signed")
            outcomes = race(
                app,
                act(PledgeLoan, ids["loan"], ids["bank"], loans.repay_loan, repaid_on=date(2026, 3, 1)),
                _commit_deal(ids["asset"], ids["owner"], DealTerms("transfer"), f"C-REPAY-{round_no}"),
                # The transfer cannot lead: on the state it was prepared on it is refused.
                lead=(0, None)[round_no % 2],
            )
            # Released first: the transfer goes through. Transfer first: still pledged, refused.
            assert outcomes in (["ok", "ok"], ["ok", "deal_excluded"]), outcomes
            with app.app_context():
                encs = _encumbrances(ids["asset"])
                pledge = next(e for e in encs if e.kind == "pledge")
                assert pledge.is_released
                deals = [e for e in encs if e.kind == "committed_deal"]
                assert len(deals) == (1 if outcomes[1] == "ok" else 0)
                if deals:
                    assert deals[0].created_at >= pledge.released_at
                _db.session.remove()


def test_two_bank_decisions_at_once(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _setup("applied")
            outcomes = race(
                app,
                act(PledgeLoan, ids["loan"], ids["bank"], loans.approve_loan, conditions="年利率3.85%"),
                act(PledgeLoan, ids["loan"], ids["bank"], loans.decline_loan, reason="估值不足"),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) == ["invalid_transition", "ok"], outcomes
            with app.app_context():
                loan = _db.session.get(PledgeLoan, ids["loan"])
                assert loan.status == ("approved" if outcomes[0] == "ok" else "declined")
                audit_chain(loan)
                _db.session.remove()


def _setup_sale() -> dict[str, int]:
    """A defaulted loan whose bank asked for a sale, and the owner's listing to start it on."""
    from marketplace.finance import disposals

    from .factories import sale_listing

    w = world()
    loan = to_state(w, "defaulted")
    disposal = disposals.request_disposal(
        loan, mode="notice", price_fen=2_000_000_00, notice_days=5, actor=w.bank
    )
    listing = sale_listing(w, loan)
    return {
        "loan": loan.id,
        "disposal": disposal.id,
        "listing": listing.id,
        "owner": w.owner.id,
        "bank": w.bank.id,
        "buyer": w.buyer.id,
    }


def test_the_owner_starts_the_sale_while_the_bank_gives_it_up(app):
    from marketplace.finance import disposals
    from marketplace.finance.models import Disposal

    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _setup_sale()
            outcomes = race(
                app,
                act(Disposal, ids["disposal"], ids["owner"], disposals.start_sale, listing_id=ids["listing"]),
                act(Disposal, ids["disposal"], ids["bank"], disposals.cancel_disposal),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) == ["invalid_transition", "ok"], outcomes
            with app.app_context():
                disposal = _db.session.get(Disposal, ids["disposal"])
                pledge = next(e for e in _encumbrances(_db.session.get(PledgeLoan, ids["loan"]).asset_ids[0]))
                if outcomes[0] == "ok":
                    assert disposal.status == "on_sale" and disposal.notice_id is not None
                    assert pledge.disposal_ref == disposal.reference
                else:
                    assert disposal.status == "cancelled" and disposal.notice_id is None
                    assert pledge.disposal_ref is None
                _db.session.remove()


def test_two_readers_record_a_sale_once(app):
    from datetime import timedelta

    from marketplace.finance import disposals
    from marketplace.finance.models import Disposal
    from marketplace.trading import notices as trading_notices

    from .factories import SALE_START

    def sync(disposal_id):
        def prepare():
            disposal = _db.session.get(Disposal, disposal_id)
            assert disposal.status == "on_sale"
            return lambda: disposals.sync_disposal(disposal, now=SALE_START + timedelta(days=7))

        return prepare

    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _setup_sale()
                disposal = _db.session.get(Disposal, ids["disposal"])
                disposals.start_sale(
                    disposal,
                    listing_id=ids["listing"],
                    actor=_db.session.get(User, ids["owner"]),
                    now=SALE_START,
                )
                trading_notices.accept_listed_price(
                    disposal.notice, actor=_db.session.get(User, ids["buyer"]), now=SALE_START
                )
            outcomes = race(app, sync(ids["disposal"]), sync(ids["disposal"]), lead=lead_of(round_no))
            assert outcomes == ["ok", "ok"], outcomes
            with app.app_context():
                loan = _db.session.get(PledgeLoan, ids["loan"])
                assert loan.status == "disposed" and len(loan.proceeds) == 2  # the default's and the sale's
                assert loan.disposals[0].status == "sold" and loan.disposals[0].contract_id is not None
                audit_chain(loan)
                audit_chain(loan.disposals[0])
                _db.session.remove()
