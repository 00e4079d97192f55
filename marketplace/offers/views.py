"""Web pages of negotiation: make an offer, my negotiations, the offer page
(versions side by side, the actions of the side whose turn it is, the message
thread), and mandates for clients and agencies."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.models import Organization
from ..core.dbsetup import write_transaction, writes_on_read
from ..core.errors import DomainError, InvalidTransition
from ..core.pagination import paginate, read_page_args
from ..core.timeutil import today_shanghai
from ..core.web import attempt, get_or_404, validated
from ..extensions import db
from ..listings.models import Listing
from ..listings.permissions import can_view_listing
from ..listings.states import DEAL_KIND_LABELS
from . import permissions, services
from .forms import ConfirmForm, CounterWebForm, MandateWebForm, MessageForm, OfferWebForm
from .models import ALL_TERMS_FIELDS, Mandate, Offer
from .states import OFFER_STATUS_LABELS

bp = Blueprint("offers", __name__)


def _load_offer(offer_id: int) -> Offer:
    """The offer, marked expired first when its date has passed. The expiry is a fact
    of its own: it is committed in a transaction of its own, so it stands whatever
    the request does next (a refused step rolls back only the step)."""
    offer = get_or_404(Offer, offer_id, visible=lambda o: permissions.can_view_offer(current_user, o))
    if services.expiry_due(offer):
        with write_transaction():
            services.expire_if_due(offer)
    return offer


def _clients(side: str) -> list[Organization]:
    """The clients whose mandate for `side` to the current agency is in force."""
    day = today_shanghai()
    return list(
        db.session.scalars(
            select(Organization)
            .join(Mandate, Mandate.client_org_id == Organization.id)
            .where(
                Mandate.agency_org_id == current_user.organization_id,
                Mandate.side == side,
                Mandate.status == "active",
                Mandate.valid_from <= day,
                Mandate.valid_to >= day,
            )
            .order_by(Organization.name)
            .distinct()
        )
    )


def _offline_deal_url() -> str | None:
    """The contracts domain's offline-deal page, for agencies (not duplicated here)."""
    if "contracts.new_offline" in current_app.view_functions:
        return url_for("contracts.new_offline")
    return None


def _terms_defaults(terms) -> dict:
    if terms is None:
        return {}
    return {name: getattr(terms, name) for name in ALL_TERMS_FIELDS if hasattr(terms, name)}


# --- making an offer -----------------------------------------------------------------------------


