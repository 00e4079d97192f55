"""Web pages of the IP registry: my assets, the asset form, the asset page with its
encumbrances, chain of title and attachments, and the agency's verification."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.forms import ConfirmForm
from ..accounts.models import Organization
from ..core.errors import DomainError
from ..core.models import audit_trail
from ..core.pagination import paginate, read_page_args
from ..core.transaction import after_commit
from ..core.web import attempt, get_or_404, validated
from ..extensions import db
from ..storage.uploads import attachments_of, send_attachment
from . import ownership, services, states
from .forms import (
    AnswerForm,
    AssetWebForm,
    AttachmentForm,
    DecideForm,
    EncumbranceForm,
    ProposalWebForm,
    ReleaseForm,
    VerifyForm,
)
from .models import Encumbrance, IpAsset, OwnershipProposal
from .permissions import (
    can_answer_proposal,
    can_create_asset,
    can_decide_proposal,
    can_edit_asset,
    can_propose_ownership_change,
    can_verify_asset,
    can_view_asset,
    can_view_asset_records,
    can_view_proposal,
    can_withdraw_proposal,
)

bp = Blueprint("ip", __name__)

#: What the history on the asset page calls each audited action.
ACTION_LABELS = {
    "ip.asset_registered": _l("Registered"),
    "ip.asset_updated": _l("Edited"),
    "ip.asset_verified": _l("Legal status verified"),
    "ip.license_recorded": _l("Licence recorded"),
    "ip.pledge_recorded": _l("Pledge recorded"),
    "ip.license_released": _l("Licence terminated"),
    "ip.pledge_released": _l("Pledge released"),
    "ip.deal_committed": _l("Deal committed"),
    "ip.deal_closed": _l("Deal closed"),
    "ip.title_transferred": _l("Ownership transferred"),
    "ip.owners_changed": _l("Owners changed"),
    "ip.ownership_proposed": _l("Change of owners proposed"),
    "ip.ownership_vote_accept": _l("Accepted for an owner"),
    "ip.ownership_vote_reject": _l("Rejected for an owner"),
    "ip.ownership_accepted": _l("Change of owners accepted"),
    "ip.ownership_rejected": _l("Change of owners rejected"),
    "ip.ownership_withdrawn": _l("Change of owners withdrawn"),
    "ip.ownership_applied": _l("New owners applied"),
    "ip.attachment_added": _l("Attachment added"),
    "ip.attachment_removed": _l("Attachment removed"),
}


@bp.app_template_filter("ip_action")
def _action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


@bp.app_template_filter("ip_status")
def _status_label(code: str | None) -> str:
    return states.label(states.LEGAL_STATUS_LABELS, code)


@bp.app_template_filter("ip_source")
def _source_label(code: str | None) -> str:
    return states.label(states.VERIFICATION_SOURCES, code)


#: Blank owner rows offered below the filled ones on the form.
EXTRA_OWNER_ROWS = 2


def _visible_asset(asset_id: int) -> IpAsset:
    return get_or_404(IpAsset, asset_id, lambda a: can_view_asset(current_user, a))


def _editable_asset(asset_id: int) -> IpAsset:
    asset = _visible_asset(asset_id)
    if not can_edit_asset(current_user, asset):
        abort(403)
    return asset


#: Above this many organizations the owner rows get a name search.
LONG_OWNER_LIST = 50


def _owner_choices() -> list[Organization]:
    """Organizations that can own assets, for the owner rows (approved, not regulators)."""
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.status == "approved", Organization.kind.not_in(("regulator", "agency")))
            .order_by(Organization.region_code, Organization.name)
        )
    )


def _finding_owners() -> bool:
    """Whether the owner rows' "Find" button was pressed (narrow the list, save nothing)."""
    return request.method == "POST" and request.form.get("find") == "owners"


