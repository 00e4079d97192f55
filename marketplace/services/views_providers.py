"""Web pages of service providers: the catalogue, a provider's page (services,
ratings, the request form), the provider's own profile, and service requests
(thread, quote, accept, complete, decline, cancel, rate)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.catalog import REGIONS
from ..core.errors import DomainError
from ..core.pagination import paginate, read_page_args
from ..core.web import attempt, attempt_with_status, get_or_404
from ..extensions import db
from ..storage.uploads import Attachment, send_attachment
from . import incubation, permissions, providers
from . import requests as reqs
from .forms import (
    ButtonForm,
    MessageForm,
    ProfileForm,
    QuoteForm,
    RateForm,
    ReasonForm,
    RequestForm,
    ServiceForm,
    StartupForm,
)
from .models import ProviderProfile, ProviderService, ServiceRequest
from .states import PROVIDER_KINDS, REQUEST_STATUS_LABELS, RequestStatus
from .views import bp


def _page_args():
    try:
        return read_page_args(request.args)
    except DomainError:
        return 1, 20


@bp.get("/providers/")
def provider_index():
    args, _errors = providers.read_catalogue_args(request.args)
    page_no, per_page = _page_args()
    page = paginate(providers.catalogue_stmt(**args), page_no, per_page)
    return render_template(
        "services/providers.html",
        page=page,
        args=args,
        kinds=PROVIDER_KINDS,
        regions=REGIONS,
        ratings=providers.ratings_for(p.id for p in page.items),
        mine=providers.profile_of_org(current_user.organization_id)
        if current_user.is_authenticated
        else None,
    )


def _provider_or_404(provider_id: int) -> ProviderProfile:
    return get_or_404(
        ProviderProfile, provider_id, visible=lambda p: permissions.can_view_provider(current_user, p)
    )


def _request_form(provider: ProviderProfile, form: RequestForm | None = None) -> RequestForm:
    form = form or RequestForm(formdata=None)
    form.service_id.choices = [("", _("General request"))] + [
        (s.id, s.name_zh) for s in providers.active_services(provider)
    ]
    return form


def _render_provider(provider: ProviderProfile, form: RequestForm | None = None, status: int = 200):
    rating = providers.ratings_for([provider.id])[provider.id]
    return render_template(
        "services/provider_detail.html",
        provider=provider,
        rating=rating,
        services=providers.active_services(provider),
        reviews=reqs.ratings_of(provider),
        startups=incubation.startups_of(provider) if provider.kind == "incubator" else [],
        form=_request_form(provider, form),
        can_request=permissions.can_request(current_user, provider),
        can_edit=permissions.can_edit_profile(current_user, provider),
    ), status


@bp.get("/providers/<int:provider_id>")
def provider_detail(provider_id: int):
    return _render_provider(_provider_or_404(provider_id))


@bp.post("/providers/<int:provider_id>/requests")
@login_required
def request_new(provider_id: int):
    provider = _provider_or_404(provider_id)
    if not permissions.can_request(current_user, provider):
        abort(403)
    form = _request_form(provider, RequestForm())
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_provider(provider, form, 422)
    ok, created, status = attempt_with_status(
        lambda: reqs.create_request(
            provider,
            actor=current_user,
            title=form.title.data,
            description=form.description.data,
            service_id=form.service_id.data,
            files=form.files.data or [],
        ),
        success=_("The request is sent to the provider."),
        form=form,
    )
    if not ok:
        return _render_provider(provider, form, status)
    return redirect(url_for("services.request_detail", request_id=created.id))


# -- The provider's own profile ------------------------------------------------------
def _render_profile(profile, form, service_form=None, startup_form=None, status=200):
    return render_template(
        "services/profile.html",
        profile=profile,
        form=form,
        service_form=service_form or ServiceForm(formdata=None),
        startup_form=startup_form or StartupForm(formdata=None),
        services=providers.active_services(profile) if profile else [],
        startups=incubation.startups_of(profile) if profile and profile.kind == "incubator" else [],
        button=ButtonForm(),
    ), status


@bp.route("/providers/mine", methods=["GET", "POST"])
@login_required
def profile():
    if not permissions.can_have_profile(current_user):
        abort(403)
    mine = providers.profile_of_org(current_user.organization_id)
    form = ProfileForm(obj=mine) if request.method == "GET" else ProfileForm()
    if request.method == "GET":
        if mine is None and current_user.organization.kind != "service_provider":
            form.kind.data = "finance"
        return _render_profile(mine, form)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_profile(mine, form, status=422)
    ok, saved, status = attempt_with_status(
        lambda: providers.save_profile(
            current_user,
            kind=form.kind.data,
            description_zh=form.description_zh.data,
            description_en=form.description_en.data,
            qualifications=form.qualifications.data,
            contact=form.contact.data,
        ),
        success=_("The profile is saved."),
        form=form,
    )
    if not ok:
        return _render_profile(mine, form, status=status)
    return redirect(url_for("services.profile"))


@bp.post("/providers/mine/services")
@login_required
def service_add():
    mine = providers.profile_of_org(current_user.organization_id)
    if mine is None or not permissions.can_edit_profile(current_user, mine):
        abort(403)
    form = ServiceForm()
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_profile(mine, ProfileForm(obj=mine), service_form=form, status=422)
    ok, _s, status = attempt_with_status(
        lambda: providers.add_service(
            mine,
            actor=current_user,
            name_zh=form.name_zh.data,
            name_en=form.name_en.data,
            description=form.description.data,
            price_low_fen=form.price_low_fen.data,
            price_high_fen=form.price_high_fen.data,
            turnaround_days=form.turnaround_days.data,
        ),
        success=_("The service is added."),
        form=form,
    )
    if not ok:
        return _render_profile(mine, ProfileForm(obj=mine), service_form=form, status=status)
    return redirect(url_for("services.profile"))


@bp.post("/providers/mine/services/<int:service_id>/remove")
@login_required
def service_remove(service_id: int):
    service = get_or_404(ProviderService, service_id)
    if (
        not permissions.can_edit_profile(current_user, service.provider)
        or not ButtonForm().validate_on_submit()
    ):
        abort(403)
    attempt(
        lambda: providers.remove_service(service, actor=current_user), success=_("The service is removed.")
    )
    return redirect(url_for("services.profile"))


@bp.post("/providers/mine/startups")
@login_required
def startup_add():
    mine = providers.profile_of_org(current_user.organization_id)
    if mine is None or not permissions.can_record_startups(current_user, mine):
        abort(403)
    form = StartupForm()
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_profile(mine, ProfileForm(obj=mine), startup_form=form, status=422)
    ok, _s, status = attempt_with_status(
        lambda: incubation.record_startup(
            mine,
            actor=current_user,
            name=form.name.data,
            uscc=form.uscc.data,
            founded_on=form.founded_on.data,
            field=form.field.data,
        ),
        success=_("The start-up is recorded."),
        form=form,
    )
    if not ok:
        return _render_profile(mine, ProfileForm(obj=mine), startup_form=form, status=status)
    return redirect(url_for("services.profile"))


# -- Service requests --------------------------------------------------------------------
@bp.get("/service-requests/")
@login_required
def request_index():
    box = request.args.get("box") or "all"
    if box not in reqs.BOXES:
        box = "all"
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in RequestStatus)}:
        status = None
    page_no, per_page = _page_args()
    page = paginate(reqs.visible_to(current_user, box=box, status=status), page_no, per_page)
    return render_template(
        "services/requests.html", page=page, box=box, status=status, statuses=REQUEST_STATUS_LABELS
    )


def _request_or_404(request_id: int) -> ServiceRequest:
    return get_or_404(
        ServiceRequest, request_id, visible=lambda r: permissions.can_view_request(current_user, r)
    )


def _render_request(
    req: ServiceRequest, *, quote_form=None, rate_form=None, message_form=None, reason_form=None, status=200
):
    return render_template(
        "services/request_detail.html",
        req=req,
        side=permissions.request_side(current_user, req),
        files=reqs.files_of(req),
        message_files=reqs.message_files(req),
        quote_form=quote_form or QuoteForm(formdata=None),
        rate_form=rate_form or RateForm(formdata=None),
        message_form=message_form or MessageForm(formdata=None),
        reason_form=reason_form or ReasonForm(formdata=None),
        button=ButtonForm(),
        permissions=permissions,
    ), status


@bp.get("/service-requests/<int:request_id>")
@login_required
def request_detail(request_id: int):
    return _render_request(_request_or_404(request_id))


def _back(request_id: int):
    return redirect(url_for("services.request_detail", request_id=request_id))


@bp.post("/service-requests/<int:request_id>/quote")
@login_required
def request_quote(request_id: int):
    req = _request_or_404(request_id)
    if not permissions.can_quote(current_user, req):
        abort(403)
    form = QuoteForm()
    if not form.validate_on_submit():
        return _render_request(req, quote_form=form, status=422)
    ok, _r, status = attempt_with_status(
        lambda: reqs.quote(
            req,
            actor=current_user,
            quote_fen=form.quote_fen.data,
            quote_days=form.quote_days.data,
            note=form.quote_note.data,
        ),
        success=_("The quote is sent."),
        form=form,
    )
    if not ok:
        return _render_request(_request_or_404(request_id), quote_form=form, status=status)
    return _back(request_id)


def _button(request_id: int, allowed, action, success: str):
    req = _request_or_404(request_id)
    if not allowed(current_user, req):
        abort(403)
    if not ButtonForm().validate_on_submit():
        abort(400)
    attempt(lambda: action(req), success=success)
    return _back(request_id)


@bp.post("/service-requests/<int:request_id>/accept")
@login_required
def request_accept(request_id: int):
    return _button(
        request_id,
        permissions.can_accept,
        lambda r: reqs.accept(r, actor=current_user),
        _("The quote is accepted; the provider starts the work."),
    )


@bp.post("/service-requests/<int:request_id>/complete")
@login_required
def request_complete(request_id: int):
    return _button(
        request_id,
        permissions.can_complete,
        lambda r: reqs.complete(r, actor=current_user),
        _("The service is marked completed; the requester may rate it."),
    )


@bp.post("/service-requests/<int:request_id>/decline")
@login_required
def request_decline(request_id: int):
    req = _request_or_404(request_id)
    if not permissions.can_decline(current_user, req):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_request(req, reason_form=form, status=422)
    ok, _r, status = attempt_with_status(
        lambda: reqs.decline(req, actor=current_user, reason=form.reason.data),
        success=_("The request is declined."),
        form=form,
    )
    if not ok:
        return _render_request(_request_or_404(request_id), reason_form=form, status=status)
    return _back(request_id)


@bp.post("/service-requests/<int:request_id>/cancel")
@login_required
def request_cancel(request_id: int):
    req = _request_or_404(request_id)
    if not permissions.can_cancel(current_user, req):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    attempt(
        lambda: reqs.cancel(req, actor=current_user, reason=form.reason.data),
        success=_("The request is cancelled."),
    )
    return _back(request_id)


@bp.post("/service-requests/<int:request_id>/rate")
@login_required
def request_rate(request_id: int):
    req = _request_or_404(request_id)
    if permissions.request_side(current_user, req) != "requester":
        abort(403)
    form = RateForm()
    if not form.validate_on_submit():
        return _render_request(req, rate_form=form, status=422)
    ok, _r, status = attempt_with_status(
        lambda: reqs.rate(req, actor=current_user, rating=int(form.rating.data), comment=form.comment.data),
        success=_("Thank you: the rating is recorded."),
        form=form,
    )
    if not ok:
        return _render_request(_request_or_404(request_id), rate_form=form, status=status)
    return _back(request_id)


@bp.post("/service-requests/<int:request_id>/messages")
@login_required
def request_message(request_id: int):
    req = _request_or_404(request_id)
    if not permissions.can_post_message(current_user, req):
        abort(403)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_request(req, message_form=form, status=422)
    ok, _m, status = attempt_with_status(
        lambda: reqs.post_message(req, actor=current_user, body=form.body.data, files=form.files.data or []),
        success=_("The message is sent."),
        form=form,
    )
    if not ok:
        return _render_request(_request_or_404(request_id), message_form=form, status=status)
    return _back(request_id)


@bp.get("/service-requests/<int:request_id>/files/<int:attachment_id>")
@login_required
def request_file(request_id: int, attachment_id: int):
    req = _request_or_404(request_id)
    attachment = db.session.get(Attachment, attachment_id)
    allowed = list(reqs.files_of(req)) + [a for files in reqs.message_files(req).values() for a in files]
    if attachment is None or attachment not in allowed:
        abort(404)
    return send_attachment(attachment)
