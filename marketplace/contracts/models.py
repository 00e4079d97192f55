"""Technology contracts, their milestones and cost lines, and their registrations.

A `Contract` row is the working document: the parties complete it, sign it
and submit it. Each time a regulator registers it - the first registration,
an amendment, a cancellation - an immutable `ContractRegistration` row keeps
a snapshot of what was registered; those rows are never edited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

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

from ..accounts.models import Organization, User
from ..core.catalog import OUT_OF_PROVINCE
from ..core.models import TimestampMixin
from ..core.types import UTCDateTime
from ..extensions import db
from .codes import CATEGORIES, COST_KINDS, category_label
from .states import ContractStatus, RegistrationKind, status_label

_categories = ", ".join(f"'{c}'" for c in CATEGORIES)
_statuses = ", ".join(f"'{s.value}'" for s in ContractStatus)
_cost_kinds = ", ".join(f"'{c}'" for c in COST_KINDS)
_reg_kinds = ", ".join(f"'{k.value}'" for k in RegistrationKind)


class Contract(TimestampMixin, db.Model):
    __tablename__ = "contracts"
    __audit_type__ = "contract"
    __table_args__ = (
        CheckConstraint(f"status IN ({_statuses})", name="status"),
        CheckConstraint(f"category IS NULL OR category IN ({_categories})", name="category"),
        CheckConstraint("source IN ('offer','offline','import')", name="source"),
        CheckConstraint("turnover_fen IS NULL OR turnover_fen >= 0", name="turnover_nonneg"),
        CheckConstraint(
            "tech_income_fen IS NULL OR (tech_income_fen >= 0 AND "
            "(turnover_fen IS NULL OR tech_income_fen <= turnover_fen))",
            name="income_within_turnover",
        ),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to", name="validity"),
        CheckConstraint("buyer_org_id IS NULL OR buyer_name IS NULL", name="one_buyer"),
        Index("ix_contracts_status", "status"),
        Index("ix_contracts_authority_status", "authority_region", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(32), nullable=False, default=ContractStatus.DRAFT.value)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    source_ref: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    subject: Mapped[str | None] = mapped_column(Text)  # 标的: what is licensed / transferred / done
    #: The agreed deal terms (the accepted offer's terms object), locked in at creation.
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    buyer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: An out-of-province buyer without an account: name and place (region 000000).
    buyer_name: Mapped[str | None] = mapped_column(String(200))
    buyer_place: Mapped[str | None] = mapped_column(String(200))
    agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)

    industry: Mapped[str | None] = mapped_column(String(32))
    turnover_fen: Mapped[int | None] = mapped_column(BigInteger)
    tech_income_fen: Mapped[int | None] = mapped_column(BigInteger)
    #: Transfer contracts: the expected new investment and new output value.
    new_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    new_output_fen: Mapped[int | None] = mapped_column(BigInteger)

    signed_on: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    seller_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    buyer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seller_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seller_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    buyer_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    buyer_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    #: The registration authority it applies to: the seller's city, or 230000.
    authority_region: Mapped[str | None] = mapped_column(String(6))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_due_on: Mapped[date | None] = mapped_column(Date)
    return_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    return_note: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    #: The 16-digit number given at the first registration; amendments and
    #: cancellations keep it. Unique: never issued twice.
    registration_no: Mapped[str | None] = mapped_column(String(16), unique=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: An amendment or cancellation waiting for the regulator: what changes and why.
    pending_change: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    seller_org: Mapped[Organization] = relationship(foreign_keys=[seller_org_id], lazy="joined")
    buyer_org: Mapped[Organization | None] = relationship(foreign_keys=[buyer_org_id], lazy="joined")
    agency_org: Mapped[Organization | None] = relationship(foreign_keys=[agency_org_id], lazy="joined")
    seller_signed_by: Mapped[User | None] = relationship(foreign_keys=[seller_signed_by_id])
    buyer_signed_by: Mapped[User | None] = relationship(foreign_keys=[buyer_signed_by_id])
    milestones: Mapped[list[ContractMilestone]] = relationship(
        back_populates="contract", order_by="ContractMilestone.seq", cascade="all, delete-orphan"
    )
    cost_lines: Mapped[list[ContractCostLine]] = relationship(
        back_populates="contract", order_by="ContractCostLine.seq", cascade="all, delete-orphan"
    )
    asset_links: Mapped[list[ContractAsset]] = relationship(
        back_populates="contract", order_by="ContractAsset.asset_id", cascade="all, delete-orphan"
    )
    registrations: Mapped[list[ContractRegistration]] = relationship(
        back_populates="contract", order_by="ContractRegistration.seq"
    )

    def __repr__(self) -> str:
        return f"<Contract {self.id} {self.status} {self.registration_no or ''}>"

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def buyer_display(self) -> str:
        if self.buyer_org is not None:
            return self.buyer_org.name
        return self.buyer_name or ""

    @property
    def buyer_region(self) -> str | None:
        if self.buyer_org is not None:
            return self.buyer_org.region_code
        return OUT_OF_PROVINCE if self.buyer_name else None

    @property
    def asset_ids(self) -> list[int]:
        return [link.asset_id for link in self.asset_links]

    @property
    def non_technical_fen(self) -> int | None:
        if self.turnover_fen is None or self.tech_income_fen is None:
            return None
        return self.turnover_fen - self.tech_income_fen

    @property
    def is_offline(self) -> bool:
        return self.source == "offline"

    @property
    def first_registration(self) -> ContractRegistration | None:
        return self.registrations[0] if self.registrations else None

    @property
    def current_registration(self) -> ContractRegistration | None:
        return self.registrations[-1] if self.registrations else None


class ContractMilestone(db.Model):
    """One instalment of the contract price: what payments will pay later."""

    __tablename__ = "contract_milestones"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    description: Mapped[str | None] = mapped_column(String(200))

    contract: Mapped[Contract] = relationship(back_populates="milestones")

    def __repr__(self) -> str:
        return f"<ContractMilestone {self.contract_id}#{self.seq} {self.amount_fen}>"


class ContractCostLine(db.Model):
    """A non-technical cost (equipment, instruments, parts, raw materials)."""

    __tablename__ = "contract_cost_lines"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq"),
        CheckConstraint(f"kind IN ({_cost_kinds})", name="kind"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)

    contract: Mapped[Contract] = relationship(back_populates="cost_lines")


class ContractAsset(db.Model):
    """An IP asset the contract licenses or transfers."""

    __tablename__ = "contract_assets"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), primary_key=True, index=True)

    contract: Mapped[Contract] = relationship(back_populates="asset_links")


class ContractRegistration(db.Model):
    """What a regulator registered: the first registration, an amendment or a
    cancellation. Appended, never edited; each links to the one it follows."""

    __tablename__ = "contract_registrations"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq"),
        CheckConstraint(f"kind IN ({_reg_kinds})", name="kind"),
        CheckConstraint("turnover_fen >= 0 AND tech_income_fen >= 0", name="amounts_nonneg"),
        CheckConstraint("tech_income_fen <= turnover_fen", name="income_within_turnover"),
        Index("ix_contract_registrations_registration_no", "registration_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 = the first registration
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    registration_no: Mapped[str] = mapped_column(String(16), nullable=False)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("contract_registrations.id"))
    #: What is on record after this registration (0 and 0 after a cancellation).
    category: Mapped[str] = mapped_column(String(40), nullable=False)
    turnover_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tech_income_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    buyer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    buyer_name: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(32))
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    authority_region: Mapped[str] = mapped_column(String(6), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)

    contract: Mapped[Contract] = relationship(back_populates="registrations")
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    previous: Mapped[ContractRegistration | None] = relationship(remote_side=[id])

    @property
    def label_no(self) -> str:
        """The number as printed: amendments and cancellations add "-B1", "-Z1" ... (变更/注销)."""
        if self.kind == RegistrationKind.REGISTRATION:
            return self.registration_no
        return (
            f"{self.registration_no}-{'B' if self.kind == RegistrationKind.AMENDMENT else 'Z'}{self.seq - 1}"
        )


class RegistrationCounter(db.Model):
    """The last serial issued per registration-number prefix (year, city, point).

    Locked FOR UPDATE by the registering transaction, so two regulators
    registering at the same moment get consecutive, distinct serials.
    """

    __tablename__ = "contract_registration_counters"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
