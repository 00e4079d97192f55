"""Bidding sessions (网络竞价) on a listing, their enrolments, deposits and the
hash-chained log of each session; public notices (挂牌公示 / 成果公示) with their
objections and acceptances.

Tables: ``bidding_sessions``, ``bidding_enrolments``, ``bidding_deposits``,
``bidding_log`` (appended, never edited), ``trading_notices``,
``notice_objections``, ``notice_acceptances``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin
from ..core.models import sql_in as _in
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from . import states

if TYPE_CHECKING:
    from ..accounts.models import Organization
    from ..listings.models import Listing

#: The field of a terms object that is bid, per deal kind.
PRICE_FIELD = {"transfer": "price_fen", "license": "upfront_fen", "equity": "valuation_fen"}


class BiddingSession(TimestampMixin, db.Model):
    """One online bidding (网络竞价) on a listing. ``ends_at`` is the planned end,
    ``effective_ends_at`` the end after extensions; the price is decided under a lock
    on this row. ``head_hash``/``last_seq`` are the head of the session's log."""

    __tablename__ = "bidding_sessions"
    __audit_type__ = "bidding_session"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in states.BiddingStatus]), name="status"),
        CheckConstraint("starting_price_fen > 0", name="starting_price"),
        CheckConstraint("increment_fen > 0", name="increment"),
        CheckConstraint("deposit_fen >= 0", name="deposit"),
        CheckConstraint("reserve_fen IS NULL OR reserve_fen >= starting_price_fen", name="reserve"),
        CheckConstraint("extension_minutes >= 1 AND extension_minutes <= 60", name="extension_minutes"),
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_bidding_sessions_listing_status", "listing_id", "status"),
        Index("ix_bidding_sessions_status_end", "status", "effective_ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), nullable=False)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.BiddingStatus.ANNOUNCED.value
    )
    deal_terms: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    starting_price_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    increment_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reserve_fen: Mapped[int | None] = mapped_column(BigInteger)
    deposit_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    announce_on: Mapped[date] = mapped_column(Date, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    effective_ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    extension_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    priority_org_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    #: Only these organizations may enrol (a bidding among a notice's buyers); empty: anyone.
    invited_org_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    current_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    bids_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The enrolment of the highest bid (no foreign key: the two tables would point at each other).
    leader_enrolment_id: Mapped[int | None] = mapped_column(Integer)
    enrolments_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    head_hash: Mapped[str | None] = mapped_column(String(64))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), unique=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sign_by: Mapped[date | None] = mapped_column(Date)
    previous_session_id: Mapped[int | None] = mapped_column(ForeignKey("bidding_sessions.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    listing: Mapped[Listing] = relationship()
    seller_org: Mapped[Organization] = relationship(foreign_keys=[seller_org_id])
    enrolments: Mapped[list[BiddingEnrolment]] = relationship(
        back_populates="session", foreign_keys="BiddingEnrolment.session_id", order_by="BiddingEnrolment.id"
    )

    def __repr__(self) -> str:
        return f"<BiddingSession {self.id} {self.status}>"

    @property
    def reference(self) -> str:
        """The session's reference: the committed deal's and the contract's source reference."""
        return f"JJ{self.id:06d}"

    @property
    def title(self) -> str:
        return self.listing.title

    @property
    def price_field(self) -> str:
        return PRICE_FIELD[self.deal_terms["deal_kind"]]

    def phase(self, now: datetime | None = None) -> str:
        """The status as of `now`: a stored announced/open session whose time came is open or ended."""
        now = now or utcnow()
        if self.status in ("announced", "open"):
            if now >= self.effective_ends_at:
                return "ended"
            if now >= self.starts_at:
                return "open"
            return "announced"
        return self.status

    def min_next_bid(self) -> int:
        if self.current_price_fen is None:
            return self.starting_price_fen
        return self.current_price_fen + self.increment_fen

    @property
    def leader(self) -> BiddingEnrolment | None:
        return next((e for e in self.enrolments if e.id == self.leader_enrolment_id), None)

    def extension(self) -> timedelta:
        return timedelta(minutes=self.extension_minutes)

    @property
    def status_label(self) -> str:
        return states.label(states.BIDDING_STATUS_LABELS, self.status)

    def phase_label(self, now: datetime | None = None) -> str:
        return states.label(states.BIDDING_STATUS_LABELS, self.phase(now))

    def premium_bp(self) -> int | None:
        """The winning price over the starting price, in basis points (settled sessions)."""
        if self.status not in ("settled", "forfeited") or self.current_price_fen is None:
            return None
        return (self.current_price_fen - self.starting_price_fen) * 10000 // self.starting_price_fen


class BiddingEnrolment(TimestampMixin, db.Model):
    """A buyer organization enrolled in a session, known by ``code`` until the end."""

    __tablename__ = "bidding_enrolments"
    __table_args__ = (
        UniqueConstraint("session_id", "org_id", name="uq_bidding_enrolments_org"),
        UniqueConstraint("session_id", "code", name="uq_bidding_enrolments_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("bidding_sessions.id"), nullable=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The agency that enrolled for its client under a buyer mandate (NULL: the buyer itself).
    agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    code: Mapped[str] = mapped_column(String(8), nullable=False)
    priority: Mapped[bool] = mapped_column(nullable=False, default=False)

    session: Mapped[BiddingSession] = relationship(back_populates="enrolments", foreign_keys=[session_id])
    organization: Mapped[Organization] = relationship(foreign_keys=[org_id])
    deposit: Mapped[BiddingDeposit | None] = relationship(back_populates="enrolment", uselist=False)

    @property
    def eligible(self) -> bool:
        return self.deposit is not None and self.deposit.status == states.DepositStatus.CONFIRMED.value


class BiddingDeposit(TimestampMixin, db.Model):
    """The deposit (保证金) of one enrolment (one per enrolment): paid by bank transfer
    with ``reference`` on it and confirmed by the seller side or the listing's agency,
    or paid online through the payments domain's Stripe path, confirmed by Stripe."""

    __tablename__ = "bidding_deposits"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in states.DepositStatus]), name="status"),
        CheckConstraint("amount_fen >= 0", name="amount"),
        CheckConstraint(_in("method", ["bank_transfer", "stripe"]), name="method"),
        CheckConstraint("method <> 'stripe' OR idempotency_key IS NOT NULL", name="stripe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("bidding_enrolments.id"), nullable=False, unique=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("bidding_sessions.id"), nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False, default="bank_transfer")
    reference: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.DepositStatus.AWAITING.value
    )
    payer_reference: Mapped[str | None] = mapped_column(String(100))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Paid online (method "stripe"): the key is saved before the PaymentIntent is created
    # with it; a released deposit is refunded at Stripe with its own saved key.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_status: Mapped[str | None] = mapped_column(String(40))
    refund_idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    #: The refund at Stripe of a released online deposit: pending, succeeded or failed (NULL: none due).
    refund_status: Mapped[str | None] = mapped_column(String(16))
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    enrolment: Mapped[BiddingEnrolment] = relationship(back_populates="deposit")

    @property
    def status_label(self) -> str:
        label = states.label(states.DEPOSIT_STATUS_LABELS, self.status)
        if self.refund_status:
            return f"{label} · {states.label(states.REFUND_STATUS_LABELS, self.refund_status)}"
        return label


class BiddingLogEntry(db.Model):
    """One entry of a session's hash-chained log: a bid, an extension, the opening or
    the outcome. ``hash`` = SHA-256(prev_hash, canonical entry), as the ledger's."""

    __tablename__ = "bidding_log"
    __table_args__ = (
        UniqueConstraint("session_id", "seq", name="uq_bidding_log_seq"),
        CheckConstraint(_in("kind", list(states.LOG_KINDS)), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("bidding_sessions.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    bidder_code: Mapped[str | None] = mapped_column(String(8))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)

    def fields(self) -> dict[str, Any]:
        """What the hash covers."""
        return {
            "session_id": self.session_id,
            "seq": self.seq,
            "kind": self.kind,
            "at": self.at,
            "bidder_code": self.bidder_code,
            "amount_fen": self.amount_fen,
            "data": self.data or {},
        }


class TradingNotice(TimestampMixin, db.Model):
    """A public notice: 挂牌公示 of a listing at a listed price (``kind`` listing), or
    成果公示 of a state-funded seller's agreed deal before signing (``kind`` result)."""

    __tablename__ = "trading_notices"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in states.NoticeStatus]), name="status"),
        CheckConstraint(_in("kind", [s.value for s in states.NoticeKind]), name="kind"),
        CheckConstraint("listed_price_fen > 0", name="listed_price"),
        CheckConstraint("ends_on >= starts_on", name="period"),
        Index("ix_trading_notices_listing_status", "listing_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="listing")
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), nullable=False)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="running")
    deal_terms: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    listed_price_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    notice_days: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    bidding_session_id: Mapped[int | None] = mapped_column(ForeignKey("bidding_sessions.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    listing: Mapped[Listing] = relationship()
    seller_org: Mapped[Organization] = relationship(foreign_keys=[seller_org_id])
    objections: Mapped[list[NoticeObjection]] = relationship(
        back_populates="notice", order_by="NoticeObjection.id"
    )
    acceptances: Mapped[list[NoticeAcceptance]] = relationship(
        back_populates="notice", order_by="NoticeAcceptance.id"
    )

    @property
    def reference(self) -> str:
        return f"GP{self.id:06d}"

    @property
    def status_label(self) -> str:
        return states.label(states.NOTICE_STATUS_LABELS, self.status)

    @property
    def open_objections(self) -> list[NoticeObjection]:
        return [o for o in self.objections if o.answered_at is None]


class NoticeObjection(db.Model):
    """An objection raised during a notice, with the seller side's answer."""

    __tablename__ = "notice_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("trading_notices.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notice: Mapped[TradingNotice] = relationship(back_populates="objections")


class NoticeAcceptance(db.Model):
    """A qualified buyer accepts the listed price during a notice (once per organization)."""

    __tablename__ = "notice_acceptances"
    __table_args__ = (UniqueConstraint("notice_id", "org_id", name="uq_notice_acceptances_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("trading_notices.id"), nullable=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    notice: Mapped[TradingNotice] = relationship(back_populates="acceptances")
    organization: Mapped[Organization] = relationship()
