"""Disposal of a defaulted loan's pledged assets through the platform's public trading.

The bank puts the assets up for sale, choosing the mode (网络竞价 online bidding, or
挂牌公示 public listing with notice) and the price; its pledges stay in the IP
register but now let a transfer through (ip: ``open_pledge_for_sale``), the sale
paying the pledgee first. The owner side, the pledgor and seller of record (Civil
Code art. 436: the pledgee sells by agreement with the pledgor), starts the sale on
its published listing of those assets, through trading's own services, or refuses
with a reason. The outcome is read from trading: a winning price (and the contract
draft it created) is recorded against the loan as proceeds, the pledges are released
and the loan becomes ``disposed``; no buyer, and the pledges refuse transfers again.

Every decision locks the disposal's row (the loan's too where the loan changes).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN, format_yuan
from ..core.states import transition
from ..core.timeutil import shanghai_date, start_of_day_utc, utcnow
from ..extensions import db
from ..ip.encumbrances import close_pledge_sale, open_pledge_for_sale, release_encumbrance
from ..ip.models import Encumbrance
from ..listings.models import Listing
from ..notifications.services import N_
from ..trading import bidding as trading_bidding
from ..trading import clock as trading_clock
from ..trading import notices as trading_notices
from ..trading import sessions as trading_sessions
from . import permissions
from .checks import text as _text
from .checks import whole as _whole
from .loans import _notify
from .models import DefaultProceeds, Disposal, PledgeLoan
from .states import DisposalMode, DisposalStatus, LoanStatus

MAX_HOURS = 24 * 30
#: Bidding opens at 09:00 Shanghai time (01:00 UTC) on the first day the announcement allows.
OPENING_HOUR_UTC = 1


def _record(action: str, disposal: Disposal, actor, src=None, dst=None, **data) -> None:
    """On the disposal (its states) and in the loan's history (the loan's states are its own)."""
    states = {
        "from_state": src.value if src is not None else None,
        "to_state": dst.value if dst is not None else None,
    }
    record_audit(action, disposal, actor=actor, data=data or None, **states)
    record_audit(
        action,
        disposal.loan,
        actor=actor,
        data={
            "disposal_id": disposal.id,
            "disposal_from": states["from_state"],
            "disposal_to": states["to_state"],
            **data,
        },
    )


def _pledges(loan: PledgeLoan) -> list[Encumbrance]:
    out = []
    for link in sorted(loan.asset_links, key=lambda link: link.asset_id):
        enc = db.session.get(Encumbrance, link.encumbrance_id) if link.encumbrance_id else None
        if enc is not None and not enc.is_released:
            out.append(enc)
    return out


# -- the bank ----------------------------------------------------------------------------
def request_disposal(
    loan: PledgeLoan,
    *,
    mode: Any,
    price_fen: Any,
    actor: User,
    increment_fen: Any = None,
    deposit_fen: Any = None,
    duration_hours: Any = None,
    notice_days: Any = None,
    note: Any = None,
) -> Disposal:
    """The bank puts a defaulted loan's pledged assets up for sale in public trading."""
    if not permissions.is_bank(actor, loan):
        raise PermissionDenied(_l("Only the loan's bank puts the pledged assets up for sale."))
    errors: dict[str, list] = {}
    if mode not in {m.value for m in DisposalMode}:
        errors["mode"] = [_l("Choose online bidding or a public listing with notice.")]
    price = _whole(price_fen, "price_fen", errors, low=1, high=MAX_FEN)
    increment = deposit = hours = days = None
    if mode == DisposalMode.BIDDING:
        increment = _whole(increment_fen, "increment_fen", errors, low=1, high=MAX_FEN)
        deposit = _whole(deposit_fen, "deposit_fen", errors, low=0, high=MAX_FEN)
        hours = _whole(duration_hours, "duration_hours", errors, low=24, high=MAX_HOURS)
        if price is not None and deposit is not None and not price * 5 <= deposit * 100 <= price * 20:
            errors.setdefault("deposit_fen", []).append(
                _l("The deposit is 5 to 20 percent of the starting price.")
            )
    elif mode == DisposalMode.NOTICE:
        low, high = trading_notices.notice_limits()
        days = _whole(notice_days, "notice_days", errors, low=low, high=high)
    note_text = _text(note, "note", errors, required=False)
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    if loan.status != LoanStatus.DEFAULTED:
        raise Conflict(
            _l("Only a defaulted loan's pledged assets are put up for sale."), code="invalid_transition"
        )
    if loan.live_disposal is not None:
        raise Conflict(_l("A sale of these assets is already under way."), code="disposal_under_way")
    pledges = _pledges(loan)
    if not pledges:
        raise Conflict(_l("No pledge of this loan is in force any more."), code="no_pledge")
    disposal = Disposal(
        status=DisposalStatus.REQUESTED.value,
        mode=mode,
        price_fen=price,
        increment_fen=increment,
        deposit_fen=deposit,
        duration_hours=hours,
        notice_days=days,
        note=note_text,
        requested_by_id=actor.id,
    )
    loan.disposals.append(disposal)
    db.session.flush()
    for enc in pledges:
        open_pledge_for_sale(enc, reference=disposal.reference, actor=actor)
    _record(
        "finance.disposal_requested",
        disposal,
        actor,
        None,
        DisposalStatus.REQUESTED,
        mode=mode,
        price_fen=price,
    )
    _notify(
        loan.applicant_org_id,
        "seller",
        N_("%(bank)s puts the pledged assets of loan #%(id)s up for sale: please start the sale."),
        loan,
    )
    return disposal


