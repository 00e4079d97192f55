"""Finance test helpers: banks, sharers and investors with their staff, an owner with
assets, and loans brought to a given state through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from marketplace.core.timeutil import utcnow
from marketplace.finance import disposals, investments, loans
from marketplace.trading import notices as trading_notices
from tests import factories

SIGNED_ON = date(2025, 3, 10)


def financier(kind: str = "bank", *, region: str = "230100", name: str | None = None):
    org = factories.OrganizationFactory(kind=kind, region_code=region, **({"name": name} if name else {}))
    return factories.UserFactory(role="financier", organization=org)


@dataclass
class World:
    owner: object
    bank: object
    other_bank: object
    buyer: object
    regulator: object
    admin: object
    assets: list = field(default_factory=list)


def world(*, co_owned: bool = False) -> World:
    owner = factories.user_with_role("seller")
    assets = [factories.IpAssetFactory(owned_by=owner.organization)]
    if co_owned:
        partner = factories.user_with_role("seller")
        assets.append(
            factories.IpAssetFactory(owned_by=[(owner.organization, 6000), (partner.organization, 4000)])
        )
    w = World(
        owner=owner,
        bank=financier("bank", name="测试银行哈尔滨分行"),
        other_bank=financier("bank"),
        buyer=factories.user_with_role("buyer"),
        regulator=factories.user_with_role("regulator"),
        admin=factories.user_with_role("admin"),
        assets=assets,
    )
    if co_owned:
        w.partner = partner  # type: ignore[attr-defined]
    return w


def apply(w: World, **overrides):
    values = {
        "bank_org_id": w.bank.organization_id,
        "asset_ids": [a.id for a in w.assets],
        "amount_fen": 5_000_000_00,
        "term_months": 12,
        "purpose": "购置中试生产线设备",
    }
    values.update(overrides)
    return loans.apply_for_loan(actor=w.owner, **values)


def to_state(w: World, status: str):
    loan = apply(w)
    if status == "applied":
        return loan
    if status == "withdrawn":
        return loans.withdraw_loan(loan, actor=w.owner)
    if status == "documents_requested":
        return loans.request_documents(loan, request="请补充评估报告", actor=w.bank)
    if status == "declined":
        return loans.decline_loan(loan, reason="估值不足", actor=w.bank)
    if loan.consents:
        loans.answer_consent(loan, give=True, actor=w.partner)
    loans.approve_loan(loan, conditions="年利率3.85%", actor=w.bank)
    if status == "approved":
        return loan
    loans.sign_loan(loan, actor=w.owner)
    loans.sign_loan(loan, actor=w.bank, pledge_registration_no="Y2025230000123", signed_on=SIGNED_ON)
    if status == "signed":
        return loan
    if status == "repaid":
        return loans.repay_loan(loan, actor=w.bank, repaid_on=date(2026, 3, 1))
    loans.default_loan(loan, actor=w.bank, defaulted_on=date(2026, 4, 1), proceeds_fen=1_000_000_00)
    if status == "defaulted":
        return loan
    if status == "disposed":
        sell_by_notice(w, loan)
        return loan
    raise ValueError(status)


#: A sale's clock: far enough in the past that its whole course (and the releases it
#: makes, which cannot be dated in the future) has happened by today.
SALE_START = utcnow() - timedelta(days=40)


def sale_listing(w: World, loan):
    """The owner's published listing of the pledged assets, offering a transfer."""
    return factories.ListingFactory(
        seller=w.owner,
        assets=list(loan.assets),
        deal_terms=[{"deal_kind": "transfer", "price_fen": 3_000_000_00}],
        published=True,
    )


def sell_by_notice(w: World, loan, *, price_fen: int = 2_500_000_00, buyers=None):
    """The bank puts the assets on public notice, the owner starts it, `buyers` accept
    (default: w.buyer), the notice ends: the disposal, brought up to date."""
    disposal = disposals.request_disposal(
        loan, mode="notice", price_fen=price_fen, notice_days=5, actor=w.bank
    )
    listing = sale_listing(w, loan)
    disposals.start_sale(disposal, listing_id=listing.id, actor=w.owner, now=SALE_START)
    for buyer in [w.buyer] if buyers is None else buyers:
        trading_notices.accept_listed_price(disposal.notice, actor=buyer, now=SALE_START)
    return disposals.sync_disposal(disposal, now=SALE_START + timedelta(days=7))


def equity_listing(seller=None):
    seller = seller or factories.user_with_role("seller")
    asset = factories.IpAssetFactory(owned_by=seller.organization, industry="new_materials")
    listing = factories.ListingFactory(
        seller=seller,
        assets=[asset],
        deal_terms=[
            {
                "deal_kind": "equity",
                "valuation_fen": 20_000_000_00,
                "equity_share_bp": 2000,
                "company": "新材料公司",
            }
        ],
        published=True,
    )
    return listing, seller


__all__ = [
    "financier",
    "world",
    "apply",
    "to_state",
    "equity_listing",
    "investments",
    "sale_listing",
    "sell_by_notice",
    "SALE_START",
]
