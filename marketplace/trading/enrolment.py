"""Enrolment in a bidding session and its deposit (保证金): a buyer enrols, pays by
bank transfer quoting the deposit's reference, the seller side or the listing's
agency confirms it (or pays online where Stripe is configured: online_deposits.py);
only then may the buyer bid. Bidders are known by codes."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.errors import Conflict, PermissionDenied
from ..core.locking import lock
from ..core.models import record_audit
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from . import permissions
from .models import BiddingDeposit, BiddingEnrolment, BiddingSession
from .states import DEPOSIT_MACHINE, DepositStatus


def enrolment_of(session: BiddingSession, org_id: int | None) -> BiddingEnrolment | None:
    if org_id is None:
        return None
    return db.session.scalar(
        select(BiddingEnrolment).where(
            BiddingEnrolment.session_id == session.id, BiddingEnrolment.org_id == org_id
        )
    )


def _add_enrolment(session: BiddingSession, org_id: int, *, user_id: int | None) -> BiddingEnrolment:
    """Under the session's lock: the next code, the deposit awaiting (none due: confirmed)."""
    session.enrolments_count += 1
    code = f"{session.enrolments_count:03d}"
    enrolment = BiddingEnrolment(
        session_id=session.id,
        org_id=org_id,
        user_id=user_id,
        code=code,
        priority=org_id in (session.priority_org_ids or []),
    )
    db.session.add(enrolment)
    db.session.flush()
    deposit = BiddingDeposit(
        enrolment_id=enrolment.id,
        session_id=session.id,
        amount_fen=session.deposit_fen,
        reference=f"{session.reference}-{code}",
        status=(DepositStatus.AWAITING if session.deposit_fen else DepositStatus.CONFIRMED).value,
    )
    db.session.add(deposit)
    db.session.flush()
    enrolment.deposit = deposit
    return enrolment


def bidding_org_id(session: BiddingSession, actor, client_org_id=None) -> int:
    """The organization the actor bids for: its own (a buyer), or an agency's client
    under a buyer mandate in force. Raises PermissionDenied otherwise."""
    from ..offers.mandates import mandate_in_force

    if client_org_id in (None, "") or client_org_id == getattr(actor, "organization_id", None):
        if not permissions.can_enrol(actor, session):
            raise PermissionDenied(_l("Only a buyer organization other than the seller may enrol."))
        return actor.organization_id
    whole = isinstance(client_org_id, int) and not isinstance(client_org_id, bool)
    if not (whole and permissions.can_act_for_client(actor, session, client_org_id)
            and mandate_in_force(actor.organization_id, client_org_id, "buyer") is not None):  # fmt: skip
        raise PermissionDenied(_l("Only an agency with a buyer mandate in force acts for this client."))
    return client_org_id


def agency_clients(actor, session: BiddingSession) -> list:
    """The buyer organizations an agency member may enrol in `session`: clients under a
    buyer mandate in force with the actor's agency (not the seller; invited ones only
    in a bidding among a notice's buyers), by name."""
    from ..offers.services import mandate_in_force, mandates_visible_to

    if not (getattr(actor, "is_authenticated", False) and actor.has_powers and actor.acts_as("agency")):
        return []
    clients = {}
    for mandate in db.session.scalars(mandates_visible_to(actor)):
        if (
            mandate.agency_org_id == actor.organization_id
            and mandate.side == "buyer"
            and permissions.can_act_for_client(actor, session, mandate.client_org_id)
            and mandate_in_force(actor.organization_id, mandate.client_org_id, "buyer") is not None
        ):
            clients[mandate.client_org_id] = mandate.client
    return sorted(clients.values(), key=lambda org: (org.name, org.id))


def enrol(session: BiddingSession, *, actor, payer_reference: str | None = None, client_org_id=None,
          now: datetime | None = None) -> BiddingEnrolment:  # fmt: skip
    """A buyer (or an agency for its client) enrols (again: the same enrolment). The deposit is then due."""
    now = now or utcnow()
    org_id = bidding_org_id(session, actor, client_org_id)
    lock(session)
    if session.phase(now) not in ("announced", "open") or shanghai_date(now) < session.announce_on:
        raise Conflict(_l("Enrolment is open from the announcement until the end of bidding."),
                       code="enrolment_closed")  # fmt: skip
    existing = enrolment_of(session, org_id)
    if existing is not None:
        return existing
    enrolment = _add_enrolment(session, org_id, user_id=actor.id)
    if org_id != actor.organization_id:
        enrolment.agency_org_id = actor.organization_id
    if payer_reference:
        enrolment.deposit.payer_reference = payer_reference.strip()[:100] or None
    record_audit("bidding.enrol", session, actor=actor, data={"code": enrolment.code})
    return enrolment


def confirm_deposit(deposit: BiddingDeposit, *, actor, now: datetime | None = None) -> BiddingDeposit:
    """The seller side or the agency confirms the transfer arrived. Twice is once."""
    now = now or utcnow()
    session = deposit.enrolment.session
    if not permissions.can_confirm_deposits(actor, session):
        raise PermissionDenied(_l("Only the seller side or the listing's agency confirms deposits."))
    lock(deposit)
    if deposit.status == DepositStatus.CONFIRMED.value:
        return deposit
    if deposit.method == "stripe":
        raise Conflict(_l("This deposit is paid online: Stripe confirms it."), code="deposit_online")
    if deposit.status != DepositStatus.AWAITING.value or session.phase(now) not in ("announced", "open"):
        raise Conflict(_l("This deposit can no longer be confirmed."), code="deposit_closed")
    DEPOSIT_MACHINE.apply(deposit, DepositStatus.CONFIRMED)
    deposit.confirmed_at = now
    deposit.confirmed_by_id = actor.id
    record_audit("bidding.deposit_confirmed", session, actor=actor, data={"code": deposit.enrolment.code})
    return deposit


def release_deposits(session: BiddingSession, *, now: datetime, keep: int | None) -> int:
    """Every deposit but the winner's (`keep`: its enrolment id) released for refund at once."""
    count = 0
    for deposit in db.session.scalars(
        select(BiddingDeposit).where(BiddingDeposit.session_id == session.id).order_by(BiddingDeposit.id)
    ):
        if deposit.enrolment_id == keep:
            DEPOSIT_MACHINE.apply(deposit, DepositStatus.APPLIED)
        elif deposit.status in ("awaiting", "confirmed"):
            DEPOSIT_MACHINE.apply(deposit, DepositStatus.RELEASED)
            deposit.released_at = now
            count += 1
            if deposit.method == "stripe":
                from .online_deposits import refund_due

                refund_due(deposit)  # refunded at Stripe after the commit
    return count


def deposits_of(session: BiddingSession):
    return select(BiddingDeposit).where(BiddingDeposit.session_id == session.id).order_by(BiddingDeposit.id)
