"""Organizations, users and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.catalog import (
    OUT_OF_PROVINCE,
    PROVINCE_CODE,
    REGIONS,
    VETTED_ORG_KINDS,
    org_kind_label,
    region_label,
    role_label,
)
from ..core.models import TimestampMixin
from ..core.types import UTCDateTime
from ..extensions import db
from .states import Membership, OrgStatus, UserStatus

_region_list = ", ".join(f"'{c}'" for c in REGIONS)


class Organization(TimestampMixin, db.Model):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('university','research_institute','enterprise','agency','regulator',"
            "'individual','other','service_provider','bank','guarantee_company','insurer',"
            "'investment_fund')",
            name="kind",
        ),
        CheckConstraint(f"region_code IN ({_region_list})", name="region_code"),
        CheckConstraint("status IN ('pending','approved','suspended')", name="status"),
        Index("ix_organizations_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    place: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OrgStatus.APPROVED.value)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why an administrator suspended it: told to its members and kept in the audit trail.
    suspension_reason: Mapped[str | None] = mapped_column(String(500))

    members: Mapped[list[User]] = relationship(
        back_populates="organization", foreign_keys="User.organization_id"
    )
    bank_accounts: Mapped[list[BankAccount]] = relationship(
        back_populates="organization", order_by="BankAccount.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"

    @property
    def is_approved(self) -> bool:
        return self.status == OrgStatus.APPROVED.value

    @property
    def is_suspended(self) -> bool:
        return self.status == OrgStatus.SUSPENDED.value

    @property
    def is_pending(self) -> bool:
        return self.status == OrgStatus.PENDING.value

    @property
    def needs_vetting(self) -> bool:
        return self.kind in VETTED_ORG_KINDS

    @property
    def kind_label(self) -> str:
        return org_kind_label(self.kind)

    @property
    def region_label(self) -> str:
        if self.region_code == OUT_OF_PROVINCE and self.place:
            return f"{region_label(self.region_code)} · {self.place}"
        return region_label(self.region_code)

    @property
    def is_provincial(self) -> bool:
        return self.region_code == PROVINCE_CODE


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('seller','buyer','agency','regulator','provider','financier','admin')", name="role"
        ),
        CheckConstraint("status IN ('active','suspended')", name="status"),
        CheckConstraint("membership IN ('approved','pending')", name="membership"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)  # lower case
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=UserStatus.ACTIVE.value)
    membership: Mapped[str] = mapped_column(String(16), nullable=False, default=Membership.APPROVED.value)
    locale: Mapped[str | None] = mapped_column(String(8))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the owner followed the confirmation link (or the operator created the account);
    # an unconfirmed account cannot log in.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Stored in the session (with the id, see get_id); raised by log-out, a password
    # change or reset, which so ends every session of the user at its next request.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # When the person accepted the user agreement and the privacy policy at sign-up
    # (None for accounts the operator created).
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why an administrator suspended the account: told to its owner, kept in the audit trail.
    suspension_reason: Mapped[str | None] = mapped_column(String(500))

    organization: Mapped[Organization] = relationship(
        back_populates="members", foreign_keys=[organization_id], lazy="joined"
    )
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session version."""
        return f"{self.id}.{self.session_version or 0}"

    # Flask-Login: a suspended user, or a member of a suspended organization, cannot log in.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.status == UserStatus.ACTIVE.value and not self.organization.is_suspended

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def has_powers(self) -> bool:
        """Whether the user's role is in force.

        Members of agencies and regulators wait for an admin to approve the
        organization; someone who joined an existing organization waits for
        an admin to approve the membership. Until then they act as plain users.
        """
        if self.role == "admin":
            return True
        if self.membership != Membership.APPROVED.value:
            return False
        if self.organization.needs_vetting and not self.organization.is_approved:
            return False
        # A new enterprise seller's organization waits for an administrator as well.
        if self.organization.is_pending:
            return False
        return True

    @property
    def acting_role(self) -> str:
        """The role in force: the chosen role, or "member" while waiting for approval."""
        return self.role if self.has_powers else "member"

    def acts_as(self, *roles: str) -> bool:
        return self.is_authenticated and self.acting_role in roles

    @property
    def is_admin(self) -> bool:
        return self.acts_as("admin")

    @property
    def scope_region(self) -> str | None:
        """A regulator's region scope: 230000 (provincial) or one city's code."""
        if self.acts_as("regulator"):
            return self.organization.region_code
        return None

    @property
    def role_label(self) -> str:
        return role_label(self.role)


class BankAccount(TimestampMixin, db.Model):
    """An account of an organization at a bank, where payers transfer money to it."""

    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), nullable=False, index=True)
    account_name: Mapped[str] = mapped_column(String(200), nullable=False)  # 户名
    bank_name: Mapped[str] = mapped_column(String(200), nullable=False)  # 开户行
    account_number: Mapped[str] = mapped_column(String(30), nullable=False)  # 账号, digits only

    organization: Mapped[Organization] = relationship(back_populates="bank_accounts")

    @property
    def number_grouped(self) -> str:
        """The number in groups of four digits, as banks print it."""
        n = self.account_number
        return " ".join(n[i : i + 4] for i in range(0, len(n), 4))


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RateLimitCounter(db.Model):
    """A fixed-window counter of attempts (log-in, sign-up, password reset), shared by
    every worker through the database when no Redis is configured."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
