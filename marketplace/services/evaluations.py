"""Evaluation of achievements (科技成果评价): an asset's owner side asks an
evaluation body; the body records TRL 1-9 (GB/T 22900), novelty, maturity, a
suggested value range (fen), its opinion and the report file, or declines.
The latest completed result shows on the asset and its listings and feeds
the search index's TRL facet."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..ip.models import IpAsset
from ..storage.uploads import attachments_of, save_upload
from . import permissions
from .models import Evaluation, ProviderProfile
from .states import EVAL_MATURITY, NOVELTY, EvaluationStatus


def ask(
    asset: IpAsset, provider: ProviderProfile, *, actor, note: str | None = None, now: datetime | None = None
) -> Evaluation:
    if not permissions.can_ask_evaluation(actor, asset):
        raise PermissionDenied(_l("Only the asset's owner side asks for its evaluation."))
    errors: dict[str, list] = {}
    if provider.kind != "evaluation" or not permissions.is_listed(provider):
        errors["provider_id"] = [_l("Choose an evaluation body.")]
    note = note.strip() if isinstance(note, str) else None
    if note and len(note) > 4000:
        errors["note"] = [_l("At most %(max)d characters.", max=4000)]
    if errors:
        raise ValidationError(fields=errors)
    lock(asset)
    waiting = db.session.scalar(
        select(func.count())
        .select_from(Evaluation)
        .where(
            Evaluation.asset_id == asset.id,
            Evaluation.provider_id == provider.id,
            Evaluation.status == EvaluationStatus.REQUESTED.value,
        )
    )
    if waiting:
        raise Conflict(
            _l("This body already has a request for this asset waiting."), code="already_requested"
        )
    evaluation = Evaluation(
        asset_id=asset.id,
        provider_id=provider.id,
        requester_org_id=actor.organization_id,
        requested_by_id=actor.id,
        note=note or None,
        status=EvaluationStatus.REQUESTED.value,
        created_at=now or utcnow(),
    )
    db.session.add(evaluation)
    db.session.flush()
    record_audit("evaluation.requested", evaluation, actor=actor, to_state=evaluation.status)
    return evaluation


def _int(value, name, errors, low, high, message):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[name] = [message]
        return None
    return value


def record_result(
    evaluation: Evaluation,
    *,
    actor,
    trl,
    novelty: str | None,
    maturity: str | None,
    value_low_fen,
    value_high_fen,
    opinion: str | None = None,
    evaluated_on: date | None = None,
    report=None,
    now: datetime | None = None,
) -> Evaluation:
    evaluation = lock(evaluation)
    if permissions.evaluation_side(actor, evaluation) != "provider":
        raise PermissionDenied(_l("Only the evaluation body records the result."))
    errors: dict[str, list] = {}
    trl = _int(trl, "trl", errors, 1, 9, _l("A technology readiness level from 1 to 9."))
    if novelty not in NOVELTY:
        errors["novelty"] = [_l("Choose the novelty.")]
    if maturity not in EVAL_MATURITY:
        errors["maturity"] = [_l("Choose the maturity.")]
    low = _int(value_low_fen, "value_low_fen", errors, 0, MAX_FEN, _l("Enter the lower value."))
    high = _int(value_high_fen, "value_high_fen", errors, 0, MAX_FEN, _l("Enter the upper value."))
    if low is not None and high is not None and high < low:
        errors["value_high_fen"] = [_l("The upper value is below the lower one.")]
    today = today_shanghai()
    evaluated_on = evaluated_on or today
    if evaluated_on > today:
        errors["evaluated_on"] = [_l("The date cannot be in the future.")]
    opinion = opinion.strip() if isinstance(opinion, str) else None
    if opinion and len(opinion) > 8000:
        errors["opinion"] = [_l("At most %(max)d characters.", max=8000)]
    if errors:
        raise ValidationError(fields=errors)
    old, new = transition(evaluation, EvaluationStatus.COMPLETED)
    evaluation.trl, evaluation.novelty, evaluation.maturity = trl, novelty, maturity
    evaluation.value_low_fen, evaluation.value_high_fen = low, high
    evaluation.opinion, evaluation.evaluated_on = opinion or None, evaluated_on
    evaluation.completed_at = now or utcnow()
    if report is not None and getattr(report, "filename", None):
        save_upload(report, subject=evaluation, actor=actor, purpose="report", field="report")
    record_audit(
        "evaluation.completed",
        evaluation,
        actor=actor,
        from_state=old.value,
        to_state=new.value,
        data={"trl": trl},
    )
    _reindex(evaluation.asset_id)
    return evaluation


def attach_report(evaluation: Evaluation, report, *, actor):
    """The body attaches (another version of) its report to a completed evaluation."""
    evaluation = lock(evaluation)
    if permissions.evaluation_side(actor, evaluation) != "provider":
        raise PermissionDenied(_l("Only the evaluation body records the result."))
    if evaluation.status != EvaluationStatus.COMPLETED:
        raise Conflict(_l("Record the result first; the report goes with it."), code="not_completed")
    attachment = save_upload(report, subject=evaluation, actor=actor, purpose="report", field="report")
    record_audit("evaluation.report_added", evaluation, actor=actor, data={"attachment_id": attachment.id})
    return attachment


def decline(evaluation: Evaluation, *, actor, reason: str) -> Evaluation:
    evaluation = lock(evaluation)
    if permissions.evaluation_side(actor, evaluation) != "provider":
        raise PermissionDenied()
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError(fields={"reason": [_l("Say why the evaluation is declined.")]})
    if len(reason) > 2000:
        raise ValidationError(fields={"reason": [_l("At most %(max)d characters.", max=2000)]})
    old, new = transition(evaluation, EvaluationStatus.DECLINED)
    evaluation.decline_reason = reason
    record_audit("evaluation.declined", evaluation, actor=actor, from_state=old.value, to_state=new.value)
    return evaluation


def _reindex(asset_id: int) -> None:
    """The listings of the asset carry its TRL in the search index: queue them again."""
    from ..listings.models import ListingAsset
    from ..search import outbox

    ids = list(db.session.scalars(select(ListingAsset.listing_id).where(ListingAsset.asset_id == asset_id)))
    for listing_id in ids:
        outbox.enqueue(listing_id)


def report_of(evaluation: Evaluation):
    files = attachments_of(evaluation, "report")
    return files[-1] if files else None


def latest_results(asset_ids: Iterable[int]) -> dict[int, Evaluation]:
    """The latest completed evaluation per asset (one query)."""
    ids = list(set(asset_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Evaluation)
        .where(Evaluation.asset_id.in_(ids), Evaluation.status == EvaluationStatus.COMPLETED.value)
        .order_by(Evaluation.evaluated_on, Evaluation.id)
    )
    out: dict[int, Evaluation] = {}
    for e in rows:
        out[e.asset_id] = e  # the later one wins
    return out


def trl_of_assets(asset_ids: Iterable[int]) -> int | None:
    """A listing's TRL: the highest of its assets' latest evaluated levels (None: not evaluated)."""
    levels = [e.trl for e in latest_results(asset_ids).values() if e.trl]
    return max(levels) if levels else None


def trl_by_listing(listing_assets: dict[int, list[int]]) -> dict[int, int | None]:
    """TRL per listing id from its asset ids: the highest of its assets' latest evaluated
    levels (None: not evaluated), in one query for all of them (columns only)."""
    ids = sorted({a for asset_ids in listing_assets.values() for a in asset_ids})
    latest: dict[int, int] = {}
    if ids:
        rows = db.session.execute(
            select(Evaluation.asset_id, Evaluation.trl)
            .where(Evaluation.asset_id.in_(ids), Evaluation.status == EvaluationStatus.COMPLETED.value)
            .order_by(Evaluation.evaluated_on, Evaluation.id)
        )
        for asset_id, trl in rows:
            latest[asset_id] = trl  # the later one wins
    out = {}
    for listing_id, asset_ids in listing_assets.items():
        levels = [latest[a] for a in asset_ids if latest.get(a)]
        out[listing_id] = max(levels) if levels else None
    return out


def visible_to(user, *, box: str = "all") -> Select:
    stmt = select(Evaluation)
    if not getattr(user, "is_authenticated", False):
        return stmt.where(False)
    providers = select(ProviderProfile.id).where(ProviderProfile.org_id == user.organization_id)
    mine = Evaluation.requester_org_id == user.organization_id
    to_us = Evaluation.provider_id.in_(providers)
    if box == "sent":
        stmt = stmt.where(mine)
    elif box == "received":
        stmt = stmt.where(to_us) if user.acts_as("provider") else stmt.where(False)
    elif not user.is_admin:
        conditions = [mine] if user.has_powers else []
        if user.acts_as("provider"):
            conditions.append(to_us)
        stmt = stmt.where(db.or_(*conditions)) if conditions else stmt.where(False)
    return stmt.order_by(Evaluation.created_at.desc(), Evaluation.id.desc())


def get_visible(evaluation_id: int, actor) -> Evaluation:
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None or not permissions.can_view_evaluation(actor, evaluation):
        raise NotFound()
    return evaluation


def of_asset(asset: IpAsset) -> list[Evaluation]:
    return list(
        db.session.scalars(
            select(Evaluation).where(Evaluation.asset_id == asset.id).order_by(Evaluation.created_at.desc())
        )
    )