def _owner_picker(form) -> dict:
    """The organizations the owner rows offer, by name: all of them, or when the list is
    long and a name was searched (`owners_q`), those whose name has it plus the chosen ones."""
    organizations = _owner_choices()
    query = (request.form.get("owners_q") or "").strip()[:100] if request.method == "POST" else ""
    long_list = len(organizations) > LONG_OWNER_LIST
    if query:
        chosen = {row.form.org_id.data for row in form.owners.entries}
        needle = query.casefold()
        organizations = [o for o in organizations if o.id in chosen or needle in o.name.casefold()]
    return {"organizations": organizations, "owners_long": long_list, "owners_q": query}


def _render_form(form: AssetWebForm, asset: IpAsset | None):
    while (
        len(form.owners.entries)
        < len([e for e in form.owners.entries if e.form.org_id.data]) + EXTRA_OWNER_ROWS
    ):
        form.owners.append_entry()
    return render_template(
        "ip/form.html",
        form=form,
        asset=asset,
        **_owner_picker(form),
        owners_locked=asset is not None and not services.owners_editable(asset),
        co_owned=asset is not None and services.is_co_owned(asset),
        can_propose=asset is not None and can_propose_ownership_change(current_user, asset),
    )


@bp.get("/assets/mine")
@login_required
def my_assets():
    try:
        page, per_page = read_page_args(request.args)
    except DomainError:
        page, per_page = 1, 20
    q = request.args.get("q", "")[:100].strip()
    result = paginate(services.assets_visible_to(current_user, q=q or None), page, per_page)
    return render_template("ip/my_assets.html", page=result, q=q, can_create=can_create_asset(current_user))


@bp.route("/assets/new", methods=["GET", "POST"])
@login_required
def create_asset():
    if not can_create_asset(current_user):
        abort(403)
    form = AssetWebForm()
    if request.method == "GET":
        form.owners.append_entry({"org_id": current_user.organization_id, "share_bp": services.FULL_SHARE_BP})
        form.legal_status.data = "pending"

    def save():
        return services.register_asset(form.to_data(), actor=current_user)

    if not _finding_owners() and validated(form, save):
        ok, asset = attempt(
            save,
            success=_("The asset is registered."),
            form=form,
        )
        if ok:
            return redirect(url_for("ip.asset_detail", asset_id=asset.id))
    return _render_form(form, None)


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@login_required
def edit_asset(asset_id: int):
    asset = _editable_asset(asset_id)
    form = AssetWebForm(obj=asset if request.method == "GET" else None)

    def save():
        return services.update_asset(asset, form.to_data(), actor=current_user)

    if not _finding_owners() and validated(form, save):
        ok, _result = attempt(
            save,
            success=_("The asset is saved."),
            form=form,
        )
        if ok:
            return redirect(url_for("ip.asset_detail", asset_id=asset.id))
    return _render_form(form, asset)


def _render_detail(asset: IpAsset, *, license_form=None, pledge_form=None, status: int = 200):
    editable = can_edit_asset(current_user, asset)
    records = can_view_asset_records(current_user, asset)
    license_form = license_form or EncumbranceForm(formdata=None, data={"kind": "license"}, prefix="license-")
    pledge_form = pledge_form or EncumbranceForm(formdata=None, data={"kind": "pledge"}, prefix="pledge-")
    return render_template(
        "ip/detail.html",
        asset=asset,
        editable=editable,
        can_verify=can_verify_asset(current_user, asset),
        show_records=records,
        attachments=attachments_of(asset) if records else [],
        trail=audit_trail(asset) if records else [],
        license_form=license_form,
        pledge_form=pledge_form,
        release_forms={
            e.id: ReleaseForm(formdata=None, prefix=f"release{e.id}-") for e in asset.encumbrances
        },
        attachment_form=AttachmentForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        owners_editable=services.owners_editable(asset),
        proposals=ownership.proposals_of(asset) if records else [],
        can_propose=can_propose_ownership_change(current_user, asset),
    ), status


@bp.get("/assets/<int:asset_id>")
def asset_detail(asset_id: int):
    return _render_detail(_visible_asset(asset_id))


