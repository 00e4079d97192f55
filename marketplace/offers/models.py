"""Offers (negotiations on a published listing), every version of their terms,
their message threads, and agencies' mandates.

Tables: ``mandates``, ``offers``, ``offer_versions`` (appended, never
rewritten), ``offer_messages``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
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
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin
from ..core.models import sql_in as _in
from ..core.timeutil import today_shanghai, utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from ..listings.states import DEAL_KIND_LABELS, LICENSE_TYPE_LABELS
from ..listings.terms import (  # noqa: F401 - the terms object, also imported from here
    ALL_TERMS_FIELDS,
    TERMS_FIELDS,
)
from . import states

if TYPE_CHECKING:
    from ..accounts.models import Organization, User
    from ..contracts.models import Contract
    from ..listings.models import Listing


class Mandate(TimestampMixin, db.Model):
    """A client (seller or buyer organization) lets an agency broker for it, for a
    commission, between two dates. The client proposes it; the agency accepts it."""

    __tablename__ = "mandates"
    __audit_type__ = "mandate"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in states.MandateStatus]), name="status"),
        CheckConstraint(_in("side", [s.value for s in states.Side]), name="side"),
        CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000", name="commission_bp"),
        CheckConstraint("valid_from <= valid_to", name="validity"),
        CheckConstraint("agency_org_id <> client_org_id", name="distinct_orgs"),
        Index("ix_mandates_client_side", "client_org_id", "side", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    client_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    side: Mapped[str] = mapped_column(String(8), nullable=False)
    commission_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.MandateStatus.PROPOSED.value
    )
    scope: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    agency: Mapped[Organization] = relationship(foreign_keys=[agency_org_id])
    client: Mapped[Organization] = relationship(foreign_keys=[client_org_id])

    def __repr__(self) -> str:
        return f"<Mandate {self.id} {self.side} {self.status}>"

    def is_in_force(self, on: date | None = None) -> bool:
        """Active, and `on` (default: today in Shanghai) within its dates."""
        day = on or today_shanghai()
        return self.status == states.MandateStatus.ACTIVE.value and self.valid_from <= day <= self.valid_to

    @property
    def status_label(self) -> str:
        return states.label(states.MANDATE_STATUS_LABELS, self.status)

    @property
    def side_label(self) -> str:
        return states.label(states.SIDE_LABELS, self.side)


class Offer(TimestampMixin, db.Model):
    """A negotiation between a buyer and the seller of a published listing.

    ``turn`` is the side expected to answer the latest version. The terms live
    in ``versions``: one row per proposal, never rewritten. An anonymous offer
    hides the buyer's name from the seller side until ``revealed_at``.
    """

    __tablename__ = "offers"
    __audit_type__ = "offer"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in states.OfferStatus]), name="status"),
        CheckConstraint(_in("turn", [s.value for s in states.Side]), name="turn"),
        CheckConstraint("buyer_org_id <> seller_org_id", name="distinct_parties"),
        CheckConstraint("status <> 'accepted' OR contract_id IS NOT NULL", name="accepted_has_contract"),
        Index("ix_offers_listing_status", "listing_id", "status"),
        Index("ix_offers_status_expires_on", "status", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), nullable=False)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    #: The agencies brokering for each side, under their mandates (NULL: none).
    buyer_agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    buyer_mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    seller_agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    seller_mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandates.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=states.OfferStatus.OPEN.value)
    turn: Mapped[str] = mapped_column(String(8), nullable=False, default=states.Side.SELLER.value)
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), unique=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    listing: Mapped[Listing] = relationship()
    seller_org: Mapped[Organization] = relationship(foreign_keys=[seller_org_id])
    buyer_org: Mapped[Organization] = relationship(foreign_keys=[buyer_org_id])
    buyer_agency: Mapped[Organization | None] = relationship(foreign_keys=[buyer_agency_org_id])
    seller_agency: Mapped[Organization | None] = relationship(foreign_keys=[seller_agency_org_id])
    buyer_mandate: Mapped[Mandate | None] = relationship(foreign_keys=[buyer_mandate_id])
    seller_mandate: Mapped[Mandate | None] = relationship(foreign_keys=[seller_mandate_id])
    contract: Mapped[Contract | None] = relationship(foreign_keys=[contract_id])
    versions: Mapped[list[OfferVersion]] = relationship(
        back_populates="offer", order_by="OfferVersion.number", lazy="selectin"
    )
    messages: Mapped[list[OfferMessage]] = relationship(
        back_populates="offer", order_by="OfferMessage.id", lazy="select"
    )

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.status} turn={self.turn}>"

    @property
    def reference(self) -> str:
        """The deal's reference in contracts and the IP registry."""
        return f"offer:{self.id}"

    @property
    def latest(self) -> OfferVersion:
        return self.versions[-1]

    @property
    def is_live(self) -> bool:
        return self.status in states.LIVE_STATES

    @property
    def is_past_expiry(self) -> bool:
        return self.expires_on < today_shanghai()

    @property
    def buyer_hidden(self) -> bool:
        """Whether the seller side must not learn the buyer's name."""
        return self.anonymous and self.revealed_at is None

    @property
    def status_label(self) -> str:
        return states.label(states.OFFER_STATUS_LABELS, self.status)

    @property
    def turn_label(self) -> str:
        return states.label(states.SIDE_LABELS, self.turn)


