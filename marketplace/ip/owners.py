"""Who owns an asset: the owners' shares and their checks, the lock an asset's
changes take, and the chain of title (owners replaced under a transfer or
equity contract, each change appended as a title event and announced)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization, User
from ..core.errors import Conflict, ValidationError
from ..core.models import record_audit
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from . import states
from .deals import (
    DealCheck,
    DealExcluded,
    DealTerms,
    current_encumbrances,
    evaluate,
)
from .models import AssetOwner, IpAsset, TitleEvent
from .permissions import can_oversee_assets
from .signals import ownership_changed

FULL_SHARE_BP = 10_000


@dataclass(frozen=True)
class OwnerShare:
    org_id: int
    share_bp: int


def lock_asset(asset: IpAsset) -> None:
    """Take the asset's row lock (SELECT ... FOR UPDATE) until the transaction ends.

    Every change to an asset's deals or owners goes through it, so concurrent
    requests are serialized by the database (SQLite has one writer anyway).
    """
    db.session.flush()
    db.session.execute(select(IpAsset.id).where(IpAsset.id == asset.id).with_for_update())


def owners_editable(asset: IpAsset) -> bool:
    """Whether the owners may be changed directly (by editing the asset): only by its sole
    owner, and only while no transfer is in the chain of title and no deal was committed
    on the platform. A co-owned asset changes owners only through an ownership proposal
    (`marketplace.ip.ownership`); either way the change is a new link of the chain."""
    return (
        len(asset.owners) == 1
        and not any(t.kind == states.TitleEventKind.TRANSFER.value for t in asset.title_events)
        and not any(e.kind == "committed_deal" for e in asset.encumbrances)
    )


def is_co_owned(asset: IpAsset) -> bool:
    return len(asset.owners) > 1


def clean_owners(
    owners: Sequence[OwnerShare] | None, actor, errors: dict[str, list[Any]], *, actor_must_own: bool = True
) -> list[tuple[Organization, int]]:
    """Owners must exist, be named once, hold 1-10000 bp each and 10000 together; when a
    seller registers or edits, their own organization must stay among them."""
    if owners is None:
        owners = [OwnerShare(actor.organization_id, FULL_SHARE_BP)]
    if not owners:
        errors.setdefault("owners", []).append(_l("Name at least one owner."))
        return []
    cleaned: list[tuple[Organization, int]] = []
    seen: set[int] = set()
    for index, owner in enumerate(owners):
        org = db.session.get(Organization, owner.org_id) if isinstance(owner.org_id, int) else None
        if org is None:
            errors.setdefault(f"owners.{index}.org_id", []).append(_l("There is no such organization."))
            continue
        if org.kind == "regulator" or org.is_suspended:
            errors.setdefault(f"owners.{index}.org_id", []).append(
                _l("%(org)s cannot own IP assets on the platform.", org=org.name)
            )
            continue
        if org.id in seen:
            errors.setdefault(f"owners.{index}.org_id", []).append(
                _l("%(org)s is named twice.", org=org.name)
            )
            continue
        if not isinstance(owner.share_bp, int) or not 1 <= owner.share_bp <= FULL_SHARE_BP:
            errors.setdefault(f"owners.{index}.share_bp", []).append(
                _l("A share is between 1 and 10000 basis points (0.01 % to 100 %).")
            )
            continue
        seen.add(org.id)
        cleaned.append((org, owner.share_bp))
    if cleaned and len(cleaned) == len(owners):
        total = sum(share for _org, share in cleaned)
        if total != FULL_SHARE_BP:
            errors.setdefault("owners", []).append(
                _l(
                    "The owners' shares add up to %(total)s %%; they must add up to exactly 100 %%.",
                    total=f"{total / 100:.2f}",
                )
            )
        if actor_must_own and not can_oversee_assets(actor) and actor.organization_id not in seen:
            errors.setdefault("owners", []).append(_l("Your organization must be one of the owners."))
    return cleaned


def owner_snapshot_of(owners: Iterable[tuple[Organization, int]]) -> list[dict[str, Any]]:
    return [{"org_id": org.id, "name": org.name, "share_bp": share} for org, share in owners]


def owners_snapshot(asset: IpAsset) -> list[dict[str, Any]]:
    """The asset's current owners as stored in the chain: [{"org_id", "name", "share_bp"}]."""
    return [{"org_id": o.org_id, "name": o.organization.name, "share_bp": o.share_bp} for o in asset.owners]


