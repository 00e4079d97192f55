"""Tables of the docking network: nodes and their operators, follow-ups of
matches, docking events (pitches, registrations, outcomes), technology managers,
and the plan periods after 2022-2025 with the province's official turnover.

Listings and demands are not copied: which node they belong to is computed by
query from their organization's region, institution and industry (see routing.py).
"""

from __future__ import annotations

from datetime import date, datetime

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
from ..core.models import sql_in as _in
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db
from . import states


class Node(db.Model):
    """A node of the three-level network: the provincial core, a city's regional
    node, or a professional node (a university's transfer centre, an institute, a park)."""

    __tablename__ = "network_nodes"
    __table_args__ = (
        CheckConstraint(_in("level", [s.value for s in states.NodeLevel]), name="level"),
        CheckConstraint("level = 'core' OR parent_id IS NOT NULL", name="parent_below_core"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    region_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("network_nodes.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    #: A professional node's routing: listings and demands of these organizations,
    #: and of these industries, belong to it.
    institution_org_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    industries: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    contacts: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    parent: Mapped[Node | None] = relationship(remote_side=[id])
    organization: Mapped[Organization] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Node {self.slug} {self.level}>"

    @property
    def display_name(self) -> str:
        from flask_babel import get_locale

        locale = get_locale()
        if locale is not None and locale.language == "en" and self.name_en:
            return self.name_en
        return self.name

    @property
    def level_label(self) -> str:
        return states.label(states.LEVEL_LABELS, self.level)


class NodeOperator(db.Model):
    """A person of the node's organization who runs the node, approved by the node above."""

    __tablename__ = "network_operators"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in states.OperatorStatus]), name="status"),
        UniqueConstraint("node_id", "user_id", name="one_per_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.OperatorStatus.PENDING.value
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    node: Mapped[Node] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    @property
    def status_label(self) -> str:
        return states.label(states.OPERATOR_STATUS_LABELS, self.status)


class FollowUp(db.Model):
    """What a node's operator did about a (demand, listing) match. Appended, never edited."""

    __tablename__ = "network_follow_ups"
    __table_args__ = (
        CheckConstraint(_in("kind", [s.value for s in states.FollowUpKind]), name="kind"),
        Index("ix_network_follow_ups_pair", "demand_id", "listing_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), nullable=False, index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id"), nullable=False)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    next_step_on: Mapped[date | None] = mapped_column(Date)
    score: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)

    node: Mapped[Node] = relationship()
    actor: Mapped[User] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return states.label(states.FOLLOW_UP_LABELS, self.kind)


class DockingEvent(db.Model):
    """A docking event or roadshow (路演) a node holds, on site or online."""

    __tablename__ = "network_events"
    __table_args__ = (
        CheckConstraint(_in("kind", [s.value for s in states.EventKind]), name="kind"),
        CheckConstraint(_in("status", [s.value for s in states.EventStatus]), name="status"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("registered >= 0 AND registered <= capacity", name="within_capacity"),
        CheckConstraint("place IS NOT NULL OR online_url IS NOT NULL", name="somewhere"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=states.EventKind.DOCKING.value)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    place: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    registered: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    industries: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.EventStatus.SCHEDULED.value
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    node: Mapped[Node] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        return states.label(states.EVENT_KIND_LABELS, self.kind)

    @property
    def status_label(self) -> str:
        return states.label(states.EVENT_STATUS_LABELS, self.status)

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.registered)


class EventPitch(db.Model):
    """A listing its seller side enrolled to pitch at an event."""

    __tablename__ = "network_event_pitches"
    __table_args__ = (UniqueConstraint("event_id", "listing_id", name="once_per_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("network_events.id"), nullable=False, index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), nullable=False, index=True)
    enrolled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class EventRegistration(db.Model):
    """A person who will attend an event (the event's `registered` counts them)."""

    __tablename__ = "network_event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="once_per_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("network_events.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    user: Mapped[User] = relationship(lazy="joined")


class EventOutcome(db.Model):
    """What came of an event: an intent agreement, and later offers and contracts."""

    __tablename__ = "network_event_outcomes"
    __table_args__ = (CheckConstraint(_in("kind", [s.value for s in states.OutcomeKind]), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("network_events.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    @property
    def kind_label(self) -> str:
        return states.label(states.OUTCOME_LABELS, self.kind)


class TechManager(db.Model):
    """A registered technology manager (技术经理人) of a technology transfer institution."""

    __tablename__ = "network_managers"
    __table_args__ = (
        CheckConstraint(_in("level", [s.value for s in states.ManagerLevel]), name="level"),
        CheckConstraint(_in("status", [s.value for s in states.ManagerStatus]), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    certificate_no: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    fields: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    bio: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=states.ManagerStatus.PENDING.value
    )
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    agency: Mapped[Organization] = relationship(lazy="joined")

    @property
    def level_label(self) -> str:
        return states.label(states.MANAGER_LEVEL_LABELS, self.level)

    @property
    def status_label(self) -> str:
        return states.label(states.MANAGER_STATUS_LABELS, self.status)

    @property
    def verified(self) -> bool:
        return self.status == states.ManagerStatus.VERIFIED.value


class ManagerBrokerage(db.Model):
    """A contract a technology manager brokered (recorded by the manager's agency)."""

    __tablename__ = "network_manager_contracts"

    manager_id: Mapped[int] = mapped_column(ForeignKey("network_managers.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True, index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class PlanPeriod(db.Model):
    """A plan period after 2022-2025 (which is built in, ledger.catalog), with the
    targets and yearly path the provincial regulator entered and their source."""

    __tablename__ = "network_plan_periods"
    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
        CheckConstraint("turnover_target_fen > 0", name="target_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    title_en: Mapped[str | None] = mapped_column(String(300))
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    turnover_target_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: Other targets of the period: {target code: goal} (counts, or basis points for shares).
    targets: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False, default=dict)
    source: Mapped[str] = mapped_column(String(300), nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    years: Mapped[list[PlanPeriodYear]] = relationship(
        order_by="PlanPeriodYear.year", lazy="selectin", cascade="all, delete-orphan"
    )


class PlanPeriodYear(db.Model):
    """One year of a period's path of registered turnover."""

    __tablename__ = "network_plan_years"
    __table_args__ = (CheckConstraint("path_fen >= 0", name="path_nonneg"),)

    period_id: Mapped[int] = mapped_column(ForeignKey("network_plan_periods.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    path_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)


class OfficialTurnover(db.Model):
    """The province's official registered technology-contract turnover of a year, as
    published (entered by the provincial regulator with its source). Appended: the
    latest entry of a year is the one shown; earlier ones stay."""

    __tablename__ = "network_official_turnover"
    __table_args__ = (CheckConstraint("turnover_fen >= 0", name="turnover_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    turnover_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class NodeNews(db.Model):
    """A short notice a node publishes on its page (a roadshow announced, a policy
    explained, a deal made). Written by the node's operators; never edited, only
    withdrawn (kept, no longer shown)."""

    __tablename__ = "network_news"
    __audit_type__ = "node_news"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_nodes.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    node: Mapped[Node] = relationship()
    author: Mapped[User] = relationship()
