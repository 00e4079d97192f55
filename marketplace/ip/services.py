"""The rules of the IP registry: registering and editing assets, encumbrances,
the chain of title, verification and attachments.

Public API for other domains (listings, contracts):

- ``check_deal(asset, deal: DealTerms, *, on=None) -> DealCheck`` (from .deals)
- ``record_committed_deal(asset, terms, *, reference, actor, counterparty=None, on=None) -> Encumbrance``
- ``close_committed_deal(asset, *, reference, released_on, note, actor) -> Encumbrance``
- ``record_transfer(asset, new_owners, *, contract_ref, effective_on, actor) -> TitleEvent``
- the signal ``signals.ownership_changed`` (sent whenever owners change)

Ownership proposals of co-owned assets are in ``.ownership``.

Services add and flush, never commit; they raise domain errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization, User
from ..core.catalog import INDUSTRIES, PROVINCE_CODE
from ..core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from ..core.models import record_audit
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from ..storage.uploads import Attachment, attachments_of, removal_of, save_upload
from . import states
from .deals import (
    DealCheck,
    DealTerms,
    check_deal,
    current_encumbrances,
    evaluate,
    status_reasons,
)
from .identifiers import IdentifierError, validate_identifier
from .models import AssetOwner, Encumbrance, IpAsset, TitleEvent
from .permissions import can_oversee_assets
from .signals import ownership_changed

__all__ = [
    "AssetData",
    "DealCheck",
    "DealExcluded",
    "DealTerms",
    "EncumbranceData",
    "OwnerShare",
    "add_attachment",
    "add_encumbrance",
    "apply_owners",
    "assets_visible_to",
    "check_deal",
    "close_committed_deal",
    "is_co_owned",
    "lock_asset",
    "owners_editable",
    "owners_snapshot",
    "record_committed_deal",
    "record_transfer",
    "register_asset",
    "release_encumbrance",
    "remove_attachment",
    "update_asset",
    "verify_asset",
]

FULL_SHARE_BP = 10_000
MAX_KEYWORDS = 20
MAX_INVENTORS = 50


class DealExcluded(Conflict):
    """A deal the exclusivity rule refuses (409); ``check`` holds the reasons."""

    code = "deal_excluded"
    default_message = _l("This deal is not possible on this asset.")

    def __init__(self, check: DealCheck) -> None:
        super().__init__(check.message or None, fields={"deal": [r.message for r in check.reasons]})
        self.check = check


@dataclass(frozen=True)
class OwnerShare:
    org_id: int
    share_bp: int


@dataclass
class AssetData:
    """What a seller states about an asset (the form's or the API body's fields)."""

    kind: str
    industry: str
    legal_status: str
    identifier: str | None = None
    title_zh: str | None = None
    title_en: str | None = None
    abstract_zh: str | None = None
    abstract_en: str | None = None
    keywords: list[str] = field(default_factory=list)
    inventors: list[str] = field(default_factory=list)
    maturity: str | None = None
    filed_on: date | None = None
    granted_on: date | None = None
    expires_on: date | None = None
    owners: list[OwnerShare] | None = None  # None: the actor's organization alone


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


# --- queries -------------------------------------------------------------------------------


def assets_visible_to(user, *, q: str | None = None) -> Select:
    """The assets a user's lists show: their organization's (members), those of
    owners in scope (regulators), all (agencies and admins), none otherwise.

    Assets seen only through a published listing are found through listings.
    """
    stmt = select(IpAsset).order_by(IpAsset.created_at.desc(), IpAsset.id.desc())
    if not (user is not None and user.is_authenticated and user.has_powers):
        return stmt.where(db.false())
    if not can_oversee_assets(user):
        owned = select(AssetOwner.asset_id).join(Organization, AssetOwner.org_id == Organization.id)
        scope = user.scope_region
        conditions = [AssetOwner.org_id == user.organization_id]
        if scope == PROVINCE_CODE:
            conditions.append(Organization.region_code.like("23%"))
        elif scope:
            conditions.append(Organization.region_code.like(scope[:4] + "%"))
        stmt = stmt.where(IpAsset.id.in_(owned.where(or_(*conditions))))
    if q:
        pattern = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(
                IpAsset.title_zh.ilike(pattern),
                IpAsset.title_en.ilike(pattern),
                IpAsset.identifier.ilike(pattern),
            )
        )
    return stmt


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


# --- registering and editing -------------------------------------------------------------


def _clean_owners(
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


def _clean(data: AssetData, *, actor, asset: IpAsset | None = None) -> tuple[dict[str, Any], list]:
    """Check every rule on `data`; return the column values and owners or raise ValidationError."""
    errors: dict[str, list[Any]] = {}
    values: dict[str, Any] = {}

    def err(name: str, message: Any) -> None:
        errors.setdefault(name, []).append(message)

    if data.kind not in states.ASSET_KIND_LABELS:
        err("kind", _l("Choose a kind of asset from the list."))
    values["kind"] = data.kind
    identifier = (data.identifier or "").strip()
    if not identifier:
        if data.kind in states.ASSET_KIND_LABELS and data.kind not in states.KINDS_WITHOUT_IDENTIFIER:
            err("identifier", _l("Enter the application or registration number."))
        values["identifier"] = None
    elif data.kind in states.ASSET_KIND_LABELS:
        try:
            values["identifier"] = validate_identifier(data.kind, identifier)
        except IdentifierError as exc:
            err("identifier", exc.message)
    for name, limit in (("title_zh", 200), ("title_en", 300)):
        text = (getattr(data, name) or "").strip()
        if len(text) > limit:
            err(name, _l("At most %(max)s characters.", max=limit))
        values[name] = text or None
    if not values.get("title_zh") and not values.get("title_en") and "title_zh" not in errors:
        err("title_zh", _l("Enter a title in Chinese or in English."))
    for name in ("abstract_zh", "abstract_en"):
        values[name] = (getattr(data, name) or "").strip() or None
    for name, limit in (("keywords", MAX_KEYWORDS), ("inventors", MAX_INVENTORS)):
        items: list[str] = []
        for item in getattr(data, name) or []:
            item = " ".join(str(item).split())
            if item and item not in items:
                items.append(item[:100])
        if len(items) > limit:
            err(name, _l("At most %(max)s entries.", max=limit))
        values[name] = items
    if data.industry not in INDUSTRIES:
        err("industry", _l("Choose one of the listed industries."))
    values["industry"] = data.industry
    maturity = data.maturity or None
    if maturity is not None and maturity not in states.MATURITY_LABELS:
        err("maturity", _l("Choose a maturity stage or a technology readiness level from the list."))
    values["maturity"] = maturity
    if data.legal_status not in states.LEGAL_STATUS_LABELS:
        err("legal_status", _l("Choose a legal status from the list."))
    values["legal_status"] = data.legal_status
    filed, granted, expires = data.filed_on, data.granted_on, data.expires_on
    if filed and granted and granted < filed:
        err("granted_on", _l("The grant date cannot be before the filing date."))
    if expires and granted and expires < granted:
        err("expires_on", _l("The expiry date cannot be before the grant date."))
    elif expires and filed and expires < filed:
        err("expires_on", _l("The expiry date cannot be before the filing date."))
    if granted and data.legal_status == "pending":
        err("granted_on", _l("A pending application has no grant date yet."))
    today = today_shanghai()
    for name, value in (("filed_on", filed), ("granted_on", granted)):
        if value and value > today:
            err(name, _l("This date cannot be in the future."))
    values.update(filed_on=filed, granted_on=granted, expires_on=expires)
    if "identifier" not in errors and values.get("identifier"):
        duplicate = db.session.scalar(
            select(IpAsset.id).where(IpAsset.kind == data.kind, IpAsset.identifier == values["identifier"])
        )
        if duplicate is not None and (asset is None or duplicate != asset.id):
            raise _duplicate(values["identifier"])
    owners = _clean_owners(data.owners, actor, errors)
    if errors:
        raise ValidationError(fields=errors)
    return values, owners


def _duplicate(identifier: str) -> Conflict:
    message = _l(
        "%(identifier)s is already registered on the platform. If your organization co-owns it, ask the "
        "registering organization to add you as an owner.",
        identifier=identifier,
    )
    return Conflict(message, fields={"identifier": [message]}, code="duplicate_identifier")


def _flush_unique(identifier: str | None) -> None:
    """Flush; a unique violation (a concurrent registration of the same number) is a clear 409."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise _duplicate(identifier or "") from None