@bp.route("/listings/<int:listing_id>/offer", methods=["GET", "POST"])
@login_required
def new(listing_id: int):
    listing = get_or_404(Listing, listing_id, visible=lambda obj: can_view_listing(current_user, obj))
    if not (listing.is_published and permissions.can_make_offer(current_user)):
        abort(404)
    first = listing.terms[0] if listing.terms else None
    form = OfferWebForm(data={"terms": _terms_defaults(first), "expires_on": services.default_expiry()})
    form.terms.form.deal_kind.choices = [(t.deal_kind, DEAL_KIND_LABELS[t.deal_kind]) for t in listing.terms]
    is_agency = current_user.acts_as("agency")
    form.client_org_id.choices = [("", "—")] + [
        (o.id, o.name) for o in (_clients("buyer") if is_agency else [])
    ]

    def send():
        return services.make_offer(
            listing,
            form.terms.form.to_input(),
            expires_on=form.expires_on.data or services.default_expiry(),
            anonymous=bool(form.anonymous.data),
            message=form.message.data,
            client_org_id=form.client_org_id.data if is_agency else None,
            actor=current_user,
        )

    if validated(form, send):
        ok, offer = attempt(
            send,
            success=_("Your offer was sent to the seller."),
            form=form,
        )
        if ok:
            return redirect(url_for("offers.detail", offer_id=offer.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    return render_template("offers/new.html", listing=listing, form=form, is_agency=is_agency)


# --- my negotiations ---------------------------------------------------------------------------


@bp.get("/offers")
@writes_on_read  # expires due negotiations before listing them
@login_required
def index():
    page, per_page = read_page_args(request.args)
    status = request.args.get("status") or None
    if status not in OFFER_STATUS_LABELS:
        status = None
    services.expire_due_for(current_user)  # committed with the request
    result = paginate(
        services.with_list_relations(services.offers_visible_to(current_user, status=status)), page, per_page
    )
    return render_template(
        "offers/index.html",
        page=result,
        status=status,
        statuses=OFFER_STATUS_LABELS,
        permissions=permissions,
        services=services,
        offline_deal_url=_offline_deal_url(),
    )


@bp.get("/offers/<int:offer_id>")
@login_required
def detail(offer_id: int):
    offer = _load_offer(offer_id)
    latest = offer.latest
    counter_form = CounterWebForm(data={"terms": _terms_defaults(latest), "expires_on": offer.expires_on})
    _prepare_counter(counter_form, offer)
    return _render_detail(offer, counter_form, MessageForm())


def _prepare_counter(form: CounterWebForm, offer: Offer) -> None:
    form.terms.form.deal_kind.choices = [
        (t.deal_kind, DEAL_KIND_LABELS[t.deal_kind]) for t in offer.listing.terms
    ] or [(offer.latest.deal_kind, DEAL_KIND_LABELS[offer.latest.deal_kind])]


def _render_detail(offer: Offer, counter_form, message_form, status: int = 200):
    versions, previous = [], None
    for version in offer.versions:
        versions.append((version, services.changed_fields(previous, version)))
        previous = version
    messages = services.thread_with_attachments(offer)
    return (
        render_template(
            "offers/detail.html",
            offer=offer,
            versions=versions,
            messages=messages,
            counter_form=counter_form,
            message_form=message_form,
            confirm_form=ConfirmForm(),
            permissions=permissions,
            services=services,
            side=permissions.viewer_side(current_user, offer),
            buyer_name=services.buyer_display(offer, current_user),
        ),
        status,
    )


@bp.post("/offers/<int:offer_id>/counter")
@login_required
def counter(offer_id: int):
    offer = _load_offer(offer_id)
    form = CounterWebForm()
    _prepare_counter(form, offer)

    def send():
        expires_on = form.expires_on.data if form.expires_on.data != offer.expires_on else None
        return services.counter_offer(
            offer, form.terms.form.to_input(), expires_on=expires_on, actor=current_user
        )

    if validated(form, send):
        ok, _version = attempt(
            send,
            success=_("Your counter-offer was sent."),
            form=form,
        )
        if ok:
            return redirect(url_for("offers.detail", offer_id=offer.id))
        offer = _load_offer(offer_id)  # as it is after the rollback
    else:
        flash(_("Please correct the marked fields."), "error")
    return _render_detail(offer, form, MessageForm(), status=422)


def _confirmed() -> bool:
    """Whether the step's button was pressed on a page still valid (its CSRF token)."""
    if ConfirmForm().validate_on_submit():
        return True
    flash(_("The form expired; please try again."), "error")
    return False


def _back(offer_id: int):
    return redirect(url_for("offers.detail", offer_id=offer_id))


def _accept_unless_accepted(offer: Offer):
    """Accept the offer; None when it is already accepted (a second click on "accept":
    the refusal happens before anything is written)."""
    try:
        return services.accept_offer(offer, actor=current_user)
    except InvalidTransition as exc:
        if exc.code != "already_accepted":
            raise
        return None


@bp.post("/offers/<int:offer_id>/accept")
@login_required
def accept(offer_id: int):
    offer = _load_offer(offer_id)
    if not _confirmed():
        return _back(offer_id)
    ok, contract = attempt(lambda: _accept_unless_accepted(offer))
    if ok and contract is not None:
        flash(_("Offer accepted: the contract draft is ready."), "success")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    if ok:
        # A second click on "accept": the first one made the contract; show it.
        flash(_("This offer is already accepted; here is its contract draft."), "info")
        return redirect(url_for("contracts.detail", contract_id=offer.contract_id))
    return _back(offer_id)


def _step(offer_id: int, run, success: str):
    """One negotiation step behind a confirmed button; back to the offer page."""
    offer = _load_offer(offer_id)
    if _confirmed():
        attempt(lambda: run(offer), success=success)
    return _back(offer_id)


@bp.post("/offers/<int:offer_id>/reject")
@login_required
def reject(offer_id: int):
    return _step(
        offer_id, lambda o: services.reject_offer(o, actor=current_user), _("The offer was rejected.")
    )


@bp.post("/offers/<int:offer_id>/withdraw")
@login_required
def withdraw(offer_id: int):
    return _step(
        offer_id, lambda o: services.withdraw_offer(o, actor=current_user), _("Your offer was withdrawn.")
    )


@bp.post("/offers/<int:offer_id>/reveal")
@login_required
def reveal(offer_id: int):
    return _step(
        offer_id, lambda o: services.reveal_buyer(o, actor=current_user), _("The seller now sees your name.")
    )


@bp.post("/offers/<int:offer_id>/messages")
@login_required
def post_message(offer_id: int):
    offer = _load_offer(offer_id)
    form = MessageForm()
    if form.validate_on_submit():
        ok, _message = attempt(
            lambda: services.post_message(
                offer, form.body.data, files=request.files.getlist("files"), actor=current_user
            ),
            success=_("Message sent."),
            form=form,
        )
        if ok:
            return redirect(url_for("offers.detail", offer_id=offer.id) + "#thread")
        offer = _load_offer(offer_id)  # as it is after the rollback
    else:
        flash(_("Please correct the marked fields."), "error")
    counter_form = CounterWebForm(
        data={"terms": _terms_defaults(offer.latest), "expires_on": offer.expires_on}
    )
    _prepare_counter(counter_form, offer)
    return _render_detail(offer, counter_form, form, status=422)


@bp.get("/offers/<int:offer_id>/attachments/<int:attachment_id>")
@login_required
def attachment(offer_id: int, attachment_id: int):
    offer = _load_offer(offer_id)
    try:
        found, message = services.attachment_of_offer(offer, attachment_id)
    except DomainError:
        abort(404)
    return services.send_offer_attachment(
        found, services.attachment_display_name(offer, message, found, current_user)
    )


# --- mandates -------------------------------------------------------------------------------------


def _agencies() -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.kind == "agency", Organization.status == "approved")
            .order_by(Organization.name)
        )
    )


