"""Bids: decided under a row lock on the session (SELECT ... FOR UPDATE), by the
server's clock (`now`, injected by tests). Each bid is at least the current price
plus the increment (the first at least the starting price); a priority holder may
match the highest bid and then leads; an accepted bid in the last N minutes moves
the end to N minutes after it; a refused bid changes nothing, so it never extends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, DomainError, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.money import for_locale, format_yuan, format_yuan_en
from ..core.timeutil import utcnow
from ..extensions import db
from . import chain
from .enrolment import bidding_org_id, enrolment_of
from .models import BiddingLogEntry, BiddingSession
from .states import BIDDING_MACHINE, BiddingStatus


class BidRefused(Conflict):
    code = "bid_refused"


@dataclass
class BidResult:
    entry: BiddingLogEntry
    session: BiddingSession
    extended: bool


def advance(session: BiddingSession, now: datetime) -> BiddingSession:
    """Under the session's lock: an announced session whose start came opens (logged),
    one whose end passed is settled. Returns the locked session."""
    lock(session)
    if session.status == "announced" and session.starts_at <= now:
        BIDDING_MACHINE.apply(session, BiddingStatus.OPEN)
        chain.append(session, "open", at=session.starts_at, amount_fen=session.starting_price_fen,
                     data={"ends_at": session.ends_at.isoformat(), "increment_fen": session.increment_fen})  # fmt: skip
    if session.status in ("announced", "open") and now >= session.effective_ends_at:
        from .settlement import settle

        settle(session, now=now)
    return session


def settle_if_due(session: BiddingSession, now: datetime | None = None) -> BiddingSession:
    """On a read: settle a session whose end passed (the first read after the end does it)."""
    now = now or utcnow()
    if session.phase(now) == "ended" and session.status in ("announced", "open"):
        try:
            with db.session.begin_nested():
                advance(session, now)
        except DomainError as exc:
            # The page still shows the ended session; `flask biddings settle` reports why.
            current_app.logger.warning("bidding %s not settled: %s", session.id, exc.message)
    return session


def settle_before_refusing(session: BiddingSession, now: datetime) -> None:
    """A bid after the end: the session is settled and that is committed at once, because
    the bid's refusal (409) rolls the request back and the settlement must stay (the issue:
    "settling happens on the first read or bid after the end")."""
    from ..core.transaction import commit_early

    if session.phase(now) == "ended" and session.status in ("announced", "open"):
        settle_if_due(session, now)
        commit_early("a bid after the end settles the session before the bid is refused")


def place_bid(session: BiddingSession, amount_fen, *, actor, now: datetime | None = None,
              client_org_id=None) -> BidResult:  # fmt: skip
    now = now or utcnow()
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValidationError(fields={"amount_fen": [_l("Give the amount in whole fen, above zero.")]})
    advance(session, now)
    if session.status != "open" or now < session.starts_at:
        raise BidRefused(_l("The bidding is not open: %(status)s.", status=session.phase_label(now).lower()),
                         code="not_open")  # fmt: skip
    try:
        org_id = bidding_org_id(session, actor, client_org_id)
    except PermissionDenied:
        org_id = None
    enrolment = enrolment_of(session, org_id)
    if enrolment is None:
        raise BidRefused(_l("Enrol and pay the deposit before bidding."), code="not_eligible")
    if not enrolment.eligible:
        raise BidRefused(
            _l("Your deposit has not been confirmed yet: no bid before it."), code="not_eligible"
        )
    current = session.current_price_fen
    leader = session.leader
    priority_match = (
        enrolment.priority
        and current is not None
        and amount_fen == current
        and leader is not None
        and leader.id != enrolment.id
        and not leader.priority
    )
    if leader is not None and leader.id == enrolment.id:
        raise BidRefused(_l("You already hold the highest bid."), code="already_leading")
    if not priority_match and amount_fen < session.min_next_bid():
        raise BidRefused(
            _l("A bid now is at least %(min)s (the current price plus the increment).",
               min=for_locale(format_yuan, format_yuan_en)(session.min_next_bid())),
            code="below_minimum",
        )  # fmt: skip
    session.current_price_fen = amount_fen
    session.bids_count += 1
    session.leader_enrolment_id = enrolment.id
    entry = chain.append(session, "bid", at=now, bidder_code=enrolment.code, amount_fen=amount_fen,
                         data={"priority_match": True} if priority_match else {})  # fmt: skip
    extended = False
    if session.effective_ends_at - now <= session.extension():
        new_end = now + session.extension()
        if new_end > session.effective_ends_at:
            session.effective_ends_at = new_end
            extended = True
            chain.append(
                session, "extension", at=now, data={"ends_at": new_end.isoformat(), "after_seq": entry.seq}
            )
    return BidResult(entry, session, extended)
