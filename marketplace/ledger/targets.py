"""The province's plan targets: values recorded by regulators, their history and
the latest value of each."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from ..accounts.models import User
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.timeutil import to_shanghai, utcnow
from ..extensions import db
from .append import is_int
from .catalog import (
    TARGETS_BY_CODE,
)
from .models import TargetValue
from .permissions import can_record_targets


def record_target_value(
    target: str, *, value: int, measured_on: date, source: str, actor: User
) -> TargetValue:
    """Enter a plan target's value (a count, or basis points for a share) as
    of ``measured_on``, with its source. Earlier values stay in the history."""
    if not can_record_targets(actor):
        raise PermissionDenied(_l("Only the provincial registration authority enters target values."))
    spec = TARGETS_BY_CODE.get(target)
    if spec is None:
        raise NotFound(_l("There is no such target."))
    errors: dict[str, list] = {}
    if not is_int(value) or value < 0:
        errors["value"] = [_l("Enter a number that is not negative.")]
    elif spec.unit == "share_bp" and value > 10_000:
        errors["value"] = [_l("A share is at most 100 per cent.")]
    elif value > 10**9:
        errors["value"] = [_l("The number is too large.")]
    source = (source or "").strip()
    if not source:
        errors["source"] = [_l("Name the source of the figure.")]
    elif len(source) > 300:
        errors["source"] = [_l("At most 300 characters.")]
    if not isinstance(measured_on, date):
        errors["measured_on"] = [_l("Enter the date the figure refers to.")]
    elif measured_on > to_shanghai(utcnow()).date():
        errors["measured_on"] = [_l("The date cannot be in the future.")]
    if errors:
        raise ValidationError(fields=errors)
    row = TargetValue(
        target=target, value=value, measured_on=measured_on, source=source, recorded_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    return row


def target_history(target: str) -> list[TargetValue]:
    return list(
        db.session.scalars(
            select(TargetValue)
            .where(TargetValue.target == target)
            .order_by(TargetValue.recorded_at.desc(), TargetValue.id.desc())
        )
    )


def latest_target_values() -> dict[str, TargetValue]:
    """The latest entered value of each target (by the time it was entered)."""
    latest = (
        select(TargetValue.target, func.max(TargetValue.id).label("id"))
        .group_by(TargetValue.target)
        .subquery()
    )
    rows = db.session.scalars(select(TargetValue).join(latest, and_(TargetValue.id == latest.c.id)))
    return {row.target: row for row in rows}
