"""Account rules: sign-up, log-in, profiles, organizations, approvals, tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.catalog import ORG_KINDS, ROLE_ORG_KINDS, ROLES, SIGNUP_ROLES, VETTED_ORG_KINDS
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.models import record_audit
from ..core.timeutil import utcnow
from ..extensions import db
from .models import ApiToken, Organization, User
from .onboarding import (  # noqa: F401  (re-exported: the accounts rules are called from here)
    BankAccountData,
    add_bank_account,
    bank_accounts_of,
    can_edit_organization,
    licence_of,
    licences_of,
    pending_counts,
    pending_organizations,
    pending_people,
    remove_bank_account,
    upload_licence,
    waiting_for,
)
from .sessions import end_all_sessions
from .states import Membership, OrgStatus, UserStatus
from .validation import clean_phone, organization_problems, password_problems

TOKEN_PREFIX = "tm_"
NAME_MAX = 100  # users.name
REASON_MAX = 500  # the suspension_reason columns
# Compared against when the e-mail is unknown, so a failed log-in takes as long either way.
_DUMMY_HASH: str | None = None


class EmailTaken(ValidationError):
    """Sign-up with an address that has an account. The web answers as if it had
    worked (so sign-up never tells whether an address is registered) and writes
    to the account's owner; the operator's command line shows the message."""

    def __init__(self, existing: User | None) -> None:
        super().__init__(
            fields={"email": [_l("An account with this e-mail address already exists. Log in instead.")]}
        )
        self.existing = existing


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def needs_approval(kind: str, role: str) -> bool:
    """Whether a new organization waits for an administrator: the vetted kinds
    (agencies, registration authorities) and an enterprise that signs up to sell."""
    return kind in VETTED_ORG_KINDS or (kind == "enterprise" and role == "seller")


def _name_problem(name: str | None):
    """Why a person's name is refused (never cut to fit), or None."""
    name = (name or "").strip()
    if not name:
        return _l("Enter your name.")
    if len(name) > NAME_MAX:
        return _l(
            "At most %(max)d characters (this has %(length)d); shorten it.", max=NAME_MAX, length=len(name)
        )
    return None


@dataclass
class OrgData:
    name: str
    kind: str
    region_code: str
    uscc: str | None = None
    place: str | None = None
    name_en: str | None = None


def _clean_org(data: OrgData, *, exclude_id: int | None = None) -> dict:
    errors, cleaned = organization_problems(
        name=data.name,
        kind=data.kind,
        uscc=data.uscc,
        region_code=data.region_code,
        place=data.place,
    )
    if errors:
        raise ValidationError(fields=errors)
    cleaned["name_en"] = (data.name_en or "").strip() or None
    return cleaned


def find_organization_by_uscc(uscc: str) -> Organization | None:
    return db.session.scalar(select(Organization).where(Organization.uscc == uscc))