@bp.post("/assets/<int:asset_id>/encumbrances")
@login_required
def add_encumbrance(asset_id: int):
    asset = _editable_asset(asset_id)
    # The page holds a licence form and a pledge form; each names its fields with its own prefix.
    form = EncumbranceForm(prefix="pledge-" if request.args.get("form") == "pledge" else "license-")
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: services.add_encumbrance(asset, form.to_data(), actor=current_user),
            success=_("The licence is recorded.")
            if form.kind.data == "license"
            else _("The pledge is recorded."),
            form=form,
        )
        if ok:
            return redirect(url_for("ip.asset_detail", asset_id=asset.id, _anchor="encumbrances"))
    else:
        flash(_("Please correct the marked fields."), "error")
    forms = {"license_form": form} if form.kind.data == "license" else {"pledge_form": form}
    return _render_detail(asset, **forms, status=422)


@bp.post("/assets/<int:asset_id>/encumbrances/<int:enc_id>/release")
@login_required
def release_encumbrance(asset_id: int, enc_id: int):
    asset = _editable_asset(asset_id)
    enc = get_or_404(Encumbrance, enc_id, lambda e: e.asset_id == asset.id)
    form = ReleaseForm(prefix=f"release{enc.id}-")
    if form.validate_on_submit():
        attempt(
            lambda: services.release_encumbrance(
                enc, released_on=form.released_on.data, note=form.note.data, actor=current_user
            ),
            success=_("The pledge is released.") if enc.kind == "pledge" else _("The licence is terminated."),
        )
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("ip.asset_detail", asset_id=asset.id, _anchor="encumbrances"))


@bp.route("/assets/<int:asset_id>/verify", methods=["GET", "POST"])
@login_required
def verify_asset(asset_id: int):
    asset = _visible_asset(asset_id)
    if not can_verify_asset(current_user, asset):
        abort(403)
    form = VerifyForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: services.verify_asset(
                asset, source=form.source.data, note=form.note.data, actor=current_user
            ),
            success=_("The legal status is marked as verified."),
            form=form,
        )
        if ok:
            return redirect(url_for("ip.asset_detail", asset_id=asset.id))
    return render_template("ip/verify.html", asset=asset, form=form)


