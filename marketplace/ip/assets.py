"""Registering and editing assets, their verification by an agency, and their
attachments (certificates, drawings, reports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization
from ..core.catalog import INDUSTRIES, PROVINCE_CODE
from ..core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from ..core.models import record_audit
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..storage.uploads import Attachment, attachments_of, removal_of, save_upload
from . import states
from .identifiers import IdentifierError, validate_identifier
from .models import AssetOwner, IpAsset, TitleEvent
from .owners import (
    OwnerShare,
    apply_owners,
    clean_owners,
    clear_verification,
    is_co_owned,
    lock_asset,
    owner_snapshot_of,
    owners_editable,
)
from .permissions import can_oversee_assets

MAX_KEYWORDS = 20


MAX_INVENTORS = 50


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


def assets_visible_to(user, *, q: str | None = None) -> Select:
    """The assets a user's lists show: their organization's (members), those of
    owners in scope (regulators), all (agencies and admins), none otherwise.

    Assets seen only through a published listing are found through listings.
    """
    stmt = (
        select(IpAsset)
        # The lists show each owner's name: the owners with their organizations in one query.
        .options(selectinload(IpAsset.owners).joinedload(AssetOwner.organization))
        .order_by(IpAsset.created_at.desc(), IpAsset.id.desc())
    )
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
    owners = clean_owners(data.owners, actor, errors)
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
            owners=owner_snapshot_of(owners),
            recorded_by_id=actor.id,
        )
    )
    record_audit(
        "ip.asset_registered",
        asset,
        actor=actor,
        to_state=asset.legal_status,
        data={"identifier": asset.identifier, "owners": owner_snapshot_of(owners)},
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
        clear_verification(asset)
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
