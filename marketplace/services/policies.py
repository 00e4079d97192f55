"""The policy library: documents with their applicability, a history of edits,
search (LIKE over titles and summaries in both languages) and the policies
that apply to a listing or a contract. Services add and flush; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from ..contracts.codes import CATEGORIES
from ..core.catalog import PROVINCE_CODE, REGIONS
from ..core.errors import PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.timeutil import today_shanghai
from ..extensions import db
from ..ip.states import DEAL_KIND_LABELS
from ..storage.uploads import attachments_of, save_upload
from . import permissions
from .models import Policy, PolicyRevision
from .states import POLICY_LEVELS, POLICY_TOPICS, SELLER_KINDS

EDITABLE = (
    "level",
    "region_code",
    "issuer",
    "issuer_en",
    "doc_no",
    "issued_on",
    "effective_on",
    "expires_on",
    "in_force",
    "topics",
    "title_zh",
    "title_en",
    "summary_zh",
    "summary_en",
    "caveat_zh",
    "caveat_en",
    "full_text",
    "source_url",
    "deal_kinds",
    "contract_categories",
    "seller_kinds",
    "regions",
    "needs_registration",
)
REQUIRED = ("level", "issuer", "issued_on", "title_zh", "summary_zh")
LIMITS = {"issuer": 200, "issuer_en": 300, "doc_no": 100, "title_zh": 300, "title_en": 400, "source_url": 500}


def _codes(values, allowed, name, errors) -> list[str]:
    values = list(values or [])
    bad = [v for v in values if v not in allowed]
    if bad:
        errors[name] = [_l("Unknown value: %(values)s.", values=", ".join(map(str, bad)))]
    return sorted(set(values), key=list(allowed).index) if not bad else values


def clean(data: dict[str, Any]) -> dict[str, Any]:
    """Check a policy's fields all at once; ValidationError with every field's message."""
    errors: dict[str, list] = {}
    out = {k: data.get(k) for k in EDITABLE if k in data}
    for name in (
        "issuer",
        "issuer_en",
        "doc_no",
        "title_zh",
        "title_en",
        "summary_zh",
        "summary_en",
        "caveat_zh",
        "caveat_en",
        "full_text",
        "source_url",
    ):
        if name in out:
            value = out[name]
            value = value.strip() if isinstance(value, str) else value
            out[name] = value or None
            if name in LIMITS and value and len(value) > LIMITS[name]:
                errors[name] = [_l("At most %(max)d characters.", max=LIMITS[name])]
    for name in REQUIRED:
        if name in data and out.get(name) in (None, ""):
            errors[name] = [_l("This field is required.")]
    if "level" in out and out["level"] and out["level"] not in POLICY_LEVELS:
        errors["level"] = [_l("Choose national, provincial or city.")]
    if "region_code" in out:
        out["region_code"] = out["region_code"] or "000000"
        if out["region_code"] != "000000" and out["region_code"] not in REGIONS:
            errors["region_code"] = [_l("Unknown region code.")]
    if out.get("level") == "city" and out.get("region_code") in (None, "000000", PROVINCE_CODE):
        errors.setdefault("region_code", []).append(_l("A city's policy needs the city."))
    url = out.get("source_url")
    if url and not (url.startswith("https://") or url.startswith("http://")):
        errors["source_url"] = [_l("The source link must start with http:// or https://.")]
    for name, allowed in (
        ("topics", POLICY_TOPICS),
        ("deal_kinds", DEAL_KIND_LABELS),
        ("contract_categories", CATEGORIES),
        ("seller_kinds", SELLER_KINDS),
        ("regions", REGIONS),
    ):
        if name in out:
            out[name] = _codes(out[name], allowed, name, errors)
    issued, effective, expires = out.get("issued_on"), out.get("effective_on"), out.get("expires_on")
    if effective and expires and expires < effective:
        errors["expires_on"] = [_l("The expiry date is before the effective date.")]
    if issued and effective and effective < issued:
        errors["effective_on"] = [_l("A policy takes effect on or after the day it is issued.")]
    for name in ("in_force", "needs_registration"):
        if name in out:
            out[name] = bool(out[name])
    if errors:
        raise ValidationError(fields=errors)
    return out


def create_policy(data: dict[str, Any], *, actor, attachment=None) -> Policy:
    if not permissions.can_manage_policies(actor):
        raise PermissionDenied()
    missing = {name: [_l("This field is required.")] for name in REQUIRED if not data.get(name)}
    values = {}
    try:
        values = clean(data)
    except ValidationError as exc:
        missing.update(exc.fields)
    if missing:
        raise ValidationError(fields=missing)
    policy = Policy(created_by_id=actor.id, revision=1, **values)
    db.session.add(policy)
    db.session.flush()
    if attachment is not None and getattr(attachment, "filename", None):
        save_upload(attachment, subject=policy, actor=actor, purpose="policy_text", field="attachment")
    record_audit("policy.created", policy, actor=actor)
    return policy


def snapshot(policy: Policy) -> dict[str, Any]:
    out = {}
    for name in EDITABLE:
        value = getattr(policy, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def update_policy(policy: Policy, data: dict[str, Any], *, actor, attachment=None) -> Policy:
    """Edit a policy; what it said before is kept as a revision (the history)."""
    if not permissions.can_manage_policies(actor):
        raise PermissionDenied()
    values = clean(data)
    policy = lock(policy)
    before = snapshot(policy)
    changed = [k for k, v in values.items() if getattr(policy, k) != v]
    if not changed and not (attachment is not None and getattr(attachment, "filename", None)):
        return policy
    db.session.add(
        PolicyRevision(
            policy_id=policy.id, seq=policy.revision, edited_by_id=actor.id, changed=changed, snapshot=before
        )
    )
    for k in changed:
        setattr(policy, k, values[k])
    policy.revision += 1
    if attachment is not None and getattr(attachment, "filename", None):
        save_upload(attachment, subject=policy, actor=actor, purpose="policy_text", field="attachment")
    record_audit("policy.updated", policy, actor=actor, data={"changed": changed})
    db.session.flush()
    return policy


def attachments(policy: Policy):
    return attachments_of(policy, "policy_text")


# -- Search -------------------------------------------------------------------
@dataclass
class PolicyQuery:
    q: str = ""
    level: str | None = None
    topic: str | None = None
    region: str | None = None
    in_force: bool | None = None
    errors: dict[str, list] = field(default_factory=dict)


def read_query(args) -> PolicyQuery:
    """The filters of a query string; unknown values are reported (the API answers 422)."""
    query = PolicyQuery(q=(args.get("q") or "").strip()[:200])
    level = args.get("level") or None
    if level and level not in POLICY_LEVELS:
        query.errors["level"] = [_l("Choose national, provincial or city.")]
    else:
        query.level = level
    topic = args.get("topic") or None
    if topic and topic not in POLICY_TOPICS:
        query.errors["topic"] = [_l("Unknown topic.")]
    else:
        query.topic = topic
    region = args.get("region") or None
    if region and region not in REGIONS:
        query.errors["region"] = [_l("Unknown region code.")]
    else:
        query.region = region
    raw = (args.get("in_force") or "").lower()
    if raw in ("true", "1", "yes", "y"):
        query.in_force = True
    elif raw in ("false", "0", "no", "n"):
        query.in_force = False
    elif raw:
        query.errors["in_force"] = [_l("Use true or false.")]
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_stmt(query: PolicyQuery, *, today: date | None = None) -> Select:
    today = today or today_shanghai()
    stmt = select(Policy)
    if query.q:
        for word in query.q.split()[:6]:
            pattern = f"%{_escape_like(word)}%"
            stmt = stmt.where(
                or_(
                    *(
                        col.ilike(pattern, escape="\\")
                        for col in (
                            Policy.title_zh,
                            Policy.title_en,
                            Policy.summary_zh,
                            Policy.summary_en,
                            Policy.doc_no,
                            Policy.issuer,
                        )
                    )
                )
            )
    if query.level:
        stmt = stmt.where(Policy.level == query.level)
    if query.region:
        # A city's policies and those of the province and the nation that cover it.
        stmt = stmt.where(Policy.region_code.in_(["000000", PROVINCE_CODE, query.region]))
    if query.in_force is not None:
        live = (
            (Policy.in_force.is_(True))
            & or_(Policy.effective_on.is_(None), Policy.effective_on <= today)
            & or_(Policy.expires_on.is_(None), Policy.expires_on >= today)
        )
        stmt = stmt.where(live if query.in_force else ~live)
    return stmt.order_by(Policy.issued_on.desc(), Policy.id.desc())


def filter_topic(policies, topic: str | None):
    return [p for p in policies if not topic or topic in (p.topics or [])]


def search(query: PolicyQuery, page: int, per_page: int, *, today: date | None = None):
    """A page of policies. Topics live in a JSON list: filtered in Python over the
    (small) set the SQL filters leave, so the count stays exact."""
    from ..core.pagination import Page

    rows = list(db.session.scalars(search_stmt(query, today=today)))
    rows = filter_topic(rows, query.topic)
    start = (page - 1) * per_page
    return Page(items=rows[start : start + per_page], total=len(rows), page=page, per_page=per_page)


# -- What applies to an object ---------------------------------------------------
@dataclass(frozen=True)
class Facts:
    """What applicability looks at: the object's deal kinds, category, seller kind,
    region, day and whether it is a registered contract."""

    deal_kinds: tuple[str, ...] = ()
    category: str | None = None
    seller_kind: str | None = None
    region: str | None = None
    on: date | None = None
    registered: bool = False


def applies(policy: Policy, facts: Facts) -> bool:
    day = facts.on or today_shanghai()
    if not policy.in_force_on(day):
        return False
    if policy.needs_registration and not facts.registered:
        return False
    if policy.deal_kinds and not set(policy.deal_kinds) & set(facts.deal_kinds):
        return False
    if policy.contract_categories and facts.category not in policy.contract_categories:
        return False
    if policy.seller_kinds and facts.seller_kind not in policy.seller_kinds:
        return False
    if policy.regions:
        region = facts.region or ""
        if not any(r == region or (r == PROVINCE_CODE and region.startswith("23")) for r in policy.regions):
            return False
    if policy.level == "city" and policy.region_code != (facts.region or ""):
        return False
    return True


def applicable(facts: Facts) -> list[Policy]:
    """Policies in force on the day that apply to those facts (one query)."""
    rows = db.session.scalars(
        select(Policy).where(Policy.in_force.is_(True)).order_by(Policy.issued_on.desc())
    )
    return [p for p in rows if applies(p, facts)]


def facts_of_listing(listing, today: date | None = None) -> Facts:
    return Facts(
        deal_kinds=tuple(listing.deal_kinds),
        seller_kind=listing.organization.kind if listing.organization else None,
        region=listing.region_code or (listing.organization.region_code if listing.organization else None),
        on=today or today_shanghai(),
        registered=False,
    )


DEAL_KIND_OF_CATEGORY = {"transfer": "transfer", "license": "license"}


def facts_of_contract(contract, today: date | None = None) -> Facts:
    category = contract.category or ""
    kinds = tuple(v for k, v in DEAL_KIND_OF_CATEGORY.items() if category.startswith(k + "_"))
    terms = contract.terms or {}
    if isinstance(terms, dict) and terms.get("deal_kind") == "equity":
        kinds += ("equity",)
    return Facts(
        deal_kinds=kinds,
        category=contract.category,
        seller_kind=contract.seller_org.kind,
        region=contract.seller_org.region_code,
        on=contract.signed_on or today or today_shanghai(),
        registered=bool(contract.registration_no),
    )
