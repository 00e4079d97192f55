"""What the platform checks before a contract is signed or submitted: the
checklist of terms, documents and signatures, and the co-owners' consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from ..core.catalog import INDUSTRIES
from ..core.errors import Conflict
from ..core.timeutil import shanghai_date, utcnow
from ..storage.uploads import Attachment, attachments_of
from .codes import CATEGORIES, TRANSFER_CATEGORIES, title_matches_category
from .models import Contract
from .ports import trading_checks
from .queries import contract_assets
from .states import IN_REVIEW

SIGNED_DOCUMENT = "signed_contract"


class ChecklistIncomplete(Conflict):
    """409: what the platform found missing; `fields` maps each check to its message."""

    code = "checklist_incomplete"
    default_message = _l("The contract is not complete yet; see what is missing.")


def signed_documents(contract: Contract) -> list[Attachment]:
    return attachments_of(contract, SIGNED_DOCUMENT)


@dataclass(frozen=True)
class CheckItem:
    code: str
    ok: bool
    message: Any  # lazy string: what is missing, or what is fine

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "ok": self.ok, "message": str(self.message)}


def _sum(rows) -> int:
    return sum(int(r.amount_fen) for r in rows)


def checklist(contract: Contract, *, today: date | None = None, for_signing: bool = False) -> list[CheckItem]:
    """The refusal reasons the platform can check itself, as a list of checks.

    `for_signing`: only the terms (not the signed document and signatures).
    """
    today = today or shanghai_date(utcnow())
    c = contract
    items: list[CheckItem] = []

    def add(code: str, ok: bool, message: Any) -> None:
        items.append(CheckItem(code, bool(ok), message))

    has_buyer = c.buyer_org_id is not None or bool(c.buyer_name and c.buyer_place)
    add(
        "parties",
        c.seller_org_id is not None and has_buyer,
        _l("Name both parties: the seller and the buyer."),
    )
    add(
        "subject",
        bool(c.asset_links) or bool((c.subject or "").strip()),
        _l("Say what the contract is about: link the IP assets or describe the subject."),
    )
    add(
        "price",
        bool(c.turnover_fen) and c.tech_income_fen is not None,
        _l("Enter the contract turnover and the technology income."),
    )
    add("category", c.category in CATEGORIES, _l("Choose the contract category."))
    add(
        "title_category",
        title_matches_category(c.title, c.category),
        _l("The title must name the kind of contract of its category (e.g. 转让, 许可, 开发, 咨询, 服务)."),
    )
    add("industry", c.industry in INDUSTRIES, _l("Choose the industry."))
    costs_ok = (
        c.turnover_fen is not None
        and c.tech_income_fen is not None
        and 0 <= c.tech_income_fen <= c.turnover_fen
        and _sum(c.cost_lines) == c.turnover_fen - c.tech_income_fen
    )
    add(
        "amounts",
        costs_ok,
        _l(
            "Technology income must be between 0 and the turnover, and the non-technical "
            "costs must add up exactly to the difference."
        ),
    )
    add(
        "milestones",
        bool(c.milestones) and c.turnover_fen is not None and _sum(c.milestones) == c.turnover_fen,
        _l("Add the payment milestones; their amounts must add up exactly to the turnover."),
    )
    if c.category in TRANSFER_CATEGORIES:
        add(
            "transfer_outlook",
            c.new_investment_fen is not None and c.new_output_fen is not None,
            _l("For a transfer, enter the expected new investment and new output value."),
        )
    add(
        "co_owner_consent",
        not unconsented_co_owners(c),
        _l(
            "A transfer, an equity contribution or an exclusive or sole licence of a co-owned asset "
            "needs every co-owner's consent: offer it through a listing the co-owners consent to."
        ),
    )
    add(
        "validity",
        c.valid_from is not None and c.valid_to is not None and c.valid_to >= today,
        _l("Enter the validity period; it must not have ended."),
    )
    if c.is_offline:
        add(
            "confirmed",
            c.seller_confirmed_at is not None and c.buyer_confirmed_at is not None,
            _l("Both parties must confirm the deal recorded by the agency."),
        )
    for code, ok, message in trading_checks(c, today) or ():
        add(code, ok, message)
    if not for_signing:
        add("signed_document", bool(signed_documents(c)), _l("Upload the signed contract document."))
        add(
            "signatures",
            c.seller_signed_at is not None and c.buyer_signed_at is not None,
            _l("Both parties must sign on the platform."),
        )
    return items


def needs_co_owner_consent(contract: Contract) -> bool:
    """A transfer (the transfer categories), an equity contribution, an exclusive or a
    sole licence disposes of the whole right: each co-owner must agree (Patent Law art. 14)."""
    terms = contract.terms or {}
    return (
        contract.category in TRANSFER_CATEGORIES
        or terms.get("deal_kind") in ("transfer", "equity")
        or terms.get("license_type") in ("exclusive", "sole")
    )


def unconsented_co_owners(contract: Contract, assets=None, seller_org_id: int | None = None) -> set[int]:
    """The owner organizations of the contract's assets, other than the seller, whose
    consent the contract does not record. Consents are recorded only by an accepted
    offer on a listing every co-owner consented to (``terms["co_owner_consents"]``); an
    offline deal records none, so it may dispose only of assets the seller owns alone."""
    if not needs_co_owner_consent(contract):
        return set()
    seller = seller_org_id if seller_org_id is not None else contract.seller_org_id
    if assets is None:
        assets = contract_assets(contract)
    others: set[int] = set()
    for asset in assets:
        if asset is not None:
            others |= set(asset.owner_org_ids)
    others.discard(seller)
    consented = (contract.terms or {}).get("co_owner_consents") if contract.source == "offer" else None
    return others - set(consented or [])


def missing(items: list[CheckItem]) -> list[CheckItem]:
    return [item for item in items if not item.ok]


def _raise_if_missing(items: list[CheckItem], message: Any) -> None:
    gaps = missing(items)
    if gaps:
        raise ChecklistIncomplete(message, fields={item.code: [item.message] for item in gaps})


def review_deadline(contract: Contract) -> date | None:
    return contract.review_due_on


def is_overdue(contract: Contract, *, today: date | None = None) -> bool:
    today = today or shanghai_date(utcnow())
    return (
        contract.status in IN_REVIEW and contract.review_due_on is not None and today > contract.review_due_on
    )
