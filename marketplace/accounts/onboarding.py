"""Onboarding and trust: organizations' bank accounts and business licences, what a
waiting person is told, and the administrators' queue of approvals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.models import record_audit
from ..extensions import db
from ..storage.uploads import Attachment, attachments_of, save_upload
from .models import BankAccount, Organization, User
from .states import Membership, OrgStatus, UserStatus
from .validation import clean_account_number

LICENCE_PURPOSE = "business_licence"
ACCOUNT_NAME_MAX = 200
BANK_NAME_MAX = 200


def can_edit_organization(user: User, organization: Organization) -> bool:
    """Approved, active members of the organization edit it; so do administrators."""
    if user.is_admin:
        return True
    return (
        user.organization_id == organization.id
        and user.membership == Membership.APPROVED.value
        and user.status == UserStatus.ACTIVE.value
    )


# --- Bank accounts -------------------------------------------------------------


@dataclass
class BankAccountData:
    account_name: str
    bank_name: str
    account_number: str


def _clean_bank_account(data: BankAccountData) -> dict:
    errors: dict[str, list] = {}
    cleaned: dict[str, str] = {}
    for key, limit, missing in (
        ("account_name", ACCOUNT_NAME_MAX, _l("Enter the account name as the bank holds it.")),
        ("bank_name", BANK_NAME_MAX, _l("Enter the bank and the branch where the account is held.")),
    ):
        value = (getattr(data, key) or "").strip()
        if not value:
            errors[key] = [missing]
        elif len(value) > limit:
            errors[key] = [
                _l(
                    "At most %(max)d characters (this has %(length)d); shorten it.",
                    max=limit,
                    length=len(value),
                )
            ]
        cleaned[key] = value
    try:
        cleaned["account_number"] = clean_account_number(data.account_number)
    except ValueError as exc:
        errors["account_number"] = [exc.args[0]]
    if errors:
        raise ValidationError(fields=errors)
    return cleaned


def add_bank_account(organization: Organization, data: BankAccountData, *, actor: User) -> BankAccount:
    """Record an account the organization is paid to (its approved members or an admin)."""
    if not can_edit_organization(actor, organization):
        raise PermissionDenied()
    cleaned = _clean_bank_account(data)
    if any(a.account_number == cleaned["account_number"] for a in organization.bank_accounts):
        raise ValidationError(fields={"account_number": [_l("This account is already recorded.")]})
    account = BankAccount(organization=organization, **cleaned)
    db.session.add(account)
    db.session.flush()
    record_audit(
        "organization.bank_account_added",
        organization,
        actor=actor,
        data={"bank_account_id": account.id, **cleaned},
    )
    return account


def remove_bank_account(account: BankAccount, *, actor: User) -> None:
    """Forget an account; the audit trail keeps what it was."""
    organization = account.organization
    if not can_edit_organization(actor, organization):
        raise NotFound()
    record_audit(
        "organization.bank_account_removed",
        organization,
        actor=actor,
        data={
            "bank_account_id": account.id,
            "account_name": account.account_name,
            "bank_name": account.bank_name,
            "account_number": account.account_number,
        },
    )
    organization.bank_accounts.remove(account)
    db.session.flush()


def bank_accounts_of(org_id: int) -> list[BankAccount]:
    """The accounts a payer may transfer to, oldest first."""
    return list(
        db.session.scalars(
            select(BankAccount).where(BankAccount.organization_id == org_id).order_by(BankAccount.id)
        )
    )


# --- Business licence ----------------------------------------------------------


def upload_licence(organization: Organization, file: FileStorage | None, *, actor: User) -> Attachment:
    """Store the organization's business licence (PDF or image) for the administrators."""
    if not can_edit_organization(actor, organization):
        raise PermissionDenied()
    attachment = save_upload(
        file, subject=organization, actor=actor, purpose=LICENCE_PURPOSE, field="licence"
    )
    record_audit(
        "organization.licence_uploaded",
        organization,
        actor=actor,
        data={"attachment_id": attachment.id, "name": attachment.original_name},
    )
    return attachment


