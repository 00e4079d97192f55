"""Finance: IP pledge loans (with the co-owners' consents, the pledged assets and
their encumbrances in the IP register, risk shares and the proceeds of a
default), investors' interests in equity listings and recorded investments.

Invariants the database keeps: amounts are positive fen, shares 1-10000 basis
points, states are one of the table's, a declined loan has its reason, a signed
loan its pledge registration number, an asset is named once per loan, an
organization consents once per loan, an investor shows interest once per listing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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

from ..accounts.models import Organization, User
from ..core.models import TimestampMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from ..ip.models import Encumbrance, IpAsset
from ..listings.models import Listing
from ..services.models import Evaluation, Startup
from ..trading.models import BiddingSession, TradingNotice
from .states import (
    ConsentStatus,
    DisposalMode,
    DisposalStatus,
    InvestmentStatus,
    LoanStatus,
    SharerKind,
    consent_label,
    disposal_mode_label,
    disposal_status_label,
    investment_status_label,
    loan_status_label,
    sharer_label,
)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v.value)) for v in values)})"


class PledgeLoan(TimestampMixin, db.Model):
    __tablename__ = "finance_pledge_loans"
    __audit_type__ = "pledge_loan"
    __table_args__ = (
        CheckConstraint(_in("status", LoanStatus), name="status"),
        CheckConstraint("amount_fen > 0", name="amount_fen"),
        CheckConstraint("term_months >= 1 AND term_months <= 360", name="term_months"),
        CheckConstraint("status <> 'declined' OR decline_reason IS NOT NULL", name="decline_reason"),
        CheckConstraint(
            "status NOT IN ('signed', 'repaid', 'defaulted', 'disposed') OR "
            "(pledge_registration_no IS NOT NULL AND signed_on IS NOT NULL)",
            name="signed_facts",
        ),
        CheckConstraint("status <> 'repaid' OR repaid_on IS NOT NULL", name="repaid_on"),
        CheckConstraint(
            "status NOT IN ('defaulted', 'disposed') OR defaulted_on IS NOT NULL", name="defaulted_on"
        ),
        Index("ix_finance_pledge_loans_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    bank_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    #: The applicant's region when it applied (the figures cut by it).
    region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    #: The industry of the first pledged asset (the figures cut by it).
    industry: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), nullable=False, default=LoanStatus.APPLIED.value)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    #: The number of an evaluation made outside the platform (free text).
    evaluation_ref: Mapped[str | None] = mapped_column(String(100))
    #: A completed evaluation (科技成果评价) on the platform of one of the pledged assets.
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"), index=True)
    documents_request: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pledge_registration_no: Mapped[str | None] = mapped_column(String(64))
    bank_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    owner_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    repaid_on: Mapped[date | None] = mapped_column(Date)
    defaulted_on: Mapped[date | None] = mapped_column(Date)
    default_note: Mapped[str | None] = mapped_column(Text)

    applicant_org: Mapped[Organization] = relationship(foreign_keys=[applicant_org_id], lazy="joined")
    bank_org: Mapped[Organization] = relationship(foreign_keys=[bank_org_id], lazy="joined")
    applied_by: Mapped[User | None] = relationship(foreign_keys=[applied_by_id])
    evaluation: Mapped[Evaluation | None] = relationship()
    asset_links: Mapped[list[PledgedAsset]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="PledgedAsset.id", lazy="selectin"
    )
    consents: Mapped[list[PledgeConsent]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="PledgeConsent.id", lazy="selectin"
    )
    risk_shares: Mapped[list[RiskShare]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="RiskShare.id", lazy="selectin"
    )
    proceeds: Mapped[list[DefaultProceeds]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="DefaultProceeds.id", lazy="selectin"
    )
    disposals: Mapped[list[Disposal]] = relationship(
        back_populates="loan", cascade="all, delete-orphan", order_by="Disposal.id", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<PledgeLoan {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return loan_status_label(self.status)

    @property
    def assets(self) -> list[IpAsset]:
        return [link.asset for link in self.asset_links]

    @property
    def asset_ids(self) -> list[int]:
        return [link.asset_id for link in self.asset_links]

    @property
    def proceeds_fen(self) -> int:
        return sum(p.amount_fen for p in self.proceeds)

    @property
    def outstanding_fen(self) -> int:
        """What is still owed: the amount while signed, less the proceeds after a default."""
        if self.status == LoanStatus.SIGNED:
            return self.amount_fen
        if self.status in (LoanStatus.DEFAULTED, LoanStatus.DISPOSED):
            return max(self.amount_fen - self.proceeds_fen, 0)
        return 0

    @property
    def shared_bp(self) -> int:
        return sum(s.share_bp for s in self.risk_shares)

    @property
    def pending_consents(self) -> list[PledgeConsent]:
        return [c for c in self.consents if c.status != ConsentStatus.GIVEN]

    @property
    def live_disposal(self) -> Disposal | None:
        return next((d for d in self.disposals if d.is_live), None)


class PledgedAsset(db.Model):
    """An asset a loan pledges; `encumbrance_id` is its pledge in the IP register once signed."""

    __tablename__ = "finance_pledged_assets"
    __table_args__ = (UniqueConstraint("loan_id", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("finance_pledge_loans.id"), nullable=False, index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), nullable=False, index=True)
    encumbrance_id: Mapped[int | None] = mapped_column(ForeignKey("ip_encumbrances.id"))

    loan: Mapped[PledgeLoan] = relationship(back_populates="asset_links")
    asset: Mapped[IpAsset] = relationship(lazy="joined")
    encumbrance: Mapped[Encumbrance | None] = relationship(lazy="joined")


class PledgeConsent(db.Model):
    """A co-owner's consent to pledging the assets it co-owns for this loan."""

    __tablename__ = "finance_pledge_consents"
    __table_args__ = (
        UniqueConstraint("loan_id", "org_id"),
        CheckConstraint(_in("status", ConsentStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("finance_pledge_loans.id"), nullable=False, index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ConsentStatus.PENDING.value)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))

    loan: Mapped[PledgeLoan] = relationship(back_populates="consents")
    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return consent_label(self.status)


