"""Service providers: the profile of a provider organization, its services with
price ranges (fen) and turnaround, the catalogue and the ratings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select

from ..accounts.models import Organization, OrgStatus
from ..core.catalog import PROVINCE_CODE, REGIONS
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN
from ..extensions import db
from . import permissions
from .models import ProviderProfile, ProviderService, ServiceRequest
from .states import PROVIDER_KINDS, RequestStatus

MAX_TEXT = 4000


def profile_of_org(org_id: int | None) -> ProviderProfile | None:
    if org_id is None:
        return None
    return db.session.scalar(select(ProviderProfile).where(ProviderProfile.org_id == org_id))


def _text(value, name, errors, *, limit=MAX_TEXT, required=False):
    value = value.strip() if isinstance(value, str) else None
    if required and not value:
        errors[name] = [_l("This field is required.")]
    elif value and len(value) > limit:
        errors[name] = [_l("At most %(max)d characters.", max=limit)]
    return value or None


def save_profile(
    actor,
    *,
    kind: str,
    description_zh: str,
    description_en: str | None = None,
    qualifications: str | None = None,
    contact: str | None = None,
) -> ProviderProfile:
    """Create or update the profile of the actor's own organization."""
    if not permissions.can_have_profile(actor):
        raise PermissionDenied(_l("Only staff of an approved service provider keep a provider profile."))
    errors: dict[str, list] = {}
    if kind not in PROVIDER_KINDS:
        errors["kind"] = [_l("Choose what the provider does.")]
    elif actor.organization.kind != "service_provider" and kind != "finance":
        errors["kind"] = [_l("A financial institution is listed as a financial institution.")]
    elif actor.organization.kind == "service_provider" and kind == "finance":
        errors["kind"] = [_l("Financial institutions are organizations of a finance kind.")]
    values = {
        "description_zh": _text(description_zh, "description_zh", errors, required=True),
        "description_en": _text(description_en, "description_en", errors),
        "qualifications": _text(qualifications, "qualifications", errors),
        "contact": _text(contact, "contact", errors, limit=200),
    }
    if errors:
        raise ValidationError(fields=errors)
    profile = profile_of_org(actor.organization_id)
    if profile is None:
        profile = ProviderProfile(org_id=actor.organization_id, kind=kind, **values)
        db.session.add(profile)
        db.session.flush()
        record_audit("provider.created", profile, actor=actor)
        return profile
    profile = lock(profile)
    profile.kind = kind
    for k, v in values.items():
        setattr(profile, k, v)
    record_audit("provider.updated", profile, actor=actor)
    db.session.flush()
    return profile


def _fen(value, name, errors):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = [_l("A whole number of fen.")]
        return None
    if value < 0 or value > MAX_FEN:
        errors[name] = [_l("The amount is out of range.")]
        return None
    return value


def add_service(
    provider: ProviderProfile,
    *,
    actor,
    name_zh: str,
    name_en: str | None = None,
    description: str | None = None,
    price_low_fen: int | None = None,
    price_high_fen: int | None = None,
    turnaround_days: int | None = None,
) -> ProviderService:
    if not permissions.can_edit_profile(actor, provider):
        raise PermissionDenied()
    errors: dict[str, list] = {}
    name_zh = _text(name_zh, "name_zh", errors, limit=200, required=True)
    name_en = _text(name_en, "name_en", errors, limit=300)
    description = _text(description, "description", errors)
    low = _fen(price_low_fen, "price_low_fen", errors)
    high = _fen(price_high_fen, "price_high_fen", errors)
    if low is not None and high is not None and high < low:
        errors["price_high_fen"] = [_l("The upper price is below the lower one.")]
    if turnaround_days is not None and (
        not isinstance(turnaround_days, int) or not 0 < turnaround_days <= 3650
    ):
        errors["turnaround_days"] = [_l("Between 1 and 3,650 days.")]
    if errors:
        raise ValidationError(fields=errors)
    service = ProviderService(
        provider_id=provider.id,
        name_zh=name_zh,
        name_en=name_en,
        description=description,
        price_low_fen=low,
        price_high_fen=high,
        turnaround_days=turnaround_days,
    )
    db.session.add(service)
    db.session.flush()
    record_audit("provider.service_added", provider, actor=actor, data={"service_id": service.id})
    return service


