"""Service requests: a user asks a provider for a service; a thread with
attachments; the provider quotes (again if need be) or declines; the requester
accepts or cancels; the provider completes; the requester rates once.

Every transition locks the request's row and decides on what it reads under
the lock (core.states.transition), so two clicks cannot both win."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..accounts.models import User
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN
from ..core.states import transition
from ..core.timeutil import utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from ..storage.uploads import attachments_of, save_upload
from . import permissions
from .models import ProviderProfile, RequestMessage, ServiceRequest
from .providers import ensure_service_of
from .states import RequestStatus

MAX_TEXT = 4000
BOXES = ("all", "sent", "received")


def _text(value, name, errors, *, limit=MAX_TEXT, required=True):
    value = value.strip() if isinstance(value, str) else None
    if required and not value:
        errors[name] = [_l("This field is required.")]
    elif value and len(value) > limit:
        errors[name] = [_l("At most %(max)d characters.", max=limit)]
    return value or None


def _staff(provider: ProviderProfile) -> list[User]:
    return [u for u in provider.organization.members if u.acts_as("provider", "financier")]


def _tell(users, message_id: str, request: ServiceRequest, **params) -> None:
    try:
        link = url_for("services.request_detail", request_id=request.id)
    except RuntimeError:  # a command (the demo seed) has no request to build the link from
        link = None
    for user in users:
        notify(user, "service_request", message_id, params={"title": request.title, **params}, link=link)


def create_request(
    provider: ProviderProfile,
    *,
    actor,
    title: str,
    description: str,
    service_id: int | None = None,
    files=(),
    now: datetime | None = None,
) -> ServiceRequest:
    if not permissions.can_request(actor, provider):
        raise PermissionDenied(_l("You cannot request a service from this provider."))
    errors: dict[str, list] = {}
    title = _text(title, "title", errors, limit=200)
    description = _text(description, "description", errors)
    try:
        service = ensure_service_of(provider, service_id)
    except ValidationError as exc:
        errors.update(exc.fields)
        service = None
    if errors:
        raise ValidationError(fields=errors)
    request = ServiceRequest(
        provider_id=provider.id,
        service_id=service.id if service else None,
        requester_org_id=actor.organization_id,
        requested_by_id=actor.id,
        title=title,
        description=description,
        status=RequestStatus.REQUESTED.value,
        created_at=now or utcnow(),
    )
    db.session.add(request)
    db.session.flush()
    for f in files or ():
        if getattr(f, "filename", None):
            save_upload(f, subject=request, actor=actor, purpose="request", field="files")
    record_audit("service_request.created", request, actor=actor, to_state=request.status)
    _tell(_staff(provider), N_("New service request: %(title)s"), request)
    return request


def _must(allowed: bool, message=None) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _move(request: ServiceRequest, target: RequestStatus, actor, action: str, **data) -> None:
    old, new = transition(request, target)
    record_audit(action, request, actor=actor, from_state=old.value, to_state=new.value, data=data or None)


def quote(
    request: ServiceRequest,
    *,
    actor,
    quote_fen,
    quote_days=None,
    note: str | None = None,
    now: datetime | None = None,
) -> ServiceRequest:
    request = lock(request)
    _must(permissions.request_side(actor, request) == "provider")
    errors: dict[str, list] = {}
    if isinstance(quote_fen, bool) or not isinstance(quote_fen, int):
        errors["quote_fen"] = [_l("Enter the price.")]
    elif not 0 <= quote_fen <= MAX_FEN:
        errors["quote_fen"] = [_l("The amount is out of range.")]
    if quote_days is not None and (
        isinstance(quote_days, bool) or not isinstance(quote_days, int) or not 0 < quote_days <= 3650
    ):
        errors["quote_days"] = [_l("Between 1 and 3,650 days.")]
    note = _text(note, "quote_note", errors, required=False)
    if errors:
        raise ValidationError(fields=errors)
    _move(request, RequestStatus.QUOTED, actor, "service_request.quoted", quote_fen=quote_fen)
    request.quote_fen, request.quote_days, request.quote_note = quote_fen, quote_days, note
    request.quoted_at = now or utcnow()
    _tell(
        [request.requested_by] if request.requested_by else [], N_("A quote arrived for %(title)s"), request
    )
    return request


def accept(request: ServiceRequest, *, actor, now: datetime | None = None) -> ServiceRequest:
    request = lock(request)
    _must(permissions.request_side(actor, request) == "requester")
    _move(request, RequestStatus.ACCEPTED, actor, "service_request.accepted", quote_fen=request.quote_fen)
    request.accepted_at = now or utcnow()
    _tell(_staff(request.provider), N_("Your quote for %(title)s was accepted"), request)
    return request


def complete(request: ServiceRequest, *, actor, now: datetime | None = None) -> ServiceRequest:
    request = lock(request)
    _must(permissions.request_side(actor, request) == "provider")
    _move(request, RequestStatus.COMPLETED, actor, "service_request.completed")
    request.completed_at = now or utcnow()
    _tell(
        [request.requested_by] if request.requested_by else [], N_("%(title)s is completed: rate it"), request
    )
    return request


def decline(request: ServiceRequest, *, actor, reason: str, now: datetime | None = None) -> ServiceRequest:
    request = lock(request)
    _must(permissions.request_side(actor, request) == "provider")
    errors: dict[str, list] = {}
    reason = _text(reason, "reason", errors, limit=2000)
    if errors:
        raise ValidationError(fields=errors)
    _move(request, RequestStatus.DECLINED, actor, "service_request.declined")
    request.closed_at, request.close_reason = now or utcnow(), reason
    return request


def cancel(request: ServiceRequest, *, actor, reason: str | None = None, now: datetime | None = None):
    request = lock(request)
    _must(permissions.request_side(actor, request) == "requester")
    errors: dict[str, list] = {}
    reason = _text(reason, "reason", errors, limit=2000, required=False)
    if errors:
        raise ValidationError(fields=errors)
    _move(request, RequestStatus.CANCELLED, actor, "service_request.cancelled")
    request.closed_at, request.close_reason = now or utcnow(), reason
    return request


def rate(
    request: ServiceRequest, *, actor, rating, comment: str, now: datetime | None = None
) -> ServiceRequest:
    """The requester rates a completed request, once (decided under the row lock)."""
    request = lock(request)
    _must(permissions.request_side(actor, request) == "requester", _l("Only the requester rates a service."))
    if request.status != RequestStatus.COMPLETED:
        raise Conflict(_l("A service is rated once it is completed."), code="not_completed")
    if request.rating is not None:
        raise Conflict(_l("This service is already rated."), code="already_rated")
    errors: dict[str, list] = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = [_l("Give 1 to 5 stars.")]
    comment = _text(comment, "comment", errors, limit=2000)
    if errors:
        raise ValidationError(fields=errors)
    request.rating, request.rating_comment, request.rated_at = rating, comment, now or utcnow()
    record_audit("service_request.rated", request, actor=actor, data={"rating": rating})
    db.session.flush()
    return request


def post_message(request: ServiceRequest, *, actor, body: str, files=(), now: datetime | None = None):
    side = permissions.request_side(actor, request)
    _must(side is not None)
    errors: dict[str, list] = {}
    body = _text(body, "body", errors)
    if errors:
        raise ValidationError(fields=errors)
    message = RequestMessage(
        request_id=request.id, author_id=actor.id, side=side, body=body, created_at=now or utcnow()
    )
    db.session.add(message)
    db.session.flush()
    for f in files or ():
        if getattr(f, "filename", None):
            save_upload(f, subject=message, actor=actor, purpose="message", field="files")
    return message


def files_of(request: ServiceRequest):
    return attachments_of(request)


def message_files(request: ServiceRequest) -> dict[int, list]:
    """Attachments of every message of the thread, by message id (one query)."""
    from ..storage.uploads import Attachment

    ids = [m.id for m in request.messages]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.subject_type == "request_message", Attachment.subject_id.in_(ids))
        .order_by(Attachment.id)
    )
    out: dict[int, list] = {}
    for a in rows:
        out.setdefault(a.subject_id, []).append(a)
    return out


def visible_to(user, *, box: str = "all", status: str | None = None) -> Select:
    """Requests the user may see: sent by the user's organization, received by its
    provider profile; admins see all."""
    stmt = select(ServiceRequest)
    if not getattr(user, "is_authenticated", False):
        return stmt.where(False)
    provider_ids = select(ProviderProfile.id).where(ProviderProfile.org_id == user.organization_id)
    is_staff = user.acts_as("provider", "financier")
    sent = ServiceRequest.requester_org_id == user.organization_id
    received = ServiceRequest.provider_id.in_(provider_ids)
    if box == "sent":
        stmt = stmt.where(sent) if user.has_powers else stmt.where(False)
    elif box == "received":
        stmt = stmt.where(received) if is_staff else stmt.where(False)
    elif not user.is_admin:
        conditions = []
        if user.has_powers:
            conditions.append(sent)
        if is_staff:
            conditions.append(received)
        stmt = stmt.where(db.or_(*conditions)) if conditions else stmt.where(False)
    if status:
        stmt = stmt.where(ServiceRequest.status == status)
    return stmt.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())


def get_visible(request_id: int, actor) -> ServiceRequest:
    request = db.session.get(ServiceRequest, request_id)
    if request is None or not permissions.can_view_request(actor, request):
        raise NotFound()
    return request


def ratings_of(provider: ProviderProfile, limit: int = 20) -> list[ServiceRequest]:
    return list(
        db.session.scalars(
            select(ServiceRequest)
            .where(ServiceRequest.provider_id == provider.id, ServiceRequest.rating.is_not(None))
            .order_by(ServiceRequest.rated_at.desc())
            .limit(limit)
        )
    )