def apply_owners(
    asset: IpAsset,
    owners: Sequence[tuple[Organization, int]],
    *,
    actor,
    cause: str,
    proposal_id: int | None = None,
) -> dict[str, Any]:
    """Replace the owners (the caller holds the asset's lock and has checked the change),
    append an ``ownership_change`` link to the chain of title, clear the verification,
    audit old and new owners with their shares and send ``ownership_changed``.

    Returns {"from": [...], "to": [...]} (the snapshots audited).
    """
    previous = owners_snapshot(asset)
    last = asset.title_events[-1] if asset.title_events else None
    _replace_owners(asset, owners)
    snapshot = owner_snapshot_of(owners)
    today = today_shanghai()
    db.session.add(
        TitleEvent(
            asset_id=asset.id,
            seq=(last.seq + 1) if last else 1,
            kind=states.TitleEventKind.OWNERSHIP_CHANGE.value,
            effective_on=max(today, last.effective_on) if last else today,
            owners=snapshot,
            proposal_id=proposal_id,
            recorded_by_id=getattr(actor, "id", None),
        )
    )
    was_verified = asset.is_verified
    if was_verified:
        clear_verification(asset)
    change = {"from": previous, "to": snapshot}
    record_audit(
        "ip.owners_changed",
        asset,
        actor=actor,
        data={**change, "cause": cause, "proposal_id": proposal_id, "verification_cleared": was_verified},
    )
    db.session.flush()
    db.session.expire(asset, ["title_events"])
    _announce(asset, previous, snapshot, actor=actor, cause=cause)
    if cause == "edit":
        _tell_added_owners(asset, previous, snapshot, actor=actor)
    return change


def _tell_added_owners(asset: IpAsset, previous: list[dict], current: list[dict], *, actor) -> None:
    """The sellers of organizations a sole owner made co-owners hear of it."""
    added = sorted({o["org_id"] for o in current} - {o["org_id"] for o in previous})
    if not added:
        return
    link = current_app.url_map.bind("localhost").build("ip.asset_detail", {"asset_id": asset.id})
    by = actor.organization.name if getattr(actor, "organization", None) else ""
    for user in db.session.scalars(
        select(User)
        .where(
            User.organization_id.in_(added),
            User.role == "seller",
            User.status == "active",
            User.membership == "approved",
        )
        .order_by(User.id)
    ):
        notify(
            user,
            "ip.co_owner_added",
            N_("%(org)s made your organization a co-owner of %(title)s."),
            params={"org": by, "title": asset.title},
            link=link,
        )


def _replace_owners(asset: IpAsset, owners: Sequence[tuple[Organization, int]]) -> None:
    wanted = {org.id: share for org, share in owners}
    by_org = {o.org_id: o for o in asset.owners}
    for org_id in set(by_org) - set(wanted):
        asset.owners.remove(by_org[org_id])
    db.session.flush()
    for org, share in owners:
        if org.id in by_org:
            by_org[org.id].share_bp = share
        else:
            asset.owners.append(AssetOwner(org_id=org.id, share_bp=share))
    db.session.flush()


