"""Drafting a contract: creating it from a deal, completing and changing its
terms, the signed document, an offline deal's confirmations and the signatures.
Services add and flush; the caller's boundary commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from ..accounts.models import Organization, User
from ..core.catalog import INDUSTRIES
from ..core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.states import transition
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..storage.uploads import Attachment, save_upload
from .checklist import SIGNED_DOCUMENT, _raise_if_missing, checklist, unconsented_co_owners
from .codes import suggest_category
from .models import Contract, ContractAsset
from .permissions import can_edit, can_upload, is_contract_agency, party_side
from .states import ContractStatus
from .terms import (
    EDITABLE_FIELDS,
    LIST_FIELDS,
    _apply,
    _check_org,
    _clean_rows,
    _comparable,
    _current_values,
    _deal_amount,
    _load_assets,
    _validate,
)

S = ContractStatus


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
    From them come the category suggestion (`codes.suggest_category`: licence
    -> the licence of the assets' right, patent, software copyright, IC layout,
    plant variety or technical secret; transfer and equity -> transfer_* by the
    kinds of the assets; equity terms stay in `terms`), the turnover (price, upfront
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
        # A category left blank keeps the one suggested from the assets, an agency left
        # blank the recording agency; a chosen one wins.
        and not (k in ("category", "agency_org_id") and not v)
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
    contract = lock(contract)
    if not can_edit(actor, contract):
        raise InvalidTransition(_l("The terms of this contract cannot be changed now."))
    return _update(contract, changes, actor=actor)


def attach_signed_document(contract: Contract, file, *, actor: User) -> Attachment:
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
