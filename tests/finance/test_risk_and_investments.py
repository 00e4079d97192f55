"""Risk shares (never over 100 % of a loan), equity interests and investments."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.finance import investments, risk
from tests import factories

from .factories import apply, equity_listing, financier, to_state, world

pytestmark = pytest.mark.usefixtures("in_request")


def test_risk_shares_add_up_to_at_most_100_percent(db):
    w = world()
    loan = apply(w)
    guarantor = financier("guarantee_company", name="黑龙江省中小企业融资担保有限公司")
    insurer = financier("insurer")
    risk.add_risk_share(
        loan,
        sharer_kind="guarantee_company",
        sharer_org_id=guarantor.organization_id,
        share_bp=5000,
        actor=w.bank,
    )
    risk.add_risk_share(loan, sharer_kind="risk_fund", share_bp=3000, actor=w.bank)
    with pytest.raises(ValidationError) as exc:
        risk.add_risk_share(
            loan, sharer_kind="insurer", sharer_org_id=insurer.organization_id, share_bp=2001, actor=w.bank
        )
    assert "20.00" in str(exc.value.fields["share_bp"][0])
    risk.add_risk_share(
        loan, sharer_kind="insurer", sharer_org_id=insurer.organization_id, share_bp=2000, actor=w.bank
    )
    assert loan.shared_bp == 10_000
    assert [s.share_fen for s in loan.risk_shares] == [2_500_000_00, 1_500_000_00, 1_000_000_00]
    # The guarantor now sees the loan it shares.
    from marketplace.finance.permissions import can_view_loan

    assert can_view_loan(guarantor, loan) and not can_view_loan(financier("guarantee_company"), loan)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sharer_kind": "bank", "share_bp": 100}, "sharer_kind"),
        ({"sharer_kind": "insurer", "share_bp": 100}, "sharer_org_id"),
        ({"sharer_kind": "risk_fund", "share_bp": 0}, "share_bp"),
        ({"sharer_kind": "risk_fund", "share_bp": 10_001}, "share_bp"),
        ({"sharer_kind": "risk_fund", "share_bp": "50"}, "share_bp"),
    ],
)
def test_bad_risk_shares_are_refused(db, kwargs, field):
    w = world()
    loan = apply(w)
    with pytest.raises(ValidationError) as exc:
        risk.add_risk_share(loan, actor=w.bank, **kwargs)
    assert field in exc.value.fields and not loan.risk_shares


def test_only_the_bank_records_risk_shares_and_not_on_a_closed_loan(db):
    w = world()
    loan = apply(w)
    with pytest.raises(PermissionDenied):
        risk.add_risk_share(loan, sharer_kind="risk_fund", share_bp=100, actor=w.owner)
    with pytest.raises(PermissionDenied):
        risk.add_risk_share(loan, sharer_kind="risk_fund", share_bp=100, actor=w.other_bank)
    repaid = to_state(world(), "repaid")
    with pytest.raises(Conflict):
        risk.add_risk_share(repaid, sharer_kind="risk_fund", share_bp=100, actor=repaid.bank_org.members[0])


def test_an_investor_follows_shows_interest_and_records_an_investment(db):
    listing, seller = equity_listing()
    other = factories.ListingFactory(published=True)  # a licence only: not an equity listing
    investor = financier("investment_fund", name="黑龙江省新兴产业投资基金")
    investments.set_followed_industries(investor, ["new_materials"])
    assert investments.followed_industries(investor) == ["new_materials"]
    shown = investments.equity_listings(investor)
    assert listing in shown and other not in shown
    with pytest.raises(Conflict):
        investments.express_interest(other, message="有兴趣", actor=investor)
    interest = investments.express_interest(listing, message="我方拟投资，请联系。", actor=investor)
    again = investments.express_interest(listing, message="补充：可提供产业资源。", actor=investor)
    assert again.id == interest.id and len(interest.messages) == 2
    investments.post_message(interest, body="欢迎洽谈。", actor=seller)
    assert [m.author_org_id for m in interest.messages][-1] == seller.organization_id
    with pytest.raises(PermissionDenied):
        investments.post_message(interest, body="x", actor=factories.user_with_role("seller"))
    inv = investments.record_investment(
        listing_id=listing.id,
        company="哈尔滨新材料科技有限公司",
        amount_fen=30_000_000_00,
        share_bp=1500,
        invested_on=date(2025, 6, 1),
        actor=investor,
    )
    assert inv.status == "recorded" and inv.counterpart_org_id == seller.organization_id
    with pytest.raises(PermissionDenied):
        investments.confirm_investment(inv, actor=investor)
    investments.confirm_investment(inv, actor=seller)
    assert inv.status == "confirmed"
    with pytest.raises(InvalidTransition):
        investments.reject_investment(inv, reason="不对", actor=seller)


def test_only_investors_and_bad_investment_input(db):
    listing, seller = equity_listing()
    bank = financier("bank")
    with pytest.raises(PermissionDenied):
        investments.express_interest(listing, message="x", actor=bank)
    with pytest.raises(PermissionDenied):
        investments.record_investment(
            listing_id=listing.id, company="x", amount_fen=1, share_bp=1, actor=seller
        )
    investor = financier("investment_fund")
    with pytest.raises(ValidationError) as exc:
        investments.record_investment(
            listing_id=None,
            company="",
            amount_fen=0,
            share_bp=10_001,
            invested_on=date(2099, 1, 1),
            actor=investor,
        )
    assert {"listing_id", "company", "amount_fen", "share_bp", "invested_on"} <= set(exc.value.fields)
    inv = investments.record_investment(
        counterpart_org_id=seller.organization_id,
        company="某公司",
        amount_fen=100,
        share_bp=1,
        actor=investor,
    )
    with pytest.raises(ValidationError):
        investments.reject_investment(inv, reason=" ", actor=seller)
    investments.reject_investment(inv, reason="金额有误", actor=seller)
    assert inv.status == "rejected" and inv.reject_reason == "金额有误"
