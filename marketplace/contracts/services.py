"""The rules of technology contracts: drafting, signing, submission, registration,
amendment and cancellation. Services add and flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Organization, User
from ..core.catalog import INDUSTRIES, OUT_OF_PROVINCE, PROVINCE_CODE, city_of
from ..core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import format_yuan
from ..core.regno import format_registration_no, registration_prefix
from ..core.states import transition
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..storage.uploads import Attachment, attachments_of, save_upload
from . import ledger_link
from .codes import (
    CATEGORIES,
    COST_KINDS,
    RETURN_REASONS,
    TRANSFER_CATEGORIES,
    suggest_category,
    title_matches_category,
)
from .models import (
    Contract,
    ContractAsset,
    ContractCostLine,
    ContractMilestone,
    ContractRegistration,
    RegistrationCounter,
)
from .permissions import is_contract_agency, party_side, regulator_in_scope
from .states import IN_REVIEW, ContractStatus, RegistrationKind
from .workdays import registration_deadline

S = ContractStatus
SIGNED_DOCUMENT = "signed_contract"

#: Fields of a contract the parties complete (`update_contract` accepts these keys).
EDITABLE_FIELDS = (
    "category",
    "title",
    "subject",
    "industry",
    "valid_from",
    "valid_to",
    "signed_on",
    "buyer_name",
    "buyer_place",
    "agency_org_id",
    "turnover_fen",
    "tech_income_fen",
    "new_investment_fen",
    "new_output_fen",
)
LIST_FIELDS = ("asset_ids", "milestones", "cost_lines")
#: What an amendment may change.
AMENDABLE_FIELDS = (
    "category",
    "industry",
    "buyer_org_id",
    "buyer_name",
    "buyer_place",
    "turnover_fen",
    "tech_income_fen",
    "milestones",
    "cost_lines",
)


class ChecklistIncomplete(Conflict):
    """409: what the platform found missing; `fields` maps each check to its message."""

    code = "checklist_incomplete"
    default_message = _l("The contract is not complete yet; see what is missing.")


# --- Reading ---------------------------------------------------------------------------


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
    from ..ip.models import IpAsset

    seller = seller_org_id if seller_org_id is not None else contract.seller_org_id
    if assets is None:
        assets = [db.session.get(IpAsset, link.asset_id) for link in contract.asset_links]
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


# --- Validation of terms ----------------------------------------------------------------


def _load_assets(asset_ids: list[int], seller_org_id: int | None) -> tuple[list[Any], list[Any]]:
    """The IP assets by id, and error messages (unknown ids, not the seller's)."""
    try:
        from ..ip.models import IpAsset
    except ImportError:  # pragma: no cover - the ip domain is always there once merged
        return [], [_l("IP assets are not available.")]
    errors: list[Any] = []
    assets = []
    for asset_id in asset_ids:
        asset = db.session.get(IpAsset, asset_id)
        if asset is None:
            errors.append(_l("There is no IP asset %(id)s.", id=asset_id))
            continue
        owners = getattr(asset, "owner_org_ids", None)
        if seller_org_id is not None and owners is not None and seller_org_id not in owners:
            errors.append(_l("IP asset %(id)s does not belong to the seller.", id=asset_id))
            continue
        assets.append(asset)
    return assets, errors


def _clean_rows(rows: list[dict[str, Any]] | None, kind: str) -> list[dict[str, Any]]:
    return [dict(r) for r in (rows or []) if r]


def _validate(values: dict[str, Any], errors: dict[str, list[Any]]) -> None:
    """Check the rules between fields on the values the contract would have."""
    category = values.get("category")
    if category is not None and category not in CATEGORIES:
        errors.setdefault("category", []).append(_l("Choose a category from the national list."))
    industry = values.get("industry")
    if industry is not None and industry not in INDUSTRIES:
        errors.setdefault("industry", []).append(_l("Choose an industry from the list."))
    for name in ("turnover_fen", "tech_income_fen", "new_investment_fen", "new_output_fen"):
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.setdefault(name, []).append(_l("Enter an amount of 0 or more."))
    turnover, income = values.get("turnover_fen"), values.get("tech_income_fen")
    amounts_ok = "turnover_fen" not in errors and "tech_income_fen" not in errors
    if amounts_ok and turnover is not None and income is not None and income > turnover:
        errors.setdefault("tech_income_fen", []).append(
            _l("Technology income cannot be more than the contract turnover.")
        )
        amounts_ok = False
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if valid_from and valid_to and valid_from > valid_to:
        errors.setdefault("valid_to", []).append(_l("The validity period ends before it starts."))
    if values.get("buyer_org_id") is not None and values.get("buyer_name"):
        errors.setdefault("buyer_name", []).append(
            _l("Name either a buyer organization or an out-of-province buyer, not both.")
        )
    if values.get("buyer_name") and not values.get("buyer_place"):
        errors.setdefault("buyer_place", []).append(
            _l("Say where the out-of-province buyer is (province and city).")
        )

    cost_lines = values.get("cost_lines") or []
    for index, line in enumerate(cost_lines):
        if line.get("kind") not in COST_KINDS:
            errors.setdefault("cost_lines", []).append(
                _l("Cost line %(n)s: choose equipment, instruments, parts or raw materials.", n=index + 1)
            )
        if not isinstance(line.get("amount_fen"), int) or line["amount_fen"] <= 0:
            errors.setdefault("cost_lines", []).append(
                _l("Cost line %(n)s: the amount must be more than 0.", n=index + 1)
            )
        if not (line.get("description") or "").strip():
            errors.setdefault("cost_lines", []).append(_l("Cost line %(n)s: describe the cost.", n=index + 1))
    if amounts_ok and "cost_lines" not in errors and turnover is not None and income is not None:
        total = sum(line["amount_fen"] for line in cost_lines)
        if cost_lines and total != turnover - income:
            errors.setdefault("cost_lines", []).append(
                _l(
                    "The non-technical costs add up to %(total)s, but turnover minus technology "
                    "income is %(diff)s; they must be equal.",
                    total=format_yuan(total),
                    diff=format_yuan(turnover - income),
                )
            )

    milestones = values.get("milestones") or []
    for index, row in enumerate(milestones):
        if not isinstance(row.get("due_on"), date):
            errors.setdefault("milestones", []).append(
                _l("Milestone %(n)s: enter the due date.", n=index + 1)
            )
        if not isinstance(row.get("amount_fen"), int) or row["amount_fen"] <= 0:
            errors.setdefault("milestones", []).append(
                _l("Milestone %(n)s: the amount must be more than 0.", n=index + 1)
            )
    if "milestones" not in errors and milestones and turnover is not None and "turnover_fen" not in errors:
        total = sum(row["amount_fen"] for row in milestones)
        if total != turnover:
            errors.setdefault("milestones", []).append(
                _l(
                    "The milestones add up to %(total)s, but the contract turnover is %(turnover)s; "
                    "they must be equal.",
                    total=format_yuan(total),
                    turnover=format_yuan(turnover),
                )
            )


def _current_values(contract: Contract) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(contract, name) for name in EDITABLE_FIELDS}
    values["buyer_org_id"] = contract.buyer_org_id
    values["asset_ids"] = contract.asset_ids
    values["milestones"] = [
        {"due_on": m.due_on, "amount_fen": m.amount_fen, "description": m.description}
        for m in contract.milestones
    ]
    values["cost_lines"] = [
        {"kind": c.kind, "description": c.description, "amount_fen": c.amount_fen}
        for c in contract.cost_lines
    ]
    return values