def licences_of(organization: Organization) -> list[Attachment]:
    return attachments_of(organization, LICENCE_PURPOSE)


def licence_of(organization: Organization, attachment_id: int) -> Attachment | None:
    return next((a for a in licences_of(organization) if a.id == attachment_id), None)


# --- What a waiting person is told ---------------------------------------------


@dataclass
class Waiting:
    """Why a person cannot act yet, and who lifts it."""

    what: Any
    who: Any
    since: Any


def waiting_for(user: Any) -> Waiting | None:
    """Why a logged-in user's role is not in force yet, or None."""
    if user is None or not getattr(user, "is_authenticated", False) or user.has_powers:
        return None
    who = _l(
        "A platform administrator checks the organization's details and its business licence, "
        "usually within two working days; you get no powers of your role until then, and can "
        "browse and search meanwhile."
    )
    organization = user.organization
    if organization.status == OrgStatus.PENDING.value:
        return Waiting(
            what=_l(
                "Your organization %(name)s is waiting for approval by a platform administrator.",
                name=organization.name,
            ),
            who=who,
            since=organization.created_at,
        )
    if user.membership == Membership.PENDING.value:
        return Waiting(
            what=_l(
                "Your membership of %(name)s is waiting for approval by a platform administrator.",
                name=organization.name,
            ),
            who=_l(
                "A platform administrator confirms that you belong to the organization; until then "
                "you can browse and search as a plain user."
            ),
            since=user.created_at,
        )
    return None


# --- The administrators' queue -------------------------------------------------


def pending_counts() -> dict[str, int]:
    """How many organizations and memberships wait for an administrator."""
    orgs = db.session.scalar(
        select(func.count()).select_from(Organization).where(Organization.status == OrgStatus.PENDING.value)
    )
    people = db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.membership == Membership.PENDING.value, User.status == UserStatus.ACTIVE.value)
    )
    return {"organizations": orgs or 0, "people": people or 0, "total": (orgs or 0) + (people or 0)}


def pending_organizations(limit: int = 50) -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.status == OrgStatus.PENDING.value)
            .order_by(Organization.created_at, Organization.id)
            .limit(limit)
        )
    )


def pending_people(limit: int = 50) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.membership == Membership.PENDING.value, User.status == UserStatus.ACTIVE.value)
            .order_by(User.created_at, User.id)
            .limit(limit)
        )
    )


def licence_counts(org_ids: list[int]) -> dict[int, int]:
    """How many licence files each of these organizations uploaded, in one query."""
    if not org_ids:
        return {}
    rows = db.session.execute(
        select(Attachment.subject_id, func.count())
        .where(
            Attachment.subject_type == Organization.__tablename__,
            Attachment.purpose == LICENCE_PURPOSE,
            Attachment.subject_id.in_(org_ids),
        )
        .group_by(Attachment.subject_id)
    )
    return {subject_id: n for subject_id, n in rows}


# What the audit trail of an organization or a user says, in the reader's language.
AUDIT_LABELS: dict[str, Any] = {
    "user.registered": _l("Signed up"),
    "user.profile_updated": _l("Profile changed"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset by e-mail"),
    "user.email_confirmed": _l("E-mail address confirmed"),
    "user.logged_out": _l("Logged out everywhere"),
    "user.membership_approved": _l("Membership approved"),
    "user.status": _l("Account status changed"),
    "token.issued": _l("API token issued"),
    "token.revoked": _l("API token revoked"),
    "organization.updated": _l("Details changed"),
    "organization.status": _l("Status changed"),
    "organization.bank_account_added": _l("Bank account added"),
    "organization.bank_account_removed": _l("Bank account removed"),
    "organization.licence_uploaded": _l("Business licence uploaded"),
}


def audit_label(action: str) -> str:
    return str(AUDIT_LABELS.get(action, action))
