"""Mandates: a client (a seller's or buyer's organization) asks an agency to broker
for it; the agency accepts or declines; either ends it. An agency acts for a side
only under a mandate in force."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Organization, User
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock, lock_rows
from ..core.models import record_audit
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from . import permissions
from .models import Mandate
from .sides import active_members, is_whole_number, site_link
from .states import (
    MandateStatus,
)


def mandate_in_force(agency_org_id: int, client_org_id: int, side: str, *, on: date | None = None) -> Mandate | None:  # fmt: skip
    """The active mandate from the client to the agency for that side, valid on `on`."""
    day = on or today_shanghai()
    return db.session.scalar(
        select(Mandate)
        .where(
            Mandate.agency_org_id == agency_org_id,
            Mandate.client_org_id == client_org_id,
            Mandate.side == side,
            Mandate.status == MandateStatus.ACTIVE.value,
            Mandate.valid_from <= day,
            Mandate.valid_to >= day,
        )
        .order_by(Mandate.id.desc())
        .limit(1)
    )


def _newest_in_force(client_org_id: int, side: str) -> list[Mandate]:
    day = today_shanghai()
    return list(
        db.session.scalars(
            select(Mandate)
            .where(
                Mandate.client_org_id == client_org_id,
                Mandate.side == side,
                Mandate.status == MandateStatus.ACTIVE.value,
                Mandate.valid_from <= day,
                Mandate.valid_to >= day,
            )
            .order_by(Mandate.id.desc())
        )
    )


def seller_mandate_for(listing) -> Mandate | None:
    """The seller's mandate in force: with the listing's brokering agency first, else the newest."""
    candidates = _newest_in_force(listing.org_id, "seller")
    for mandate in candidates:
        if mandate.agency_org_id == listing.agency_org_id:
            return mandate
    return candidates[0] if candidates else None


def buyer_mandate_for(buyer_org_id: int) -> Mandate | None:
    """The buyer's newest mandate in force: its agency brokers the offers the buyer makes itself too."""
    candidates = _newest_in_force(buyer_org_id, "buyer")
    return candidates[0] if candidates else None


def mandates_visible_to(user):
    stmt = (
        select(Mandate)
        .order_by(Mandate.created_at.desc(), Mandate.id.desc())
        .options(selectinload(Mandate.agency), selectinload(Mandate.client))
    )
    if not (user is not None and user.is_authenticated and user.has_powers):
        return stmt.where(db.false())
    org = user.organization_id
    return stmt.where(or_(Mandate.agency_org_id == org, Mandate.client_org_id == org))