def _announce(asset: IpAsset, previous: list[dict], current: list[dict], *, actor, cause: str) -> None:
    """Tell subscribers (listings) that owners changed; organizations that lost ownership
    must not keep offering the asset."""
    old = {o["org_id"]: o["share_bp"] for o in previous}
    new = {o["org_id"]: o["share_bp"] for o in current}
    ownership_changed.send(
        asset,
        old_owners=old,
        new_owners=new,
        lost_org_ids=sorted(set(old) - set(new)),
        cause=cause,
        actor=actor,
    )


def clear_verification(asset: IpAsset) -> None:
    asset.verified_at = None
    asset.verified_by_id = None
    asset.verification_source = None
    asset.verification_note = None


def record_transfer(
    asset: IpAsset,
    new_owners: Sequence[OwnerShare],
    *,
    contract_ref: str,
    effective_on: date,
    actor,
) -> TitleEvent:
    """Change the owners of an asset under a transfer (or equity) contract; append
    a link to the chain of title.

    If a transfer or equity deal was committed under `contract_ref`, it is
    closed on `effective_on`. Otherwise (a contract registered off the platform)
    the transfer must pass the exclusivity rule on `effective_on`.
    """
    contract_ref = (contract_ref or "").strip()
    errors: dict[str, list[Any]] = {}
    if not contract_ref:
        errors["contract_ref"] = [_l("A transfer names the contract that causes it.")]
    lock_asset(asset)
    db.session.refresh(asset)
    last = asset.title_events[-1] if asset.title_events else None
    if last is not None and effective_on < last.effective_on:
        errors["effective_on"] = [
            _l(
                "The transfer cannot take effect before the previous link (%(date)s).",
                date=last.effective_on.isoformat(),
            )
        ]
    cleaned = clean_owners(list(new_owners), actor, errors, actor_must_own=False)
    if cleaned and {o.id: s for o, s in cleaned} == {o.org_id: o.share_bp for o in asset.owners}:
        errors.setdefault("owners", []).append(_l("These are already the owners."))
    if errors:
        raise ValidationError(fields=errors)
    encumbrances = current_encumbrances(asset)
    committed = next(
        (
            e
            for e in encumbrances
            if e.kind == "committed_deal"
            and e.reference == contract_ref
            and e.deal_kind in ("transfer", "equity")
        ),
        None,
    )
    if committed is None:
        check = evaluate(asset, DealTerms("transfer"), on=effective_on, encumbrances=encumbrances)
        if not check.ok:
            raise DealExcluded(check)
    elif committed.is_released:
        raise Conflict(_l("The deal under contract %(ref)s is already closed.", ref=contract_ref))
    else:
        blocking = [
            r
            for r in evaluate(
                asset,
                DealTerms("transfer"),
                on=effective_on,
                encumbrances=[e for e in encumbrances if e is not committed],
            ).reasons
        ]
        if blocking:
            raise DealExcluded(DealCheck(reasons=blocking))
        committed.released_on = effective_on
        committed.released_at = utcnow()
        committed.released_by_id = getattr(actor, "id", None)
    previous = [{"org_id": o.org_id, "share_bp": o.share_bp} for o in asset.owners]
    previous_named = owners_snapshot(asset)
    for owner in list(asset.owners):
        asset.owners.remove(owner)
    db.session.flush()
    for org, share in cleaned:
        asset.owners.append(AssetOwner(org_id=org.id, share_bp=share))
    event = TitleEvent(
        asset_id=asset.id,
        seq=(last.seq + 1) if last else 1,
        kind=states.TitleEventKind.TRANSFER.value,
        effective_on=effective_on,
        contract_ref=contract_ref[:100],
        owners=owner_snapshot_of(cleaned),
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(event)
    record_audit(
        "ip.title_transferred",
        asset,
        actor=actor,
        data={"contract_ref": contract_ref, "from": previous, "to": owner_snapshot_of(cleaned)},
    )
    db.session.flush()
    db.session.expire(asset, ["title_events", "encumbrances"])
    _announce(asset, previous_named, owner_snapshot_of(cleaned), actor=actor, cause="transfer")
    return event