def cancel_disposal(disposal: Disposal, *, actor: User) -> Disposal:
    """The bank gives up a sale the owner side has not started; the pledges block transfers again."""
    if not permissions.is_bank(actor, disposal.loan):
        raise PermissionDenied(_l("Only the loan's bank gives up the sale."))
    disposal = lock(disposal)
    src, dst = transition(
        disposal, DisposalStatus.CANCELLED, message=_l("Only a sale not yet started can be given up.")
    )
    disposal.decided_at = utcnow()
    for enc in _pledges(disposal.loan):
        close_pledge_sale(enc, actor=actor)
    _record("finance.disposal_cancelled", disposal, actor, src, dst)
    return disposal


# -- the owner side -----------------------------------------------------------------------
def refuse_disposal(disposal: Disposal, *, reason: Any, actor: User) -> Disposal:
    if not permissions.is_owner_side(actor, disposal.loan):
        raise PermissionDenied(_l("Only the applicant answers the bank's sale."))
    errors: dict[str, list] = {}
    text = _text(reason, "reason", errors, required=True, message=_l("Say why you refuse the sale."))
    if errors:
        raise ValidationError(fields=errors)
    disposal = lock(disposal)
    src, dst = transition(
        disposal, DisposalStatus.REFUSED, message=_l("Only a sale not yet started can be refused.")
    )
    disposal.refuse_reason = text
    disposal.decided_at = utcnow()
    for enc in _pledges(disposal.loan):
        close_pledge_sale(enc, actor=actor)
    _record("finance.disposal_refused", disposal, actor, src, dst, reason=text)
    _notify(
        disposal.loan.bank_org_id,
        "financier",
        N_("%(applicant)s refused the sale of loan #%(id)s's assets."),
        disposal.loan,
    )
    return disposal


def sale_listings(disposal: Disposal) -> list[Listing]:
    """The applicant's published listings that offer a transfer of some of the pledged assets only."""
    loan = disposal.loan
    pledged = set(loan.asset_ids)
    rows = db.session.scalars(
        db.select(Listing)
        .where(Listing.org_id == loan.applicant_org_id, Listing.status == "published")
        .order_by(Listing.id.desc())
        .limit(200)
    ).unique()
    return [
        row
        for row in rows
        if row.asset_ids and set(row.asset_ids) <= pledged and row.terms_for("transfer") is not None
    ]


def start_sale(disposal: Disposal, *, listing_id: Any, actor: User, now: datetime | None = None) -> Disposal:
    """The owner side starts the sale the bank asked for, on its listing of the pledged
    assets: a bidding session or a public notice, through trading's services."""
    loan = disposal.loan
    if not permissions.is_owner_side(actor, loan):
        raise PermissionDenied(_l("Only the applicant starts the sale of its pledged assets."))
    now = now or trading_clock.now()
    choices = {row.id: row for row in sale_listings(disposal)}
    listing = (
        choices.get(listing_id) if isinstance(listing_id, int) and not isinstance(listing_id, bool) else None
    )
    if listing is None:
        raise ValidationError(
            fields={
                "listing_id": [_l("Choose your published listing offering a transfer of the pledged assets.")]
            }
        )
    disposal = lock(disposal)
    if disposal.status != DisposalStatus.REQUESTED:
        raise Conflict(_l("This sale was already started or answered."), code="invalid_transition")
    terms = {"deal_kind": "transfer"}
    if disposal.mode == DisposalMode.BIDDING:
        today = shanghai_date(now)
        days = trading_sessions.setting("BIDDING_ANNOUNCE_DAYS", 7)
        starts = start_of_day_utc(today + timedelta(days=days)) + timedelta(hours=OPENING_HOUR_UTC)
        data = trading_sessions.SessionInput(
            starting_price_fen=disposal.price_fen,
            increment_fen=disposal.increment_fen,
            deposit_fen=disposal.deposit_fen,
            announce_on=today,
            starts_at=starts,
            ends_at=starts + timedelta(hours=disposal.duration_hours or 24),
            deal_terms=terms,
        )
        session = trading_sessions.create_session(listing, data, actor=actor, now=now)
        disposal.bidding_session_id = session.id
        trading_ref = session.reference
    else:
        notice = trading_notices.start_notice(
            listing,
            listed_price_fen=disposal.price_fen,
            notice_days=disposal.notice_days,
            deal_terms=terms,
            actor=actor,
            now=now,
        )
        disposal.notice_id = notice.id
        trading_ref = notice.reference
    src, dst = transition(disposal, DisposalStatus.ON_SALE)
    disposal.listing_id = listing.id
    disposal.started_by_id = actor.id
    disposal.started_at = now
    db.session.flush()
    _record(
        "finance.disposal_started", disposal, actor, src, dst, listing_id=listing.id, trading_ref=trading_ref
    )
    _notify(loan.bank_org_id, "financier", N_("The pledged assets of loan #%(id)s are on sale."), loan)
    return disposal