def register_user(
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    org: OrgData | None = None,
    join: Organization | None = None,
    approved: bool = False,
    locale: str | None = None,
    accepted_terms: bool = False,
    accepted_privacy: bool = False,
) -> User:
    """Sign a person up as a member of an organization.

    A new organization is created, or an existing one (same USCC) joined; who
    joins an existing organization waits for an admin to approve the
    membership. Organizations of vetting kinds (agency, regulator) wait for an
    admin too, and so does a new enterprise seller's. `approved=True` (the
    operator's command line) skips both waits. Signing up oneself needs the
    consent to the user agreement and the privacy policy; when it was given is kept.
    """
    email = normalize_email(email)
    errors: dict[str, list] = {}
    if role not in (ROLES if approved else SIGNUP_ROLES):
        errors["role"] = [_l("Choose a role from the list.")]
    problems = password_problems(password, email, name)
    if problems:
        errors["password"] = problems
    name_problem = _name_problem(name)
    if name_problem:
        errors["name"] = [name_problem]
    if not approved:
        if not accepted_terms:
            errors["accept_terms"] = [_l("Accept the user agreement to create an account.")]
        if not accepted_privacy:
            errors["accept_privacy"] = [_l("Accept the privacy policy to create an account.")]
    cleaned: dict = {}
    if join is not None:
        cleaned = {"kind": join.kind, "uscc": join.uscc}
    elif org is None:
        raise ValueError("register_user needs org or join")
    else:
        try:
            cleaned = _clean_org(org)
        except ValidationError as exc:
            errors.update(exc.fields)
    needed_kinds = ROLE_ORG_KINDS.get(role)
    if cleaned and needed_kinds and cleaned["kind"] not in needed_kinds:
        errors.setdefault("org_kind", []).append(
            _l(
                "This role needs an organization of the kind: %(kind)s.",
                kind=" / ".join(str(ORG_KINDS[k]) for k in needed_kinds),
            )
        )
    if errors:
        # Never mentions whether the e-mail address is registered (see EmailTaken).
        raise ValidationError(fields=errors)
    taken = db.session.scalar(select(User).where(User.email == email))
    if taken is not None:
        hash_password(password)  # the same work as a sign-up that goes through
        raise EmailTaken(taken)

    existing = join
    if existing is None and cleaned.get("uscc"):
        existing = find_organization_by_uscc(cleaned["uscc"])
    if existing is not None:
        if existing.is_suspended:
            raise ValidationError(fields={"uscc": [_l("This organization is suspended on the platform.")]})
        if needed_kinds and existing.kind not in needed_kinds:
            raise ValidationError(
                fields={
                    "uscc": [_l("This organization is registered with another kind; choose a matching role.")]
                }
            )
        organization = existing
        membership = Membership.APPROVED if approved else Membership.PENDING
    else:
        organization = Organization(
            **cleaned,
            status=(
                OrgStatus.PENDING.value
                if needs_approval(cleaned["kind"], role) and not approved
                else OrgStatus.APPROVED.value
            ),
        )
        if organization.status == OrgStatus.APPROVED.value:
            organization.approved_at = utcnow()
        db.session.add(organization)
        membership = Membership.APPROVED
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        organization=organization,
        membership=membership.value,
        locale=locale,
        # Signing up on the web needs the owner to follow the e-mailed link first.
        email_confirmed_at=utcnow() if approved else None,
        terms_accepted_at=utcnow() if accepted_terms else None,
        privacy_accepted_at=utcnow() if accepted_privacy else None,
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The same address signed up at the same moment by another request.
        raise EmailTaken(None) from None
    record_audit("user.registered", user, actor=user, data={"organization_id": organization.id})
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; the same work is done either way."""
    return authenticate_or_reason(email, password)[0]


def authenticate_or_reason(email: str, password: str) -> tuple[User | None, str | None]:
    """(the user for these credentials or None, the suspension reason). The reason is
    given only with the right password: it is the suspended owner's to read."""
    global _DUMMY_HASH
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password or "")
        return None, None
    if not check_password_hash(user.password_hash, password or ""):
        return None, None
    if not user.is_active:
        reason = user.suspension_reason if user.status == UserStatus.SUSPENDED.value else None
        return None, reason or user.organization.suspension_reason
    user.last_login_at = utcnow()
    return user, None


def update_profile(user: User, *, name: str, phone: str | None, locale: str | None, actor: User) -> User:
    if actor.id != user.id and not actor.is_admin:
        raise PermissionDenied()
    name_problem = _name_problem(name)
    if name_problem:
        raise ValidationError(fields={"name": [name_problem]})
    phone = (phone or "").strip() or None
    if phone is not None:
        try:
            phone = clean_phone(phone)
        except ValueError as exc:
            raise ValidationError(fields={"phone": [exc.args[0]]}) from None
    user.name = name.strip()
    user.phone = phone
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
    record_audit("user.profile_updated", user, actor=actor)
    return user


def change_password(user: User, *, current: str, new: str, actor: User) -> None:
    if actor.id != user.id:
        raise PermissionDenied()
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationError(fields={"current_password": [_l("The current password is wrong.")]})
    problems = password_problems(new, user.email, user.name)
    if problems:
        raise ValidationError(fields={"new_password": problems})
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    record_audit("user.password_changed", user, actor=actor)


# --- Confirming the e-mail address ------------------------------------------------

_CONFIRM_SALT = "marketplace.confirm-email"
CONFIRM_MAX_AGE = 7 * 24 * 3600


def confirmation_token(user: User) -> str:
    """A signed token for the link that confirms the address (valid for a week)."""
    material = f"{user.id}|{user.email}|{user.password_hash}"
    digest = hashlib.sha256(material.encode()).hexdigest()[:24]
    return URLSafeTimedSerializer(current_app.secret_key, salt=_CONFIRM_SALT).dumps(
        {"u": user.id, "f": digest}
    )