class RiskShare(db.Model):
    """A guarantee company, an insurer or the provincial risk compensation fund takes a share of a loan."""

    __tablename__ = "finance_risk_shares"
    __table_args__ = (
        CheckConstraint(_in("sharer_kind", SharerKind), name="sharer_kind"),
        CheckConstraint("share_bp >= 1 AND share_bp <= 10000", name="share_bp"),
        CheckConstraint("sharer_kind = 'risk_fund' OR sharer_org_id IS NOT NULL", name="sharer_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("finance_pledge_loans.id"), nullable=False, index=True)
    sharer_kind: Mapped[str] = mapped_column(String(24), nullable=False)
    sharer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    sharer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    share_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    loan: Mapped[PledgeLoan] = relationship(back_populates="risk_shares")

    @property
    def sharer_kind_label(self) -> str:
        return sharer_label(self.sharer_kind)

    @property
    def share_fen(self) -> int:
        return self.loan.amount_fen * self.share_bp // 10_000


class DefaultProceeds(db.Model):
    """Money recovered on a defaulted loan (disposal of the pledged assets, guarantors, insurers)."""

    __tablename__ = "finance_default_proceeds"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_fen"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("finance_pledge_loans.id"), nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    loan: Mapped[PledgeLoan] = relationship(back_populates="proceeds")


class Disposal(TimestampMixin, db.Model):
    """The bank puts a defaulted loan's pledged assets up for sale through public trading
    (网络竞价 or 挂牌公示); the owner side starts it on its listing of those assets; the
    winning price (and the contract it created) is recorded against the loan."""

    __tablename__ = "finance_disposals"
    __audit_type__ = "pledge_disposal"
    __table_args__ = (
        CheckConstraint(_in("status", DisposalStatus), name="status"),
        CheckConstraint(_in("mode", DisposalMode), name="mode"),
        CheckConstraint("price_fen > 0", name="price_fen"),
        CheckConstraint(
            "mode <> 'bidding' OR (increment_fen > 0 AND deposit_fen >= 0 AND duration_hours >= 24)",
            name="bidding_terms",
        ),
        CheckConstraint("mode <> 'notice' OR notice_days >= 1", name="notice_terms"),
        CheckConstraint("status <> 'refused' OR refuse_reason IS NOT NULL", name="refuse_reason"),
        CheckConstraint("status <> 'sold' OR sale_price_fen > 0", name="sale_price"),
        CheckConstraint(
            "status NOT IN ('on_sale', 'sold', 'unsold') OR listing_id IS NOT NULL", name="listing"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("finance_pledge_loans.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=DisposalStatus.REQUESTED.value)
    mode: Mapped[str] = mapped_column(String(16), nullable=False)
    #: The starting price (bidding) or the listed price (notice), set by the bank.
    price_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    increment_fen: Mapped[int | None] = mapped_column(BigInteger)
    deposit_fen: Mapped[int | None] = mapped_column(BigInteger)
    duration_hours: Mapped[int | None] = mapped_column(Integer)
    notice_days: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    bidding_session_id: Mapped[int | None] = mapped_column(ForeignKey("bidding_sessions.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("trading_notices.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sale_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    proceeds_id: Mapped[int | None] = mapped_column(ForeignKey("finance_default_proceeds.id"))
    refuse_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    loan: Mapped[PledgeLoan] = relationship(back_populates="disposals")
    listing: Mapped[Listing | None] = relationship()
    bidding_session: Mapped[BiddingSession | None] = relationship()
    notice: Mapped[TradingNotice | None] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status in (DisposalStatus.REQUESTED, DisposalStatus.ON_SALE)

    @property
    def reference(self) -> str:
        return f"PL-{self.loan_id}-D{self.id}"

    @property
    def status_label(self) -> str:
        return disposal_status_label(self.status)

    @property
    def mode_label(self) -> str:
        return disposal_mode_label(self.mode)


class IndustryFollow(db.Model):
    """An investor follows an industry (the equity listings of it are shown first)."""

    __tablename__ = "finance_industry_follows"
    __table_args__ = (UniqueConstraint("user_id", "industry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    industry: Mapped[str] = mapped_column(String(32), nullable=False)


class InvestmentInterest(TimestampMixin, db.Model):
    """An investor's interest in an equity (作价入股) listing: a thread with the seller side."""

    __tablename__ = "finance_interests"
    __audit_type__ = "investment_interest"
    __table_args__ = (
        UniqueConstraint("listing_id", "investor_org_id"),
        UniqueConstraint("startup_id", "investor_org_id"),
        CheckConstraint("(listing_id IS NULL) <> (startup_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    #: Or an incubated start-up (the other side: its incubator's staff).
    startup_id: Mapped[int | None] = mapped_column(ForeignKey("incubated_startups.id"), index=True)
    investor_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    listing: Mapped[Listing | None] = relationship(lazy="joined")
    startup: Mapped[Startup | None] = relationship(lazy="joined")
    investor_org: Mapped[Organization] = relationship(lazy="joined")
    messages: Mapped[list[InterestMessage]] = relationship(
        back_populates="interest",
        cascade="all, delete-orphan",
        order_by="InterestMessage.id",
        lazy="selectin",
    )

    @property
    def counterpart_org_id(self) -> int:
        """The other side: the listing's seller, or the start-up's incubator."""
        if self.listing is not None:
            return self.listing.org_id
        return self.startup.provider.org_id

    @property
    def subject_title(self) -> str:
        return self.listing.title if self.listing is not None else self.startup.name


class InterestMessage(db.Model):
    __tablename__ = "finance_interest_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(ForeignKey("finance_interests.id"), nullable=False, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    interest: Mapped[InvestmentInterest] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship(lazy="joined")
    author_org: Mapped[Organization] = relationship(lazy="joined")


class Investment(TimestampMixin, db.Model):
    """An investment recorded by the investor; the company's side confirms it."""

    __tablename__ = "finance_investments"
    __audit_type__ = "investment"
    __table_args__ = (
        CheckConstraint(_in("status", InvestmentStatus), name="status"),
        CheckConstraint("amount_fen > 0", name="amount_fen"),
        CheckConstraint("share_bp >= 1 AND share_bp <= 10000", name="share_bp"),
        CheckConstraint("status <> 'rejected' OR reject_reason IS NOT NULL", name="reject_reason"),
        Index("ix_finance_investments_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    #: The organization on the other side (the listing's seller, or the company's owner side).
    counterpart_org_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True
    )
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    company: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    share_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    invested_on: Mapped[date] = mapped_column(Date, nullable=False)
    region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    #: The listing's industry, when the investment is in an equity listing.
    industry: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=InvestmentStatus.RECORDED.value)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)

    investor_org: Mapped[Organization] = relationship(foreign_keys=[investor_org_id], lazy="joined")
    counterpart_org: Mapped[Organization] = relationship(foreign_keys=[counterpart_org_id], lazy="joined")
    listing: Mapped[Listing | None] = relationship()

    @property
    def status_label(self) -> str:
        return investment_status_label(self.status)
