"""The finance demo seed: institutions, loans in every state (one repaid, one defaulted
with proceeds), risk shares, interests and investments; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.demo import accounts, finance, ip, listings
from marketplace.demo.context import DemoContext
from marketplace.finance.models import Investment, InvestmentInterest, PledgeLoan
from marketplace.finance.states import LoanStatus
from marketplace.ip.deals import DealTerms, check_deal


def test_demo_seed_covers_every_state_and_runs_twice(db, app):
    with app.test_request_context("/"):
        ctx = DemoContext(echo=lambda *_: None)
        accounts.seed(ctx)
        ip.seed(ctx)
        listings.seed(ctx)
        finance.seed(ctx)
        loans = db.session.scalars(select(PledgeLoan)).all()
        assert {loan.status for loan in loans} == {s.value for s in LoanStatus}
        assert {loan.bank_org.kind for loan in loans} == {"bank"} and len(
            {loan.bank_org_id for loan in loans}
        ) == 2
        defaulted = next(loan for loan in loans if loan.status == "defaulted" and not loan.disposals)
        assert (
            defaulted.proceeds_fen == 200 * 10_000 * 100 and defaulted.outstanding_fen == 200 * 10_000 * 100
        )
        repaid = next(loan for loan in loans if loan.status == "repaid")
        assert repaid.asset_links[0].encumbrance.is_released
        signed = [loan for loan in loans if loan.status == "signed"]
        for loan in signed:
            assert check_deal(loan.assets[0], DealTerms("transfer")).codes == ["pledged"]
        assert any(loan.consents and loan.pending_consents for loan in loans)
        assert any(len(loan.risk_shares) == 2 for loan in loans)
        # A defaulted loan whose patent is in an announced online bidding; one sold on notice.
        on_sale = next(loan for loan in loans if loan.live_disposal is not None)
        assert on_sale.status == "defaulted" and on_sale.live_disposal.status == "on_sale"
        assert on_sale.live_disposal.bidding_session.status == "announced"
        disposed = next(loan for loan in loans if loan.status == "disposed")
        assert (
            disposed.disposals[0].sale_price_fen == 180 * 10_000 * 100 and disposed.disposals[0].contract_id
        )
        assert disposed.asset_links[0].encumbrance.is_released
        assert all("演示" in ctx.org(k).name for k in finance.INSTITUTIONS)
        statuses = {i.status for i in db.session.scalars(select(Investment))}
        assert statuses == {"confirmed", "recorded"}
        assert db.session.scalar(select(func.count(InvestmentInterest.id))) == 2
        finance.seed(DemoContext(echo=lambda *_: None, orgs=ctx.orgs, users=ctx.users))
        assert db.session.scalar(select(func.count(PledgeLoan.id))) == len(loans)
        assert db.session.scalar(select(func.count(Investment.id))) == 2
