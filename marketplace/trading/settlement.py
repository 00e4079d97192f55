"""The end of a session: the highest bid at or above the reserve wins and a contract
draft is created with that price in its terms, as an accepted offer does (the same
contracts service, the same commitment on each asset); losing deposits are released
for refund at once; without a valid bid the session fails and may run again. A
winner who does not sign by `sign_by` forfeits the deposit (`flask biddings forfeit`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization, User
from ..core.errors import Conflict
from ..core.locking import lock, lock_rows
from ..core.models import record_audit
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from . import chain
from .enrolment import release_deposits
from .models import PRICE_FIELD, BiddingSession
from .sessions import setting
from .states import BIDDING_MACHINE, DEPOSIT_MACHINE, BiddingStatus, DepositStatus

_TITLE_SUFFIX = {"license": "技术许可合同", "transfer": "技术转让合同", "equity": "技术作价入股合同"}


def takes_whole_listing(listing, terms: dict[str, Any], deal) -> bool:
    """Whether the deal ends the listing (a transfer, an exclusive licence...)."""
    licence = listing.terms_for("license")
    return bool(
        deal.takes_whole_right
        or terms.get("license_type") == "exclusive"
        or (licence is not None and licence.license_type == "exclusive")
    )


def draft_contract(listing, *, buyer_org: Organization, terms: dict[str, Any], reference: str, actor,
                   today: date, extra: dict[str, Any], close_now: bool = True):  # fmt: skip
    """The contract draft of a deal decided in public trading (a bidding or a notice),
    by the service an accepted offer uses; the deal committed on each asset, the
    listing closed for a deal that takes the whole right (`close_now` False: a
    bidding's listing closes once its winner signs, see `close_if_signed`, so that
    it stays open for a session run again if the winner forfeits)."""
    from ..contracts.services import create_draft_from_deal
    from ..ip.models import IpAsset
    from ..ip.services import DealExcluded, record_committed_deal
    from ..listings.services import close_listing
    from ..offers.negotiation import deal_terms_for_check

    assets = sorted(listing.assets, key=lambda a: a.id)
    lock_rows(IpAsset, (a.id for a in assets))
    deal = deal_terms_for_check(terms, start=today)
    agency_org = listing.agency
    full_terms = {
        **terms,
        **extra,
        "listing_id": listing.id,
        "agency_org_id": agency_org.id if agency_org is not None else None,
        "agency_commission_bp": None,
        "agencies": [],
    }
    contract = create_draft_from_deal(
        seller_org=listing.organization,
        buyer_org=buyer_org,
        agency_org=agency_org,
        assets=assets,
        deal_terms=full_terms,
        title=(listing.title + _TITLE_SUFFIX[terms["deal_kind"]])[:300],
        source="offer",
        source_ref=reference,
        actor=actor,
    )
    try:
        for asset in assets:
            record_committed_deal(asset, deal, reference=reference, actor=actor, counterparty=buyer_org.name,
                                  on=today)  # fmt: skip
    except DealExcluded as exc:
        raise Conflict(exc.message, code="deal_excluded") from None
    if close_now and takes_whole_listing(listing, terms, deal):
        close_listing(listing, reason=f"{reference} contract:{contract.id}", actor=actor)
    return contract


def close_if_signed(session: BiddingSession, *, now: datetime | None = None) -> bool:
    """A settled session whose contract was signed closes its listing (for a deal that
    takes the whole right). True when it did; safe to repeat."""
    from ..contracts.models import Contract
    from ..listings.services import close_listing
    from ..offers.negotiation import deal_terms_for_check

    if session.status != "settled" or session.contract_id is None:
        return False
    contract = db.session.get(Contract, session.contract_id)
    listing = session.listing
    if (
        contract is None
        or contract.status in ("draft", "signing", "cancelled")
        or listing.status != "published"
    ):
        return False
    today = shanghai_date(now or utcnow())
    if not takes_whole_listing(
        listing, session.deal_terms, deal_terms_for_check(dict(session.deal_terms), start=today)
    ):
        return False
    close_listing(listing, reason=f"{session.reference} contract:{contract.id}",
                  actor=db.session.get(User, session.created_by_id))  # fmt: skip
    return True


def signed_to_close() -> list[int]:
    """Settled sessions whose listing is still published (their contract may be signed)."""
    from ..listings.models import Listing

    return list(
        db.session.scalars(
            select(BiddingSession.id)
            .join(Listing, Listing.id == BiddingSession.listing_id)
            .where(BiddingSession.status == "settled", Listing.status == "published")
            .order_by(BiddingSession.id)
        )
    )


def settle(session: BiddingSession, *, now: datetime | None = None) -> BiddingSession:
    """Settle a session whose effective end has passed (under its lock); settled twice is once."""
    now = now or utcnow()
    lock(session)
    if session.status not in ("announced", "open", "ended"):
        return session
    if now < session.effective_ends_at:
        raise Conflict(_l("The bidding has not ended yet."), code="not_ended")
    if session.status != "ended":
        BIDDING_MACHINE.apply(session, BiddingStatus.ENDED)
    actor = db.session.get(User, session.created_by_id)
    leader = session.leader
    reserve_met = session.reserve_fen is None or (session.current_price_fen or 0) >= session.reserve_fen
    today = shanghai_date(now)
    if leader is not None and reserve_met:
        terms = {
            **session.deal_terms,
            PRICE_FIELD[session.deal_terms["deal_kind"]]: session.current_price_fen,
        }
        contract = draft_contract(
            session.listing,
            buyer_org=leader.organization,
            terms=terms,
            reference=session.reference,
            actor=actor,
            today=today,
            extra={
                "bidding_session_id": session.id,
                "bidding_reference": session.reference,
                "starting_price_fen": session.starting_price_fen,
                "deposit_fen": session.deposit_fen,
                "trading_mode": "bidding",
            },
            close_now=False,
        )
        BIDDING_MACHINE.apply(session, BiddingStatus.SETTLED)
        session.contract_id = contract.id
        session.sign_by = today + timedelta(days=setting("BIDDING_SIGN_DAYS", 10))
        released = release_deposits(session, now=now, keep=leader.id)
        outcome = {"result": "settled", "winner": leader.code, "price_fen": session.current_price_fen,
                   "contract_id": contract.id, "released_deposits": released}  # fmt: skip
    else:
        BIDDING_MACHINE.apply(session, BiddingStatus.FAILED)
        released = release_deposits(session, now=now, keep=None)
        outcome = {"result": "failed", "reason": "below_reserve" if leader is not None else "no_bid",
                   "released_deposits": released}  # fmt: skip
    session.settled_at = now
    chain.append(session, "outcome", at=now, bidder_code=outcome.get("winner"),
                 amount_fen=session.current_price_fen, data=outcome)  # fmt: skip
    record_audit(
        "bidding.settle", session, actor=None, from_state="ended", to_state=session.status, data=outcome
    )
    return session


def due_sessions(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            select(BiddingSession.id)
            .where(
                BiddingSession.status.in_(("announced", "open", "ended")),
                BiddingSession.effective_ends_at <= now,
            )
            .order_by(BiddingSession.id)
        )
    )


def forfeit(session: BiddingSession, *, now: datetime | None = None) -> BiddingSession:
    """The winner did not sign by `sign_by`: its deposit is forfeited, the deal on the
    assets is closed again, the contract draft can no longer be signed (its checklist
    says why), and the listing, still published, may be bid on again."""
    from ..contracts.models import Contract
    from ..ip.services import close_committed_deal

    now = now or utcnow()
    lock(session)
    if session.status != "settled" or session.sign_by is None or shanghai_date(now) <= session.sign_by:
        return session
    contract = db.session.get(Contract, session.contract_id)
    if contract is not None and contract.status not in ("draft", "signing"):
        return session  # signed (or further): nothing forfeited
    actor = db.session.get(User, session.created_by_id)
    for asset in sorted(session.listing.assets, key=lambda a: a.id):
        close_committed_deal(asset, reference=session.reference, released_on=shanghai_date(now),
                             note="bidding forfeited", actor=actor)  # fmt: skip
    leader = session.leader
    if leader is not None and leader.deposit is not None and leader.deposit.status == "applied":
        DEPOSIT_MACHINE.apply(leader.deposit, DepositStatus.FORFEITED)
    BIDDING_MACHINE.apply(session, BiddingStatus.FORFEITED)
    chain.append(session, "outcome", at=now, bidder_code=leader.code if leader else None,
                 data={"result": "forfeited", "contract_id": session.contract_id})  # fmt: skip
    record_audit("bidding.forfeit", session, actor=None, from_state="settled", to_state="forfeited")
    return session


def overdue_sessions(today: date) -> list[int]:
    return list(
        db.session.scalars(
            select(BiddingSession.id)
            .where(BiddingSession.status == "settled", BiddingSession.sign_by < today)
            .order_by(BiddingSession.id)
        )
    )
