"""IP assets, their owners, encumbrances and chain of title.

Tables: ``ip_assets``, ``ip_asset_owners``, ``ip_encumbrances``, ``ip_title_events``,
``ip_ownership_proposals``, ``ip_ownership_votes``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.catalog import INDUSTRIES
from ..core.models import TimestampMixin
from ..core.models import sql_in as _in
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from . import states

if TYPE_CHECKING:
    from ..accounts.models import Organization, User


_KINDS = [k.value for k in states.AssetKind]
_NO_ID_KINDS = sorted(states.KINDS_WITHOUT_IDENTIFIER)


class IpAsset(TimestampMixin, db.Model):
    """An asset a seller can list: a patent, copyright, variety, know-how or achievement."""

    __tablename__ = "ip_assets"
    __audit_type__ = "ip_asset"
    __table_args__ = (
        CheckConstraint(_in("kind", _KINDS), name="kind"),
        CheckConstraint(_in("legal_status", [s.value for s in states.LegalStatus]), name="legal_status"),
        CheckConstraint(f"maturity IS NULL OR {_in('maturity', states.MATURITY_LABELS)}", name="maturity"),
        CheckConstraint(_in("industry", INDUSTRIES), name="industry"),
        CheckConstraint("title_zh IS NOT NULL OR title_en IS NOT NULL", name="has_title"),
        CheckConstraint(f"identifier IS NOT NULL OR {_in('kind', _NO_ID_KINDS)}", name="identifier_required"),
        CheckConstraint(
            "granted_on IS NULL OR filed_on IS NULL OR granted_on >= filed_on", name="granted_after_filed"
        ),
        CheckConstraint(
            "expires_on IS NULL OR filed_on IS NULL OR expires_on >= filed_on", name="expires_after_filed"
        ),
        CheckConstraint(
            "expires_on IS NULL OR granted_on IS NULL OR expires_on >= granted_on",
            name="expires_after_granted",
        ),
        CheckConstraint(
            "(verified_at IS NULL) = (verified_by_id IS NULL) AND (verified_at IS NULL) = (verification_source IS NULL)",
            name="verification_complete",
        ),
        # The same identifier cannot be registered twice (per kind: numbers of different
        # kinds live in different registers).
        UniqueConstraint("kind", "identifier", name="uq_ip_assets_kind_identifier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    identifier: Mapped[str | None] = mapped_column(String(64))
    title_zh: Mapped[str | None] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(300))
    abstract_zh: Mapped[str | None] = mapped_column(Text)
    abstract_en: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    inventors: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    industry: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    maturity: Mapped[str | None] = mapped_column(String(16))
    legal_status: Mapped[str] = mapped_column(String(16), nullable=False)
    filed_on: Mapped[date | None] = mapped_column(Date)
    granted_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Legal status checked by an agency against an official source; cleared when it changes.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verification_source: Mapped[str | None] = mapped_column(String(32))
    verification_note: Mapped[str | None] = mapped_column(String(500))

    owners: Mapped[list[AssetOwner]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="AssetOwner.id", lazy="selectin"
    )
    encumbrances: Mapped[list[Encumbrance]] = relationship(
        back_populates="asset", order_by="Encumbrance.id", lazy="selectin"
    )
    title_events: Mapped[list[TitleEvent]] = relationship(
        back_populates="asset", order_by="TitleEvent.seq", lazy="selectin"
    )
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    def __repr__(self) -> str:
        return f"<IpAsset {self.id} {self.kind} {self.identifier}>"

    @property
    def title(self) -> str:
        """The title in Chinese if there is one, else in English."""
        return self.title_zh or self.title_en or ""

    @property
    def owner_org_ids(self) -> set[int]:
        return {o.org_id for o in self.owners}

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def kind_label(self) -> str:
        return states.label(states.ASSET_KIND_LABELS, self.kind)

    @property
    def legal_status_label(self) -> str:
        return states.label(states.LEGAL_STATUS_LABELS, self.legal_status)

    @property
    def maturity_label(self) -> str:
        return states.label(states.MATURITY_LABELS, self.maturity)

    @property
    def display_identifier(self) -> str:
        """A granted patent is written ZL + its number."""
        if (
            self.identifier
            and self.legal_status == "granted"
            and self.kind
            in (
                "invention_patent",
                "utility_model",
                "design_patent",
            )
        ):
            return "ZL" + self.identifier
        return self.identifier or ""


class AssetOwner(db.Model):
    """A current owner of an asset and its share in basis points (10000 = 100 %)."""

    __tablename__ = "ip_asset_owners"
    __table_args__ = (
        UniqueConstraint("asset_id", "org_id"),
        CheckConstraint("share_bp >= 1 AND share_bp <= 10000", name="share_bp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id", ondelete="CASCADE"), nullable=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    share_bp: Mapped[int] = mapped_column(nullable=False)

    asset: Mapped[IpAsset] = relationship(back_populates="owners")
    organization: Mapped[Organization] = relationship()  # pages that list many load it explicitly


class Encumbrance(db.Model):
    """A licence already granted, a pledge, or a deal committed on the platform.

    Never deleted: a pledge is released, a licence terminated and a committed
    deal closed by setting ``released_on`` (with who, when and why).
    """

    __tablename__ = "ip_encumbrances"
    __audit_type__ = "ip_encumbrance"
    __table_args__ = (
        CheckConstraint(_in("kind", [k.value for k in states.EncumbranceKind]), name="kind"),
        CheckConstraint(
            f"deal_kind IS NULL OR {_in('deal_kind', [k.value for k in states.DealKind])}", name="deal_kind"
        ),
        CheckConstraint(
            f"license_type IS NULL OR {_in('license_type', [t.value for t in states.LicenseType])}",
            name="license_type",
        ),
        # A licence names its type; nothing else has one.
        CheckConstraint(
            "(deal_kind = 'license') = (license_type IS NOT NULL)", name="license_type_iff_license"
        ),
        CheckConstraint(
            "(kind = 'license' AND deal_kind = 'license')"
            " OR (kind = 'pledge' AND deal_kind IS NULL AND amount_fen IS NOT NULL)"
            " OR (kind = 'committed_deal' AND deal_kind IS NOT NULL AND reference IS NOT NULL)",
            name="kind_shape",
        ),
        CheckConstraint("amount_fen IS NULL OR amount_fen > 0", name="amount_fen"),
        CheckConstraint(
            "term_end IS NULL OR term_start IS NULL OR term_end >= term_start", name="term_order"
        ),
        CheckConstraint("(released_on IS NULL) = (released_at IS NULL)", name="release_complete"),
        CheckConstraint("disposal_ref IS NULL OR kind = 'pledge'", name="disposal_ref_pledge"),
        # One platform deal per contract reference and asset (recording it twice is a no-op).
        Index(
            "uq_ip_encumbrances_committed_reference",
            "asset_id",
            "reference",
            unique=True,
            sqlite_where=text("kind = 'committed_deal'"),
            postgresql_where=text("kind = 'committed_deal'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    deal_kind: Mapped[str | None] = mapped_column(String(16))
    license_type: Mapped[str | None] = mapped_column(String(16))
    # Normalized text (see deals.normalize_scope); "" means everything.
    field_of_use: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    territory: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)
    counterparty: Mapped[str | None] = mapped_column(String(200))  # licensee, pledgee, assignee
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # pledge: the secured amount
    reference: Mapped[str | None] = mapped_column(String(100))  # contract or registration number
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_on: Mapped[date | None] = mapped_column(Date)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    release_note: Mapped[str | None] = mapped_column(String(500))
    #: A pledge whose pledgee put the asset up for sale (the sale's reference): the
    #: pledge then lets a transfer through, the sale paying the pledgee first.
    disposal_ref: Mapped[str | None] = mapped_column(String(64))

    asset: Mapped[IpAsset] = relationship(back_populates="encumbrances")

    @property
    def is_released(self) -> bool:
        return self.released_on is not None

    @property
    def kind_label(self) -> str:
        return states.label(states.ENCUMBRANCE_KIND_LABELS, self.kind)

    @property
    def deal_kind_label(self) -> str:
        return states.label(states.DEAL_KIND_LABELS, self.deal_kind)

    @property
    def license_type_label(self) -> str:
        return states.label(states.LICENSE_TYPE_LABELS, self.license_type)


class TitleEvent(db.Model):
    """One link of the chain of title: who owned the asset from which date, and why.

    The first link is the registration on the platform and is never rewritten;
    each later link is a transfer recorded by `record_transfer` with the contract
    that caused it, or an ownership change: agreed by every owner through an
    `OwnershipProposal` (decided by an admin or agency on evidence), or made by a
    sole owner adding co-owners. ``owners`` is a snapshot: [{"org_id", "name", "share_bp"}].
    """

    __tablename__ = "ip_title_events"
    __table_args__ = (
        UniqueConstraint("asset_id", "seq"),
        CheckConstraint(_in("kind", [k.value for k in states.TitleEventKind]), name="kind"),
        CheckConstraint("(seq = 1) = (kind = 'registration')", name="registration_first"),
        CheckConstraint("kind <> 'transfer' OR contract_ref IS NOT NULL", name="transfer_has_contract"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), nullable=False)
    seq: Mapped[int] = mapped_column(nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    contract_ref: Mapped[str | None] = mapped_column(String(100))
    owners: Mapped[list[dict]] = mapped_column(JSON, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The proposal this change applied (kind ownership_change, when agreed through one).
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("ip_ownership_proposals.id"))

    asset: Mapped[IpAsset] = relationship(back_populates="title_events")
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def kind_label(self) -> str:
        return states.label(states.TITLE_EVENT_LABELS, self.kind)


_PROPOSAL_STATES = [p.value for p in states.ProposalStatus]


class OwnershipProposal(TimestampMixin, db.Model):
    """A proposed change of the owners of a co-owned asset.

    Each current owner organization accepts it (the proposing one by proposing),
    or an admin or an approved agency decides it with evidence attached; when
    accepted, the new owners apply as a new link of the chain of title. One
    proposal at a time may be open per asset. ``current_owners`` and
    ``new_owners`` are snapshots: [{"org_id", "name", "share_bp"}].
    """

    __tablename__ = "ip_ownership_proposals"
    __audit_type__ = "ip_ownership_proposal"
    __table_args__ = (
        CheckConstraint(_in("status", _PROPOSAL_STATES), name="status"),
        CheckConstraint(
            f"decision_basis IS NULL OR {_in('decision_basis', [b.value for b in states.DecisionBasis])}",
            name="decision_basis",
        ),
        CheckConstraint("(status = 'proposed') = (decided_at IS NULL)", name="decided_when_final"),
        CheckConstraint("status <> 'accepted' OR decision_basis IS NOT NULL", name="accepted_has_basis"),
        CheckConstraint(
            "decision_basis IS NULL OR decision_basis = 'owners' OR evidence_id IS NOT NULL",
            name="decision_has_evidence",
        ),
        # At most one open proposal per asset.
        Index(
            "uq_ip_ownership_proposals_open",
            "asset_id",
            unique=True,
            sqlite_where=text("status = 'proposed'"),
            postgresql_where=text("status = 'proposed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("ip_assets.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.ProposalStatus.PROPOSED.value
    )
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    proposer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    current_owners: Mapped[list[dict]] = mapped_column(JSON, nullable=False)
    new_owners: Mapped[list[dict]] = mapped_column(JSON, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_basis: Mapped[str | None] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(Text)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))

    asset: Mapped[IpAsset] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    proposer_org: Mapped[Organization] = relationship(foreign_keys=[proposer_org_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    votes: Mapped[list[OwnershipVote]] = relationship(
        back_populates="proposal", order_by="OwnershipVote.id", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<OwnershipProposal {self.id} asset={self.asset_id} {self.status}>"

    @property
    def is_open(self) -> bool:
        return self.status == states.ProposalStatus.PROPOSED.value

    @property
    def status_label(self) -> str:
        return states.label(states.PROPOSAL_STATUS_LABELS, self.status)

    @property
    def decision_basis_label(self) -> str:
        return states.label(states.DECISION_BASIS_LABELS, self.decision_basis)

    @property
    def current_org_ids(self) -> list[int]:
        return [o["org_id"] for o in self.current_owners]

    @property
    def new_org_ids(self) -> list[int]:
        return [o["org_id"] for o in self.new_owners]

    @property
    def accepted_org_ids(self) -> set[int]:
        return {v.org_id for v in self.votes if v.decision == states.VoteDecision.ACCEPT.value}

    @property
    def awaiting_org_ids(self) -> list[int]:
        """Current owners that have not answered yet (while open)."""
        if not self.is_open:
            return []
        answered = {v.org_id for v in self.votes}
        return [org_id for org_id in self.current_org_ids if org_id not in answered]

    @property
    def losing_org_ids(self) -> list[int]:
        """Current owners that the proposal removes."""
        return [org_id for org_id in self.current_org_ids if org_id not in self.new_org_ids]


class OwnershipVote(db.Model):
    """One current owner organization's answer to a proposal (given by one of its members)."""

    __tablename__ = "ip_ownership_votes"
    __table_args__ = (
        UniqueConstraint("proposal_id", "org_id"),
        CheckConstraint(_in("decision", [d.value for d in states.VoteDecision]), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("ip_ownership_proposals.id"), nullable=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    decision: Mapped[str] = mapped_column(String(8), nullable=False)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    proposal: Mapped[OwnershipProposal] = relationship(back_populates="votes")
    organization: Mapped[Organization] = relationship()  # pages that list many load it explicitly
    user: Mapped[User] = relationship()

    @property
    def decision_label(self) -> str:
        return states.label(states.VOTE_LABELS, self.decision)