def _owner_snapshot(owners: Iterable[tuple[Organization, int]]) -> list[dict[str, Any]]:
    return [{"org_id": org.id, "name": org.name, "share_bp": share} for org, share in owners]


def register_asset(data: AssetData, *, actor) -> IpAsset:
    """Register an asset for the actor's organization (and any co-owners).

    The registration is the first link of the chain of title.
    """
    values, owners = _clean(data, actor=actor)
    asset = IpAsset(**values, created_by_id=actor.id)
    asset.owners = [AssetOwner(org_id=org.id, share_bp=share) for org, share in owners]
    db.session.add(asset)
    _flush_unique(asset.identifier)
    db.session.add(
        TitleEvent(
            asset_id=asset.id,
            seq=1,
            kind=states.TitleEventKind.REGISTRATION.value,
            effective_on=today_shanghai(),
            owners=_owner_snapshot(owners),
            recorded_by_id=actor.id,
        )
    )
    record_audit(
        "ip.asset_registered",
        asset,
        actor=actor,
        to_state=asset.legal_status,
        data={"identifier": asset.identifier, "owners": _owner_snapshot(owners)},
    )
    db.session.flush()
    db.session.refresh(asset)
    return asset


_EDITABLE = (
    "kind",
    "identifier",
    "title_zh",
    "title_en",
    "abstract_zh",
    "abstract_en",
    "keywords",
    "inventors",
    "industry",
    "maturity",
    "filed_on",
    "granted_on",
    "expires_on",
)


