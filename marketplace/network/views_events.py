"""Web pages of docking events and roadshows (on the network blueprint)."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core.web import attempt, attempt_with_status, get_or_404
from ..extensions import db
from ..listings.models import Listing
from . import events as services
from . import permissions
from .forms import EventForm, OutcomeForm, PitchForm
from .models import DockingEvent
from .views import _node_or_404, bp


@bp.get("/events")
def events():
    return render_template(
        "network/events.html",
        upcoming=list(db.session.scalars(services.events_of(upcoming=True).limit(100))),
        past=list(db.session.scalars(services.events_of(upcoming=False).limit(50))),
    )


@bp.get("/events.ics")
def events_ics():
    rows = list(db.session.scalars(services.events_of(upcoming=True).limit(500)))
    return _ics(rows, "events.ics")


def _ics(rows, filename: str) -> Response:
    body = services.to_ics(rows, host=request.host.split(":")[0] or "localhost")
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    ev = get_or_404(DockingEvent, event_id)
    return _render_event(ev)


def _pitchable(ev: DockingEvent) -> list[Listing]:
    if not current_user.is_authenticated or not current_user.acts_as("seller", "agency"):
        return []
    rows = db.session.scalars(
        select(Listing)
        .where(
            Listing.status == "published",
            (Listing.org_id == current_user.organization_id)
            | (Listing.agency_org_id == current_user.organization_id),
        )
        .order_by(Listing.id.desc())
        .limit(100)
    )
    return [li for li in rows if services.can_pitch(current_user, li)]


def _render_event(ev, *, pitch_form=None, outcome_form=None, status: int = 200):
    may_operate = permissions.can_operate(current_user, ev.node)
    pitchable = _pitchable(ev)
    if pitch_form is None and pitchable:
        pitch_form = PitchForm(formdata=None)
    if pitch_form is not None:
        pitch_form.listing_id.choices = [(li.id, li.title) for li in pitchable]
    if outcome_form is None and may_operate:
        outcome_form = OutcomeForm(formdata=None)
    return (
        render_template(
            "network/event.html",
            ev=ev,
            pitches=services.pitches_of(ev),
            outcomes=services.outcomes_of(ev),
            registrations=services.registrations_of(ev) if may_operate else [],
            registered=services.is_registered(ev, current_user),
            may_operate=may_operate,
            pitch_form=pitch_form if pitchable else None,
            outcome_form=outcome_form if may_operate else None,
        ),
        status,
    )


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    ev = get_or_404(DockingEvent, event_id)
    return _ics([ev], f"event-{ev.id}.ics")


@bp.route("/nodes/<slug>/events/new", methods=["GET", "POST"])
@login_required
def new_event(slug: str):
    node = _node_or_404(slug)
    if not permissions.can_operate(current_user, node):
        abort(404)
    form = EventForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            ok, ev, status = attempt_with_status(
                lambda: services.create_event(node, actor=current_user, **form.service_kwargs()),
                success=_("The event was created."),
                form=form,
            )
            if ok:
                return redirect(url_for("network.event", event_id=ev.id))
        else:
            status = 422
    return render_template("network/event_form.html", node=node, form=form), status


@bp.post("/events/<int:event_id>/register")
@login_required
def register(event_id: int):
    ev = get_or_404(DockingEvent, event_id)
    attempt(lambda: services.register(ev, actor=current_user), success=_("You are registered for the event."))
    return redirect(url_for("network.event", event_id=event_id))


@bp.post("/events/<int:event_id>/unregister")
@login_required
def unregister(event_id: int):
    ev = get_or_404(DockingEvent, event_id)
    attempt(
        lambda: services.cancel_registration(ev, actor=current_user),
        success=_("Your registration was cancelled."),
    )
    return redirect(url_for("network.event", event_id=event_id))


@bp.post("/events/<int:event_id>/pitches")
@login_required
def pitch(event_id: int):
    ev = get_or_404(DockingEvent, event_id)
    form = PitchForm()
    form.listing_id.choices = [(li.id, li.title) for li in _pitchable(ev)]
    if not form.validate_on_submit():
        return _render_event(ev, pitch_form=form, status=422)
    listing = db.session.get(Listing, form.listing_id.data)
    ok, _row, status = attempt_with_status(
        lambda: services.enrol_pitch(ev, listing, actor=current_user),
        success=_("The listing is enrolled to pitch."),
        form=form,
    )
    if ok:
        return redirect(url_for("network.event", event_id=event_id))
    return _render_event(db.session.get(DockingEvent, event_id), pitch_form=form, status=status)


@bp.post("/events/<int:event_id>/outcomes")
@login_required
def outcome(event_id: int):
    ev = get_or_404(DockingEvent, event_id, lambda e: permissions.can_operate(current_user, e.node))
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _render_event(ev, outcome_form=form, status=422)
    ok, _row, status = attempt_with_status(
        lambda: services.record_outcome(
            ev,
            kind=form.kind.data,
            note=form.note.data or "",
            listing_id=form.listing_id.data,
            offer_id=form.offer_id.data,
            contract_id=form.contract_id.data,
            actor=current_user,
        ),
        success=_("The outcome was recorded."),
        form=form,
    )
    if ok:
        return redirect(url_for("network.event", event_id=event_id))
    return _render_event(db.session.get(DockingEvent, event_id), outcome_form=form, status=status)


@bp.post("/events/<int:event_id>/status")
@login_required
def event_status(event_id: int):
    ev = get_or_404(DockingEvent, event_id, lambda e: permissions.can_operate(current_user, e.node))
    attempt(
        lambda: services.set_status(ev, request.form.get("status", ""), actor=current_user),
        success=_("The event's status was changed."),
    )
    return redirect(url_for("network.event", event_id=event_id))