class OfferVersion(db.Model):
    """One proposal of terms (the API's terms object), by one side. Appended only."""

    __tablename__ = "offer_versions"
    __table_args__ = (
        UniqueConstraint("offer_id", "number"),
        CheckConstraint(_in("author_side", [s.value for s in states.Side]), name="author_side"),
        CheckConstraint(_in("deal_kind", list(DEAL_KIND_LABELS)), name="deal_kind"),
        CheckConstraint(
            f"(deal_kind = 'license' AND {_in('license_type', list(LICENSE_TYPE_LABELS))})"
            " OR (deal_kind <> 'license' AND license_type IS NULL)",
            name="license_type",
        ),
        CheckConstraint(
            "term_months IS NULL OR (term_months >= 1 AND term_months <= 1200)", name="term_months"
        ),
        CheckConstraint("upfront_fen IS NULL OR upfront_fen >= 0", name="upfront_fen"),
        CheckConstraint("royalty_bp IS NULL OR (royalty_bp >= 0 AND royalty_bp <= 10000)", name="royalty_bp"),
        CheckConstraint("deal_kind <> 'transfer' OR price_fen >= 0", name="price_fen"),
        CheckConstraint("deal_kind <> 'equity' OR valuation_fen >= 0", name="valuation_fen"),
        CheckConstraint(
            "deal_kind <> 'equity' OR (equity_share_bp >= 1 AND equity_share_bp <= 10000)",
            name="equity_share_bp",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    author_side: Mapped[str] = mapped_column(String(8), nullable=False)
    #: The organization that wrote it: the party, or the agency brokering for it.
    author_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
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

    offer: Mapped[Offer] = relationship(back_populates="versions")
    author_org: Mapped[Organization] = relationship(foreign_keys=[author_org_id])

    def terms(self) -> dict[str, Any]:
        """The API's terms object: deal_kind and the fields of that kind."""
        out: dict[str, Any] = {"deal_kind": self.deal_kind}
        for name in TERMS_FIELDS[self.deal_kind]:
            out[name] = getattr(self, name)
        return out

    @property
    def deal_kind_label(self) -> str:
        return states.label(DEAL_KIND_LABELS, self.deal_kind)

    @property
    def license_type_label(self) -> str:
        return states.label(LICENSE_TYPE_LABELS, self.license_type)

    @property
    def author_side_label(self) -> str:
        return states.label(states.SIDE_LABELS, self.author_side)


@event.listens_for(OfferVersion, "before_update")
def _versions_are_never_rewritten(mapper, connection, target) -> None:
    raise RuntimeError("offer versions are appended, never rewritten")


class OfferMessage(db.Model):
    """A message in an offer's thread, by a party or its agency; attachments hang on it."""

    __tablename__ = "offer_messages"
    __audit_type__ = "offer_message"
    __table_args__ = (
        CheckConstraint(_in("author_side", [s.value for s in states.Side]), name="author_side"),
        Index("ix_offer_messages_offer", "offer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), nullable=False)
    author_side: Mapped[str] = mapped_column(String(8), nullable=False)
    author_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    offer: Mapped[Offer] = relationship(back_populates="messages")
    author_org: Mapped[Organization] = relationship(foreign_keys=[author_org_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