def update_asset(asset: IpAsset, data: AssetData, *, actor) -> IpAsset:
    """Change what a seller states about an asset.

    A change of legal status follows LEGAL_STATUS_MACHINE; a change of kind,
    identifier or legal status clears the agency's verification. Owners change
    here only while `owners_editable`; afterwards only through `record_transfer`.
    """
    lock_asset(asset)
    if data.owners is None:
        data.owners = [OwnerShare(o.org_id, o.share_bp) for o in asset.owners]
    values, owners = _clean(data, actor=actor, asset=asset)
    changed = [name for name in _EDITABLE if getattr(asset, name) != values[name]]
    new_owners = {org.id: share for org, share in owners}
    owners_changed = new_owners != {o.org_id: o.share_bp for o in asset.owners}
    if owners_changed and is_co_owned(asset):
        message = _l(
            "This asset has several owners: its owners change only when every owner agrees. Propose the "
            'change instead (POST /api/v1/assets/%(id)s/ownership-proposals, or "Propose a change of '
            "owners\" on the asset's page).",
            id=asset.id,
        )
        raise Conflict(message, fields={"owners": [message]}, code="ownership_proposal_required")
    if owners_changed and not owners_editable(asset):
        message = _l(
            "The owners of this asset can no longer be edited: ownership now changes only through a "
            "registered transfer contract."
        )
        raise Conflict(message, fields={"owners": [message]}, code="owners_locked")
    old_status = asset.legal_status
    if values["legal_status"] != old_status:
        try:
            states.LEGAL_STATUS_MACHINE.apply(asset, values["legal_status"])
        except InvalidTransition:
            raise ValidationError(
                fields={
                    "legal_status": [
                        _l(
                            "The legal status cannot change from %(old)s to %(new)s.",
                            old=states.label(states.LEGAL_STATUS_LABELS, old_status),
                            new=states.label(states.LEGAL_STATUS_LABELS, values["legal_status"]),
                        )
                    ]
                }
            ) from None
        changed.append("legal_status")
    for name in _EDITABLE:
        setattr(asset, name, values[name])
    if asset.is_verified and {"kind", "identifier", "legal_status"} & set(changed):
        _clear_verification(asset)
    _flush_unique(asset.identifier)
    owner_change: dict[str, Any] = {}
    if owners_changed:
        # The sole owner adds co-owners: a new link of the chain (the registration stays).
        owner_change = apply_owners(asset, owners, actor=actor, cause="edit")
        changed.append("owners")
    if changed:
        record_audit(
            "ip.asset_updated",
            asset,
            actor=actor,
            from_state=old_status,
            to_state=asset.legal_status,
            data={"fields": changed, **owner_change},
        )
    return asset


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
    snapshot = _owner_snapshot(owners)
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
        _clear_verification(asset)
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


