"""What demo seeders share: the organizations and users created so far."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select
from stdnum.cn import uscc as stdnum_uscc

from ..accounts.models import Organization, User
from ..extensions import db

DEMO_PASSWORD = "demo-pass-2025"


def make_uscc(prefix: str, region_code: str, seed: str) -> str:
    """A Unified Social Credit Code with a correct check character, stable for a seed."""
    digits = str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:9]
    body = f"{prefix}{region_code}{digits}"
    return body + stdnum_uscc.calc_check_digit(body)


@dataclass
class DemoContext:
    """Organizations and users by short key, found again on a repeated run."""

    orgs: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    echo: object = print

    def org(self, key: str) -> Organization:
        return self.orgs[key]

    def user(self, key: str) -> User:
        return self.users[key]

    def load(self, org_keys: dict[str, str], user_keys: dict[str, str]) -> None:
        """Fill the maps from the database (key -> USCC, key -> e-mail)."""
        for key, code in org_keys.items():
            org = db.session.scalar(select(Organization).where(Organization.uscc == code))
            if org is not None:
                self.orgs[key] = org
        for key, email in user_keys.items():
            user = db.session.scalar(select(User).where(User.email == email))
            if user is not None:
                self.users[key] = user
