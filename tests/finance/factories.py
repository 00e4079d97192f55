"""Finance test helpers: banks, sharers and investors with their staff, an owner with
assets, and loans brought to a given state through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from marketplace.finance import investments, loans
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
    if status == "defaulted":
        return loans.default_loan(
            loan, actor=w.bank, defaulted_on=date(2026, 4, 1), proceeds_fen=1_000_000_00
        )
    raise ValueError(status)


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


__all__ = ["financier", "world", "apply", "to_state", "equity_listing", "investments"]