# -- the outcome -------------------------------------------------------------------------------
def _outcome(disposal: Disposal, now: datetime) -> tuple[str, int | None, int | None, str] | None:
    """What trading says of the sale: ("sold", price, contract id, ref), ("unsold", ...) or None (under way)."""
    if disposal.notice_id is not None and disposal.bidding_session_id is None:
        notice = trading_notices.finish_if_due(disposal.notice, now)
        if notice.status == "contracted":
            return "sold", notice.listed_price_fen, notice.contract_id, notice.reference
        if notice.status in ("no_buyer", "cancelled"):
            return "unsold", None, None, notice.reference
        if notice.status != "to_bidding":
            return None
        disposal.bidding_session_id = notice.bidding_session_id
        db.session.flush()
        db.session.refresh(disposal, ["bidding_session"])
    session = disposal.bidding_session
    if session is None:
        return None
    session = trading_bidding.settle_if_due(session, now)
    if session.status == "settled":
        return "sold", session.current_price_fen, session.contract_id, session.reference
    if session.status in ("failed", "cancelled", "forfeited"):
        return "unsold", None, None, session.reference
    return None


def sync_disposal(disposal: Disposal, *, now: datetime | None = None) -> Disposal:
    """Read the sale's outcome from trading and record it (twice is once)."""
    now = now or trading_clock.now()
    if disposal.status != DisposalStatus.ON_SALE:
        return disposal
    outcome = _outcome(disposal, now)
    if outcome is None:
        return disposal
    result, price, contract_id, ref = outcome
    loan = lock(disposal.loan)
    disposal = lock(disposal)
    if disposal.status != DisposalStatus.ON_SALE:
        return disposal
    today = shanghai_date(now)
    disposal.decided_at = now
    actor = None  # the outcome is trading's, not a person's
    bank_user = _bank_user(disposal)
    if result == "sold":
        src, dst = transition(disposal, DisposalStatus.SOLD)
        disposal.sale_price_fen = price
        disposal.contract_id = contract_id
        owed = max(loan.amount_fen - loan.proceeds_fen, 0)
        if owed:
            row = DefaultProceeds(
                amount_fen=min(price, owed),
                received_on=today,
                note=f"{ref}: {_sale_note(price, owed)}"[:500],
                created_by_id=disposal.requested_by_id,
            )
            loan.proceeds.append(row)
            db.session.flush()
            disposal.proceeds_id = row.id
        for enc in _pledges(loan):
            release_encumbrance(enc, released_on=today, note=f"PL-{loan.id} sold ({ref})", actor=bank_user)
        loan_src, loan_dst = transition(loan, LoanStatus.DISPOSED)
        db.session.flush()
        record_audit(
            "finance.loan_disposed",
            loan,
            actor=None,
            from_state=loan_src.value,
            to_state=loan_dst.value,
            data={"disposal_id": disposal.id, "sale_price_fen": price, "ref": ref},
        )
        _record(
            "finance.disposal_sold",
            disposal,
            actor,
            src,
            dst,
            price_fen=price,
            contract_id=contract_id,
            ref=ref,
        )
        for org_id, role in ((loan.applicant_org_id, "seller"), (loan.bank_org_id, "financier")):
            _notify(
                org_id, role, N_("The pledged assets of loan #%(id)s are sold; the price is recorded."), loan
            )
    else:
        src, dst = transition(disposal, DisposalStatus.UNSOLD)
        for enc in _pledges(loan):
            close_pledge_sale(enc, actor=bank_user)
        db.session.flush()
        _record("finance.disposal_unsold", disposal, actor, src, dst, ref=ref)
        _notify(loan.bank_org_id, "financier", N_("The sale of loan #%(id)s's assets found no buyer."), loan)
    return disposal


def _sale_note(price: int, owed: int) -> str:
    """The proceeds row's note (a record, in the platform's language of record)."""
    note = f"成交价 {format_yuan(price)}"
    if price > owed:
        note += f"，超出债务的 {format_yuan(price - owed)} 归出质人"
    return note


def _bank_user(disposal: Disposal) -> User | None:
    return db.session.get(User, disposal.requested_by_id) if disposal.requested_by_id else None


def needs_sync(loan: PledgeLoan) -> bool:
    """Whether the loan has a sale under way whose outcome public trading may have decided."""
    live = loan.live_disposal
    return live is not None and live.status == DisposalStatus.ON_SALE


def sync_loan(loan: PledgeLoan, *, now: datetime | None = None) -> PledgeLoan:
    """Bring a loan's sale under way up to date (on reading it)."""
    if needs_sync(loan):
        sync_disposal(loan.live_disposal, now=now)
    return loan


def on_sale_ids() -> list[int]:
    return list(
        db.session.scalars(
            db.select(Disposal.id)
            .where(Disposal.status == DisposalStatus.ON_SALE.value)
            .order_by(Disposal.id)
        )
    )
