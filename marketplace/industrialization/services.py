"""The rules of industrialization reports.

An achievement (an IP asset) counts as industrialized when a registered
transfer or licence contract (equity contributions are registered as
transfers) covers it, the receiving enterprise - the contract's buyer -
reports that production started or the first sales were made, with the date
and figures, and the seller side or the contract's agency confirms it.

It counts once per asset, however many contracts cover it: the database
holds at most one confirmed report per asset (a partial unique index), so
two confirmations at the same moment cannot both succeed.

It counts for the source kind of its owner: the organization holding the
largest share (ties: the lowest organization id), taken from the owners
before this contract transferred the asset (a registered transfer moves the
asset to the buyer; the achievement still comes from the seller's side),
otherwise from the current owners. The owner and its kind are snapshotted at
confirmation, so a later change of owners or of the organization's kind does
not move a counted achievement.

Services add and flush; the caller commits. Notifications are stored with
the change and e-mailed after the request succeeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization, User
from ..contracts.models import Contract
from ..core.catalog import PROVINCE_CODE, SOURCE_KINDS
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..ip.models import IpAsset, TitleEvent
from ..notifications.services import N_, notify
from ..storage.uploads import Attachment, attachments_of, save_upload
from . import permissions
from .models import IndustrializationReport
from .states import ReportStatus, Stage

MAX_UNITS = 10**12
MAX_JOBS = 10**6
MAX_DESCRIPTION = 4000
MAX_REASON = 2000
EARLIEST_DAY = date(1990, 1, 1)
BOXES = ("all", "mine", "to_confirm")


# -- The source an achievement counts for --------------------------------------
@dataclass(frozen=True)
class Source:
    org_id: int
    kind: str
    share_bp: int


def _ip_reference(contract: Contract) -> str:
    from ..contracts.services import ip_reference

    return ip_reference(contract)


def source_owners(asset: IpAsset, contract: Contract) -> list[tuple[int, int]]:
    """[(org_id, share_bp)] of the owners the achievement comes from.

    When this contract transferred the asset (its link in the chain of title),
    the owners just before that link; otherwise the current owners.
    """
    events = list(
        db.session.scalars(select(TitleEvent).where(TitleEvent.asset_id == asset.id).order_by(TitleEvent.seq))
    )
    ref = _ip_reference(contract)
    for i, event in enumerate(events):
        if event.kind != "registration" and event.contract_ref == ref and i > 0:
            return [(int(o["org_id"]), int(o["share_bp"])) for o in events[i - 1].owners or []]
    return [(o.org_id, o.share_bp) for o in asset.owners]


def pick_source(owners: Iterable[tuple[int, int]]) -> tuple[int, int] | None:
    """The owner with the largest share; ties go to the lowest organization id."""
    ranked = sorted(owners, key=lambda pair: (-pair[1], pair[0]))
    return ranked[0] if ranked else None


def source_of(asset: IpAsset, contract: Contract) -> Source | None:
    picked = pick_source(source_owners(asset, contract))
    if picked is None:
        return None
    org = db.session.get(Organization, picked[0])
    if org is None:
        return None
    return Source(org_id=org.id, kind=org.kind, share_bp=picked[1])


# -- Counting ----------------------------------------------------------------------
def industrialized_counts(as_of: datetime | None = None) -> dict[str, int]:
    """Achievements counted as industrialized (confirmed up to `as_of`, default now),
    by the source kind snapshotted at confirmation: the ledger's targets hook.

    Exactly the keys the targets page lists ({"university", "research_institute",
    "enterprise"}); achievements of owners of another kind (an individual, an
    agency) are not part of the 600 / 300 / 300 target and are not in the dict.
    """
    stmt = select(IndustrializationReport.source_kind, func.count()).where(
        IndustrializationReport.status == ReportStatus.CONFIRMED.value
    )
    if as_of is not None:
        stmt = stmt.where(IndustrializationReport.confirmed_at <= as_of)
    rows = dict(db.session.execute(stmt.group_by(IndustrializationReport.source_kind)).all())
    return {kind: int(rows.get(kind, 0)) for kind in SOURCE_KINDS}


def other_source_count(as_of: datetime | None = None) -> int:
    """Confirmed achievements of owners outside the three sources (shown on our pages)."""
    stmt = select(func.count()).where(
        IndustrializationReport.status == ReportStatus.CONFIRMED.value,
        IndustrializationReport.source_kind.not_in(SOURCE_KINDS),
    )
    if as_of is not None:
        stmt = stmt.where(IndustrializationReport.confirmed_at <= as_of)
    return int(db.session.scalar(stmt) or 0)


def counted_report(asset_id: int) -> IndustrializationReport | None:
    return db.session.scalar(
        select(IndustrializationReport).where(
            IndustrializationReport.asset_id == asset_id,
            IndustrializationReport.status == ReportStatus.CONFIRMED.value,
        )
    )


# -- Finding things --------------------------------------------------------------
def reports_of_contract(contract: Contract) -> list[IndustrializationReport]:
    return list(
        db.session.scalars(
            select(IndustrializationReport)
            .where(IndustrializationReport.contract_id == contract.id)
            .order_by(IndustrializationReport.created_at.desc(), IndustrializationReport.id.desc())
        ).unique()
    )


def _in_region(scope: str):
    pattern = "23%" if scope == PROVINCE_CODE else scope[:4] + "%"
    return select(Organization.id).where(Organization.region_code.like(pattern))


def reports_visible_to(user: User, *, box: str = "all", status: str | None = None) -> Select:
    """The reports a user's list shows.

    `box`: "mine" - filed by the user's organization as buyer; "to_confirm" -
    waiting for the user's decision (seller side or the contract's agency);
    "all" - everything the user may see (parties, agency, regulators in scope,
    admins).
    """
    stmt = select(IndustrializationReport).join(Contract, Contract.id == IndustrializationReport.contract_id)
    org = user.organization_id
    party = user.acts_as("seller", "buyer")
    agency = user.acts_as("agency")
    if box == "mine":
        if not party:
            return stmt.where(False)
        stmt = stmt.where(IndustrializationReport.buyer_org_id == org)
    elif box == "to_confirm":
        conditions = []
        if party:
            conditions.append(Contract.seller_org_id == org)
        if agency:
            conditions.append(Contract.agency_org_id == org)
        if not conditions:
            return stmt.where(False)
        stmt = stmt.where(
            or_(*conditions),
            IndustrializationReport.status == ReportStatus.PENDING.value,
            Contract.status.in_([s.value for s in permissions.ELIGIBLE_STATUSES]),
        )
    elif user.is_admin:
        pass
    elif user.acts_as("regulator"):
        stmt = stmt.where(Contract.seller_org_id.in_(_in_region(user.scope_region or "")))
    else:
        conditions = []
        if party:
            conditions += [Contract.buyer_org_id == org, Contract.seller_org_id == org]
        if agency:
            conditions.append(Contract.agency_org_id == org)
        if not conditions:
            return stmt.where(False)
        stmt = stmt.where(or_(*conditions))
    if status:
        stmt = stmt.where(IndustrializationReport.status == status)
    return stmt.order_by(IndustrializationReport.created_at.desc(), IndustrializationReport.id.desc())


def evidence_of(report: IndustrializationReport) -> list[Attachment]:
    return attachments_of(report, "evidence")


# -- Notifications ------------------------------------------------------------------
def _members(org_id: int | None, *roles: str) -> list[User]:
    if org_id is None:
        return []
    users = db.session.scalars(select(User).where(User.organization_id == org_id)).all()
    return [u for u in users if u.is_active and u.acts_as(*roles)]


def _link(report: IndustrializationReport) -> str | None:
    try:
        return url_for("industrialization.detail", report_id=report.id)
    except RuntimeError:
        return None


def _notify(
    org_id: int | None, roles: tuple[str, ...], message: str, report: IndustrializationReport
) -> None:
    params = {"asset": report.asset.title, "contract": report.contract.title}
    for user in _members(org_id, *roles):
        notify(user, "industrialization", message, params=params, link=_link(report))


# -- Checks ----------------------------------------------------------------------
def _whole(value: Any, field: str, errors: dict[str, list], *, upper: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.setdefault(field, []).append(_l("Enter a whole number."))
        return None
    if value < 0:
        errors.setdefault(field, []).append(_l("Cannot be negative."))
        return None
    if value > upper:
        errors.setdefault(field, []).append(_l("The number is too large."))
        return None
    return value


def ensure_can_report(contract: Contract, actor: User) -> None:
    """Clear refusals for someone who may see the contract."""
    if not permissions.is_buyer(actor, contract):
        raise PermissionDenied(_l("Only the buyer of this contract can report its industrialization."))
    if not permissions.is_eligible_category(contract.category):
        raise Conflict(
            _l("Only transfer, licence and equity contracts count toward industrialized achievements."),
            code="category_not_eligible",
        )
    if contract.status not in permissions.ELIGIBLE_STATUSES:
        raise Conflict(
            _l("Industrialization is reported on registered contracts only."), code="contract_not_registered"
        )
    if not contract.asset_links:
        raise Conflict(
            _l("This contract names no IP asset, so there is no achievement to report on."),
            code="no_assets",
        )


# -- Verbs -------------------------------------------------------------------------
def report_industrialization(
    contract: Contract,
    *,
    asset_id: Any,
    stage: str,
    achieved_on: date | None,
    description: str,
    actor: User,
    output_value_fen: Any = None,
    sales_fen: Any = None,
    units: Any = None,
    jobs: Any = None,
    evidence: Iterable[FileStorage] = (),
    today: date | None = None,
) -> IndustrializationReport:
    """The buyer reports that an achievement covered by the contract went into
    production or was first sold; it waits for the seller side or the agency."""
    ensure_can_report(contract, actor)
    today = today or today_shanghai()
    errors: dict[str, list] = {}
    try:
        asset_id = int(asset_id)
    except (TypeError, ValueError):
        asset_id = None
    if asset_id is None or asset_id not in contract.asset_ids:
        errors["asset_id"] = [_l("Choose one of the IP assets this contract covers.")]
    if stage not in {s.value for s in Stage}:
        errors["stage"] = [_l("Choose production started or first sales.")]
    if achieved_on is None:
        errors["achieved_on"] = [_l("Enter the date.")]
    elif achieved_on > today:
        errors["achieved_on"] = [_l("The date cannot be in the future.")]
    elif contract.signed_on is not None and achieved_on < contract.signed_on:
        errors["achieved_on"] = [
            _l(
                "The date cannot be before the contract was signed (%(day)s).",
                day=contract.signed_on.isoformat(),
            )
        ]
    elif achieved_on < EARLIEST_DAY:
        errors["achieved_on"] = [_l("The date is too far in the past.")]
    output_value_fen = _whole(output_value_fen, "output_value_fen", errors, upper=MAX_FEN)
    sales_fen = _whole(sales_fen, "sales_fen", errors, upper=MAX_FEN)
    units = _whole(units, "units", errors, upper=MAX_UNITS)
    jobs = _whole(jobs, "jobs", errors, upper=MAX_JOBS)
    figure_fields = ("output_value_fen", "sales_fen", "units")
    if (
        not any(f in errors for f in figure_fields)
        and output_value_fen is None
        and sales_fen is None
        and units is None
    ):
        errors["output_value_fen"] = [_l("Give at least one figure: output value, sales or units produced.")]
    if stage == Stage.FIRST_SALES and "sales_fen" not in errors and not sales_fen:
        errors["sales_fen"] = [_l("First sales need the sales amount.")]
    description = (description or "").strip()
    if not description:
        errors["description"] = [_l("Describe what was produced or sold.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_l("At most %(n)s characters.", n=MAX_DESCRIPTION)]
    if errors:
        raise ValidationError(fields=errors)
    counted = counted_report(asset_id)
    if counted is not None:
        raise Conflict(
            _l("This achievement is already counted as industrialized (report %(id)s).", id=counted.id),
            code="already_counted",
        )
    report = IndustrializationReport(
        contract_id=contract.id,
        asset_id=asset_id,
        buyer_org_id=contract.buyer_org_id,
        status=ReportStatus.PENDING.value,
        stage=stage,
        achieved_on=achieved_on,
        output_value_fen=output_value_fen,
        sales_fen=sales_fen,
        units=units,
        jobs=jobs,
        description=description,
        reported_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(report)
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _l("A report on this asset under this contract already waits for confirmation."),
            code="report_pending",
        ) from None
    for file in evidence or ():
        if file is not None and file.filename:
            save_upload(file, subject=report, actor=actor, purpose="evidence", field="evidence")
    record_audit(
        "industrialization.reported",
        report,
        actor=actor,
        to_state=report.status,
        data={"contract_id": contract.id, "asset_id": asset_id, "stage": stage},
    )
    message = N_(
        "The buyer reports that “%(asset)s” under “%(contract)s” was industrialized: please confirm."
    )
    _notify(contract.seller_org_id, ("seller",), message, report)
    _notify(contract.agency_org_id, ("agency",), message, report)
    return report


def add_evidence(report: IndustrializationReport, file: FileStorage, *, actor: User) -> Attachment:
    if not permissions.can_add_evidence(actor, report):
        raise PermissionDenied(
            _l("Only the buyer can add evidence, while the report waits for confirmation.")
        )
    attachment = save_upload(file, subject=report, actor=actor, purpose="evidence", field="evidence")
    record_audit(
        "industrialization.evidence_added", report, actor=actor, data={"attachment_id": attachment.id}
    )
    return attachment


def _decider(report: IndustrializationReport, actor: User) -> str:
    side = permissions.confirmer_side(actor, report.contract)
    if side is None:
        raise PermissionDenied(
            _l("Only the seller or the contract's agency can confirm or return an industrialization report.")
        )
    return side


def confirm_report(
    report: IndustrializationReport, *, actor: User, now: datetime | None = None
) -> IndustrializationReport:
    """The seller side or the agency confirms: the achievement now counts, once,
    for the source kind of its owner."""
    side = _decider(report, actor)
    report = lock(report)
    if report.status != ReportStatus.PENDING:
        raise Conflict(_l("This report was already decided."), code="invalid_transition")
    if report.contract.status not in permissions.ELIGIBLE_STATUSES:
        raise Conflict(
            _l("The contract is no longer registered as it was: this report cannot be confirmed."),
            code="contract_not_registered",
        )
    counted = counted_report(report.asset_id)
    if counted is not None:
        raise Conflict(
            _l("This achievement is already counted as industrialized (report %(id)s).", id=counted.id),
            code="already_counted",
        )
    source = source_of(report.asset, report.contract)
    if source is None:
        raise Conflict(_l("The asset has no owner on record."), code="no_owner")
    moment = now or utcnow()
    src, dst = transition(report, ReportStatus.CONFIRMED)
    report.decided_at = moment
    report.confirmed_at = moment
    report.decided_by_id = actor.id
    report.decided_as = side
    report.source_org_id = source.org_id
    report.source_kind = source.kind
    report.source_share_bp = source.share_bp
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _l("This achievement was just counted through another report."), code="already_counted"
        ) from None
    record_audit(
        "industrialization.confirmed",
        report,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"as": side, "source_org_id": source.org_id, "source_kind": source.kind},
    )
    _notify(
        report.buyer_org_id,
        ("buyer", "seller"),
        N_("Your industrialization report on “%(asset)s” (“%(contract)s”) was confirmed."),
        report,
    )
    return report


def return_report(
    report: IndustrializationReport, *, reason: str, actor: User, now: datetime | None = None
) -> IndustrializationReport:
    """The seller side or the agency sends the report back, saying why."""
    side = _decider(report, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": [_l("Say why the report is returned.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError(fields={"reason": [_l("At most %(n)s characters.", n=MAX_REASON)]})
    report = lock(report)
    src, dst = transition(report, ReportStatus.RETURNED)
    report.decided_at = now or utcnow()
    report.decided_by_id = actor.id
    report.decided_as = side
    report.return_reason = reason
    db.session.flush()
    record_audit(
        "industrialization.returned",
        report,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"as": side, "reason": reason},
    )
    _notify(
        report.buyer_org_id,
        ("buyer", "seller"),
        N_("Your industrialization report on “%(asset)s” (“%(contract)s”) was returned: see the reason."),
        report,
    )
    return report


def get_report(report_id: Any) -> IndustrializationReport:
    try:
        report = db.session.get(IndustrializationReport, int(report_id))
    except (TypeError, ValueError):
        report = None
    if report is None:
        raise NotFound()
    return report


def eligible_contracts_for(user: User) -> list[Contract]:
    """The buyer's registered transfer and licence contracts with assets (to report on)."""
    if not user.acts_as("seller", "buyer"):
        return []
    contracts = db.session.scalars(
        select(Contract)
        .where(
            Contract.buyer_org_id == user.organization_id,
            Contract.status.in_([s.value for s in permissions.ELIGIBLE_STATUSES]),
            or_(
                Contract.category.like("transfer\\_%", escape="\\"),
                Contract.category.like("license\\_%", escape="\\"),
            ),
        )
        .order_by(Contract.id.desc())
        .limit(100)
    ).unique()
    return [c for c in contracts if c.asset_links]
