"""Incubators and the start-up technology enterprises they incubate (the plan:
2,000 by 2025). A start-up is recorded once (its USCC, checked with stdnum)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.validation import clean_uscc
from ..core.catalog import INDUSTRIES
from ..core.errors import PermissionDenied, ValidationError
from ..core.models import record_audit
from ..core.timeutil import today_shanghai
from ..extensions import db
from . import permissions
from .models import ProviderProfile, Startup

PLAN_TARGET = 2000
EARLIEST = date(1980, 1, 1)


def record_startup(
    provider: ProviderProfile,
    *,
    actor,
    name: str,
    uscc: str,
    founded_on: date | None,
    field: str,
    today: date | None = None,
) -> Startup:
    if not permissions.can_record_startups(actor, provider):
        raise PermissionDenied(_l("Only an incubator's staff record its start-ups."))
    errors: dict[str, list] = {}
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = [_l("This field is required.")]
    elif len(name) > 200:
        errors["name"] = [_l("At most %(max)d characters.", max=200)]
    try:
        code = clean_uscc(uscc)
    except ValueError as exc:
        errors["uscc"] = [exc.args[0]]
        code = None
    today = today or today_shanghai()
    if not isinstance(founded_on, date):
        errors["founded_on"] = [_l("Enter the day it was founded.")]
    elif founded_on > today or founded_on < EARLIEST:
        errors["founded_on"] = [_l("The founding day must be between 1980 and today.")]
    if field not in INDUSTRIES:
        errors["field"] = [_l("Choose the field.")]
    if code and db.session.scalar(select(func.count()).select_from(Startup).where(Startup.uscc == code)):
        errors["uscc"] = [_l("This start-up is already recorded.")]
    if errors:
        raise ValidationError(fields=errors)
    startup = Startup(
        provider_id=provider.id,
        name=name,
        uscc=code,
        founded_on=founded_on,
        field=field,
        created_by_id=actor.id,
    )
    db.session.add(startup)
    db.session.flush()
    record_audit("provider.startup_recorded", provider, actor=actor, data={"startup_id": startup.id})
    return startup


def startups_of(provider: ProviderProfile) -> list[Startup]:
    return list(
        db.session.scalars(
            select(Startup)
            .where(Startup.provider_id == provider.id)
            .order_by(Startup.founded_on.desc(), Startup.id.desc())
        )
    )


def startup_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Startup)) or 0)
