"""Technology managers (技术经理人): registered by their technology transfer
institution (an agency), verified by the core node; the contracts they
brokered and the registered turnover of those contracts; the counts toward
the plan's 100 institutions and 100 registered managers."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.models import Organization, OrgStatus, User
from ..contracts.models import Contract
from ..core.catalog import INDUSTRIES
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.requestcache import per_request
from ..core.timeutil import utcnow
from ..extensions import db
from ..ledger.models import ContractTotal
from . import permissions
from .models import ManagerBrokerage, TechManager
from .states import ManagerLevel, ManagerStatus, manager_machine

_CERT = re.compile(r"^[0-9A-Za-z-]{6,40}$")
MANAGERS_TARGET = 100
INSTITUTIONS_TARGET = 100


def register_manager(
    *,
    name: str,
    certificate_no: str,
    level: str,
    fields: list[str],
    bio: str = "",
    user: User | None = None,
    actor: User,
) -> TechManager:
    if not permissions.can_register_manager(actor):
        raise PermissionDenied(_l("Only a technology transfer institution registers its managers."))
    errors: dict[str, list] = {}
    name = (name or "").strip()
    cert = (certificate_no or "").strip().upper()
    if not name:
        errors["name"] = [_l("Enter the manager's name.")]
    elif len(name) > 100:
        errors["name"] = [_l("At most %(n)s characters.", n=100)]
    if not _CERT.match(cert):
        errors["certificate_no"] = [_l("Enter the certificate number: 6 to 40 letters, digits or hyphens.")]
    if level not in {lv.value for lv in ManagerLevel}:
        errors["level"] = [_l("Choose the level.")]
    if not fields:
        errors["fields"] = [_l("Choose at least one field.")]
    elif any(f not in INDUSTRIES for f in fields):
        errors["fields"] = [_l("Unknown industry.")]
    if len(bio or "") > 2000:
        errors["bio"] = [_l("At most %(n)s characters.", n=2000)]
    if user is not None:
        account_error = _account_error(user, actor.organization_id)
        if account_error is not None:
            errors["user_id"] = [account_error]
    if errors:
        raise ValidationError(fields=errors)
    if user is not None:
        lock(user)  # one profile per account, also when two are linked at once
        if _profile_of(user) is not None:
            raise Conflict(
                _l("This account is already linked to a technology manager."),
                fields={"user_id": [_l("Already linked to a technology manager.")]},
            )
    if db.session.scalar(select(TechManager.id).where(TechManager.certificate_no == cert)) is not None:
        raise Conflict(
            _l("A manager with this certificate number is already registered."),
            fields={"certificate_no": [_l("Already registered.")]},
        )
    row = TechManager(
        name=name,
        certificate_no=cert,
        level=level,
        agency_org_id=actor.organization_id,
        fields=list(fields),
        bio=(bio or "").strip(),
        user_id=user.id if user else None,
        registered_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _account_error(user: User, agency_org_id: int):
    if user.organization_id != agency_org_id:
        return _l("The manager's account belongs to another organization.")
    if not user.is_active:
        return _l("This account is not active.")
    return None


def _profile_of(user: User) -> TechManager | None:
    return db.session.scalar(select(TechManager).where(TechManager.user_id == user.id).limit(1))


def link_account(manager: TechManager, user: User, *, actor: User) -> TechManager:
    """Link a registered manager to the user account the manager logs in with: by the
    manager's institution or the core node; the account is a member of that institution
    and has no other manager profile."""
    if not permissions.can_link_manager_account(actor, manager):
        raise PermissionDenied(
            _l("Only the manager's institution or the core node links a manager's account.")
        )
    error = _account_error(user, manager.agency_org_id)
    if error is not None:
        raise ValidationError(fields={"user_id": [error]})
    # Lock in one order (the account, then the profile) so two links never wait on each other.
    lock(user)
    manager = lock(manager)
    if manager.user_id == user.id:
        raise Conflict(_l("The manager is already linked to this account."))
    if manager.user_id is not None:
        raise Conflict(_l("The manager is linked to another account: unlink it first."))
    if _profile_of(user) is not None:
        raise Conflict(
            _l("This account is already linked to a technology manager."),
            fields={"user_id": [_l("Already linked to a technology manager.")]},
        )
    manager.user_id = user.id
    db.session.flush()
    record_audit("network.manager_account_linked", manager, actor=actor, data={"user_id": user.id})
    return manager


def unlink_account(manager: TechManager, *, actor: User) -> TechManager:
    """Take the account off a manager's profile (the institution, the core node, or the manager)."""
    if not permissions.can_unlink_manager_account(actor, manager):
        raise PermissionDenied(_l("Only the manager's institution, the core node or the manager unlinks it."))
    manager = lock(manager)
    if manager.user_id is None:
        raise Conflict(_l("The manager has no linked account."))
    old = manager.user_id
    manager.user_id = None
    db.session.flush()
    record_audit("network.manager_account_unlinked", manager, actor=actor, data={"user_id": old})
    return manager