def _set_milestones(contract: Contract, rows: list[dict[str, Any]], *, keep_paid: bool = False) -> None:
    """Replace the schedule, keeping the rows (and their ids) of existing sequence numbers."""
    from .ports import paid_fen_for

    by_seq = {m.seq: m for m in contract.milestones}
    for seq, row in enumerate(rows, start=1):
        milestone = by_seq.pop(seq, None)
        if milestone is None:
            milestone = ContractMilestone(seq=seq)
            contract.milestones.append(milestone)
        milestone.due_on = row["due_on"]
        milestone.amount_fen = row["amount_fen"]
        milestone.description = (row.get("description") or "").strip() or None
    for milestone in by_seq.values():
        if keep_paid and paid_fen_for(milestone):
            raise Conflict(
                _l("Milestone %(n)s has payments and cannot be removed.", n=milestone.seq),
                fields={"milestones": [_l("Milestone %(n)s has payments.", n=milestone.seq)]},
            )
        contract.milestones.remove(milestone)


def _set_cost_lines(contract: Contract, rows: list[dict[str, Any]]) -> None:
    contract.cost_lines.clear()
    db.session.flush()
    for seq, row in enumerate(rows, start=1):
        contract.cost_lines.append(
            ContractCostLine(
                seq=seq,
                kind=row["kind"],
                description=row["description"].strip(),
                amount_fen=row["amount_fen"],
            )
        )


def _set_assets(contract: Contract, asset_ids: list[int]) -> None:
    wanted = list(dict.fromkeys(asset_ids))
    for link in list(contract.asset_links):
        if link.asset_id not in wanted:
            contract.asset_links.remove(link)
    have = set(contract.asset_ids)
    for asset_id in wanted:
        if asset_id not in have:
            contract.asset_links.append(ContractAsset(asset_id=asset_id))


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (sorted(v) if k == "asset_ids" else v)
        for k, v in values.items()
        if k in EDITABLE_FIELDS or k in LIST_FIELDS or k == "buyer_org_id"
    }


_COLLECTIONS = ("milestones", "cost_lines", "asset_ids")


def _apply(contract: Contract, new: dict[str, Any], changed: set[str], *, keep_paid: bool = False) -> None:
    """Apply every changed field at once: the columns first, then the rows of the
    collections, with no flush in between, so the database never sees a half-applied
    change (e.g. the new income with the old turnover, which its check refuses)."""
    with db.session.no_autoflush:
        for name in sorted(changed - set(_COLLECTIONS)):
            setattr(contract, name, new[name])
        if "milestones" in changed:
            _set_milestones(contract, new["milestones"], keep_paid=keep_paid)
        if "cost_lines" in changed:
            _set_cost_lines(contract, new["cost_lines"])
        if "asset_ids" in changed:
            _set_assets(contract, new["asset_ids"])


# --- Creation -------------------------------------------------------------------------------


def _check_org(org: Organization | None, field: str, errors: dict[str, list[Any]], *, kinds=None) -> None:
    if org is None:
        return
    if not org.is_approved:
        errors.setdefault(field, []).append(_l("This organization is not approved on the platform."))
    elif kinds and org.kind not in kinds:
        errors.setdefault(field, []).append(_l("This organization cannot take this role in a contract."))


