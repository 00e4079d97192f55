"""API endpoints of technology managers and plan periods (on the network API blueprint)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.apiauth import token_optional, token_required
from ..accounts.models import User
from ..contracts.models import Contract
from ..core.apidocs import BOOLEAN, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.errors import FieldChecks, NotFound, PermissionDenied, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from . import managers as manager_services
from . import news as news_services
from . import nodes as node_services
from . import periods, permissions
from .api import _STRINGS, _int, _iso, _str, _strings, bp
from .models import NodeNews, TechManager
from .states import ManagerLevel


def manager_json(m: TechManager, totals: dict | None = None) -> dict[str, Any]:
    totals = totals or {"contracts": 0, "registered": 0, "turnover_fen": 0}
    return {
        "id": m.id,
        "name": m.name,
        "certificate_no": m.certificate_no,
        "level": m.level,
        "agency_org_id": m.agency_org_id,
        "agency_name": m.agency.name,
        "fields": list(m.fields or []),
        "verified": m.verified,
        "status": m.status,
        "brokered_contracts": totals["contracts"],
        "registered_contracts": totals["registered"],
        "turnover_fen": totals["turnover_fen"],
        "has_account": m.user_id is not None,
    }


def _with_account(m: TechManager, actor, out: dict[str, Any]) -> dict[str, Any]:
    """Who the linked account is, for those who link it and for the manager."""
    if m.user_id is not None and (
        permissions.can_link_manager_account(actor, m) or permissions.is_the_manager(actor, m)
    ):
        user = db.session.get(User, m.user_id)
        out["account"] = {"user_id": user.id, "name": user.name, "email": user.email}
    return out


def _contracts_json(m: TechManager) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "title": c.title,
            "registration_no": c.registration_no,
            "status": c.status,
            "turnover_fen": t,
        }
        for c, t in manager_services.contracts_of(m)
    ]


@bp.get("/managers")
@describe(
    "Verified technology managers with the contracts they brokered and those contracts' registered turnover; "
    "`counts` gives the plan's figures (managers and institutions toward 100 each).",
    tags=["network"],
    auth="optional",
    params=PAGE_PARAMS,
    responses={200: "A page of managers with `counts`"},
)
@token_optional
def list_managers(actor):
    page_no, per_page = read_page_args(request.args)
    page = paginate(manager_services.public_managers(), page_no, per_page)
    totals = manager_services.brokered([m.id for m in page.items])
    return {
        **page.to_dict(lambda m: manager_json(m, totals.get(m.id))),
        "counts": manager_services.plan_counts(),
    }


def _manager(manager_id: int, actor) -> TechManager:
    m = db.session.get(TechManager, manager_id)
    if m is None or not manager_services.visible(actor, m):
        raise NotFound()
    return m


@bp.get("/managers/<int:manager_id>")
@describe(
    "A technology manager's public profile with the contracts brokered.",
    tags=["network"],
    auth="optional",
    responses={200: "The manager", 404: "No such manager, or not verified"},
)
@token_optional
def get_manager(manager_id: int, actor):
    m = _manager(manager_id, actor)
    out = manager_json(m, manager_services.brokered([m.id])[m.id])
    out["contracts"] = _contracts_json(m)
    return _with_account(m, actor, out)


@bp.get("/managers/me")
@describe(
    "The logged-in user's own technology manager profile (whatever its status) with the contracts brokered; "
    "`items` is empty when the account is not linked to a manager.",
    tags=["network"],
    responses={200: "{items: [manager]}"},
)
@token_required
def my_manager_profile(actor):
    items = []
    for m in manager_services.profiles_of(actor):
        out = manager_json(m, manager_services.brokered([m.id])[m.id])
        out["contracts"] = _contracts_json(m)
        items.append(_with_account(m, actor, out))
    return {"items": items, "total": len(items), "page": 1, "per_page": max(1, len(items))}


def _account_user(body: dict, errors: dict) -> User | None:
    """The account named by `user_id` or `email`."""
    user_id = _int(body, "user_id", errors)
    email = _str(body, "email", errors).strip().lower()
    if errors:
        return None
    if user_id is None and not email:
        errors["user_id"] = [_l("Name the account: its user_id or its email.")]
        return None
    if user_id is not None:
        user = db.session.get(User, user_id)
    else:
        user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        errors["user_id" if user_id is not None else "email"] = [_l("There is no such account.")]
    return user


@bp.post("/managers/<int:manager_id>/account")
@describe(
    "The manager's institution (or the core node) links the manager to the user account the manager logs "
    "in with, named by `user_id` or `email`; the account belongs to the institution and has no other manager "
    "profile.",
    tags=["network"],
    body=obj({"user_id": INTEGER, "email": STRING}),
    responses={
        200: "The manager, with `account`",
        403: "Not the manager's institution nor the core node",
        404: "No such manager",
        409: "Already linked",
        422: "No such account, or another organization's",
    },
)
@token_required
def link_manager_account(manager_id: int, actor):
    m = _manager(manager_id, actor)
    errors: dict[str, list] = {}
    user = _account_user(json_body(), errors)
    if errors:
        raise ValidationError(fields=errors)
    m = manager_services.link_account(m, user, actor=actor)
    return _with_account(m, actor, manager_json(m, manager_services.brokered([m.id])[m.id]))


@bp.delete("/managers/<int:manager_id>/account")
@describe(
    "Unlink the manager's account (the institution, the core node, or the manager).",
    tags=["network"],
    responses={200: "The manager", 403: "Not allowed", 404: "No such manager", 409: "No account linked"},
)
@token_required
def unlink_manager_account(manager_id: int, actor):
    m = _manager(manager_id, actor)
    m = manager_services.unlink_account(m, actor=actor)
    return manager_json(m, manager_services.brokered([m.id])[m.id])


@bp.post("/managers")
@describe(
    "A technology transfer institution (agency) registers one of its technology managers; the core node "
    "verifies.",
    tags=["network"],
    body=obj(
        {
            "name": STRING,
            "certificate_no": STRING,
            "level": {"type": "string", "enum": [lv.value for lv in ManagerLevel]},
            "fields": _STRINGS,
            "bio": STRING,
            "user_id": INTEGER,
        },
        required=["name", "certificate_no", "level", "fields"],
    ),
    responses={
        201: "The manager (pending)",
        403: "Not an agency",
        409: "Certificate already registered",
        422: "Fields invalid",
    },
    idempotent=True,
)
@token_required
@idempotent
def register_manager_api(actor):
    body = json_body()
    errors: dict[str, list] = {}
    data = {
        "name": _str(body, "name", errors),
        "certificate_no": _str(body, "certificate_no", errors),
        "level": _str(body, "level", errors),
        "fields": _strings(body, "fields", errors),
        "bio": _str(body, "bio", errors),
    }
    user = None
    user_id = _int(body, "user_id", errors)
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None:
            errors["user_id"] = [_l("There is no such account.")]
    if errors:
        raise ValidationError(fields=errors)
    m = manager_services.register_manager(actor=actor, user=user, **data)
    return _with_account(m, actor, manager_json(m)), 201


@bp.post("/managers/<int:manager_id>/verify")
@describe(
    'The core node verifies (`{"verified": true}`) or rejects a registered manager.',
    tags=["network"],
    body=obj({"verified": BOOLEAN}, required=["verified"]),
    responses={200: "The manager", 403: "Not the core node", 404: "No such manager", 409: "Already decided"},
)
@token_required
def verify_manager_api(manager_id: int, actor):
    m = _manager(manager_id, actor)
    verified = json_body().get("verified")
    if not isinstance(verified, bool):
        raise ValidationError(fields={"verified": [_l("Enter true or false.")]})
    manager_services.decide_manager(m, verify=verified, actor=actor)
    return manager_json(m, manager_services.brokered([m.id])[m.id])


@bp.post("/managers/<int:manager_id>/contracts")
@describe(
    "The manager's institution records a contract the manager brokered (the contract names the institution as agency).",
    tags=["network"],
    body=obj({"contract_id": INTEGER}, required=["contract_id"]),
    responses={
        201: "Recorded",
        403: "Not the manager's institution",
        404: "No such manager or contract",
        409: "Already recorded or not verified",
        422: "Another agency's contract",
    },
)
@token_required
def record_manager_contract(manager_id: int, actor):
    m = _manager(manager_id, actor)
    errors: dict[str, list] = {}
    contract_id = _int(json_body(), "contract_id", errors)
    if errors or contract_id is None:
        raise ValidationError(fields=errors or {"contract_id": [_l("Name the contract.")]})
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound()
    manager_services.record_brokerage(m, contract, actor=actor)
    return manager_json(m, manager_services.brokered([m.id])[m.id]), 201


@bp.get("/plans")
@describe(
    "Plan periods: 2022-2025 (built in, ended) and the periods the provincial regulator entered, each with its "
    "targets and yearly path; `current` marks the default one.",
    tags=["ledger"],
    auth="optional",
    responses={200: "{items: [plan]}"},
)
@token_optional
def list_plans(actor):
    items = [periods.period_json(p) for p in periods.all_periods()]
    return {"items": items, "total": len(items), "page": 1, "per_page": len(items)}


@bp.post("/plans")
@describe(
    "The provincial regulator enters a plan period after 2022-2025 with its turnover target, yearly path "
    "(`[{year, path_fen}]`, one per year), other targets (`{code: value}`: counts, or basis points for "
    "shares; codes: " + ", ".join(f"`{c}`" for c in periods.PERIOD_TARGETS) + ") and source. "
    "GET /targets?plan= gives each target's progress.",
    tags=["ledger"],
    body=obj(
        {
            "title": STRING,
            "title_en": STRING,
            "first_year": INTEGER,
            "last_year": INTEGER,
            "turnover_target_fen": FEN,
            "yearly_path": {"type": "array", "items": obj({"year": INTEGER, "path_fen": FEN})},
            "targets": {"type": "object", "additionalProperties": INTEGER},
            "source": STRING,
        },
        required=["title", "first_year", "last_year", "turnover_target_fen", "yearly_path", "source"],
    ),
    responses={
        201: "The plan",
        403: "Not the provincial regulator",
        409: "Overlaps another period",
        422: "Fields invalid",
    },
    idempotent=True,
)
@token_required
@idempotent
def create_plan(actor):
    body = json_body()
    errors: dict[str, list] = {}
    path: dict[int, int] = {}
    raw_path = body.get("yearly_path")
    if not isinstance(raw_path, list):
        errors["yearly_path"] = [_l("Enter a list of {year, path_fen}.")]
    else:
        for item in raw_path:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("year"), int)
                or not isinstance(item.get("path_fen"), int)
            ):
                errors["yearly_path"] = [_l("Enter a list of {year, path_fen}.")]
                break
            path[item["year"]] = item["path_fen"]
    targets = body.get("targets") or {}
    if not isinstance(targets, dict):
        errors["targets"] = [_l("Enter an object of target codes and values.")]
        targets = {}
    data = {
        "title": _str(body, "title", errors),
        "title_en": _str(body, "title_en", errors),
        "first_year": _int(body, "first_year", errors),
        "last_year": _int(body, "last_year", errors),
        "turnover_target_fen": _int(body, "turnover_target_fen", errors),
        "source": _str(body, "source", errors),
    }
    if errors:
        raise ValidationError(fields=errors)
    row = periods.create_period(slug="", yearly_path=path, targets=targets, actor=actor, **data)
    return periods.period_json(periods.get_period(row.slug)), 201


@bp.post("/plans/official-turnover")
@describe(
    "The provincial regulator enters the province's official registered turnover of a year with its source "
    "(the latest entry of a year is the one shown).",
    tags=["ledger"],
    body=obj(
        {"year": INTEGER, "turnover_fen": FEN, "source": STRING}, required=["year", "turnover_fen", "source"]
    ),
    responses={201: "Recorded", 403: "Not the provincial regulator", 422: "Fields invalid"},
)
@token_required
def record_official_turnover_api(actor):
    body = json_body()
    errors: dict[str, list] = {}
    year = _int(body, "year", errors)
    fen = _int(body, "turnover_fen", errors)
    source = _str(body, "source", errors)
    if errors:
        raise ValidationError(fields=errors)
    row = periods.record_official_turnover(year=year, turnover_fen=fen, source=source, actor=actor)
    return {
        "year": row.year,
        "turnover_fen": row.turnover_fen,
        "source": row.source,
        "recorded_at": _iso(row.recorded_at),
    }, 201


def plan_targets(slug: str | None) -> dict:
    """What GET /api/v1/targets adds: the chosen period (default: the current one) with its progress."""
    period = periods.get_period(slug)
    return periods.progress_json(periods.period_progress(period))


# --- News on a node's page ---------------------------------------------------------------


def news_json(news: NodeNews) -> dict[str, Any]:
    return {
        "id": news.id,
        "node_slug": news.node.slug,
        "title": news.title,
        "body": news.body,
        "published_at": _iso(news.published_at),
        "withdrawn": news.withdrawn_at is not None,
    }


@bp.get("/nodes/<slug>/news")
@describe(
    "The notices a node publishes on its page, newest first (withdrawn ones left out).",
    tags=["network"],
    auth="optional",
    params=PAGE_PARAMS,
    responses={200: "A page of notices", 404: "No such node"},
)
@token_optional
def list_news(slug: str, actor):
    node = node_services.node_by_slug(slug)
    page_no, per_page = read_page_args(request.args)
    return paginate(news_services.news_of(node), page_no, per_page).to_dict(news_json)


@bp.post("/nodes/<slug>/news")
@describe(
    "An operator of the node publishes a notice on its page: `title` (at most 200 characters), `body` (at "
    "most 5,000).",
    tags=["network"],
    body=obj({"title": STRING, "body": STRING}, required=["title", "body"]),
    responses={
        201: "The notice",
        403: "Not an operator of the node",
        404: "No such node",
        422: "Fields invalid",
    },
    idempotent=True,
)
@token_required
@idempotent
def publish_news_api(slug: str, actor):
    node = node_services.node_by_slug(slug)
    if not permissions.can_operate(actor, node):
        raise PermissionDenied(_l("Only the node's operators publish its news."))
    body = json_body()
    errors: dict[str, list] = {}
    title, text = _str(body, "title", errors), _str(body, "body", errors)
    checks = FieldChecks()  # the types refused and the texts' rules, at once
    checks.fields.update(errors)
    for name, value, limit in (
        ("title", title, news_services.TITLE_MAX),
        ("body", text, news_services.BODY_MAX),
    ):
        if name not in errors:
            checks.run(
                lambda name=name, value=value, limit=limit: news_services.check_text(name, value, limit)
            )
    checks.raise_if_any()
    return news_json(news_services.publish_news(node, title=title, body=text, actor=actor)), 201


@bp.post("/news/<int:news_id>/withdraw")
@describe(
    "An operator takes a notice off the node's page (it is kept on record).",
    tags=["network"],
    responses={200: "The notice, withdrawn", 404: "No such notice", 409: "Already withdrawn"},
)
@token_required
def withdraw_news_api(news_id: int, actor):
    news = db.session.get(NodeNews, news_id)
    if news is None or not permissions.can_operate(actor, news.node):
        raise NotFound()
    return news_json(news_services.withdraw_news(news, actor=actor))
