"""Listings (offers of one asset or a bundle), their deal terms, and demands.

Tables: ``listings``, ``listing_assets``, ``listing_terms``, ``demands``.
"""

from __future__ import annotations

from datetime import date, datetime
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

from ..core.catalog import INDUSTRIES
from ..core.models import TimestampMixin
from ..core.models import sql_in as _in
from ..core.types import UTCDateTime
from ..extensions import db
from . import states
from .terms import TERMS_FIELDS

if TYPE_CHECKING:
    from ..accounts.models import Organization, User
    from ..ip.models import IpAsset


_LISTING_STATES = [s.value for s in states.ListingStatus]
_DEAL_KINDS = [k.value for k in states.DealKind]
_LICENSE_TYPES = [t.value for t in states.LicenseType]


class Listing(TimestampMixin, db.Model):
    """An offer of one asset (or a bundle) for one or more deal kinds.

    ``industry``, ``ip_kind``, ``source_kind``, ``region_code`` and ``maturity``
    are derived from the assets (the first asset of the bundle, and the
    organization that owns the largest share of it) whenever the assets change;
    they are read-only for users and let the database filter and report.
    """

    __tablename__ = "listings"
    __audit_type__ = "listing"
    __table_args__ = (
        CheckConstraint(_in("status", _LISTING_STATES), name="status"),
        CheckConstraint("title_zh IS NOT NULL OR title_en IS NOT NULL", name="has_title"),
        CheckConstraint("price_fen IS NULL OR price_fen >= 0", name="price_fen"),
        CheckConstraint(f"industry IS NULL OR {_in('industry', INDUSTRIES)}", name="industry"),
        CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name="published_at"),
        CheckConstraint("status <> 'returned' OR return_reason IS NOT NULL", name="return_reason"),
        Index("ix_listings_status_published_at", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=states.ListingStatus.DRAFT.value)
    title_zh: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(300))
    abstract_zh: Mapped[str | None] = mapped_column(Text)
    abstract_en: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    problem: Mapped[str | None] = mapped_column(Text)
    comparison: Mapped[str | None] = mapped_column(Text)
    # Asking price in fen; NULL means "negotiable" (面议).
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # Derived from the assets (see the class docstring).
    industry: Mapped[str | None] = mapped_column(String(32), index=True)
    ip_kind: Mapped[str | None] = mapped_column(String(32))
    source_kind: Mapped[str | None] = mapped_column(String(32))
    region_code: Mapped[str | None] = mapped_column(String(6))
    maturity: Mapped[str | None] = mapped_column(String(16))
    # Lifecycle facts.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(500))

    organization: Mapped[Organization] = relationship(foreign_keys=[org_id], lazy="joined")
    agency: Mapped[Organization | None] = relationship(foreign_keys=[agency_org_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    asset_links: Mapped[list[ListingAsset]] = relationship(
        back_populates="listing",
        cascade="all, delete-orphan",
        order_by="ListingAsset.position",
        lazy="selectin",
    )
    terms: Mapped[list[ListingTerms]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingTerms.id", lazy="selectin"
    )
    consents: Mapped[list[ListingConsent]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingConsent.id", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.status}>"

    @property
    def title(self) -> str:
        return self.title_zh or self.title_en or ""

    @property
    def assets(self) -> list[IpAsset]:
        return [link.asset for link in self.asset_links]

    @property
    def asset_ids(self) -> list[int]:
        return [link.asset_id for link in self.asset_links]

    @property
    def deal_kinds(self) -> list[str]:
        return [t.deal_kind for t in self.terms]

    def terms_for(self, deal_kind: str) -> ListingTerms | None:
        """The terms offered for one deal kind, or None when it is not offered."""
        return next((t for t in self.terms if t.deal_kind == deal_kind), None)

    @property
    def ip_kinds(self) -> list[str]:
        seen: list[str] = []
        for asset in self.assets:
            if asset.kind not in seen:
                seen.append(asset.kind)
        return seen

    @property
    def is_published(self) -> bool:
        return self.status == states.ListingStatus.PUBLISHED.value

    @property
    def is_editable(self) -> bool:
        return self.status in states.EDITABLE_STATES

    @property
    def status_label(self) -> str:
        return states.label(states.LISTING_STATUS_LABELS, self.status)

    @property
    def maturity_label(self) -> str:
        return states.label(states.MATURITY_LABELS, self.maturity)

    @property
    def ip_kind_label(self) -> str:
        return states.label(states.IP_KIND_LABELS, self.ip_kind)


class ListingAsset(db.Model):
    """An asset of a listing's bundle, in the seller's order (the first is the main one)."""

    __tablename__ = "listing_assets"
    __table_args__ = (UniqueConstraint("listing_id", "position"),)

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)

    listing: Mapped[Listing] = relationship(back_populates="asset_links")
    asset: Mapped[IpAsset] = relationship(lazy="joined")


class ListingTerms(db.Model):
    """The terms a listing offers for one deal kind (at most one row per kind).

    licence: license_type, field_of_use, territory ("" = unrestricted),
    term_months, upfront_fen, royalty_bp; transfer: price_fen; equity:
    valuation_fen, equity_share_bp, company. Percentages are basis points.
    """

    __tablename__ = "listing_terms"
    __table_args__ = (
        UniqueConstraint("listing_id", "deal_kind"),
        CheckConstraint(_in("deal_kind", _DEAL_KINDS), name="deal_kind"),
        CheckConstraint(
            f"(deal_kind = 'license' AND {_in('license_type', _LICENSE_TYPES)})"
            " OR (deal_kind <> 'license' AND license_type IS NULL)",
            name="license_type",
        ),
        CheckConstraint(
            "term_months IS NULL OR (term_months >= 1 AND term_months <= 1200)", name="term_months"
        ),
        CheckConstraint("upfront_fen IS NULL OR upfront_fen >= 0", name="upfront_fen"),
        CheckConstraint("royalty_bp IS NULL OR (royalty_bp >= 0 AND royalty_bp <= 10000)", name="royalty_bp"),
        CheckConstraint("price_fen IS NULL OR price_fen >= 0", name="price_fen"),
        CheckConstraint("valuation_fen IS NULL OR valuation_fen >= 0", name="valuation_fen"),
        CheckConstraint(
            "equity_share_bp IS NULL OR (equity_share_bp >= 1 AND equity_share_bp <= 10000)",
            name="equity_share_bp",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), nullable=False)
    deal_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    license_type: Mapped[str | None] = mapped_column(String(16))
    field_of_use: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    territory: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    term_months: Mapped[int | None] = mapped_column(Integer)
    upfront_fen: Mapped[int | None] = mapped_column(BigInteger)
    royalty_bp: Mapped[int | None] = mapped_column(Integer)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    valuation_fen: Mapped[int | None] = mapped_column(BigInteger)
    equity_share_bp: Mapped[int | None] = mapped_column(Integer)
    company: Mapped[str | None] = mapped_column(String(200))

    listing: Mapped[Listing] = relationship(back_populates="terms")

    FIELDS = TERMS_FIELDS

    def to_dict(self) -> dict[str, Any]:
        """The API's terms object: deal_kind and the fields of that kind."""
        out: dict[str, Any] = {"deal_kind": self.deal_kind}
        for name in self.FIELDS[self.deal_kind]:
            out[name] = getattr(self, name)
        return out

    @property
    def deal_kind_label(self) -> str:
        return states.label(states.DEAL_KIND_LABELS, self.deal_kind)

    @property
    def license_type_label(self) -> str:
        return states.label(states.LICENSE_TYPE_LABELS, self.license_type)


class ListingConsent(db.Model):
    """A co-owner organization's consent to a listing that disposes of the whole
    right (transfer, equity, exclusive or sole licence) of an asset it co-owns
    (Patent Law art. 14). One row per (listing, organization); withdrawing the
    consent, or editing the listing's deal terms, deletes it."""

    __tablename__ = "listing_consents"
    __table_args__ = (UniqueConstraint("listing_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), nullable=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    listing: Mapped[Listing] = relationship(back_populates="consents")
    organization: Mapped[Organization] = relationship(lazy="joined")


class Demand(TimestampMixin, db.Model):
    """A buyer's posted technology need (技术需求)."""

    __tablename__ = "demands"
    __audit_type__ = "demand"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in states.DemandStatus]), name="status"),
        CheckConstraint(_in("industry", INDUSTRIES), name="industry"),
        CheckConstraint("budget_fen IS NULL OR budget_fen >= 0", name="budget_fen"),
        Index("ix_demands_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    industry: Mapped[str] = mapped_column(String(32), nullable=False)
    budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=states.DemandStatus.OPEN.value)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(foreign_keys=[org_id], lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<Demand {self.id} {self.status}>"

    @property
    def is_open(self) -> bool:
        return self.status == states.DemandStatus.OPEN.value

    @property
    def status_label(self) -> str:
        return states.label(states.DEMAND_STATUS_LABELS, self.status)
