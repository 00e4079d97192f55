"""Tables of the policy library, service providers, service requests,
evaluations of achievements and incubated start-ups.

Invariants the database keeps: states and codes by CHECK constraints; a price
range low <= high, never negative; a rating 1-5 only on a completed request;
TRL 1-9 and a value range on a completed evaluation; one provider profile per
organization; a start-up's USCC once per incubator.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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

from ..accounts.models import Organization, User
from ..core.models import TimestampMixin, sql_in
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from ..ip.models import IpAsset
from . import states


class Policy(TimestampMixin, db.Model):
    __tablename__ = "policies"
    __audit_type__ = "policy"
    __table_args__ = (
        CheckConstraint(sql_in("level", states.POLICY_LEVELS), name="level"),
        CheckConstraint(
            "expires_on IS NULL OR effective_on IS NULL OR expires_on >= effective_on", name="dates"
        ),
        Index("ix_policies_issued_on", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    region_code: Mapped[str] = mapped_column(String(6), nullable=False, default="000000")
    issuer: Mapped[str] = mapped_column(String(200), nullable=False)
    issuer_en: Mapped[str | None] = mapped_column(String(300))
    #: None: the document number is still to confirm.
    doc_no: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    effective_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    #: False once repealed or replaced (the dates alone do not say so).
    in_force: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    topics: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    title_zh: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str | None] = mapped_column(String(400))
    summary_zh: Mapped[str] = mapped_column(Text, nullable=False)
    summary_en: Mapped[str | None] = mapped_column(Text)
    #: A statement we could not confirm (e.g. "to confirm with the tax authority").
    caveat_zh: Mapped[str | None] = mapped_column(Text)
    caveat_en: Mapped[str | None] = mapped_column(Text)
    full_text: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(500))
    # Applicability (an empty list: any).
    deal_kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    contract_categories: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    seller_kinds: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    #: Only a registered technology contract may claim it.
    needs_registration: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    revisions: Mapped[list[PolicyRevision]] = relationship(
        back_populates="policy", order_by="PolicyRevision.seq", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Policy {self.id} {self.doc_no or '?'}>"

    @property
    def level_label(self) -> str:
        return states.label(states.POLICY_LEVELS, self.level)

    def in_force_on(self, day: date) -> bool:
        if not self.in_force:
            return False
        if self.effective_on is not None and self.effective_on > day:
            return False
        return self.expires_on is None or self.expires_on >= day


class PolicyRevision(db.Model):
    """What a policy said before an edit (the history of edits)."""

    __tablename__ = "policy_revisions"
    __table_args__ = (UniqueConstraint("policy_id", "seq", name="uq_policy_revisions_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)

    policy: Mapped[Policy] = relationship(back_populates="revisions")
    edited_by: Mapped[User | None] = relationship()


class ProviderProfile(TimestampMixin, db.Model):
    __tablename__ = "provider_profiles"
    __audit_type__ = "provider"
    __table_args__ = (CheckConstraint(sql_in("kind", states.PROVIDER_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    description_zh: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    qualifications: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))

    organization: Mapped[Organization] = relationship(lazy="joined")
    services: Mapped[list[ProviderService]] = relationship(
        back_populates="provider", order_by="ProviderService.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<ProviderProfile {self.id} {self.kind}>"

    @property
    def kind_label(self) -> str:
        return states.label(states.PROVIDER_KINDS, self.kind)

    @property
    def name(self) -> str:
        return self.organization.name


class ProviderService(db.Model):
    __tablename__ = "provider_services"
    __table_args__ = (
        CheckConstraint("price_low_fen IS NULL OR price_low_fen >= 0", name="low_nonneg"),
        CheckConstraint(
            "price_high_fen IS NULL OR price_low_fen IS NULL OR price_high_fen >= price_low_fen", name="range"
        ),
        CheckConstraint("turnaround_days IS NULL OR turnaround_days > 0", name="turnaround"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider_profiles.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    price_low_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_high_fen: Mapped[int | None] = mapped_column(BigInteger)
    turnaround_days: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    provider: Mapped[ProviderProfile] = relationship(back_populates="services")


class ServiceRequest(TimestampMixin, db.Model):
    __tablename__ = "service_requests"
    __audit_type__ = "service_request"
    __table_args__ = (
        CheckConstraint(sql_in("status", states.RequestStatus), name="status"),
        CheckConstraint("quote_fen IS NULL OR quote_fen >= 0", name="quote_nonneg"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5 AND status = 'completed')", name="rating"),
        Index("ix_service_requests_provider_status", "provider_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider_profiles.id"), nullable=False)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("provider_services.id"))
    requester_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.RequestStatus.REQUESTED.value
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    quote_fen: Mapped[int | None] = mapped_column(BigInteger)
    quote_days: Mapped[int | None] = mapped_column(Integer)
    quote_note: Mapped[str | None] = mapped_column(Text)
    quoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    provider: Mapped[ProviderProfile] = relationship(lazy="joined")
    service: Mapped[ProviderService | None] = relationship()
    requester_org: Mapped[Organization] = relationship(lazy="joined")
    requested_by: Mapped[User | None] = relationship()
    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", order_by="RequestMessage.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<ServiceRequest {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return states.label(states.REQUEST_STATUS_LABELS, self.status)


class RequestMessage(db.Model):
    """One message of a request's thread (attachments: storage, subject request_message)."""

    __tablename__ = "service_request_messages"
    __audit_type__ = "request_message"
    __table_args__ = (CheckConstraint("side IN ('requester', 'provider')", name="side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(16), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    request: Mapped[ServiceRequest] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class Evaluation(TimestampMixin, db.Model):
    """An evaluation of an achievement (科技成果评价) by an evaluation body."""

    __tablename__ = "evaluations"
    __audit_type__ = "evaluation"
    __table_args__ = (
        CheckConstraint(sql_in("status", states.EvaluationStatus), name="status"),
        CheckConstraint("trl IS NULL OR trl BETWEEN 1 AND 9", name="trl"),
        CheckConstraint("novelty IS NULL OR " + sql_in("novelty", states.NOVELTY), name="novelty"),
        CheckConstraint("maturity IS NULL OR " + sql_in("maturity", states.EVAL_MATURITY), name="maturity"),
        CheckConstraint(
            "value_low_fen IS NULL OR (value_low_fen >= 0 AND value_high_fen >= value_low_fen)",
            name="value_range",
        ),
        CheckConstraint(
            "status <> 'completed' OR (trl IS NOT NULL AND evaluated_on IS NOT NULL)", name="completed_result"
        ),
        Index("ix_evaluations_asset_status", "asset_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), nullable=False)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider_profiles.id"), nullable=False, index=True)
    requester_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.EvaluationStatus.REQUESTED.value
    )
    note: Mapped[str | None] = mapped_column(Text)
    trl: Mapped[int | None] = mapped_column(Integer)
    novelty: Mapped[str | None] = mapped_column(String(32))
    maturity: Mapped[str | None] = mapped_column(String(16))
    value_low_fen: Mapped[int | None] = mapped_column(BigInteger)
    value_high_fen: Mapped[int | None] = mapped_column(BigInteger)
    opinion: Mapped[str | None] = mapped_column(Text)
    evaluated_on: Mapped[date | None] = mapped_column(Date)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)

    asset: Mapped[IpAsset] = relationship(lazy="joined")
    provider: Mapped[ProviderProfile] = relationship(lazy="joined")
    requester_org: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<Evaluation {self.id} {self.status} asset={self.asset_id}>"

    @property
    def status_label(self) -> str:
        return states.label(states.EVALUATION_STATUS_LABELS, self.status)

    @property
    def novelty_label(self) -> str:
        return states.label(states.NOVELTY, self.novelty)

    @property
    def maturity_label(self) -> str:
        return states.label(states.EVAL_MATURITY, self.maturity)


class Startup(db.Model):
    """A start-up technology enterprise an incubator records (the plan: 2,000 incubated)."""

    __tablename__ = "incubated_startups"
    __table_args__ = (UniqueConstraint("uscc", name="uq_incubated_startups_uscc"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider_profiles.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    founded_on: Mapped[date] = mapped_column(Date, nullable=False)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    provider: Mapped[ProviderProfile] = relationship()