def _mandate_form(formdata=None) -> MandateWebForm:
    form = MandateWebForm(formdata=formdata, data={"valid_to": today_shanghai() + timedelta(days=365)})
    form.agency_org_id.choices = [("", "—")] + [(o.id, o.name) for o in _agencies()]
    return form


@bp.route("/mandates", methods=["GET", "POST"])
@login_required
def mandates():
    can_propose = permissions.can_propose_mandate(current_user)
    form = _mandate_form() if can_propose else None
    status = 200
    if request.method == "POST":
        if form is None:
            abort(404)

        def propose():
            return services.propose_mandate(
                agency_org_id=form.agency_org_id.data,
                commission_bp=form.commission_bp.data,
                valid_from=form.valid_from.data,
                valid_to=form.valid_to.data,
                scope=form.scope.data,
                actor=current_user,
            )

        if validated(form, propose):
            ok, _mandate = attempt(
                propose,
                success=_("The mandate was sent to the agency for acceptance."),
                form=form,
            )
            if ok:
                return redirect(url_for("offers.mandates"))
            status = 422
        else:
            flash(_("Please correct the marked fields."), "error")
            status = 422
    page, per_page = read_page_args(request.args)
    result = paginate(services.mandates_visible_to(current_user), page, per_page)
    return (
        render_template(
            "offers/mandates.html",
            page=result,
            form=form,
            confirm_form=ConfirmForm(),
            permissions=permissions,
            is_agency=current_user.acts_as("agency"),
            offline_deal_url=_offline_deal_url(),
        ),
        status,
    )


def _mandate_action(mandate_id: int, run, success: str):
    mandate = get_or_404(Mandate, mandate_id, visible=lambda m: permissions.can_view_mandate(current_user, m))
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("offers.mandates"))
    attempt(lambda: run(mandate), success=success)
    return redirect(url_for("offers.mandates"))


@bp.post("/mandates/<int:mandate_id>/accept")
@login_required
def accept_mandate(mandate_id: int):
    return _mandate_action(
        mandate_id, lambda m: services.accept_mandate(m, actor=current_user), _("Mandate accepted.")
    )


@bp.post("/mandates/<int:mandate_id>/decline")
@login_required
def decline_mandate(mandate_id: int):
    return _mandate_action(
        mandate_id, lambda m: services.decline_mandate(m, actor=current_user), _("Mandate declined.")
    )


@bp.post("/mandates/<int:mandate_id>/revoke")
@login_required
def revoke_mandate(mandate_id: int):
    return _mandate_action(
        mandate_id, lambda m: services.revoke_mandate(m, actor=current_user), _("Mandate ended.")
    )