def propose_mandate(
    *,
    agency_org_id: Any,
    commission_bp: Any,
    valid_from: date | None,
    valid_to: date | None,
    scope: str | None = None,
    actor: User,
) -> Mandate:
    """A client (a seller's or buyer's organization) asks an agency to broker for it."""
    if not permissions.can_propose_mandate(actor):
        raise PermissionDenied(_l("Sellers and buyers give mandates to agencies."))
    side = "seller" if actor.acts_as("seller") else "buyer"
    errors: dict[str, list[Any]] = {}
    agency = db.session.get(Organization, agency_org_id) if is_whole_number(agency_org_id) else None
    if agency is None or agency.kind != "agency" or not agency.is_approved:
        errors["agency_org_id"] = [_l("Choose an approved technology transfer agency.")]
    if not is_whole_number(commission_bp) or not 0 <= commission_bp <= 10000:
        errors["commission_bp"] = [_l("Between 0 and 10000 basis points (100 %).")]
    today = today_shanghai()
    valid_from = valid_from or today
    if not isinstance(valid_to, date):
        errors["valid_to"] = [_l("Give the last day of the mandate.")]
    elif valid_to < valid_from:
        errors["valid_to"] = [_l("The mandate cannot end before it starts.")]
    elif valid_to < today:
        errors["valid_to"] = [_l("The mandate would already have ended.")]
    elif valid_to > valid_from + timedelta(days=5 * 366):
        errors["valid_to"] = [_l("A mandate lasts at most five years.")]
    scope = (scope or "").strip() or None
    if scope and len(scope) > 500:
        errors["scope"] = [_l("At most 500 characters.")]
    if errors:
        raise ValidationError(fields=errors)
    lock_rows(Organization, [actor.organization_id])
    existing = db.session.scalar(
        select(Mandate.id).where(
            Mandate.agency_org_id == agency.id,
            Mandate.client_org_id == actor.organization_id,
            Mandate.side == side,
            Mandate.status.in_(("proposed", "active")),
        )
    )
    if existing is not None:
        raise Conflict(
            _l("This agency already has (or is considering) your mandate; revoke it first to change it."),
            code="mandate_exists",
        )
    mandate = Mandate(
        agency_org_id=agency.id,
        client_org_id=actor.organization_id,
        side=side,
        commission_bp=commission_bp,
        valid_from=valid_from,
        valid_to=valid_to,
        scope=scope,
        status=MandateStatus.PROPOSED.value,
        created_by_id=actor.id,
    )
    db.session.add(mandate)
    db.session.flush()
    record_audit(
        "mandate.propose",
        mandate,
        actor=actor,
        to_state=mandate.status,
        data={"side": side, "commission_bp": commission_bp},
    )
    for user in active_members(agency.id, "agency"):
        notify(
            user,
            "mandate.proposed",
            N_("%(client)s asks your agency to broker for it (commission %(pct)s %%)."),
            params={"client": actor.organization.name, "pct": f"{commission_bp / 100:.2f}"},
            link=site_link("offers.mandates"),
        )
    return mandate


def _mandate_transition(mandate: Mandate, dst: MandateStatus, action: str, *, actor) -> None:
    src, _ = transition(mandate, dst)
    mandate.decided_by_id = actor.id
    mandate.decided_at = utcnow()
    if dst == MandateStatus.REVOKED:
        mandate.ended_at = utcnow()
    record_audit(action, mandate, actor=actor, from_state=src.value, to_state=dst.value)


def accept_mandate(mandate: Mandate, *, actor: User) -> Mandate:
    lock(mandate)
    if not (permissions.can_view_mandate(actor, mandate) and actor.acts_as("agency")):
        raise PermissionDenied()
    if mandate.valid_to < today_shanghai():
        raise Conflict(_l("This mandate has already ended; the client must give a new one."))
    _mandate_transition(mandate, MandateStatus.ACTIVE, "mandate.accept", actor=actor)
    _notify_client(mandate, N_("%(agency)s accepted your mandate."))
    return mandate


def decline_mandate(mandate: Mandate, *, actor: User) -> Mandate:
    lock(mandate)
    if not (permissions.can_view_mandate(actor, mandate) and actor.acts_as("agency")):
        raise PermissionDenied()
    _mandate_transition(mandate, MandateStatus.DECLINED, "mandate.decline", actor=actor)
    _notify_client(mandate, N_("%(agency)s declined your mandate."))
    return mandate


def revoke_mandate(mandate: Mandate, *, actor: User) -> Mandate:
    """The client (or, once active, the agency) ends the mandate. Offers already brokered
    keep naming the agency; it can no longer act on them."""
    lock(mandate)
    if not permissions.can_view_mandate(actor, mandate):
        raise NotFound()
    if mandate.status in ("proposed", "active") and not permissions.can_revoke_mandate(actor, mandate):
        raise PermissionDenied()
    _mandate_transition(mandate, MandateStatus.REVOKED, "mandate.revoke", actor=actor)
    return mandate


def _notify_client(mandate: Mandate, message_id: str) -> None:
    role = mandate.side
    for user in active_members(mandate.client_org_id, role):
        notify(
            user,
            "mandate.decided",
            message_id,
            params={"agency": mandate.agency.name},
            link=site_link("offers.mandates"),
        )