def _deal_amount(terms: dict[str, Any]) -> int | None:
    kind = terms.get("deal_kind")
    key = {"transfer": "price_fen", "license": "upfront_fen", "equity": "valuation_fen"}.get(kind)
    value = terms.get(key) if key else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def create_draft_from_deal(
    *,
    seller_org: Organization,
    buyer_org: Organization | None,
    agency_org: Organization | None = None,
    assets: list[Any] | tuple[Any, ...] = (),
    deal_terms: dict[str, Any],
    title: str,
    source: str,
    source_ref: str,
    actor: User,
    buyer_name: str | None = None,
    buyer_place: str | None = None,
) -> Contract:
    """A contract draft for a deal agreed on the platform (an accepted offer,
    `source="offer"`) or recorded by an agency (`source="offline"`).

    The agreed terms are stored as they are (`Contract.terms`) and never edited.
    From them come the category suggestion (licence -> license_patent or
    license_technical_secret; transfer and equity -> transfer_* by the kinds
    of the assets; equity terms stay in `terms`), the turnover (price, upfront
    fee or valuation) and an industry (the first asset's). An offline draft
    waits for both parties to confirm it.
    """
    errors: dict[str, list[Any]] = {}
    if source not in ("offer", "offline"):
        errors.setdefault("source", []).append(_l("A contract comes from an offer or an offline deal."))
    if not isinstance(deal_terms, dict) or deal_terms.get("deal_kind") not in (
        "license",
        "transfer",
        "equity",
    ):
        errors.setdefault("deal_terms", []).append(_l("The deal kind must be license, transfer or equity."))
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append(_l("Give the contract a title."))
    elif len(title) > 300:
        errors.setdefault("title", []).append(_l("At most 300 characters."))
    _check_org(
        seller_org,
        "seller_org_id",
        errors,
        kinds=("university", "research_institute", "enterprise", "individual", "other"),
    )
    if seller_org is not None and not (seller_org.region_code or "").startswith("23"):
        errors.setdefault("seller_org_id", []).append(
            _l("The seller must be registered in Heilongjiang: its turnover is counted there.")
        )
    _check_org(
        buyer_org,
        "buyer_org_id",
        errors,
        kinds=("university", "research_institute", "enterprise", "individual", "other"),
    )
    _check_org(agency_org, "agency_org_id", errors, kinds=("agency",))
    buyer_name = (buyer_name or "").strip() or None
    buyer_place = (buyer_place or "").strip() or None
    if buyer_org is None and not buyer_name:
        errors.setdefault("buyer_org_id", []).append(
            _l(
                "Name the buyer: an organization on the platform, or an out-of-province buyer's name and place."
            )
        )
    if buyer_org is not None and seller_org is not None and buyer_org.id == seller_org.id:
        errors.setdefault("buyer_org_id", []).append(_l("The buyer cannot be the seller."))
    values = {
        "buyer_org_id": buyer_org.id if buyer_org else None,
        "buyer_name": buyer_name,
        "buyer_place": buyer_place,
    }
    _validate(values, errors)
    if errors:
        raise ValidationError(fields=errors)

    deal_kind = deal_terms["deal_kind"]
    kinds = [getattr(a, "kind", "") for a in assets]
    pending = any(getattr(a, "legal_status", "") == "pending" for a in assets) and not any(
        getattr(a, "legal_status", "") == "granted" for a in assets
    )
    amount = _deal_amount(deal_terms)
    industry = next((getattr(a, "industry", None) for a in assets if getattr(a, "industry", None)), None)
    contract = Contract(
        status=(S.AWAITING_CONFIRMATION if source == "offline" else S.DRAFT).value,
        source=source,
        source_ref=(source_ref or "")[:100] or None,
        category=suggest_category(deal_kind, kinds, pending_patent=pending),
        title=title,
        terms=dict(deal_terms),
        seller_org_id=seller_org.id,
        buyer_org_id=buyer_org.id if buyer_org else None,
        buyer_name=buyer_name if buyer_org is None else None,
        buyer_place=buyer_place if buyer_org is None else None,
        agency_org_id=agency_org.id if agency_org else None,
        industry=industry if industry in INDUSTRIES else None,
        turnover_fen=amount,
        tech_income_fen=amount,
        created_by_id=actor.id,
    )
    if buyer_org is None and source == "offline":
        # A buyer without an account: the agency vouches for its confirmation.
        contract.buyer_confirmed_at = utcnow()
    db.session.add(contract)
    for asset in assets:
        contract.asset_links.append(ContractAsset(asset_id=asset.id))
    db.session.flush()
    record_audit(
        "contract.created",
        contract,
        actor=actor,
        to_state=contract.status,
        data={"source": source, "source_ref": source_ref, "terms": contract.terms},
    )
    return contract


