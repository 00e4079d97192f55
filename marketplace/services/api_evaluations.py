"""API endpoints of evaluations of achievements and incubated start-ups (on the
services blueprint of ``api``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_optional, token_required
from ..core.apidocs import DATE, FEN, INTEGER, STRING, describe, obj
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body
from ..extensions import db
from ..ip.models import IpAsset
from ..ip.permissions import can_view_asset
from . import evaluations, incubation, providers
from .api import TAGS, _int_or_raw, _iso, _str, bp
from .models import Evaluation, ProviderProfile, Startup


# -- Evaluations ----------------------------------------------------------------------
def evaluation_json(e: Evaluation) -> dict[str, Any]:
    return {
        "id": e.id,
        "asset_id": e.asset_id,
        "provider_id": e.provider_id,
        "provider_name": e.provider.name,
        "status": e.status,
        "note": e.note,
        "trl": e.trl,
        "novelty": e.novelty,
        "maturity": e.maturity,
        "value_low_fen": e.value_low_fen,
        "value_high_fen": e.value_high_fen,
        "opinion": e.opinion,
        "evaluated_on": _iso(e.evaluated_on),
        "decline_reason": e.decline_reason,
        "created_at": _iso(e.created_at),
        "report": bool(evaluations.report_of(e)) if e.status == "completed" else False,
    }


@bp.post("/assets/<int:asset_id>/evaluations")
@describe(
    "The asset's owner side asks an evaluation body (a provider of kind `evaluation`) to evaluate it "
    "(科技成果评价): `provider_id`, `note`.",
    tags=TAGS,
    body=obj({"provider_id": INTEGER, "note": STRING}, ["provider_id"]),
    responses={
        201: "The evaluation (requested)",
        403: "Not the owner side",
        404: "No such asset",
        409: "A request to this body waits",
        422: "Not an evaluation body",
    },
    idempotent=True,
)
@token_required
@idempotent
def ask_evaluation(asset_id: int, actor):
    asset = db.session.get(IpAsset, asset_id)
    if asset is None or not can_view_asset(actor, asset):
        raise NotFound()
    body = json_body()
    pid = body.get("provider_id")
    provider = (
        db.session.get(ProviderProfile, pid) if isinstance(pid, int) and not isinstance(pid, bool) else None
    )
    if provider is None:
        raise ValidationError(fields={"provider_id": [_l("Choose an evaluation body.")]})
    return evaluation_json(evaluations.ask(asset, provider, actor=actor, note=_str(body, "note"))), 201


@bp.get("/evaluations/<int:evaluation_id>")
@describe(
    "One evaluation (a completed result is public; a request only to its two sides).",
    tags=TAGS,
    auth="optional",
    responses={200: "The evaluation", 404: "Not found"},
)
@token_optional
def get_evaluation(evaluation_id: int, actor):
    return evaluation_json(evaluations.get_visible(evaluation_id, actor))


@bp.post("/evaluations/<int:evaluation_id>/result")
@describe(
    "The evaluation body records the result: `trl` (1-9), `novelty`, `maturity`, `value_low_fen`, "
    "`value_high_fen`, `opinion`, `evaluated_on`; the report file is uploaded on the web page. The TRL "
    "shows on the asset and its listings and is a search facet.",
    tags=TAGS,
    body=obj(
        {
            "trl": INTEGER,
            "novelty": STRING,
            "maturity": STRING,
            "value_low_fen": FEN,
            "value_high_fen": FEN,
            "opinion": STRING,
            "evaluated_on": DATE,
        },
        ["trl", "novelty", "maturity", "value_low_fen", "value_high_fen"],
    ),
    responses={
        200: "The completed evaluation",
        403: "Not the body",
        404: "Not found",
        409: "Already decided",
        422: "Fields invalid",
    },
)
@token_required
def record_result(evaluation_id: int, actor):
    body = json_body()
    evaluated_on = None
    if body.get("evaluated_on"):
        try:
            evaluated_on = date.fromisoformat(str(body["evaluated_on"]))
        except ValueError:
            raise ValidationError(fields={"evaluated_on": [_l("A date as YYYY-MM-DD.")]}) from None
    e = evaluations.record_result(
        evaluations.get_visible(evaluation_id, actor),
        actor=actor,
        trl=_int_or_raw(body, "trl"),
        novelty=_str(body, "novelty"),
        maturity=_str(body, "maturity"),
        value_low_fen=_int_or_raw(body, "value_low_fen"),
        value_high_fen=_int_or_raw(body, "value_high_fen"),
        opinion=_str(body, "opinion"),
        evaluated_on=evaluated_on,
    )
    return evaluation_json(e)


@bp.post("/evaluations/<int:evaluation_id>/report")
@describe(
    "The evaluation body uploads the report file of a completed evaluation (multipart/form-data, field "
    "`report`: PDF, PNG or JPEG); the latest one is the evaluation's report.",
    tags=TAGS,
    responses={
        201: "The stored file",
        403: "Not the body",
        404: "Not found",
        409: "No result recorded yet",
        422: "No file, or not an accepted type",
    },
)
@token_required
def upload_report(evaluation_id: int, actor):
    from flask import request

    attachment = evaluations.attach_report(
        evaluations.get_visible(evaluation_id, actor), request.files.get("report"), actor=actor
    )
    return {
        "id": attachment.id,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
    }, 201


# -- Start-ups ------------------------------------------------------------------------------
def startup_json(s: Startup) -> dict[str, Any]:
    return {
        "id": s.id,
        "provider_id": s.provider_id,
        "name": s.name,
        "uscc": s.uscc,
        "founded_on": _iso(s.founded_on),
        "field": s.field,
    }


@bp.get("/providers/<int:provider_id>/startups")
@describe(
    "The start-ups an incubator records.",
    tags=TAGS,
    auth="none",
    responses={200: "The start-ups and the count against the plan's 2,000", 404: "Not found"},
)
def list_startups(provider_id: int):
    provider = providers.get_listed(provider_id)
    return {
        "items": [startup_json(s) for s in incubation.startups_of(provider)],
        "total_recorded": incubation.startup_count(),
        "plan_target": incubation.PLAN_TARGET,
    }


@bp.post("/providers/<int:provider_id>/startups")
@describe(
    "The incubator's staff record a start-up: `name`, `uscc`, `founded_on`, `field` (industry code).",
    tags=TAGS,
    body=obj(
        {"name": STRING, "uscc": STRING, "founded_on": DATE, "field": STRING},
        ["name", "uscc", "founded_on", "field"],
    ),
    responses={201: "The start-up", 403: "Not the incubator", 404: "Not found", 422: "Fields invalid"},
    idempotent=True,
)
@token_required
@idempotent
def create_startup(provider_id: int, actor):
    provider = providers.get_listed(provider_id, actor)
    body = json_body()
    founded = None
    if body.get("founded_on"):
        try:
            founded = date.fromisoformat(str(body["founded_on"]))
        except ValueError:
            founded = None
    s = incubation.record_startup(
        provider,
        actor=actor,
        name=_str(body, "name"),
        uscc=_str(body, "uscc") or "",
        founded_on=founded,
        field=_str(body, "field"),
    )
    return startup_json(s), 201