def user_for_confirmation_token(token: str) -> User | None:
    if not token or len(token) > 500:
        return None
    try:
        data = URLSafeTimedSerializer(current_app.secret_key, salt=_CONFIRM_SALT).loads(
            token, max_age=CONFIRM_MAX_AGE
        )
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        return None
    user = db.session.get(User, data["u"]) if 0 < data["u"] < 2**31 else None
    if user is None:
        return None
    material = f"{user.id}|{user.email}|{user.password_hash}"
    if not hmac.compare_digest(hashlib.sha256(material.encode()).hexdigest()[:24], data["f"]):
        return None
    return user


def confirm_email(user: User) -> bool:
    """Mark the address confirmed; False if it already was."""
    if user.email_confirmed_at is not None:
        return False
    user.email_confirmed_at = utcnow()
    record_audit("user.email_confirmed", user, actor=user)
    return True


def log_out_everywhere(user: User) -> None:
    """Log-out ends every session of the user, not only this browser's."""
    end_all_sessions(user)
    record_audit("user.logged_out", user, actor=user)


# --- Password reset by e-mail --------------------------------------------------

_RESET_SALT = "marketplace.password-reset"


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_RESET_SALT)


def _reset_fingerprint(user: User) -> str:
    # Bound to the password hash and the session version: the link works once (the
    # reset changes both) and stops working after any password change or log-out.
    material = f"{user.id}|{user.password_hash}|{user.session_version or 0}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def password_reset_token(user: User) -> str:
    """A signed, single-use token for the reset link (expires after PASSWORD_RESET_MAX_AGE)."""
    return _reset_serializer().dumps({"u": user.id, "f": _reset_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The active user a reset token was issued to, if it is still valid."""
    if not token or len(token) > 500:
        return None
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        return None
    user = db.session.get(User, data["u"]) if 0 < data["u"] < 2**31 else None
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(_reset_fingerprint(user), data["f"]):
        return None
    return user


def find_user_for_reset(email: str) -> User | None:
    """Whom to send a reset link to; None for an unknown or suspended account."""
    email = normalize_email(email)
    if not email or len(email) > 254:
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    return user if user is not None and user.is_active else None


def reset_password(user: User, *, new: str) -> None:
    """Set a new password from a reset link; every session of the user ends."""
    problems = password_problems(new, user.email, user.name)
    if problems:
        raise ValidationError(fields={"password": problems})
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # the link came to the address: it is confirmed
    record_audit("user.password_reset", user, actor=user)


def update_organization(organization: Organization, data: OrgData, *, actor: User) -> Organization:
    """Edit an organization. Its kind and USCC identify it and only an admin changes them."""
    if not can_edit_organization(actor, organization):
        raise PermissionDenied()
    if not actor.is_admin:
        data.kind = organization.kind
        data.uscc = organization.uscc
    cleaned = _clean_org(data)
    if cleaned.get("uscc") and cleaned["uscc"] != organization.uscc:
        other = find_organization_by_uscc(cleaned["uscc"])
        if other is not None and other.id != organization.id:
            raise ValidationError(fields={"uscc": [_l("Another organization has this code.")]})
    before = {k: getattr(organization, k) for k in cleaned}
    for key, value in cleaned.items():
        setattr(organization, key, value)
    changed = {k: [before[k], v] for k, v in cleaned.items() if before[k] != v}
    record_audit("organization.updated", organization, actor=actor, data=changed or None)
    return organization


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied()


def _suspension_reason(reason: str | None) -> str:
    """The reason of a suspension, refused (with the message as the refusal's own, for the
    admin pages' flash) when missing or too long."""
    reason = (reason or "").strip()
    problem = None
    if not reason:
        problem = _l("Give the reason for the suspension: the suspended party is told it.")
    elif len(reason) > REASON_MAX:
        problem = _l(
            "At most %(max)d characters (this has %(length)d); shorten it.",
            max=REASON_MAX,
            length=len(reason),
        )
    if problem is not None:
        raise ValidationError(problem, fields={"reason": [problem]})
    return reason


def set_organization_status(
    organization: Organization, status: OrgStatus, *, actor: User, reason: str | None = None
) -> Organization:
    """Approve, suspend or reinstate an organization (admins only). A suspension needs
    its reason: the members are told it and the audit trail keeps it."""
    _require_admin(actor)
    if organization.status == status.value:
        raise Conflict(_l("The organization is already in this state."))
    data = None
    if status == OrgStatus.SUSPENDED:
        data = {"reason": _suspension_reason(reason)}
        organization.suspension_reason = data["reason"]
    else:
        organization.suspension_reason = None
    before = organization.status
    organization.status = status.value
    if status == OrgStatus.APPROVED:
        organization.approved_at = utcnow()
    record_audit(
        "organization.status", organization, actor=actor, from_state=before, to_state=status.value, data=data
    )
    return organization


def approve_membership(user: User, *, actor: User) -> User:
    _require_admin(actor)
    if user.membership == Membership.APPROVED.value:
        raise Conflict(_l("The membership is already approved."))
    user.membership = Membership.APPROVED.value
    record_audit("user.membership_approved", user, actor=actor, from_state="pending", to_state="approved")
    return user


def set_user_status(user: User, status: UserStatus, *, actor: User, reason: str | None = None) -> User:
    """Suspend or reinstate an account (admins only). A suspension needs its reason:
    the owner is told it and the audit trail keeps it."""
    _require_admin(actor)
    if user.id == actor.id:
        raise Conflict(_l("You cannot suspend your own account."))
    if user.status == status.value:
        raise Conflict(_l("The account is already in this state."))
    data = None
    if status == UserStatus.SUSPENDED:
        data = {"reason": _suspension_reason(reason)}
        user.suspension_reason = data["reason"]
    else:
        user.suspension_reason = None
    before = user.status
    user.status = status.value
    record_audit("user.status", user, actor=actor, from_state=before, to_state=status.value, data=data)
    return user


def search_users(q: str = ""):
    stmt = select(User).join(User.organization).order_by(User.created_at.desc(), User.id.desc())
    q = (q or "").strip()
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(User.email.like(like), User.name.ilike(f"%{q}%"), Organization.name.ilike(f"%{q}%"))
        )
    return stmt


def search_organizations(q: str = "", status: str | None = None):
    stmt = select(Organization).order_by(Organization.created_at.desc(), Organization.id.desc())
    q = (q or "").strip()
    if q:
        stmt = stmt.where(
            or_(
                Organization.name.ilike(f"%{q}%"),
                Organization.uscc.ilike(f"%{q}%"),
                Organization.name_en.ilike(f"%{q}%"),
            )
        )
    if status:
        stmt = stmt.where(Organization.status == status)
    return stmt


# --- API tokens -------------------------------------------------------------


def _hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_token(user: User, name: str, *, actor: User) -> tuple[ApiToken, str]:
    """Create a token; the plaintext is returned once and only its hash is stored."""
    if actor.id != user.id and not actor.is_admin:
        raise PermissionDenied()
    name = (name or "").strip() or str(_l("API token"))
    if len(name) > 100:
        raise ValidationError(fields={"name": [_l("At most 100 characters.")]})
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=_hash_token(plaintext),
        prefix=plaintext[:10],
        created_at=utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    record_audit("token.issued", user, actor=actor, data={"token_id": token.id, "name": name})
    return token, plaintext


def revoke_token(token: ApiToken, *, actor: User) -> ApiToken:
    if actor.id != token.user_id and not actor.is_admin:
        raise NotFound()
    if token.revoked_at is not None:
        raise Conflict(_l("This token is already revoked."))
    token.revoked_at = utcnow()
    record_audit("token.revoked", token.user, actor=actor, data={"token_id": token.id})
    return token


def token_for(plaintext: str) -> ApiToken | None:
    """The token a bearer value is, when it is not revoked and its user is active; else None."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    digest = _hash_token(plaintext)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def user_for_token(plaintext: str) -> User | None:
    """The active user a bearer token belongs to, or None. Reads only."""
    token = token_for(plaintext)
    return token.user if token is not None else None


# A token's last use is kept to the minute: a busy client does not write on every request.
TOKEN_USE_PRECISION = timedelta(minutes=1)


def token_use_due(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_PRECISION


def record_token_use(token_id: int, now: datetime | None = None) -> bool:
    """Set the token's `last_used_at` unless it was set less than a minute ago.

    One conditional UPDATE, so of concurrent requests with the same token only
    the first writes; True when this one did. The caller commits (the API does
    it in a transaction of its own, so a read or a failed request keeps it)."""
    now = now or utcnow()
    result = db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOKEN_USE_PRECISION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