def record_offline_deal(
    *,
    agency_org: Organization,
    seller_org: Organization,
    buyer_org: Organization | None,
    buyer_name: str | None = None,
    buyer_place: str | None = None,
    title: str,
    deal_terms: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    actor: User,
) -> Contract:
    """An agency records a deal negotiated off the platform as a contract draft
    naming both parties; the parties then confirm it."""
    if not actor.acts_as("agency") or actor.organization_id != agency_org.id:
        raise PermissionDenied()
    terms = dict(deal_terms or {"deal_kind": "transfer"})
    terms.pop("co_owner_consents", None)  # only an accepted offer records consents
    asset_ids = list((details or {}).get("asset_ids") or [])
    assets, asset_errors = (
        _load_assets(asset_ids, seller_org.id if seller_org else None) if asset_ids else ([], [])
    )
    if asset_errors:
        raise ValidationError(fields={"asset_ids": asset_errors})
    probe = Contract(source="offline", terms=terms, category=(details or {}).get("category"))
    if assets and seller_org is not None and unconsented_co_owners(probe, assets, seller_org.id):
        raise Conflict(
            _l(
                "An offline deal can transfer, contribute or license exclusively only assets the seller "
                "owns alone; a co-owned asset is offered through a listing every co-owner consents to."
            ),
            code="co_owner_consent_required",
        )
    contract = create_draft_from_deal(
        seller_org=seller_org,
        buyer_org=buyer_org,
        agency_org=agency_org,
        assets=assets,
        deal_terms=terms,
        title=title,
        source="offline",
        source_ref=f"agency:{agency_org.id}",
        actor=actor,
        buyer_name=buyer_name,
        buyer_place=buyer_place,
    )
    rest = {
        k: v
        for k, v in (details or {}).items()
        if k not in ("asset_ids", "title", "buyer_name", "buyer_place")
    }
    if rest:
        _update(contract, rest, actor=actor, audit=False)
    return contract


# --- Completing the draft ---------------------------------------------------------------------


def _update(contract: Contract, changes: dict[str, Any], *, actor: User, audit: bool = True) -> bool:
    unknown = set(changes) - set(EDITABLE_FIELDS) - set(LIST_FIELDS)
    if unknown:
        raise ValidationError(
            fields={name: [_l("This field cannot be changed.")] for name in sorted(unknown)}
        )
    current = _current_values(contract)
    new = dict(current)
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip() or None
        if name in LIST_FIELDS:
            value = _clean_rows(value, name) if name != "asset_ids" else list(value or [])
        new[name] = value
    errors: dict[str, list[Any]] = {}
    if not new.get("title"):
        errors.setdefault("title", []).append(_l("Give the contract a title."))
    if contract.buyer_org_id is not None and (changes.get("buyer_name") or changes.get("buyer_place")):
        errors.setdefault("buyer_name", []).append(
            _l("The buyer is an organization on the platform; it cannot be replaced here.")
        )
    if contract.buyer_org_id is None and "buyer_name" in changes and not new.get("buyer_name"):
        errors.setdefault("buyer_name", []).append(_l("Name the out-of-province buyer."))
    if "agency_org_id" in changes and new["agency_org_id"] is not None:
        agency = db.session.get(Organization, new["agency_org_id"])
        if agency is None:
            errors.setdefault("agency_org_id", []).append(_l("There is no such organization."))
        else:
            _check_org(agency, "agency_org_id", errors, kinds=("agency",))
    if "asset_ids" in changes and new["asset_ids"]:
        _assets, asset_errors = _load_assets(new["asset_ids"], contract.seller_org_id)
        if asset_errors:
            errors["asset_ids"] = asset_errors
    _validate(new, errors)
    if errors:
        raise ValidationError(fields=errors)
    before, after = _comparable(current), _comparable(new)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return False
    _apply(contract, new, changed)
    from_state = contract.status
    cleared = _clear_after_change(contract)
    db.session.flush()
    if audit:
        record_audit(
            "contract.updated",
            contract,
            actor=actor,
            from_state=from_state,
            to_state=contract.status,
            data={"fields": sorted(changed), "signatures_cleared": cleared},
        )
    return True


def _clear_after_change(contract: Contract) -> bool:
    """Changing the terms clears the signatures (and an offline deal's confirmations)."""
    status = S(contract.status)
    if status == S.AWAITING_CONFIRMATION:
        contract.seller_confirmed_at = None
        if contract.buyer_org_id is not None:
            contract.buyer_confirmed_at = None
        return False
    had = contract.seller_signed_at is not None or contract.buyer_signed_at is not None
    contract.seller_signed_at = contract.seller_signed_by_id = None
    contract.buyer_signed_at = contract.buyer_signed_by_id = None
    if status in (S.SIGNING, S.SIGNED, S.RETURNED):
        transition(contract, S.DRAFT)
    return had


def update_contract(contract: Contract, changes: dict[str, Any], *, actor: User) -> bool:
    """Change the terms of a contract not yet submitted; return whether anything changed.

    Keys: see EDITABLE_FIELDS and LIST_FIELDS (`milestones`: [{"due_on", "amount_fen",
    "description"}], `cost_lines`: [{"kind", "description", "amount_fen"}], `asset_ids`).
    A change after a signature clears the signatures and goes back to draft.
    """
    from .permissions import can_edit

    contract = lock(contract)
    if not can_edit(actor, contract):
        raise InvalidTransition(_l("The terms of this contract cannot be changed now."))
    return _update(contract, changes, actor=actor)


def attach_signed_document(contract: Contract, file, *, actor: User) -> Attachment:
    from .permissions import can_upload

    contract = lock(contract)
    if not can_upload(actor, contract):
        raise InvalidTransition(_l("The signed document cannot be changed now."))
    attachment = save_upload(file, subject=contract, actor=actor, purpose=SIGNED_DOCUMENT, field="document")
    record_audit("contract.document_uploaded", contract, actor=actor, data={"attachment_id": attachment.id})
    return attachment


