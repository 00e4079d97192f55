"""The message thread of a negotiation, with attachments (PDF, PNG, JPEG). An
anonymous buyer's messages and file names never name it to the seller side."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization, User
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.timeutil import utcnow
from ..extensions import db
from ..notifications.services import N_
from ..storage.uploads import Attachment, attachments_of, save_upload
from . import permissions
from .models import Offer, OfferMessage
from .sides import anonymous_label, notify_sides, writing_org_id
from .states import (
    other_side,
)

MAX_MESSAGE_CHARS = 5000
MAX_FILES_PER_MESSAGE = 5
MESSAGE_ATTACHMENT = "offer_message"


def message_attachments(message: OfferMessage) -> list[Attachment]:
    return attachments_of(message, MESSAGE_ATTACHMENT)


def attachment_of_offer(offer: Offer, attachment_id: Any) -> tuple[Attachment, OfferMessage]:
    """An attachment of one of the offer's messages, or NotFound."""
    try:
        attachment = db.session.get(Attachment, int(attachment_id))
    except (TypeError, ValueError):
        raise NotFound() from None
    if attachment is None or attachment.subject_type != OfferMessage.__audit_type__:
        raise NotFound()
    message = db.session.get(OfferMessage, attachment.subject_id)
    if message is None or message.offer_id != offer.id:
        raise NotFound()
    return attachment, message


def send_offer_attachment(attachment: Attachment, name: str):
    """The file as a download under the name the viewer may see (call after the permission check)."""
    from ..storage.uploads import send_attachment

    return send_attachment(attachment, download_name=name)


def attachment_display_name(offer: Offer, message: OfferMessage, attachment: Attachment, viewer) -> str:
    """The file name as the viewer may see it: a hidden buyer's file names could name it."""
    if message.author_side == "buyer" and not permissions.sees_buyer_name(viewer, offer):
        suffix = attachment.original_name.rsplit(".", 1)[-1] if "." in attachment.original_name else ""
        return f"attachment-{attachment.id}" + (f".{suffix}" if suffix else "")
    return attachment.original_name


def add_message(offer: Offer, body: str, *, side: str, actor) -> OfferMessage:
    message = OfferMessage(
        offer_id=offer.id,
        author_side=side,
        author_org_id=writing_org_id(offer, side, actor),
        author_id=getattr(actor, "id", None),
        body=body,
    )
    db.session.add(message)
    db.session.flush()
    return message


def post_message(
    offer: Offer, body: str | None, *, files: Iterable[FileStorage] = (), actor: User
) -> OfferMessage:
    """A message in the offer's thread, with attachments (PDF, PNG, JPEG; checked like every upload)."""
    if not permissions.can_view_offer(actor, offer):
        raise NotFound()
    side = permissions.acting_side(actor, offer)
    if side is None:
        raise PermissionDenied(_l("Your agency's mandate for this client is not in force."))
    body = (body or "").strip()
    files = [f for f in files if f is not None and f.filename]
    if not body and not files:
        raise ValidationError(fields={"body": [_l("Write a message or attach a file.")]})
    if len(body) > MAX_MESSAGE_CHARS:
        raise ValidationError(fields={"body": [_l("At most %(n)s characters.", n=MAX_MESSAGE_CHARS)]})
    if len(files) > MAX_FILES_PER_MESSAGE:
        raise ValidationError(
            fields={"files": [_l("At most %(n)s files per message.", n=MAX_FILES_PER_MESSAGE)]}
        )
    message = add_message(offer, body, side=side, actor=actor)
    for file in files:
        save_upload(file, subject=message, actor=actor, purpose=MESSAGE_ATTACHMENT, field="files")
    offer.updated_at = utcnow()
    notify_sides(
        offer,
        "offer.message",
        N_("A new message about %(title)s (offer %(offer)s)."),
        actor=actor,
        sides=(other_side(side),),
    )
    return message


def thread(offer: Offer) -> list[OfferMessage]:
    """The offer's messages, oldest first, with their authors loaded in bulk."""
    return list(
        db.session.scalars(
            select(OfferMessage)
            .where(OfferMessage.offer_id == offer.id)
            .order_by(OfferMessage.id)
            .options(selectinload(OfferMessage.author_org), selectinload(OfferMessage.author))
        )
    )


def attachments_by_message(messages: list[OfferMessage]) -> dict[int, list[Attachment]]:
    """The attachments of these messages, by message id, in one query (each list in the
    order `message_attachments` gives)."""
    ids = [m.id for m in messages]
    out: dict[int, list[Attachment]] = {i: [] for i in ids}
    if not ids:
        return out
    stmt = (
        select(Attachment)
        .where(
            Attachment.subject_type == OfferMessage.__audit_type__,
            Attachment.subject_id.in_(ids),
            Attachment.purpose == MESSAGE_ATTACHMENT,
        )
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    for attachment in db.session.scalars(stmt):
        out[attachment.subject_id].append(attachment)
    return out


def thread_with_attachments(offer: Offer) -> list[tuple[OfferMessage, list[Attachment]]]:
    """The thread, each message with its attachments (two queries, however long)."""
    messages = thread(offer)
    files = attachments_by_message(messages)
    return [(m, files[m.id]) for m in messages]


def author_display(offer: Offer, org_id: int, side: str, viewer) -> str:
    """Who wrote a version or message, as the viewer may see it."""
    if side == "buyer" and org_id == offer.buyer_org_id and not permissions.sees_buyer_name(viewer, offer):
        return anonymous_label(offer)
    org = db.session.get(Organization, org_id)
    return org.name if org is not None else ""
