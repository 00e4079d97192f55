"""States of organizations and users."""

from __future__ import annotations

import enum


class OrgStatus(str, enum.Enum):
    PENDING = "pending"  # awaiting an admin (agency and regulator kinds)
    APPROVED = "approved"
    SUSPENDED = "suspended"


class UserStatus(str, enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Membership(str, enum.Enum):
    APPROVED = "approved"
    PENDING = "pending"  # joined an existing organization; awaiting an admin