def confirm_contract(contract: Contract, *, actor: User, now: datetime | None = None) -> Contract:
    """A party confirms an offline deal recorded by an agency; once both have, it can be signed."""
    contract = lock(contract)
    side = party_side(actor, contract)
    if side is None:
        raise PermissionDenied()
    if contract.status != S.AWAITING_CONFIRMATION:
        raise InvalidTransition(_l("Only an offline deal awaiting confirmation can be confirmed."))
    if getattr(contract, f"{side}_confirmed_at") is not None:
        raise Conflict(_l("Your side has already confirmed this deal."))
    setattr(contract, f"{side}_confirmed_at", now or utcnow())
    from_state = contract.status
    if contract.seller_confirmed_at is not None and contract.buyer_confirmed_at is not None:
        transition(contract, S.SIGNING)
    db.session.flush()
    record_audit(
        "contract.confirmed",
        contract,
        actor=actor,
        from_state=from_state,
        to_state=contract.status,
        data={"side": side},
    )
    return contract


def signable_sides(user: User, contract: Contract) -> list[str]:
    """The sides a user may sign for now: their own; a buyer without an account is
    signed for by the contract's agency (or, without one, the seller side)."""
    if S(contract.status) not in (S.DRAFT, S.SIGNING):
        return []
    sides = []
    own = party_side(user, contract)
    if own and getattr(contract, f"{own}_signed_at") is None:
        sides.append(own)
    if contract.buyer_org_id is None and contract.buyer_signed_at is None:
        proxy = is_contract_agency(user, contract) if contract.agency_org_id else own == "seller"
        if proxy and "buyer" not in sides:
            sides.append("buyer")
    return sides


def sign_contract(
    contract: Contract, *, actor: User, side: str | None = None, now: datetime | None = None
) -> Contract:
    """A party signs (once). The terms must be complete; both signatures make it `signed`.

    Decided under the contract's lock: of two signatures at the same moment, the
    second sees the first and makes the contract `signed`."""
    contract = lock(contract)
    sides = signable_sides(actor, contract)
    if side is None:
        side = sides[0] if sides else party_side(actor, contract)
    if side is None and not is_contract_agency(actor, contract):
        raise PermissionDenied()
    if S(contract.status) not in (S.DRAFT, S.SIGNING):
        raise InvalidTransition(_l("This contract cannot be signed in its current state."))
    if side not in sides:
        raise Conflict(_l("Your side has already signed this contract, or you cannot sign for that side."))
    moment = now or utcnow()
    _raise_if_missing(
        checklist(contract, today=shanghai_date(moment), for_signing=True),
        _l("Complete the terms before signing; see what is missing."),
    )
    setattr(contract, f"{side}_signed_at", moment)
    setattr(contract, f"{side}_signed_by_id", actor.id)
    from_state = contract.status
    if contract.status == S.DRAFT:
        transition(contract, S.SIGNING)
    if contract.seller_signed_at is not None and contract.buyer_signed_at is not None:
        transition(contract, S.SIGNED)
        if contract.signed_on is None:
            contract.signed_on = shanghai_date(moment)
    db.session.flush()
    record_audit(
        "contract.signed",
        contract,
        actor=actor,
        from_state=from_state,
        to_state=contract.status,
        data={"side": side},
    )
    return contract


def authority_region_for(contract: Contract) -> str:
    """The registration authority a seller applies to: its city's, or the province's."""
    return city_of(contract.seller_org.region_code) or PROVINCE_CODE


def _start_review(contract: Contract, moment: datetime, income_fen: int) -> None:
    contract.authority_region = authority_region_for(contract)
    contract.submitted_at = moment
    contract.review_due_on = registration_deadline(shanghai_date(moment), income_fen)


def submit_contract(contract: Contract, *, actor: User, now: datetime | None = None) -> Contract:
    """The seller side applies for registration to the authority of its region."""
    contract = lock(contract)
    if party_side(actor, contract) != "seller":
        if party_side(actor, contract) is None and not is_contract_agency(actor, contract):
            raise PermissionDenied()
        raise Conflict(_l("Only the seller side applies for registration."))
    if contract.status not in (S.SIGNED, S.RETURNED):
        raise InvalidTransition(_l("Only a signed (or returned) contract can be submitted for registration."))
    moment = now or utcnow()
    _raise_if_missing(
        checklist(contract, today=shanghai_date(moment)),
        _l("The contract cannot be submitted yet; see what is missing."),
    )
    from_state, _to = transition(contract, S.SUBMITTED)
    _start_review(contract, moment, contract.tech_income_fen or 0)
    db.session.flush()
    record_audit(
        "contract.submitted",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={"authority_region": contract.authority_region, "due_on": contract.review_due_on.isoformat()},
    )
    _notify_regulators(contract)
    return contract


# --- Registration -----------------------------------------------------------------------------