def profiles_of(user) -> list[TechManager]:
    """The technology manager profile of a logged-in user (at most one), whatever its status."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(select(TechManager).where(TechManager.user_id == user.id)))


def accounts_without_profile(org_id: int) -> list[User]:
    """Active members of an institution without a manager profile (those a manager may log in with)."""
    taken = select(TechManager.user_id).where(TechManager.user_id.is_not(None))
    return [
        u
        for u in db.session.scalars(
            select(User).where(User.organization_id == org_id, User.id.not_in(taken)).order_by(User.id)
        )
        if u.is_active
    ]


def linkable_accounts(manager: TechManager) -> list[User]:
    return accounts_without_profile(manager.agency_org_id)


def decide_manager(manager: TechManager, *, verify: bool, actor: User) -> TechManager:
    if not permissions.can_verify_manager(actor):
        raise PermissionDenied(_l("Only the core node verifies technology managers."))
    target = ManagerStatus.VERIFIED if verify else ManagerStatus.REJECTED
    manager_machine.transition(manager, target, message=_l("This manager was already verified or rejected."))
    manager.verified_by_id = actor.id
    manager.decided_at = utcnow()
    db.session.flush()
    return manager


def record_brokerage(manager: TechManager, contract: Contract, *, actor: User) -> ManagerBrokerage:
    if not permissions.can_record_brokerage(actor, manager):
        raise PermissionDenied(
            _l("Only the manager's institution records the contracts the manager brokered.")
        )
    if contract.agency_org_id != manager.agency_org_id:
        raise ValidationError(fields={"contract_id": [_l("The contract names another agency.")]})
    if not manager.verified:
        raise Conflict(_l("The manager is not verified yet."))
    exists = db.session.get(ManagerBrokerage, (manager.id, contract.id))
    if exists is not None:
        raise Conflict(_l("This contract is already recorded for the manager."))
    row = ManagerBrokerage(manager_id=manager.id, contract_id=contract.id, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def public_managers(*, include_pending: bool = False):
    stmt = select(TechManager)
    if not include_pending:
        stmt = stmt.where(TechManager.status == ManagerStatus.VERIFIED.value)
    return stmt.order_by(TechManager.name, TechManager.id)


def visible(user, manager: TechManager) -> bool:
    if manager.verified or permissions.is_the_manager(user, manager):
        return True
    return permissions.can_verify_manager(user) or (
        user is not None and user.is_authenticated and user.organization_id == manager.agency_org_id
    )


def brokered(manager_ids: list[int]) -> dict[int, dict]:
    """Per manager: contracts brokered (count), registered ones and their registered turnover."""
    out = {i: {"contracts": 0, "registered": 0, "turnover_fen": 0} for i in manager_ids}
    if not manager_ids:
        return out
    rows = db.session.execute(
        select(
            ManagerBrokerage.manager_id,
            func.count(ManagerBrokerage.contract_id),
            func.count(ContractTotal.contract_id),
            func.coalesce(func.sum(ContractTotal.turnover_fen), 0),
        )
        .outerjoin(ContractTotal, ContractTotal.contract_id == ManagerBrokerage.contract_id)
        .where(ManagerBrokerage.manager_id.in_(manager_ids))
        .group_by(ManagerBrokerage.manager_id)
    )
    for mid, n, reg, fen in rows:
        out[mid] = {"contracts": int(n), "registered": int(reg), "turnover_fen": int(fen)}
    return out


def contracts_of(manager: TechManager) -> list[tuple[Contract, int]]:
    return [
        (c, int(t or 0))
        for c, t in db.session.execute(
            select(Contract, ContractTotal.turnover_fen)
            .join(ManagerBrokerage, ManagerBrokerage.contract_id == Contract.id)
            .outerjoin(ContractTotal, ContractTotal.contract_id == Contract.id)
            .where(ManagerBrokerage.manager_id == manager.id)
            .order_by(Contract.id.desc())
        ).tuples()
    ]


@per_request
def plan_counts() -> dict:
    """Toward the plan: verified managers, and technology transfer institutions
    (approved agencies) on the platform."""
    managers = db.session.scalar(
        select(func.count())
        .select_from(TechManager)
        .where(TechManager.status == ManagerStatus.VERIFIED.value)
    )
    agencies = db.session.scalar(
        select(func.count())
        .select_from(Organization)
        .where(Organization.kind == "agency", Organization.status == OrgStatus.APPROVED.value)
    )
    by_level = {
        level: n
        for level, n in db.session.execute(
            select(TechManager.level, func.count())
            .where(TechManager.status == ManagerStatus.VERIFIED.value)
            .group_by(TechManager.level)
        )
    }
    return {
        "managers": int(managers or 0),
        "managers_target": MANAGERS_TARGET,
        "institutions": int(agencies or 0),
        "institutions_target": INSTITUTIONS_TARGET,
        "by_level": {lv.value: int(by_level.get(lv.value, 0)) for lv in ManagerLevel},
    }
