"""Docking events and roadshows: created by a node's operators; sellers enrol
listings to pitch; people register (the capacity is decided under the event's
row lock); operators record outcomes (intent agreements, later offers and
contracts linked to the event)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..accounts.models import User
from ..contracts.models import Contract
from ..core.catalog import INDUSTRIES
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.timeutil import utcnow
from ..extensions import db
from ..listings.models import Listing
from ..listings.permissions import is_listing_seller
from ..offers.models import Offer
from . import permissions
from .models import DockingEvent, EventOutcome, EventPitch, EventRegistration, Node
from .states import EventKind, EventStatus, OutcomeKind, event_machine

MAX_CAPACITY = 100_000
_URL = re.compile(r"^https?://[^\s]{3,490}$")


def _check_fields(data: dict, errors: dict) -> None:
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = [_l("Enter the event's title.")]
    elif len(title) > 200:
        errors["title"] = [_l("At most %(n)s characters.", n=200)]
    if data.get("kind") not in {k.value for k in EventKind}:
        errors["kind"] = [_l("Choose a docking event or a roadshow.")]
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if not isinstance(starts, datetime):
        errors["starts_at"] = [_l("Enter when the event starts.")]
    if not isinstance(ends, datetime):
        errors["ends_at"] = [_l("Enter when the event ends.")]
    elif isinstance(starts, datetime) and ends <= starts:
        errors["ends_at"] = [_l("The event ends after it starts.")]
    place = (data.get("place") or "").strip()
    url = (data.get("online_url") or "").strip()
    if not place and not url:
        errors["place"] = [_l("Enter the place, the online link, or both.")]
    if len(place) > 300:
        errors["place"] = [_l("At most %(n)s characters.", n=300)]
    if url and not _URL.match(url):
        errors["online_url"] = [_l("Enter a link starting with http:// or https://.")]
    cap = data.get("capacity")
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
        errors["capacity"] = [_l("Enter the number of seats (at least 1).")]
    elif cap > MAX_CAPACITY:
        errors["capacity"] = [_l("At most %(n)s seats.", n=MAX_CAPACITY)]
    if any(i not in INDUSTRIES for i in data.get("industries") or []):
        errors["industries"] = [_l("Unknown industry.")]
    if len(data.get("description") or "") > 4000:
        errors["description"] = [_l("At most %(n)s characters.", n=4000)]


def create_event(node: Node, *, actor: User, now: datetime | None = None, **data) -> DockingEvent:
    if not permissions.can_operate(actor, node):
        raise PermissionDenied(_l("Only the node's operators create its events."))
    now = now or utcnow()
    errors: dict[str, list] = {}
    _check_fields(data, errors)
    if "starts_at" not in errors and data["starts_at"] <= now:
        errors["starts_at"] = [_l("The event starts in the future.")]
    if errors:
        raise ValidationError(fields=errors)
    event = DockingEvent(
        node_id=node.id,
        kind=data["kind"],
        title=data["title"].strip(),
        description=(data.get("description") or "").strip(),
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        place=(data.get("place") or "").strip() or None,
        online_url=(data.get("online_url") or "").strip() or None,
        capacity=data["capacity"],
        industries=list(data.get("industries") or []),
        created_by_id=actor.id,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _lock(event: DockingEvent) -> DockingEvent:
    db.session.flush()
    locked = db.session.scalar(
        select(DockingEvent)
        .where(DockingEvent.id == event.id)
        .with_for_update(of=DockingEvent)
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound()
    return locked


def register(event: DockingEvent, *, actor: User, now: datetime | None = None) -> EventRegistration:
    """Attend an event: one seat, while seats are left (decided under the event's lock)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_l("Log in to register."))
    now = now or utcnow()
    event = _lock(event)
    if event.status != EventStatus.SCHEDULED.value or event.starts_at <= now:
        raise Conflict(_l("Registration for this event is closed."))
    existing = db.session.scalar(
        select(EventRegistration.id).where(
            EventRegistration.event_id == event.id, EventRegistration.user_id == actor.id
        )
    )
    if existing is not None:
        raise Conflict(_l("You are already registered for this event."))
    if event.registered >= event.capacity:
        raise Conflict(_l("The event is full."))
    db.session.execute(
        update(DockingEvent).where(DockingEvent.id == event.id).values(registered=DockingEvent.registered + 1)
    )
    row = EventRegistration(event_id=event.id, user_id=actor.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    db.session.refresh(event)
    return row


def cancel_registration(event: DockingEvent, *, actor: User) -> None:
    event = _lock(event)
    row = db.session.scalar(
        select(EventRegistration).where(
            EventRegistration.event_id == event.id, EventRegistration.user_id == actor.id
        )
    )
    if row is None:
        raise NotFound()
    if event.status != EventStatus.SCHEDULED.value:
        raise Conflict(_l("Registration for this event is closed."))
    db.session.delete(row)
    db.session.execute(
        update(DockingEvent).where(DockingEvent.id == event.id).values(registered=DockingEvent.registered - 1)
    )
    db.session.flush()
    db.session.refresh(event)


def can_pitch(user, listing: Listing) -> bool:
    return is_listing_seller(user, listing) or (
        user is not None
        and user.is_authenticated
        and user.acts_as("agency")
        and listing.agency_org_id == user.organization_id
    )


def enrol_pitch(event: DockingEvent, listing: Listing, *, actor: User) -> EventPitch:
    """The listing's seller side (or its agency) enrols it to pitch at the event."""
    if not can_pitch(actor, listing):
        raise PermissionDenied(_l("Only the listing's seller side enrols it to pitch."))
    event = _lock(event)
    if event.status != EventStatus.SCHEDULED.value:
        raise Conflict(_l("This event no longer takes pitches."))
    if listing.status != "published":
        raise ValidationError(fields={"listing_id": [_l("Only a published listing can be pitched.")]})
    exists = db.session.scalar(
        select(EventPitch.id).where(EventPitch.event_id == event.id, EventPitch.listing_id == listing.id)
    )
    if exists is not None:
        raise Conflict(_l("This listing is already enrolled."))
    row = EventPitch(event_id=event.id, listing_id=listing.id, enrolled_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def set_status(event: DockingEvent, status: str, *, actor: User) -> DockingEvent:
    if not permissions.can_operate(actor, event.node):
        raise PermissionDenied(_l("Only the node's operators change its events."))
    if status not in {EventStatus.HELD.value, EventStatus.CANCELLED.value}:
        raise ValidationError(fields={"status": [_l("Choose held or cancelled.")]})
    event_machine.transition(event, status, message=_l("The event was already held or cancelled."))
    db.session.flush()
    return event


def record_outcome(
    event: DockingEvent,
    *,
    kind: str,
    note: str = "",
    listing_id: int | None = None,
    offer_id: int | None = None,
    contract_id: int | None = None,
    actor: User,
) -> EventOutcome:
    if not permissions.can_operate(actor, event.node):
        raise PermissionDenied(_l("Only the node's operators record outcomes."))
    errors: dict[str, list] = {}
    if kind not in {k.value for k in OutcomeKind}:
        errors["kind"] = [_l("Choose an intent agreement, an offer or a contract.")]
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = [_l("At most %(n)s characters.", n=2000)]
    if listing_id is not None and db.session.get(Listing, listing_id) is None:
        errors["listing_id"] = [_l("There is no such listing.")]
    if offer_id is not None and db.session.get(Offer, offer_id) is None:
        errors["offer_id"] = [_l("There is no such offer.")]
    if contract_id is not None and db.session.get(Contract, contract_id) is None:
        errors["contract_id"] = [_l("There is no such contract.")]
    if kind == OutcomeKind.OFFER.value and offer_id is None and "offer_id" not in errors:
        errors["offer_id"] = [_l("Name the offer.")]
    if kind == OutcomeKind.CONTRACT.value and contract_id is None and "contract_id" not in errors:
        errors["contract_id"] = [_l("Name the contract.")]
    if kind == OutcomeKind.INTENT.value and not note and "note" not in errors:
        errors["note"] = [_l("Say who agreed to what.")]
    if errors:
        raise ValidationError(fields=errors)
    event = _lock(event)
    if event.status == EventStatus.CANCELLED.value:
        raise Conflict(_l("The event was cancelled."))
    row = EventOutcome(
        event_id=event.id,
        kind=kind,
        note=note,
        listing_id=listing_id,
        offer_id=offer_id,
        contract_id=contract_id,
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def events_of(node: Node | None = None, *, upcoming: bool | None = None, now: datetime | None = None):
    now = now or utcnow()
    stmt = select(DockingEvent)
    if node is not None:
        stmt = stmt.where(DockingEvent.node_id == node.id)
    if upcoming is True:
        return stmt.where(DockingEvent.ends_at >= now).order_by(DockingEvent.starts_at, DockingEvent.id)
    if upcoming is False:
        stmt = stmt.where(DockingEvent.ends_at < now)
    return stmt.order_by(DockingEvent.starts_at.desc(), DockingEvent.id.desc())


def pitches_of(event: DockingEvent) -> list[tuple[EventPitch, Listing]]:
    return list(
        db.session.execute(
            select(EventPitch, Listing)
            .join(Listing, Listing.id == EventPitch.listing_id)
            .where(EventPitch.event_id == event.id)
            .order_by(EventPitch.id)
        ).tuples()
    )


def outcomes_of(event: DockingEvent) -> list[EventOutcome]:
    return list(
        db.session.scalars(
            select(EventOutcome).where(EventOutcome.event_id == event.id).order_by(EventOutcome.id)
        )
    )


def registrations_of(event: DockingEvent) -> list[EventRegistration]:
    return list(
        db.session.scalars(
            select(EventRegistration)
            .where(EventRegistration.event_id == event.id)
            .order_by(EventRegistration.id)
        )
    )


def is_registered(event: DockingEvent, user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return (
        db.session.scalar(
            select(EventRegistration.id).where(
                EventRegistration.event_id == event.id, EventRegistration.user_id == user.id
            )
        )
        is not None
    )


# --- iCalendar (RFC 5545), written here: no library needed for VEVENTs -------------------


def _ics_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 3.1)."""
    out, cur = [], b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(cur) + len(b) > (75 if not out else 74):
            out.append(cur.decode("utf-8"))
            cur = b""
        cur += b
    out.append(cur.decode("utf-8"))
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def to_ics(events: list[DockingEvent], *, host: str, now: datetime | None = None) -> str:
    now = now or utcnow()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Heilongjiang Technology Market//Docking events//ZH",
        "CALSCALE:GREGORIAN",
    ]
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{e.id}@{host}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(e.starts_at)}",
            f"DTEND:{_utc(e.ends_at)}",
            f"SUMMARY:{_ics_text(e.title)}",
        ]
        if e.place:
            lines.append(f"LOCATION:{_ics_text(e.place)}")
        if e.online_url:
            lines.append(f"URL:{e.online_url}")
        if e.description:
            lines.append(f"DESCRIPTION:{_ics_text(e.description)}")
        lines.append("STATUS:" + ("CANCELLED" if e.status == EventStatus.CANCELLED.value else "CONFIRMED"))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
