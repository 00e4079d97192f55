"""Encumbrances: licences granted before and pledges, checked against each other
by the exclusivity rule, and the deals signed on the platform committed on an
asset and closed again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, NotFound, ValidationError
from ..core.models import record_audit
from ..core.timeutil import today_shanghai, utcnow
from ..core.wiring import Port
from ..extensions import db
from . import states
from .deals import (
    DealCheck,
    DealExcluded,
    DealTerms,
    current_encumbrances,
    evaluate,
    status_reasons,
)
from .models import Encumbrance, IpAsset
from .owners import lock_asset

#: Whether public trading (a bidding session, a public notice: a domain above the
#: registry, plugged by `create_app`) holds the asset for a deal other than
#: `reference`: the reason, or None. Nothing held without it.
bidding_hold: Port[Callable[[IpAsset, str], Any]] = Port(
    "ip.bidding_hold", default=lambda asset, reference: None
)


@dataclass
class EncumbranceData:
    """A licence granted before (kind "license") or a pledge (kind "pledge")."""

    kind: str
    counterparty: str
    license_type: str | None = None
    field_of_use: str = ""
    territory: str = ""
    term_start: date | None = None
    term_end: date | None = None
    amount_fen: int | None = None
    reference: str | None = None
    note: str | None = None


def add_encumbrance(asset: IpAsset, data: EncumbranceData, *, actor) -> Encumbrance:
    """Record a licence granted before, or a pledge, after checking it against the others.

    A licence must respect the exclusivity rule like any new licence (its own
    term decides what it overlaps); a pledge is refused on an asset that is
    not in force or whose transfer is committed.
    """
    errors: dict[str, list[Any]] = {}
    counterparty = (data.counterparty or "").strip()
    if not counterparty:
        errors["counterparty"] = [
            _l("Name the licensee.") if data.kind == "license" else _l("Name the pledgee.")
        ]
    if data.kind not in ("license", "pledge"):
        errors["kind"] = [_l("Choose a licence or a pledge.")]
    if data.kind == "pledge" and (data.amount_fen is None or data.amount_fen <= 0):
        errors["amount_fen"] = [_l("Enter the amount the pledge secures.")]
    if data.term_start and data.term_end and data.term_end < data.term_start:
        errors["term_end"] = [_l("The term cannot end before it starts.")]
    if data.kind == "license" and data.license_type not in states.LICENSE_TYPE_LABELS:
        errors["license_type"] = [_l("Choose the licence type: exclusive, sole or non-exclusive.")]
    if errors:
        raise ValidationError(fields=errors)
    lock_asset(asset)
    existing = current_encumbrances(asset)
    day = data.term_start or today_shanghai()
    if data.kind == "license":
        terms = DealTerms(
            "license",
            license_type=data.license_type,
            field_of_use=data.field_of_use,
            territory=data.territory,
            term_start=data.term_start,
            term_end=data.term_end,
        )
        check = evaluate(asset, terms, on=day, encumbrances=existing, check_status=False)
        if not check.ok:
            raise DealExcluded(check)
        values = {
            "deal_kind": "license",
            "license_type": terms.license_type,
            "field_of_use": terms.field_of_use,
            "territory": terms.territory,
        }
    else:
        reasons = status_reasons(asset, today_shanghai())
        reasons += [
            r
            for r in evaluate(
                asset, DealTerms("transfer"), on=day, encumbrances=existing, check_status=False
            ).reasons
            if r.code == "transfer_committed"
        ]
        if reasons:
            raise DealExcluded(DealCheck(reasons=reasons))
        values = {"amount_fen": data.amount_fen}
    enc = Encumbrance(
        asset_id=asset.id,
        kind=data.kind,
        counterparty=counterparty[:200],
        term_start=data.term_start,
        term_end=data.term_end,
        reference=(data.reference or "").strip() or None,
        note=(data.note or "").strip() or None,
        created_by_id=actor.id,
        **values,
    )
    db.session.add(enc)
    db.session.flush()
    record_audit(
        f"ip.{data.kind}_recorded",
        asset,
        actor=actor,
        data={"encumbrance_id": enc.id, "counterparty": enc.counterparty, "license_type": enc.license_type},
    )
    db.session.expire(asset, ["encumbrances"])
    return enc


def release_encumbrance(enc: Encumbrance, *, released_on: date, note: str | None, actor) -> Encumbrance:
    """Release a pledge or terminate a licence early. Recorded, never deleted."""
    if enc.kind == "committed_deal":
        raise Conflict(_l("A deal committed on the platform is closed by its contract."))
    if enc.is_released:
        raise Conflict(_l("This was already released on %(date)s.", date=enc.released_on.isoformat()))
    if released_on > today_shanghai():
        raise ValidationError(fields={"released_on": [_l("This date cannot be in the future.")]})
    if enc.term_start and released_on < enc.term_start:
        raise ValidationError(fields={"released_on": [_l("The release cannot be before the term starts.")]})
    lock_asset(enc.asset)
    enc.released_on = released_on
    enc.released_at = utcnow()
    enc.released_by_id = actor.id
    enc.release_note = (note or "").strip() or None
    record_audit(
        f"ip.{enc.kind}_released",
        enc.asset,
        actor=actor,
        data={"encumbrance_id": enc.id, "released_on": released_on.isoformat(), "note": enc.release_note},
    )
    db.session.flush()
    return enc


def open_pledge_for_sale(enc: Encumbrance, *, reference: str, actor) -> Encumbrance:
    """The pledgee puts a pledged asset up for sale (after a default): the pledge stays
    in the register but no longer refuses a transfer (the sale pays the pledgee first)."""
    reference = (reference or "").strip()[:64]
    if enc.kind != "pledge" or enc.is_released:
        raise Conflict(_l("Only a pledge in force can be put up for sale."))
    if not reference:
        raise ValidationError(fields={"reference": [_l("A sale names its reference.")]})
    lock_asset(enc.asset)
    enc.disposal_ref = reference
    record_audit(
        "ip.pledge_for_sale", enc.asset, actor=actor, data={"encumbrance_id": enc.id, "reference": reference}
    )
    db.session.flush()
    return enc


def close_pledge_sale(enc: Encumbrance, *, actor) -> Encumbrance:
    """The sale ended without a buyer (or was given up): the pledge refuses transfers again."""
    if enc.disposal_ref is None:
        return enc
    lock_asset(enc.asset)
    reference, enc.disposal_ref = enc.disposal_ref, None
    record_audit(
        "ip.pledge_sale_closed",
        enc.asset,
        actor=actor,
        data={"encumbrance_id": enc.id, "reference": reference},
    )
    db.session.flush()
    return enc


def record_committed_deal(
    asset: IpAsset,
    terms: DealTerms,
    *,
    reference: str,
    actor,
    counterparty: str | None = None,
    on: date | None = None,
) -> Encumbrance:
    """Commit a deal signed on the platform (a licence, transfer or equity contribution
    under contract `reference`), after checking it under the asset's row lock.

    Raises DealExcluded (409) with the reasons when the rule refuses it. Recording
    the same reference again with the same terms returns the first record.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError(fields={"reference": [_l("A committed deal names its contract.")]})
    day = on or today_shanghai()
    lock_asset(asset)
    encumbrances = current_encumbrances(asset)
    for enc in encumbrances:
        if enc.kind == "committed_deal" and enc.reference == reference:
            if enc.deal_kind == terms.deal_kind and enc.license_type == terms.license_type:
                return enc
            raise Conflict(
                _l("Contract %(ref)s already committed another deal on this asset.", ref=reference),
                code="reference_reused",
            )
    held = bidding_hold(asset, reference)
    if held:
        raise Conflict(held, code="held_for_trading")
    check = evaluate(asset, terms, on=day, encumbrances=encumbrances)
    if not check.ok:
        raise DealExcluded(check)
    enc = Encumbrance(
        asset_id=asset.id,
        kind="committed_deal",
        deal_kind=terms.deal_kind,
        license_type=terms.license_type,
        field_of_use=terms.field_of_use,
        territory=terms.territory,
        term_start=terms.term_start or day,
        term_end=None if terms.takes_whole_right else terms.term_end,
        counterparty=(counterparty or "").strip()[:200] or None,
        reference=reference[:100],
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(enc)
    db.session.flush()
    record_audit(
        "ip.deal_committed",
        asset,
        actor=actor,
        data={"encumbrance_id": enc.id, "reference": reference, **terms.to_dict()},
    )
    db.session.expire(asset, ["encumbrances"])
    return enc


def close_committed_deal(
    asset: IpAsset, *, reference: str, released_on: date, note: str | None = None, actor
) -> Encumbrance:
    """Close the deal committed under `reference` (its contract was cancelled or fulfilled)."""
    lock_asset(asset)
    enc = next(
        (e for e in current_encumbrances(asset) if e.kind == "committed_deal" and e.reference == reference),
        None,
    )
    if enc is None:
        raise NotFound(_l("No deal is committed on this asset under contract %(ref)s.", ref=reference))
    if not enc.is_released:
        enc.released_on = released_on
        enc.released_at = utcnow()
        enc.released_by_id = getattr(actor, "id", None)
        enc.release_note = (note or "").strip() or None
        record_audit(
            "ip.deal_closed",
            asset,
            actor=actor,
            data={"encumbrance_id": enc.id, "reference": reference, "note": enc.release_note},
        )
        db.session.flush()
    return enc
