"""成果公示: a state-funded seller (a university or a research institute) publishes
the result's name and the intended price of an agreed deal for the configured period
before the contract is signed, with the same objections as a listing's notice. The
contract's checklist shows the notice and its outcome (contracts.ports.trading_checks):
while it runs, or an objection waits for its answer, the contract cannot be signed.
With RESULT_NOTICE_REQUIRED set, a state-funded seller's negotiated contract needs one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..listings.models import Listing
from . import permissions
from .models import TradingNotice
from .notices import notice_limits
from .sessions import setting

STATE_FUNDED_KINDS = ("university", "research_institute")


def notice_of(contract) -> TradingNotice | None:
    return db.session.scalar(
        select(TradingNotice)
        .where(TradingNotice.contract_id == contract.id, TradingNotice.kind == "result",
               TradingNotice.status != "cancelled")
        .order_by(TradingNotice.id.desc())
        .limit(1)
    )  # fmt: skip


def is_agreed_state_funded(contract) -> bool:
    """An agreed (negotiated) deal of a state-funded seller: not decided by a bidding or a listing's notice."""
    ref = contract.source_ref or ""
    return (
        contract.seller_org is not None
        and contract.seller_org.kind in STATE_FUNDED_KINDS
        and contract.source in ("offer", "offline")
        and not ref.startswith(("JJ", "GP"))
    )


def can_start(user, contract) -> bool:
    listing = _listing_of(contract)
    return (
        listing is not None
        and is_agreed_state_funded(contract)
        and permissions.is_seller_side(user, listing)
        and contract.status in ("draft", "signing")
        and notice_of(contract) is None
    )


def _listing_of(contract) -> Listing | None:
    listing_id = (contract.terms or {}).get("listing_id")
    return db.session.get(Listing, listing_id) if isinstance(listing_id, int) else None


def start_result_notice(contract, *, notice_days=None, actor, now: datetime | None = None) -> TradingNotice:
    now = now or utcnow()
    listing = _listing_of(contract)
    if listing is None or not permissions.is_seller_side(actor, listing):
        raise PermissionDenied(
            _l("Only the seller side of a deal made on a listing publishes its result notice.")
        )
    if not is_agreed_state_funded(contract):
        raise Conflict(
            _l("A result notice is for a state-funded seller's agreed deal."), code="not_state_funded"
        )
    lock(contract)
    if contract.status not in ("draft", "signing"):
        raise Conflict(_l("The contract is signed already: the notice comes before signing."), code="signed")
    if notice_of(contract) is not None:
        raise Conflict(_l("This contract's result notice is published already."), code="notice_exists")
    low, high = notice_limits()
    days = setting("NOTICE_DEFAULT_DAYS", 15) if notice_days is None else notice_days
    if not isinstance(days, int) or isinstance(days, bool) or not low <= days <= high:
        raise ValidationError(fields={"notice_days": [_l("The notice lasts %(low)s to %(high)s days.",
                                                         low=low, high=high)]})  # fmt: skip
    if not contract.turnover_fen:
        raise ValidationError(
            fields={"turnover_fen": [_l("Enter the contract's price before publishing it.")]}
        )
    today = shanghai_date(now)
    notice = TradingNotice(
        kind="result",
        listing_id=listing.id,
        seller_org_id=contract.seller_org_id,
        status="running",
        deal_terms={"deal_kind": (contract.terms or {}).get("deal_kind") or "transfer"},
        listed_price_fen=contract.turnover_fen,
        notice_days=days,
        starts_on=today,
        ends_on=today + timedelta(days=days),
        contract_id=contract.id,
        created_by_id=actor.id,
    )
    db.session.add(notice)
    db.session.flush()
    record_audit("notice.start", notice, actor=actor, to_state="running", data={"contract_id": contract.id})
    return notice


def _required() -> bool:
    return bool(has_app_context() and current_app.config.get("RESULT_NOTICE_REQUIRED"))


def _forfeited_bidding(contract):
    """The forfeited bidding session whose draft this contract is, if any."""
    from .models import BiddingSession

    if contract.id is None or not (contract.source_ref or "").startswith("JJ"):
        return None
    return db.session.scalar(
        select(BiddingSession).where(
            BiddingSession.contract_id == contract.id, BiddingSession.status == "forfeited"
        )
    )


def contract_checks(contract, today: date | None) -> list[tuple[str, bool, Any]]:
    """The checklist's item for 成果公示 (none where no notice applies)."""
    today = today or shanghai_date(utcnow())
    forfeited = _forfeited_bidding(contract)
    if forfeited is not None:
        return [("bidding_forfeited", False,
                 _l("Bidding %(ref)s was forfeited: the winner did not sign by %(day)s; this draft can no longer be signed.",
                    ref=forfeited.reference, day=forfeited.sign_by.isoformat() if forfeited.sign_by else ""))]  # fmt: skip
    notice = notice_of(contract) if contract.id is not None else None
    if notice is None:
        if _required() and is_agreed_state_funded(contract):
            return [("result_notice", False,
                     _l("A state-funded seller publishes the result and its price (成果公示) before signing."))]  # fmt: skip
        return []
    over = notice.status == "passed" or (notice.status == "running" and today > notice.ends_on)
    open_objections = len(notice.open_objections)
    ok = over and not open_objections
    if ok:
        message = _l("Result notice %(ref)s ended on %(day)s without an unanswered objection.",
                     ref=notice.reference, day=notice.ends_on.isoformat())  # fmt: skip
    elif open_objections:
        message = _l("Result notice %(ref)s: %(n)s objection(s) wait for the seller side's answer.",
                     ref=notice.reference, n=open_objections)  # fmt: skip
    else:
        message = _l("Result notice %(ref)s runs until %(day)s: sign after it.", ref=notice.reference,
                     day=notice.ends_on.isoformat())  # fmt: skip
    return [("result_notice", ok, message)]