def _clear_verification(asset: IpAsset) -> None:
    asset.verified_at = None
    asset.verified_by_id = None
    asset.verification_source = None
    asset.verification_note = None


def verify_asset(asset: IpAsset, *, source: str, note: str | None, actor) -> IpAsset:
    """An agency (or admin) confirms the asset's legal status against an official source."""
    if source not in states.VERIFICATION_SOURCES:
        raise ValidationError(fields={"source": [_l("Choose the source you checked.")]})
    note = (note or "").strip() or None
    if source == "other" and not note:
        raise ValidationError(fields={"note": [_l("Say which source you checked.")]})
    asset.verified_at = utcnow()
    asset.verified_by_id = actor.id
    asset.verification_source = source
    asset.verification_note = note
    record_audit(
        "ip.asset_verified",
        asset,
        actor=actor,
        to_state=asset.legal_status,
        data={"source": source, "note": note},
    )
    db.session.flush()
    return asset


# --- encumbrances ---------------------------------------------------------------------------


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


# --- chain of title ---------------------------------------------------------------------------


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
    cleaned = _clean_owners(list(new_owners), actor, errors, actor_must_own=False)
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
        owners=_owner_snapshot(cleaned),
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(event)
    record_audit(
        "ip.title_transferred",
        asset,
        actor=actor,
        data={"contract_ref": contract_ref, "from": previous, "to": _owner_snapshot(cleaned)},
    )
    db.session.flush()
    db.session.expire(asset, ["title_events", "encumbrances"])
    _announce(asset, previous_named, _owner_snapshot(cleaned), actor=actor, cause="transfer")
    return event


# --- attachments -----------------------------------------------------------------------------


def add_attachment(asset: IpAsset, file: FileStorage | None, *, actor) -> Attachment:
    """Attach a PDF or image (certificate, drawing, report); type and size are checked."""
    attachment = save_upload(file, subject=asset, actor=actor, purpose="document")
    record_audit(
        "ip.attachment_added",
        asset,
        actor=actor,
        data={"attachment_id": attachment.id, "name": attachment.original_name},
    )
    return attachment


def asset_attachment(asset: IpAsset, attachment_id: Any) -> Attachment:
    """An attachment of this asset, or NotFound."""
    try:
        wanted = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    for attachment in attachments_of(asset):
        if attachment.id == wanted:
            return attachment
    raise NotFound()


def remove_attachment(asset: IpAsset, attachment: Attachment, *, actor):
    """Remove an attachment's record; returns the stored file, to unlink after commit."""
    path = removal_of(attachment)
    record_audit(
        "ip.attachment_removed",
        asset,
        actor=actor,
        data={"attachment_id": attachment.id, "name": attachment.original_name},
    )
    db.session.delete(attachment)
    db.session.flush()
    return path