def next_registration_no(year: int, region_code: str, point: int | str = 0) -> str:
    """Issue the next registration number for a prefix (year, authority city, point).

    The prefix's counter row is locked FOR UPDATE until the transaction ends, so
    concurrent registrations queue on it and get consecutive serials; a number
    already taken (e.g. imported) is skipped; the unique constraint on
    `contracts.registration_no` is the last guard.
    """
    prefix = registration_prefix(year, region_code, point)

    def locked_counter() -> RegistrationCounter | None:
        return db.session.execute(
            select(RegistrationCounter)
            .where(RegistrationCounter.prefix == prefix)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()

    counter = locked_counter()
    if counter is None:
        try:
            with db.session.begin_nested():
                db.session.add(RegistrationCounter(prefix=prefix, last_serial=0))
        except IntegrityError:
            pass  # created meanwhile by a concurrent registration: lock that one
        counter = locked_counter()
        assert counter is not None
    serial = counter.last_serial
    while True:
        serial += 1
        number = format_registration_no(year, region_code, point, serial)
        taken = db.session.scalar(select(func.count()).where(Contract.registration_no == number))
        if not taken:
            break
    counter.last_serial = serial
    db.session.flush()
    return number


def _bump_counter(number: str) -> None:
    """After importing a number issued elsewhere, keep the counter at or above it."""
    prefix, serial = number[:10], int(number[10:])
    counter = db.session.get(RegistrationCounter, prefix, with_for_update=True)
    if counter is None:
        db.session.add(RegistrationCounter(prefix=prefix, last_serial=serial))
    elif counter.last_serial < serial:
        counter.last_serial = serial


def _pending_values(contract: Contract) -> dict[str, Any]:
    """Decode the stored amendment (dates were stored as ISO strings)."""
    change = dict((contract.pending_change or {}).get("changes") or {})
    if "milestones" in change:
        change["milestones"] = [
            {**row, "due_on": date.fromisoformat(row["due_on"])} for row in change["milestones"]
        ]
    return change


def _ledger_event(contract: Contract, kind: str, seq: int, turnover_delta: int, income_delta: int, day: date):
    return ledger_link.LedgerEventData(
        kind=kind,
        contract_id=contract.id,
        registration_no=contract.registration_no,
        turnover_delta_fen=turnover_delta,
        tech_income_delta_fen=income_delta,
        effective_on=day,
        seller_region=contract.seller_org.region_code,
        seller_org_kind=contract.seller_org.kind,
        industry=contract.industry or "other",
        category=contract.category,
        event_key=f"contract:{contract.id}:{kind}:{seq}",
    )


def register_contract(
    contract: Contract, *, actor: User, now: datetime | None = None, note: str | None = None
) -> ContractRegistration:
    """Register what waits for the regulator: the contract (a new registration
    number), an amendment or a cancellation. Appends the registration record and
    hands the event to the ledger in the same transaction."""
    if not regulator_in_scope(actor, contract):
        raise PermissionDenied()
    contract = lock(contract)
    status = S(contract.status)
    if status not in IN_REVIEW:
        if status in (S.REGISTERED, S.CANCELLED):
            raise Conflict(_l("This contract is already registered."), code="already_registered")
        raise InvalidTransition(_l("This contract is not waiting for registration."))
    moment = now or utcnow()
    day = shanghai_date(moment)
    previous = contract.current_registration
    seq = (previous.seq + 1) if previous else 1
    if status == S.SUBMITTED:
        kind = RegistrationKind.REGISTRATION
        contract.registration_no = next_registration_no(day.year, actor.scope_region, 0)
        contract.registered_at = moment
        turnover, income = contract.turnover_fen or 0, contract.tech_income_fen or 0
        target = S.REGISTERED
    elif status == S.AMENDMENT_PENDING:
        kind = RegistrationKind.AMENDMENT
        change = _pending_values(contract)
        current = _current_values(contract)
        new = {**current, **change}
        changed = {k for k in change if _comparable(new).get(k) != _comparable(current).get(k)}
        _apply(contract, new, changed, keep_paid=True)
        turnover, income = contract.turnover_fen or 0, contract.tech_income_fen or 0
        target = S.REGISTERED
    else:
        kind = RegistrationKind.CANCELLATION
        turnover, income = 0, 0
        target = S.CANCELLED
    from_state, _to = transition(contract, target)
    registration = ContractRegistration(
        contract_id=contract.id,
        seq=seq,
        kind=kind.value,
        registration_no=contract.registration_no,
        previous_id=previous.id if previous else None,
        category=contract.category,
        turnover_fen=turnover,
        tech_income_fen=income,
        buyer_org_id=contract.buyer_org_id,
        buyer_name=contract.buyer_name,
        industry=contract.industry,
        effective_on=day,
        registered_at=moment,
        registered_by_id=actor.id,
        authority_region=actor.scope_region,
        note=(note or "").strip() or (contract.pending_change or {}).get("note"),
    )
    db.session.add(registration)
    contract.pending_change = None
    contract.return_reasons = None
    contract.return_note = None
    db.session.flush()
    old_turnover, old_income = ledger_link.contract_totals(contract.id)
    ledger_link.append(
        _ledger_event(contract, kind.value, seq, turnover - old_turnover, income - old_income, day),
        actor=actor,
        recorded_at=moment,
    )
    if kind == RegistrationKind.REGISTRATION:
        _bump_counter(contract.registration_no)
        _record_transfers(contract, actor=actor, day=day)
    record_audit(
        f"contract.{kind.value}_registered",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={
            "registration_no": contract.registration_no,
            "seq": seq,
            "turnover_fen": turnover,
            "tech_income_fen": income,
        },
    )
    db.session.flush()
    db.session.expire(contract, ["registrations"])
    _notify_parties(contract, "contract.registered")
    return registration


def ip_reference(contract: Contract) -> str:
    """The contract's reference in the IP registry (committed deals, chain of title):
    the accepted offer's reference for a contract from an offer, else "contract:<id>"."""
    if contract.source == "offer" and contract.source_ref:
        return contract.source_ref
    return f"contract:{contract.id}"


def _record_transfers(contract: Contract, *, actor: User, day: date) -> None:
    """A registered transfer (or equity contribution) moves its assets to the buyer:
    the IP registry appends the link to each asset's chain of title."""
    if (
        contract.category not in TRANSFER_CATEGORIES
        or contract.buyer_org_id is None
        or not contract.asset_links
    ):
        return
    from ..ip import services as ip_services
    from ..ip.models import IpAsset

    for link in contract.asset_links:
        asset = db.session.get(IpAsset, link.asset_id)
        if asset is None or contract.buyer_org_id in asset.owner_org_ids:
            continue
        ip_services.record_transfer(
            asset,
            [ip_services.OwnerShare(org_id=contract.buyer_org_id, share_bp=10000)],
            contract_ref=ip_reference(contract),
            effective_on=day,
            actor=actor,
        )


def return_contract(
    contract: Contract,
    *,
    reasons: list[str],
    note: str | None = None,
    actor: User,
    now: datetime | None = None,
) -> Contract:
    """Return (未予登记) a contract, amendment or cancellation with one or more reasons."""
    if not regulator_in_scope(actor, contract):
        raise PermissionDenied()
    errors: dict[str, list[Any]] = {}
    reasons = list(dict.fromkeys(reasons or []))
    if not reasons:
        errors["reasons"] = [_l("Give at least one reason.")]
    unknown = [r for r in reasons if r not in RETURN_REASONS]
    if unknown:
        errors["reasons"] = [_l("Unknown reason: %(codes)s.", codes=", ".join(map(str, unknown)))]
    note = (note or "").strip() or None
    if "other" in reasons and not note:
        errors["note"] = [_l("Explain the other reason in the note.")]
    if errors:
        raise ValidationError(fields=errors)
    contract = lock(contract)
    status = S(contract.status)
    if status not in IN_REVIEW:
        raise InvalidTransition(_l("This contract is not waiting for registration."))
    target = S.RETURNED if status == S.SUBMITTED else S.REGISTERED
    change = contract.pending_change
    from_state, _to = transition(contract, target)
    contract.return_reasons = reasons
    contract.return_note = note
    contract.returned_at = now or utcnow()
    contract.pending_change = None
    db.session.flush()
    record_audit(
        "contract.returned",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={"reasons": reasons, "note": note, "change": change},
    )
    _notify_parties(contract, "contract.returned")
    return contract


def _serialize_change(change: dict[str, Any]) -> dict[str, Any]:
    out = dict(change)
    if "milestones" in out:
        out["milestones"] = [
            {**row, "due_on": row["due_on"].isoformat() if isinstance(row["due_on"], date) else row["due_on"]}
            for row in out["milestones"]
        ]
    return out


def request_amendment(
    contract: Contract,
    changes: dict[str, Any],
    *,
    note: str | None = None,
    actor: User,
    now: datetime | None = None,
) -> Contract:
    """The seller side asks to register a change (amounts, parties, category) of a
    registered contract. Nothing changes until the regulator registers it."""
    contract = lock(contract)
    if party_side(actor, contract) != "seller":
        if party_side(actor, contract) is None and not is_contract_agency(actor, contract):
            raise PermissionDenied()
        raise Conflict(_l("Only the seller side applies for an amendment."))
    if contract.status != S.REGISTERED:
        raise InvalidTransition(_l("Only a registered contract can be amended."))
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise ValidationError(fields={n: [_l("An amendment cannot change this.")] for n in sorted(unknown)})
    current = _current_values(contract)
    new = dict(current)
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip() or None
        if name in LIST_FIELDS:
            value = _clean_rows(value, name)
        new[name] = value
    errors: dict[str, list[Any]] = {}
    note = (note or "").strip()
    if not note:
        errors["note"] = [_l("Say what the amendment changes and why.")]
    if "buyer_org_id" in changes and changes["buyer_org_id"] is not None:
        buyer = db.session.get(Organization, changes["buyer_org_id"])
        if buyer is None:
            errors.setdefault("buyer_org_id", []).append(_l("There is no such organization."))
        else:
            _check_org(buyer, "buyer_org_id", errors)
            new["buyer_name"] = new["buyer_place"] = None
    if changes.get("buyer_name"):
        new["buyer_org_id"] = None
    if new.get("turnover_fen") != current.get("turnover_fen") and "milestones" not in changes:
        errors.setdefault("milestones", []).append(
            _l("A new turnover needs a new milestone schedule adding up to it.")
        )
    if new.get("tech_income_fen") is None or not new.get("turnover_fen"):
        errors.setdefault("turnover_fen", []).append(
            _l("Enter the contract turnover and the technology income.")
        )
    _validate(new, errors)
    if (
        "cost_lines" not in errors
        and new.get("turnover_fen") is not None
        and new.get("tech_income_fen") is not None
        and sum(r["amount_fen"] for r in new.get("cost_lines") or [])
        != new["turnover_fen"] - new["tech_income_fen"]
    ):
        errors.setdefault("cost_lines", []).append(
            _l("The non-technical costs must add up exactly to turnover minus technology income.")
        )
    if errors:
        raise ValidationError(fields=errors)
    effective = {k: new[k] for k in _comparable(new) if _comparable(new)[k] != _comparable(current)[k]}
    if "buyer_org_id" in effective or "buyer_name" in effective:
        for key in ("buyer_org_id", "buyer_name", "buyer_place"):
            effective[key] = new[key]
    if not effective:
        raise ValidationError(
            _l("The amendment changes nothing."), fields={"note": [_l("Nothing would change.")]}
        )
    moment = now or utcnow()
    from_state, _to = transition(contract, S.AMENDMENT_PENDING)
    contract.pending_change = {
        "kind": "amendment",
        "changes": _serialize_change(effective),
        "note": note,
    }
    _start_review(contract, moment, new.get("tech_income_fen") or 0)
    db.session.flush()
    record_audit(
        "contract.amendment_requested",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data=contract.pending_change,
    )
    _notify_regulators(contract)
    return contract


def request_cancellation(
    contract: Contract, *, note: str | None = None, actor: User, now: datetime | None = None
) -> Contract:
    """The seller side asks to register the termination of a registered contract."""
    contract = lock(contract)
    if party_side(actor, contract) != "seller":
        if party_side(actor, contract) is None and not is_contract_agency(actor, contract):
            raise PermissionDenied()
        raise Conflict(_l("Only the seller side applies for a cancellation."))
    if contract.status != S.REGISTERED:
        raise InvalidTransition(_l("Only a registered contract can be cancelled."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(fields={"note": [_l("Say why the contract ends.")]})
    moment = now or utcnow()
    from_state, _to = transition(contract, S.CANCELLATION_PENDING)
    contract.pending_change = {"kind": "cancellation", "note": note}
    _start_review(contract, moment, 0)
    db.session.flush()
    record_audit(
        "contract.cancellation_requested",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={"note": note},
    )
    _notify_regulators(contract)
    return contract


# --- Notifications (in the same transaction: they are rows; e-mail goes after the commit) -----


def _notify_regulators(contract: Contract) -> None:
    from ..core.catalog import region_in_scope
    from ..notifications.services import N_, notify
    from .ports import contract_url

    regulators = db.session.scalars(
        select(User)
        .join(Organization, User.organization_id == Organization.id)
        .where(User.role == "regulator", Organization.kind == "regulator", Organization.status == "approved")
    ).all()
    for user in regulators:
        if user.acts_as("regulator") and region_in_scope(user.scope_region, contract.seller_org.region_code):
            if user.scope_region == contract.authority_region:
                notify(
                    user,
                    "contract.submitted",
                    N_("Contract %(title)s waits for registration."),
                    params={"title": contract.title},
                    link=contract_url(contract.id),
                    email=False,
                )


def _notify_parties(contract: Contract, kind: str) -> None:
    from ..notifications.services import N_, notify
    from .ports import contract_url

    message = (
        N_("Contract %(title)s was registered.")
        if kind == "contract.registered"
        else N_("Contract %(title)s was returned by the registration authority.")
    )
    users = db.session.scalars(
        select(User).where(User.organization_id == contract.seller_org_id, User.role.in_(("seller", "buyer")))
    ).all()
    for user in users:
        notify(
            user, kind, message, params={"title": contract.title}, link=contract_url(contract.id), email=False
        )


# --- Listing -----------------------------------------------------------------------------------


def visible_contracts_stmt(user: User, *, status: str | None = None):
    """The contracts a user may see: their organization's (as party or agency);
    a regulator's, in scope; all for an admin."""
    from ..core.catalog import PROVINCE_CODE as PROV

    stmt = select(Contract)
    if user.is_admin:
        pass
    elif user.acts_as("regulator"):
        scope = user.scope_region or ""
        seller = select(Organization.id)
        if scope == PROV:
            seller = seller.where(Organization.region_code.like("23%"))
        else:
            seller = seller.where(Organization.region_code.like(scope[:4] + "%"))
        stmt = stmt.where(Contract.seller_org_id.in_(seller))
    elif user.acts_as("agency"):
        stmt = stmt.where(Contract.agency_org_id == user.organization_id)
    elif user.acts_as("seller", "buyer"):
        stmt = stmt.where(
            (Contract.seller_org_id == user.organization_id) | (Contract.buyer_org_id == user.organization_id)
        )
    else:
        stmt = stmt.where(False)
    if status:
        stmt = stmt.where(Contract.status == status)
    return stmt.order_by(Contract.updated_at.desc(), Contract.id.desc())


def queue_stmt(user: User, *, overdue_only: bool = False, today: date | None = None):
    """What waits for this regulator's decision, the oldest deadline first."""
    stmt = visible_contracts_stmt(user).where(Contract.status.in_([s.value for s in IN_REVIEW]))
    if overdue_only:
        stmt = stmt.where(Contract.review_due_on < (today or shanghai_date(utcnow())))
    return stmt.order_by(None).order_by(Contract.review_due_on, Contract.submitted_at, Contract.id)


__all__ = [
    "OUT_OF_PROVINCE",
    "ChecklistIncomplete",
    "attach_signed_document",
    "checklist",
    "confirm_contract",
    "create_draft_from_deal",
    "next_registration_no",
    "record_offline_deal",
    "register_contract",
    "request_amendment",
    "request_cancellation",
    "return_contract",
    "sign_contract",
    "submit_contract",
    "update_contract",
]


# --- Milestones as payments see them ----------------------------------------------------------


def milestone_status(milestone: ContractMilestone, paid_fen: int, *, today: date | None = None) -> str:
    """`paid`, `partly_paid`, `overdue` (due date passed, not fully paid) or `due` (to come)."""
    today = today or shanghai_date(utcnow())
    if paid_fen >= milestone.amount_fen:
        return "paid"
    if milestone.due_on < today:
        return "overdue"
    if paid_fen > 0:
        return "partly_paid"
    return "due"


def milestone_rows(contract: Contract, *, today: date | None = None) -> list[dict[str, Any]]:
    from .ports import paid_fen_for

    rows = []
    for m in contract.milestones:
        paid = paid_fen_for(m)
        rows.append(
            {
                "id": m.id,
                "seq": m.seq,
                "due_on": m.due_on,
                "amount_fen": m.amount_fen,
                "description": m.description,
                "paid_fen": paid,
                "status": milestone_status(m, paid, today=today),
            }
        )
    return rows
