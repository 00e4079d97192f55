"""API endpoints of the ledger domain (added to the shared /api/v1 blueprint).

Entries carry the fields their hash covers: hash = SHA-256 over prev_hash,
a newline, and the canonical JSON (sorted keys, no spaces, UTF-8) of
{seq, kind, contract_id, registration_no, turnover_delta_fen,
tech_income_delta_fen, contracts_delta, effective_on, recorded_at (UTC,
"YYYY-MM-DDTHH:MM:SS.ffffffZ"), regulator_id, event_key, dims: {year,
seller_region, seller_org_kind, industry, category}} (see ledger/chain.py).
A city regulator sees its city's entries only: each still verifies on its
own (its hash over its prev_hash and fields), but its prev_hash may be
another city's entry; GET /ledger/verify checks the whole chain.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import require_role, token_optional, token_required
from ..accounts.models import User
from ..core.apidocs import DATE, DATETIME, FEN, INTEGER, STRING, describe, obj
from ..core.errors import NotFound, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import validate_json
from ..extensions import db
from . import exports, ports, reports, services
from .catalog import GROUP_BY, TARGETS_BY_CODE, dimension_label
from .forms import TargetValueApiForm
from .models import LedgerEntry, TargetValue
from .permissions import ledger_scope

bp = Blueprint("ledger", __name__)

MAX_LIMIT = 1000


def entry_json(entry: LedgerEntry) -> dict:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "contract_id": entry.contract_id,
        "registration_no": entry.registration_no,
        "turnover_delta_fen": entry.turnover_delta_fen,
        "tech_income_delta_fen": entry.tech_income_delta_fen,
        "contracts_delta": entry.contracts_delta,
        "effective_on": entry.effective_on.isoformat(),
        "recorded_at": entry.recorded_at.isoformat(timespec="microseconds"),
        "regulator_id": entry.regulator_id,
        "event_key": entry.event_key,
        "dims": {
            "year": entry.year,
            "seller_region": entry.seller_region,
            "seller_org_kind": entry.seller_org_kind,
            "industry": entry.industry,
            "category": entry.category,
        },
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "contract_url": ports.contract_link(entry.contract_id),
    }


def _viewer_scope(actor: User) -> str:
    require_role(actor, "regulator", "admin")
    return ledger_scope(actor)


def _int_arg(name: str, *, low: int, high: int, default: int | None = None) -> int | None:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(fields={name: [_l("Must be a whole number.")]}) from None
    if not low <= value <= high:
        raise ValidationError(
            fields={name: [_l("Must be between %(low)s and %(high)s.", low=low, high=high)]}
        )
    return value


def _choice_arg(name: str, allowed) -> str | None:
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if raw not in allowed:
        raise ValidationError(fields={name: [_l("Not a valid choice.")]})
    return raw


def _filter(actor: User) -> services.EntryFilter:
    from ..core.catalog import INDUSTRIES, ORG_KINDS
    from .catalog import CATEGORIES, ENTRY_KINDS, SELLER_REGIONS

    return services.EntryFilter(
        scope=_viewer_scope(actor),
        year=_int_arg("year", low=2000, high=2100),
        year_from=_int_arg("year_from", low=2000, high=2100),
        year_to=_int_arg("year_to", low=2000, high=2100),
        region=_choice_arg("region", SELLER_REGIONS),
        industry=_choice_arg("industry", INDUSTRIES),
        org_kind=_choice_arg("org_kind", ORG_KINDS),
        category=_choice_arg("category", CATEGORIES),
        kind=_choice_arg("kind", ENTRY_KINDS),
        contract_id=_int_arg("contract_id", low=1, high=2**31 - 1),
        registration_no=request.args.get("registration_no") or None,
        as_of=services.parse_as_of(request.args.get("as_of")),
    )


_FILTER_PARAMS = [
    {"name": name, "in": "query", "schema": schema}
    for name, schema in (
        ("year", INTEGER),
        ("year_from", INTEGER),
        ("year_to", INTEGER),
        ("region", STRING),
        ("industry", STRING),
        ("org_kind", STRING),
        ("category", STRING),
        (
            "as_of",
            {"type": "string", "description": "YYYY-MM-DD (end of that day, Beijing time) or ISO 8601 time"},
        ),
    )
]
_ENTRY = obj(
    {
        "seq": INTEGER,
        "kind": STRING,
        "contract_id": INTEGER,
        "registration_no": STRING,
        "turnover_delta_fen": FEN,
        "tech_income_delta_fen": FEN,
        "contracts_delta": INTEGER,
        "effective_on": DATE,
        "recorded_at": DATETIME,
        "regulator_id": INTEGER,
        "event_key": STRING,
        "dims": {"type": "object"},
        "prev_hash": STRING,
        "hash": STRING,
        "contract_url": STRING,
    }
)


@bp.get("/ledger/entries")
@describe(
    "Ledger entries after a sequence number, in sequence order, with their hashes. "
    "A city regulator sees its city's entries (their prev_hash may be another city's entry).",
    tags=["ledger"],
    params=[
        {"name": "after_seq", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        {
            "name": "per_page",
            "in": "query",
            "description": "the same as limit (when limit is not given)",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        },
        {"name": "kind", "in": "query", "schema": STRING},
        {"name": "contract_id", "in": "query", "schema": INTEGER},
        {"name": "registration_no", "in": "query", "schema": STRING},
        *_FILTER_PARAMS,
    ],
    responses={
        200: "{items: [entry], after_seq, next_after_seq (null at the end), limit, head_seq}",
        401: "No or bad token",
        403: "Not a regulator or admin",
        422: "Bad parameter",
    },
)
@token_required
def ledger_entries(actor: User):
    flt = _filter(actor)
    after_seq = _int_arg("after_seq", low=0, high=2**62, default=0)
    limit = _int_arg("limit", low=1, high=MAX_LIMIT, default=None) or _int_arg(
        "per_page", low=1, high=MAX_LIMIT, default=100
    )
    items = services.entries_after(flt, after_seq=after_seq, limit=limit)
    return {
        "items": [entry_json(e) for e in items],
        "after_seq": after_seq,
        "next_after_seq": items[-1].seq if len(items) == limit else None,
        "limit": limit,
        "head_seq": services.ledger_head()[0],
    }


def _figures(fig: services.Figures) -> dict:
    return {
        "turnover_fen": fig.turnover_fen,
        "tech_income_fen": fig.tech_income_fen,
        "contracts": fig.contracts,
        "entries": fig.entries,
    }


@bp.get("/ledger/summary")
@describe(
    "Registered turnover, technology income and contracts with positive turnover, grouped by "
    "year, region, industry, org_kind or category, as of a moment. A city regulator's figures "
    "cover its city.",
    tags=["ledger"],
    params=[
        {"name": "group_by", "in": "query", "schema": {"type": "string", "enum": list(GROUP_BY)}},
        {"name": "kind", "in": "query", "schema": STRING},
        {"name": "contract_id", "in": "query", "schema": INTEGER},
        {"name": "registration_no", "in": "query", "schema": STRING},
        *_FILTER_PARAMS,
    ],
    responses={
        200: '{"totals": {turnover_fen, tech_income_fen, contracts}, "groups": [{key, label, '
        'turnover_fen, tech_income_fen, contracts}], "as_of", "as_of_seq", "group_by", "scope"}',
        401: "No or bad token",
        403: "Not a regulator or admin",
        422: "Bad parameter",
    },
)
@token_required
def ledger_summary(actor: User):
    flt = _filter(actor)
    group_by = request.args.get("group_by") or "year"
    summary = services.summarize(flt, group_by=group_by)
    return {
        "totals": _figures(summary.totals),
        "groups": [
            {"key": key, "label": dimension_label(group_by, key), **_figures(fig)}
            for key, fig in summary.groups
        ],
        "as_of": summary.as_of.isoformat(),
        "as_of_seq": summary.as_of_seq,
        "group_by": group_by,
        "scope": flt.scope,
    }


@bp.get("/ledger/verify")
@describe(
    "Recompute the whole hash chain: {ok: true, entries, head} or where it breaks.",
    tags=["ledger"],
    responses={
        200: '{"ok": true, "entries": N, "head": "<hash>"} or {"ok": false, "entries", "head", '
        '"first_bad_seq", "reason", "message"}',
        401: "No or bad token",
        403: "Not a regulator or admin",
    },
)
@token_required
def ledger_verify(actor: User):
    _viewer_scope(actor)
    check = services.verify_ledger()
    body = {"ok": check.ok, "entries": check.entries, "head": check.head}
    if not check.ok:
        body.update(first_bad_seq=check.first_bad_seq, reason=check.reason, message=str(check.message))
    return body


@bp.get("/ledger/export")
@describe(
    "Entries or summaries of a year, stating the chain's head: CSV for scripts (fen, codes, UTC), XLSX as a report (元 or 万元, labels, Beijing time, in the request's language).",
    tags=["ledger"],
    params=[
        {"name": "year", "in": "query", "schema": INTEGER},
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": list(exports.FORMATS)}},
        {"name": "what", "in": "query", "schema": {"type": "string", "enum": list(exports.WHAT)}},
        {"name": "as_of", "in": "query", "schema": STRING},
    ],
    responses={
        200: "The file",
        401: "No or bad token",
        403: "Not a regulator or admin",
        422: "Bad parameter",
    },
)
@token_required
def ledger_export(actor: User):
    scope = _viewer_scope(actor)
    fmt = _choice_arg("format", exports.FORMATS) or "csv"
    what = _choice_arg("what", exports.WHAT) or "entries"
    flt = services.EntryFilter(
        scope=scope,
        year=_int_arg("year", low=2000, high=2100),
        as_of=services.parse_as_of(request.args.get("as_of")),
    )
    body = exports.export_bytes(flt, fmt=fmt, what=what)
    mimetype = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "text/csv"
    )
    name = exports.export_filename(flt, fmt=fmt, what=what)
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _target_value_json(row: TargetValue | None) -> dict | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "value": row.value,
        "measured_on": row.measured_on.isoformat(),
        "source": row.source,
        "recorded_at": row.recorded_at.isoformat(),
        "recorded_by_org": row.recorded_by.organization.name,
    }


@bp.get("/targets")
@describe(
    "The action plan's targets with current progress. Shares are in basis points (1 % = 100).",
    tags=["ledger"],
    auth="optional",
    params=[{"name": "plan", "in": "query", "schema": {"type": "string"}}],
    responses={
        200: "Turnover, industrialized achievements (null until counted) and entered targets; `plan`: the "
        "chosen plan period (default: the current one) with its progress",
        404: "No such plan period",
    },
)
@token_optional
def targets(actor: User | None):
    plan = ports.plan_targets(request.args.get("plan") or None)
    overview = reports.targets_overview()
    t = overview["turnover"]
    ind = overview["industrialized"]
    return {
        "as_of": overview["as_of"].isoformat(),
        "turnover": {
            "target_fen": t["target"]["fen"],
            "registered_fen": t["registered"]["fen"],
            "tech_income_fen": t["tech_income"]["fen"],
            "contracts": t["contracts"],
            "progress_bp": t["progress_bp"],
            "years": [
                {"year": y["year"], "turnover_fen": y["turnover"]["fen"], "path_fen": y["path"]["fen"]}
                for y in t["years"]
            ],
        },
        "industrialized": {"target": ind["target"], "by_source": ind["by_source"], "counts": ind["counts"]},
        "targets": [
            {
                "code": item["spec"].code,
                "label": str(item["spec"].label),
                "target": item["spec"].target,
                "unit": item["spec"].unit,
                "at_least": item["spec"].at_least,
                "latest": _target_value_json(item["latest"]),
                "progress_bp": item["progress_bp"] if item["spec"].unit == "count" else None,
            }
            for item in overview["entered"]
        ],
        **({"plan": plan} if plan is not None else {}),
    }


@bp.get("/targets/<code>/values")
@describe(
    "The history of a target's entered values, newest first.",
    tags=["ledger"],
    auth="optional",
    responses={200: "{items: [value]}", 404: "No such target"},
)
@token_optional
def target_values(code: str, actor: User | None):
    if code not in TARGETS_BY_CODE:
        raise NotFound(_l("There is no such target."))
    return {"items": [_target_value_json(row) for row in services.target_history(code)]}


@bp.post("/targets/<code>/values")
@describe(
    "Enter a target's value (provincial registration authority only): a count, or basis points for a share.",
    tags=["ledger"],
    body=obj(
        {"value": INTEGER, "measured_on": DATE, "source": STRING}, required=["value", "measured_on", "source"]
    ),
    responses={
        201: "The value",
        403: "Not the provincial authority",
        404: "No such target",
        422: "Invalid fields",
    },
    idempotent=True,
)
@token_required
@idempotent
def record_target_value(code: str, actor: User):
    if code not in TARGETS_BY_CODE:
        raise NotFound(_l("There is no such target."))
    form = validate_json(TargetValueApiForm)
    row = services.record_target_value(
        code, value=form.value.data, measured_on=form.measured_on.data, source=form.source.data, actor=actor
    )
    return _target_value_json(row), 201


# --- Transparency: signed checkpoints, inclusion and consistency proofs ----------------

_CHECKPOINT = obj(
    {
        "id": INTEGER,
        "origin": STRING,
        "tree_size": INTEGER,
        "root_hash": STRING,
        "signed_at": DATETIME,
        "key_id": STRING,
        "public_key_hex": STRING,
        "signature": STRING,
        "signed_text": STRING,
    }
)
_PROOF = (
    "{seq, leaf_index (seq - 1), tree_size, leaf_hash (SHA-256 of 0x00 and the canonical form), canonical "
    "(the entry's canonical JSON), audit_path (hex, leaf side first; RFC 6962 PATH), root_hash, checkpoint "
    "(the signed checkpoint of that size, or null), entry}"
)
_SIZE_PARAM = {
    "name": "size",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1},
    "description": "Tree size (a published checkpoint's); default: the latest checkpoint covering the entry, "
    "else the current size",
}


def _size_arg(at_least: int) -> int:
    from .checkpoints import ProofSizeError, proof_size

    try:
        return proof_size(_int_arg("size", low=0, high=2**62), at_least=at_least)
    except ProofSizeError as exc:
        low, high = exc.args
        raise ValidationError(
            fields={"size": [_l("Must be between %(low)s and %(high)s.", low=low, high=high)]}
        ) from None


def _proof_json(entry: LedgerEntry, size: int) -> dict:
    from .checkpoints import entry_proof

    return {**entry_proof(entry, size), "entry": entry_json(entry)}


@bp.get("/ledger/checkpoints")
@describe(
    "Signed checkpoints of the ledger's Merkle tree (RFC 6962), newest first, with the public keys that "
    "verify them (Ed25519). The signature covers signed_text: origin, tree size, root hash (hex) and time "
    "(UTC), one per line.",
    tags=["ledger"],
    auth="optional",
    params=[
        {"name": "page", "in": "query", "schema": INTEGER},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    ],
    responses={
        200: "{items: [checkpoint], total, page, per_page, latest, public_keys: [{algorithm, key_id, "
        "public_key_hex, pem}], tree_size}",
        422: "Bad parameter",
    },
)
@token_optional
def ledger_checkpoints(actor: User | None):
    from . import checkpoints, merkle

    page = _int_arg("page", low=1, high=10**6, default=1)
    per_page = _int_arg("per_page", low=1, high=100, default=20)
    rows, total = checkpoints.checkpoints_page(page, per_page)
    latest = checkpoints.latest_checkpoint()
    return {
        "items": [checkpoints.checkpoint_json(cp) for cp in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
        "latest": checkpoints.checkpoint_json(latest) if latest else None,
        "public_keys": checkpoints.public_keys(),
        "tree_size": merkle.tree_head()[0],
    }


@bp.get("/ledger/entries/<int:seq>/proof")
@describe(
    "The inclusion proof of an entry (leaf seq - 1) in the Merkle tree of a given size. Regulators for the "
    "entries they see (a city's for a city regulator), admins.",
    tags=["ledger"],
    params=[_SIZE_PARAM],
    responses={
        200: _PROOF,
        401: "No or bad token",
        403: "Not a regulator or admin",
        404: "No such entry, or not in your scope",
        422: "Bad size",
    },
)
@token_required
def ledger_entry_proof(seq: int, actor: User):
    from ..core.catalog import region_in_scope

    scope = _viewer_scope(actor)
    entry = db.session.get(LedgerEntry, seq)
    if entry is None or not region_in_scope(scope, entry.seller_region):
        raise NotFound(_l("There is no such ledger entry."))
    return _proof_json(entry, _size_arg(seq))


@bp.get("/ledger/proof")
@describe(
    "Inclusion proofs of a registration's entries (registration, amendments, cancellation) by registration "
    "number. Anyone holding the certificate: give the leaf hash it prints (leaf_hash); regulators in scope "
    "and admins need no leaf hash.",
    tags=["ledger"],
    auth="optional",
    params=[
        {"name": "registration_no", "in": "query", "required": True, "schema": STRING},
        {
            "name": "leaf_hash",
            "in": "query",
            "schema": STRING,
            "description": "as printed on the certificate",
        },
        _SIZE_PARAM,
    ],
    responses={
        200: "{registration_no, tree_size, items: [proof]}",
        404: "No such registration, or not yours to see (wrong or missing leaf hash)",
        422: "Bad parameter",
    },
)
@token_optional
def ledger_registration_proof(actor: User | None):
    from sqlalchemy import select

    from ..core.catalog import region_in_scope
    from . import merkle

    regno = (request.args.get("registration_no") or "").strip()
    if not regno:
        raise ValidationError(fields={"registration_no": [_l("This field is required.")]})
    entries = list(
        db.session.scalars(
            select(LedgerEntry).where(LedgerEntry.registration_no == regno).order_by(LedgerEntry.seq)
        )
    )
    scope = ledger_scope(actor) if actor is not None else None
    presented = (request.args.get("leaf_hash") or "").strip().lower()
    visible = bool(entries) and (
        (scope is not None and all(region_in_scope(scope, e.seller_region) for e in entries))
        or any(merkle.entry_leaf_hash(services.entry_fields(e)).hex() == presented for e in entries)
    )
    if not visible:
        raise NotFound(_l("There is no such registration in the ledger, or the leaf hash does not match."))
    size = _size_arg(entries[-1].seq)
    return {
        "registration_no": regno,
        "tree_size": size,
        "items": [_proof_json(e, size) for e in entries],
    }


@bp.get("/ledger/consistency")
@describe(
    "The consistency proof (RFC 6962 PROOF) between two tree sizes: that the tree of size `to` extends the "
    "tree of size `from`. Public: it holds subtree hashes only.",
    tags=["ledger"],
    auth="optional",
    params=[
        {"name": "from", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 0}},
        {
            "name": "to",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0},
            "description": "default: now",
        },
    ],
    responses={
        200: "{from, to, from_root, to_root, proof: [hex], from_checkpoint, to_checkpoint}",
        422: "Bad sizes",
    },
)
@token_optional
def ledger_consistency(actor: User | None):
    from . import checkpoints, merkle

    current = merkle.tree_head()[0]
    new = _int_arg("to", low=0, high=current, default=current)
    raw_from = request.args.get("from", "")
    if raw_from == "":
        raise ValidationError(fields={"from": [_l("This field is required.")]})
    old = _int_arg("from", low=0, high=new)
    return checkpoints.consistency(old, new)