def remove_service(service: ProviderService, *, actor) -> None:
    if not permissions.can_edit_profile(actor, service.provider):
        raise PermissionDenied()
    service = lock(service)
    service.active = False
    record_audit("provider.service_removed", service.provider, actor=actor, data={"service_id": service.id})


# -- Catalogue ------------------------------------------------------------------
@dataclass(frozen=True)
class Rating:
    average: float | None
    ratings: int
    completed: int


def ratings_for(provider_ids) -> dict[int, Rating]:
    """Average rating, how many ratings and how many completed requests, per provider (one query)."""
    ids = list(provider_ids)
    if not ids:
        return {}
    stmt = (
        select(
            ServiceRequest.provider_id,
            func.avg(ServiceRequest.rating),
            func.count(ServiceRequest.rating),
            func.count(ServiceRequest.id),
        )
        .where(ServiceRequest.provider_id.in_(ids), ServiceRequest.status == RequestStatus.COMPLETED.value)
        .group_by(ServiceRequest.provider_id)
    )
    found = {
        pid: Rating(round(float(avg), 1) if avg is not None else None, int(n), int(done))
        for pid, avg, n, done in db.session.execute(stmt)
    }
    return {pid: found.get(pid, Rating(None, 0, 0)) for pid in ids}


def catalogue_stmt(*, kind: str | None = None, region: str | None = None, q: str | None = None) -> Select:
    stmt = (
        select(ProviderProfile)
        .join(Organization, Organization.id == ProviderProfile.org_id)
        .where(Organization.status == OrgStatus.APPROVED.value)
    )
    if kind:
        stmt = stmt.where(ProviderProfile.kind == kind)
    if region:
        if region == PROVINCE_CODE:
            stmt = stmt.where(Organization.region_code.like("23%"))
        else:
            stmt = stmt.where(Organization.region_code == region)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        services = select(ProviderService.provider_id).where(
            ProviderService.name_zh.ilike(pattern, escape="\\")
        )
        stmt = stmt.where(
            or_(
                Organization.name.ilike(pattern, escape="\\"),
                ProviderProfile.description_zh.ilike(pattern, escape="\\"),
                ProviderProfile.id.in_(services),
            )
        )
    return stmt.order_by(Organization.name, ProviderProfile.id)


def read_catalogue_args(args) -> tuple[dict[str, Any], dict[str, list]]:
    errors: dict[str, list] = {}
    kind = args.get("kind") or None
    if kind and kind not in PROVIDER_KINDS:
        errors["kind"] = [_l("Unknown provider kind.")]
        kind = None
    region = args.get("region") or None
    if region and region not in REGIONS:
        errors["region"] = [_l("Unknown region code.")]
        region = None
    q = (args.get("q") or "").strip()[:100] or None
    return {"kind": kind, "region": region, "q": q}, errors


def evaluation_bodies() -> list[ProviderProfile]:
    return list(db.session.scalars(catalogue_stmt(kind="evaluation")))


def get_listed(provider_id: int, actor=None) -> ProviderProfile:
    provider = db.session.get(ProviderProfile, provider_id)
    if provider is None or not permissions.can_view_provider(actor, provider):
        raise NotFound()
    return provider


def active_services(provider: ProviderProfile) -> list[ProviderService]:
    return [s for s in provider.services if s.active]


def ensure_service_of(provider: ProviderProfile, service_id: int | None) -> ProviderService | None:
    if service_id is None:
        return None
    service = db.session.get(ProviderService, service_id)
    if service is None or service.provider_id != provider.id or not service.active:
        raise ValidationError(fields={"service_id": [_l("Choose one of this provider's services.")]})
    return service