@bp.post("/assets/<int:asset_id>/attachments")
@login_required
def upload_attachment(asset_id: int):
    asset = _editable_asset(asset_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        attempt(
            lambda: services.add_attachment(asset, request.files.get("file"), actor=current_user),
            each_message=True,
            success=_("The file is attached."),
        )
    return redirect(url_for("ip.asset_detail", asset_id=asset.id, _anchor="attachments"))


@bp.get("/assets/<int:asset_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(asset_id: int, attachment_id: int):
    asset = _visible_asset(asset_id)
    if not can_view_asset_records(current_user, asset):
        abort(404)
    try:
        attachment = services.asset_attachment(asset, attachment_id)
    except DomainError:
        abort(404)
    return send_attachment(attachment)


@bp.post("/assets/<int:asset_id>/attachments/<int:attachment_id>/remove")
@login_required
def remove_attachment(asset_id: int, attachment_id: int):
    asset = _editable_asset(asset_id)
    try:
        attachment = services.asset_attachment(asset, attachment_id)
    except DomainError:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        path = services.remove_attachment(asset, attachment, actor=current_user)
        after_commit(lambda: path.unlink(missing_ok=True))  # a rolled-back request keeps its file
        flash(_("The attachment is removed."), "success")
    return redirect(url_for("ip.asset_detail", asset_id=asset.id, _anchor="attachments"))


# --- ownership proposals ---------------------------------------------------------------------


@bp.app_template_filter("ip_proposal_status")
def _proposal_status_label(code: str | None) -> str:
    return states.label(states.PROPOSAL_STATUS_LABELS, code)


def _visible_proposal(proposal_id: int) -> OwnershipProposal:
    return get_or_404(OwnershipProposal, proposal_id, lambda p: can_view_proposal(current_user, p))


def _proposal_url(proposal: OwnershipProposal) -> str:
    return url_for("ip.proposal_detail", proposal_id=proposal.id)


@bp.route("/assets/<int:asset_id>/ownership-proposals/new", methods=["GET", "POST"])
@login_required
def propose_ownership(asset_id: int):
    asset = _visible_asset(asset_id)
    if not can_propose_ownership_change(current_user, asset):
        abort(403)
    open_one = ownership.open_proposal(asset)
    if open_one is not None:
        flash(
            _("A proposal to change this asset's owners is already open: answer or withdraw it first."),
            "info",
        )
        return redirect(_proposal_url(open_one))
    form = ProposalWebForm()
    if request.method == "GET":
        for owner in asset.owners:
            form.owners.append_entry({"org_id": owner.org_id, "share_bp": owner.share_bp})
    if not _finding_owners() and form.validate_on_submit():
        ok, proposal = attempt(
            lambda: ownership.propose_ownership_change(
                asset, form.owner_shares(), reason=form.reason.data, actor=current_user
            ),
            success=_("The change is proposed. The other owners are asked to answer."),
            form=form,
        )
        if ok:
            return redirect(_proposal_url(proposal))
    while (
        len(form.owners.entries)
        < len([e for e in form.owners.entries if e.form.org_id.data]) + EXTRA_OWNER_ROWS
    ):
        form.owners.append_entry()
    return render_template("ip/proposal_form.html", asset=asset, form=form, **_owner_picker(form))


@bp.get("/ownership-proposals/<int:proposal_id>")
@login_required
def proposal_detail(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    return _render_proposal(proposal)


def _render_proposal(proposal: OwnershipProposal, *, decide_form=None, status: int = 200):
    names = {o.id: o for o in db.session.scalars(select(Organization).where(
        Organization.id.in_(proposal.current_org_ids + proposal.new_org_ids)))}  # fmt: skip
    return render_template(
        "ip/proposal.html",
        proposal=proposal,
        asset=proposal.asset,
        organizations=names,
        evidence=ownership.evidence_of(proposal),
        can_answer=can_answer_proposal(current_user, proposal),
        can_withdraw=can_withdraw_proposal(current_user, proposal),
        can_decide=can_decide_proposal(current_user, proposal),
        can_see_asset=can_view_asset(current_user, proposal.asset),
        answer_form=AnswerForm(formdata=None),
        decide_form=decide_form or DecideForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
    ), status


@bp.post("/ownership-proposals/<int:proposal_id>/accept")
@login_required
def accept_proposal(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    form = AnswerForm()
    if form.validate_on_submit():
        attempt(
            lambda: ownership.accept_proposal(proposal, actor=current_user, note=form.note.data),
            success=_("Your organization's acceptance is recorded."),
        )
    else:
        _flash_errors(form)
    return redirect(_proposal_url(proposal))


@bp.post("/ownership-proposals/<int:proposal_id>/reject")
@login_required
def reject_proposal(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    form = AnswerForm()
    if form.validate_on_submit():
        attempt(
            lambda: ownership.reject_proposal(proposal, actor=current_user, note=form.note.data),
            success=_("The proposal is rejected: the owners stay as they are."),
        )
    else:
        _flash_errors(form)
    return redirect(_proposal_url(proposal))


@bp.post("/ownership-proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw_proposal(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        attempt(
            lambda: ownership.withdraw_proposal(proposal, actor=current_user),
            success=_("The proposal is withdrawn."),
        )
    return redirect(_proposal_url(proposal))


@bp.post("/ownership-proposals/<int:proposal_id>/decide")
@login_required
def decide_proposal(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    if not can_decide_proposal(current_user, proposal):
        abort(403)
    form = DecideForm()
    if form.validate_on_submit():
        ok, _result = attempt(
            lambda: ownership.decide_proposal(
                proposal,
                decision=form.decision.data,
                note=form.note.data,
                evidence=request.files.get("evidence"),
                actor=current_user,
            ),
            success=_("The decision is recorded."),
            form=form,
        )
        if ok:
            return redirect(_proposal_url(proposal))
    else:
        flash(_("Please correct the marked fields."), "error")
    return _render_proposal(proposal, decide_form=form, status=422)


@bp.get("/ownership-proposals/<int:proposal_id>/evidence")
@login_required
def proposal_evidence(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    evidence = ownership.evidence_of(proposal)
    if evidence is None:
        abort(404)
    return send_attachment(evidence)


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "error")
