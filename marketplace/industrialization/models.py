"""Industrialization reports: the receiving enterprise says that an achievement
(an IP asset) covered by its registered transfer or licence contract went into
production or was first sold; the seller side or the contract's agency
confirms it or returns it with a reason.

Invariants the database keeps:
- an asset counts once: at most one confirmed report per asset (a partial
  unique index, on PostgreSQL and SQLite alike);
- one report at a time per contract and asset waits for a decision;
- figures are never negative, a report carries at least one figure, first
  sales carry the sales amount, a returned report its reason, a confirmed
  report the source it counts for (owner organization and its kind, as they
  were at confirmation).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organization, User
from ..contracts.models import Contract
from ..core.models import TimestampMixin
from ..core.types import UTCDateTime
from ..extensions import db
from ..ip.models import IpAsset
from .states import ReportStatus, Stage, decided_as_label, stage_label, status_label

_statuses = ", ".join(f"'{s.value}'" for s in ReportStatus)
_stages = ", ".join(f"'{s.value}'" for s in Stage)


class IndustrializationReport(TimestampMixin, db.Model):
    __tablename__ = "industrialization_reports"
    __audit_type__ = "industrialization"
    __table_args__ = (
        CheckConstraint(f"status IN ({_statuses})", name="status"),
        CheckConstraint(f"stage IN ({_stages})", name="stage"),
        CheckConstraint("decided_as IS NULL OR decided_as IN ('seller', 'agency')", name="decided_as"),
        CheckConstraint("output_value_fen IS NULL OR output_value_fen >= 0", name="output_nonneg"),
        CheckConstraint("sales_fen IS NULL OR sales_fen >= 0", name="sales_nonneg"),
        CheckConstraint("units IS NULL OR units >= 0", name="units_nonneg"),
        CheckConstraint("jobs IS NULL OR jobs >= 0", name="jobs_nonneg"),
        CheckConstraint(
            "output_value_fen IS NOT NULL OR sales_fen IS NOT NULL OR units IS NOT NULL", name="has_figures"
        ),
        CheckConstraint("stage <> 'first_sales' OR sales_fen > 0", name="first_sales_amount"),
        CheckConstraint(
            "status <> 'returned' OR (return_reason IS NOT NULL AND decided_at IS NOT NULL)",
            name="returned_reason",
        ),
        CheckConstraint(
            "status <> 'confirmed' OR (confirmed_at IS NOT NULL AND source_org_id IS NOT NULL "
            "AND source_kind IS NOT NULL)",
            name="confirmed_source",
        ),
        # An achievement counts once, however many contracts cover it.
        Index(
            "uq_industrialization_reports_confirmed_asset",
            "asset_id",
            unique=True,
            sqlite_where=text("status = 'confirmed'"),
            postgresql_where=text("status = 'confirmed'"),
        ),
        # One report at a time waits for a decision per contract and asset.
        Index(
            "uq_industrialization_reports_pending",
            "contract_id",
            "asset_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_industrialization_reports_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False, index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), nullable=False, index=True)
    #: The receiving enterprise (the contract's buyer when it reported).
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ReportStatus.PENDING.value)
    stage: Mapped[str] = mapped_column(String(24), nullable=False)
    #: The day production started or the first sale was made (Asia/Shanghai).
    achieved_on: Mapped[date] = mapped_column(Date, nullable=False)
    output_value_fen: Mapped[int | None] = mapped_column(BigInteger)
    sales_fen: Mapped[int | None] = mapped_column(BigInteger)
    units: Mapped[int | None] = mapped_column(BigInteger)
    jobs: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_as: Mapped[str | None] = mapped_column(String(16))
    return_reason: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: The source the achievement counts for, snapshotted at confirmation.
    source_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    source_kind: Mapped[str | None] = mapped_column(String(32))
    source_share_bp: Mapped[int | None] = mapped_column(Integer)

    contract: Mapped[Contract] = relationship(lazy="joined")
    asset: Mapped[IpAsset] = relationship(lazy="joined")
    buyer_org: Mapped[Organization] = relationship(foreign_keys=[buyer_org_id])
    source_org: Mapped[Organization | None] = relationship(foreign_keys=[source_org_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<IndustrializationReport {self.id} {self.status} asset={self.asset_id}>"

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)

    @property
    def decided_as_label(self) -> str:
        return decided_as_label(self.decided_as)
