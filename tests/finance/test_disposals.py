"""On default the bank puts the pledged assets up for sale through public trading
(网络竞价 or 挂牌公示); the owner side starts it on its listing; the winning price is
recorded against the loan, the pledges released and the loan closed as disposed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.finance import disposals, figures
from marketplace.finance.states import DISPOSAL_TRANSITIONS, DisposalStatus, disposal_machine
from marketplace.ip.deals import DealTerms, check_deal
from marketplace.trading import bidding as trading_bidding
from marketplace.trading import enrolment as trading_enrolment
from tests import factories

from .factories import SALE_START, sale_listing, sell_by_notice, to_state, world

pytestmark = pytest.mark.usefixtures("in_request")

BIDDING = {
    "mode": "bidding",
    "price_fen": 2_000_000_00,
    "increment_fen": 10_000_00,
    "deposit_fen": 200_000_00,
    "duration_hours": 24,
}


def test_every_pair_of_disposal_states_follows_the_table():
    for src in DisposalStatus:
        for dst in DisposalStatus:
            assert disposal_machine.allowed(src, dst) is (dst in DISPOSAL_TRANSITIONS[src])


def test_the_bank_sells_the_pledged_assets_by_online_bidding(db):
    w = world()
    asset = w.assets[0]
    loan = to_state(w, "defaulted")  # 1,000,000.00 recovered already, 4,000,000.00 owed
    assert not check_deal(asset, DealTerms("transfer")).ok
    disposal = disposals.request_disposal(loan, actor=w.bank, note="请于十日内挂出", **BIDDING)
    assert disposal.status == "requested" and loan.live_disposal is disposal
    # The pledge stays in the register, but lets the sale's transfer through (only that).
    (pledge,) = asset.encumbrances
    assert not pledge.is_released and pledge.disposal_ref == disposal.reference
    assert check_deal(asset, DealTerms("transfer")).codes == []
    assert "pledge_in_disposal" in [r.code for r in check_deal(asset, DealTerms("transfer")).warnings]
    assert check_deal(asset, DealTerms("equity")).codes == ["pledged"]
    assert check_deal(asset, DealTerms("license", license_type="exclusive")).codes == ["pledged"]

    listing = sale_listing(w, loan)
    disposals.start_sale(disposal, listing_id=listing.id, actor=w.owner, now=SALE_START)
    session = disposal.bidding_session
    assert disposal.status == "on_sale" and session is not None
    assert (session.starting_price_fen, session.increment_fen, session.deposit_fen) == (
        2_000_000_00,
        10_000_00,
        200_000_00,
    )
    assert session.seller_org_id == w.owner.organization_id
    assert session.ends_at - session.starts_at == timedelta(hours=24)

    buyers = [w.buyer, factories.user_with_role("buyer")]
    for buyer in buyers:
        e = trading_enrolment.enrol(session, actor=buyer, now=SALE_START)
        trading_enrolment.confirm_deposit(e.deposit, actor=w.owner, now=SALE_START)
    during = session.starts_at + timedelta(hours=1)
    trading_bidding.place_bid(session, 2_000_000_00, actor=buyers[0], now=during)
    trading_bidding.place_bid(session, 4_500_000_00, actor=buyers[1], now=during + timedelta(minutes=1))
    disposals.sync_disposal(disposal, now=during)
    assert disposal.status == "on_sale" and loan.status == "defaulted"  # still bidding

    after = session.effective_ends_at + timedelta(minutes=1)
    disposals.sync_disposal(disposal, now=after)
    assert session.status == "settled" and session.contract_id is not None
    assert disposal.status == "sold" and disposal.sale_price_fen == 4_500_000_00
    assert disposal.contract_id == session.contract_id
    assert loan.status == "disposed"
    # What is owed is recovered; the surplus over the debt is the pledgor's, not the bank's.
    assert loan.proceeds[-1].amount_fen == 4_000_000_00 and loan.proceeds[-1].id == disposal.proceeds_id
    assert session.reference in loan.proceeds[-1].note
    assert loan.proceeds_fen == loan.amount_fen and loan.outstanding_fen == 0
    assert pledge.is_released and f"PL-{loan.id}" in pledge.release_note
    disposals.sync_disposal(disposal, now=after)  # twice is once
    assert len(loan.proceeds) == 2
    # Still a default in the regulators' figures.
    total = figures.summary(year=None, group_by="year", user=w.admin).to_dict()["total"]
    assert (
        total["defaults"] == 1 and total["proceeds_fen"] == loan.amount_fen and total["outstanding_fen"] == 0
    )


def test_a_public_notice_without_a_buyer_gives_the_pledges_back_their_force(db):
    w = world()
    asset = w.assets[0]
    loan = to_state(w, "defaulted")
    disposal = sell_by_notice(w, loan, buyers=[])
    assert disposal.status == "unsold" and loan.status == "defaulted"
    (pledge,) = asset.encumbrances
    assert not pledge.is_released and pledge.disposal_ref is None
    assert check_deal(asset, DealTerms("transfer")).codes == ["pledged"]
    # The bank may try again.
    again = disposals.request_disposal(loan, actor=w.bank, **BIDDING)
    assert again.status == "requested" and pledge.disposal_ref == again.reference


def test_a_public_notice_with_one_buyer_sells_at_the_listed_price(db):
    w = world()
    loan = to_state(w, "defaulted")
    disposal = sell_by_notice(w, loan, price_fen=2_500_000_00)
    assert disposal.status == "sold" and disposal.sale_price_fen == 2_500_000_00
    assert disposal.notice.status == "contracted" and disposal.contract_id == disposal.notice.contract_id
    assert loan.status == "disposed" and loan.proceeds_fen == 1_000_000_00 + 2_500_000_00
    assert loan.outstanding_fen == 5_000_000_00 - 3_500_000_00


def test_who_may_take_each_step_of_a_sale(db):
    w = world()
    loan = to_state(w, "defaulted")
    for user in (w.owner, w.other_bank, w.buyer, w.regulator, w.admin):
        with pytest.raises(PermissionDenied):
            disposals.request_disposal(loan, actor=user, **BIDDING)
    disposal = disposals.request_disposal(loan, actor=w.bank, **BIDDING)
    listing = sale_listing(w, loan)
    for user in (w.bank, w.other_bank, w.buyer, w.admin):
        with pytest.raises(PermissionDenied):
            disposals.start_sale(disposal, listing_id=listing.id, actor=user, now=SALE_START)
        with pytest.raises(PermissionDenied):
            disposals.refuse_disposal(disposal, reason="不同意", actor=user)
    for user in (w.owner, w.other_bank):
        with pytest.raises(PermissionDenied):
            disposals.cancel_disposal(disposal, actor=user)
    with pytest.raises(Conflict) as exc:
        disposals.request_disposal(loan, actor=w.bank, **BIDDING)
    assert exc.value.code == "disposal_under_way"


def test_bad_input_and_wrong_states_are_refused_with_reasons(db):
    w = world()
    signed = to_state(w, "signed")
    with pytest.raises(Conflict):
        disposals.request_disposal(signed, actor=w.bank, **BIDDING)
    w2 = world()
    loan = to_state(w2, "defaulted")
    with pytest.raises(ValidationError) as exc:
        disposals.request_disposal(loan, actor=w2.bank, mode="auction", price_fen=0)
    assert set(exc.value.fields) == {"mode", "price_fen"}
    with pytest.raises(ValidationError) as exc:
        disposals.request_disposal(
            loan, actor=w2.bank, **{**BIDDING, "deposit_fen": 1_00, "duration_hours": 2}
        )
    assert set(exc.value.fields) == {"deposit_fen", "duration_hours"}
    with pytest.raises(ValidationError) as exc:
        disposals.request_disposal(loan, actor=w2.bank, mode="notice", price_fen=1_000_00, notice_days=1)
    assert set(exc.value.fields) == {"notice_days"}
    disposal = disposals.request_disposal(loan, actor=w2.bank, **BIDDING)
    # A listing of another asset, or not the owner's: not one to sell the pledged assets on.
    other = factories.ListingFactory(
        seller=w2.owner,
        assets=[factories.IpAssetFactory(owned_by=w2.owner.organization)],
        deal_terms=[{"deal_kind": "transfer", "price_fen": 100_00}],
        published=True,
    )
    for listing_id in (other.id, "1", None, 10**9):
        with pytest.raises(ValidationError) as exc:
            disposals.start_sale(disposal, listing_id=listing_id, actor=w2.owner, now=SALE_START)
        assert "listing_id" in exc.value.fields
    with pytest.raises(ValidationError):
        disposals.refuse_disposal(disposal, reason="  ", actor=w2.owner)
    disposals.refuse_disposal(disposal, reason="正在与意向受让方协商", actor=w2.owner)
    assert disposal.status == "refused" and w2.assets[0].encumbrances[0].disposal_ref is None
    with pytest.raises(InvalidTransition):
        disposals.cancel_disposal(disposal, actor=w2.bank)
    third = disposals.request_disposal(loan, actor=w2.bank, **BIDDING)
    disposals.cancel_disposal(third, actor=w2.bank)
    assert third.status == "cancelled" and w2.assets[0].encumbrances[0].disposal_ref is None


def test_the_sale_through_the_api(api, db):
    w = world()
    loan = to_state(w, "defaulted")
    bank, owner = api(w.bank), api(w.owner)
    path = f"/api/v1/financing/pledges/{loan.id}/disposals"
    assert owner.post(path, json=BIDDING).status_code == 403
    bad = bank.post(path, json={"mode": "notice", "price_fen": "很多"})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"price_fen", "notice_days"}
    created = bank.post(path, json={"mode": "notice", "price_fen": 3_000_000_00, "notice_days": 10})
    assert created.status_code == 201
    body = created.get_json()
    assert body["status"] == "requested" and body["mode"] == "notice"
    assert bank.post(path, json=BIDDING).status_code == 409
    listing = sale_listing(w, loan)
    d = f"/api/v1/financing/disposals/{body['id']}"
    assert api(w.buyer).get(d).status_code == 404
    assert bank.post(f"{d}/start", json={"listing_id": listing.id}).status_code == 403
    assert owner.post(f"{d}/start", json={"listing_id": "x"}).status_code == 422
    started = owner.post(f"{d}/start", json={"listing_id": listing.id})
    assert started.status_code == 200
    assert started.get_json()["status"] == "on_sale" and started.get_json()["notice_id"]
    assert bank.post(f"{d}/cancel").status_code == 409
    shown = bank.get(f"/api/v1/financing/pledges/{loan.id}").get_json()
    assert shown["disposals"][0]["status"] == "on_sale"
    assert bank.get(d).get_json()["listing_id"] == listing.id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sale_on_the_loan_page(client, login_as, db, lang):
    w = world()
    loan = to_state(w, "defaulted")
    suffix = "?lang=en" if lang == "en" else ""
    login_as(w.bank)
    page = client.get(f"/finance/pledges/{loan.id}{suffix}").get_data(as_text=True)
    assert 'id="disposal-form"' in page
    assert ("Online bidding" if lang == "en" else "网络竞价") in page
    refused = client.post(
        f"/finance/pledges/{loan.id}/disposals{suffix}",
        data={"mode": "bidding", "price_fen": "2,000,000", "increment_fen": "", "deposit_fen": "10"},
    )
    assert refused.status_code == 422 and 'class="error"' in refused.get_data(as_text=True)
    posted = client.post(
        f"/finance/pledges/{loan.id}/disposals{suffix}",
        data={"mode": "notice", "price_fen": "3,000,000.00", "notice_days": "10", "note": "请尽快挂牌"},
    )
    assert posted.status_code == 302
    disposal = loan.disposals[0]
    listing = sale_listing(w, loan)
    login_as(w.owner)
    page = client.get(f"/finance/pledges/{loan.id}{suffix}").get_data(as_text=True)
    assert 'id="start-sale-form"' in page and listing.title in page and "请尽快挂牌" in page
    started = client.post(
        f"/finance/pledges/{loan.id}/disposals/{disposal.id}/start{suffix}",
        data={"listing_id": str(listing.id)},
    )
    assert started.status_code == 302
    page = client.get(f"/finance/pledges/{loan.id}{suffix}").get_data(as_text=True)
    assert disposal.notice.reference in page and f"/notices/{disposal.notice_id}" in page
    assert ("On sale" if lang == "en" else "出售中") in page


def test_the_sold_loan_page_shows_the_price_and_the_contract(client, login_as, db):
    w = world()
    loan = to_state(w, "disposed")
    login_as(w.owner)
    page = client.get(f"/finance/pledges/{loan.id}?lang=en").get_data(as_text=True)
    assert 'id="sale-price"' in page and "2,500,000.00" in page
    assert f"/contracts/{loan.disposals[0].contract_id}" in page
    assert "Defaulted; pledged assets sold" in page


def test_the_command_records_the_sales_public_trading_decided(app, db, monkeypatch):
    from marketplace.finance.cli import disposals_command
    from marketplace.trading import clock as trading_clock

    w = world()
    loan = to_state(w, "defaulted")
    disposal = disposals.request_disposal(
        loan, mode="notice", price_fen=2_000_000_00, notice_days=5, actor=w.bank
    )
    disposals.start_sale(disposal, listing_id=sale_listing(w, loan).id, actor=w.owner, now=SALE_START)
    monkeypatch.setattr(trading_clock, "now", lambda: SALE_START + timedelta(days=7))
    result = app.test_cli_runner().invoke(disposals_command)
    assert result.exit_code == 0 and "1 sales decided" in result.output
    assert disposal.status == "unsold" and loan.status == "defaulted"
    result = app.test_cli_runner().invoke(disposals_command)
    assert "0 sales decided" in result.output
