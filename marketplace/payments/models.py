"""Payments on contract milestones, their refunds, and the Stripe events received.

A payment row is never edited once confirmed; money going back is a refund
row of its own. Amounts are integer fen. A Stripe payment's idempotency key
is stored (and committed) before the PaymentIntent is created with it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User
from ..contracts.models import Contract, ContractMilestone
from ..core.models import TimestampMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from .states import (
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
    method_label,
    payment_status_label,
    refund_status_label,
)

_methods = ", ".join(f"'{m.value}'" for m in PaymentMethod)
_statuses = ", ".join(f"'{s.value}'" for s in PaymentStatus)
_refund_statuses = ", ".join(f"'{s.value}'" for s in RefundStatus)


class Payment(TimestampMixin, db.Model):
    __tablename__ = "payments"
    __audit_type__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(f"method IN ({_methods})", name="method"),
        CheckConstraint(f"status IN ({_statuses})", name="status"),
        CheckConstraint("currency = 'cny'", name="currency"),
        CheckConstraint(
            "method <> 'bank_transfer' OR (payer_account_name IS NOT NULL AND paid_on IS NOT NULL "
            "AND reference IS NOT NULL)",
            name="bank_transfer_details",
        ),
        CheckConstraint("method <> 'stripe' OR idempotency_key IS NOT NULL", name="stripe_key"),
        CheckConstraint("status <> 'disputed' OR dispute_reason IS NOT NULL", name="dispute_reason"),
        CheckConstraint("status <> 'confirmed' OR confirmed_at IS NOT NULL", name="confirmed_at"),
        Index("ix_payments_milestone_status", "milestone_id", "status"),
        Index("ix_payments_contract", "contract_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("contract_milestones.id"), nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PaymentStatus.PENDING.value)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="cny")
    payer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    payee_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # Bank transfer, as the payer recorded it.
    payer_account_name: Mapped[str | None] = mapped_column(String(200))
    paid_on: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))

    # Stripe: the key is saved before the PaymentIntent is created with it.
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_status: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(String(500))

    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disputed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # cancelled or failed

    # Loaded when asked for (most pages hold the contract and its milestones already);
    # the queries of pages listing payments of many contracts load them explicitly.
    contract: Mapped[Contract] = relationship()
    milestone: Mapped[ContractMilestone] = relationship()
    payer_org: Mapped[Organization] = relationship(foreign_keys=[payer_org_id])
    payee_org: Mapped[Organization] = relationship(foreign_keys=[payee_org_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    disputed_by: Mapped[User | None] = relationship(foreign_keys=[disputed_by_id])
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.method} {self.status} {self.amount_fen}>"

    @property
    def method_label(self) -> str:
        return method_label(self.method)

    @property
    def status_label(self) -> str:
        return payment_status_label(self.status)

    @property
    def refunded_fen(self) -> int:
        return sum(r.amount_fen for r in self.refunds if r.status == RefundStatus.SUCCEEDED)

    @property
    def refund_pending_fen(self) -> int:
        return sum(r.amount_fen for r in self.refunds if r.status == RefundStatus.PENDING)

    @property
    def refundable_fen(self) -> int:
        """What may still be refunded: confirmed, minus refunds done or under way."""
        if self.status != PaymentStatus.CONFIRMED:
            return 0
        return self.amount_fen - self.refunded_fen - self.refund_pending_fen

    @property
    def net_fen(self) -> int:
        """Cash kept: the confirmed amount minus refunds that succeeded."""
        return self.amount_fen - self.refunded_fen if self.status == PaymentStatus.CONFIRMED else 0


class Refund(db.Model):
    """Money going back to the payer: by bank transfer (recorded) or through Stripe."""

    __tablename__ = "payment_refunds"
    __audit_type__ = "payment_refund"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(f"status IN ({_refund_statuses})", name="status"),
        CheckConstraint("status <> 'succeeded' OR succeeded_at IS NOT NULL", name="succeeded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=RefundStatus.PENDING.value)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    refunded_on: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    created_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return refund_status_label(self.status)


class StripeEvent(db.Model):
    """A Stripe webhook event applied once: the unique event id is stored in the
    same transaction as its effect, so a second delivery changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    object_id: Mapped[str | None] = mapped_column(String(255))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(200), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
