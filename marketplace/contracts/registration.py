"""Registration: the seller's application, the regulator's registration or
return, amendments and cancellations, and the hand-off of each registration to
the ledger and the IP registry. Services add and flush; the caller commits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Organization, User
from ..core.catalog import PROVINCE_CODE, city_of, region_in_scope
from ..core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.regno import format_registration_no, registration_prefix
from ..core.states import transition
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..ip import services as ip_services
from ..notifications.services import N_, notify
from . import ledger_link
from .checklist import _raise_if_missing, checklist
from .codes import RETURN_REASONS, TRANSFER_CATEGORIES
from .models import Contract, ContractRegistration, RegistrationCounter
from .permissions import is_contract_agency, party_side, regulator_in_scope
from .ports import contract_url
from .queries import contract_assets
from .states import IN_REVIEW, ContractStatus, RegistrationKind
from .terms import (
    AMENDABLE_FIELDS,
    AMENDMENT_REASON_REQUIRED,
    LIST_FIELDS,
    _apply,
    _check_org,
    _clean_rows,
    _comparable,
    _current_values,
    _validate,
)
from .workdays import registration_deadline

S = ContractStatus


def authority_region_for(contract: Contract) -> str:
    """The registration authority a seller applies to: its city's, or the province's."""
    return city_of(contract.seller_org.region_code) or PROVINCE_CODE


def _start_review(contract: Contract, moment: datetime, income_fen: int) -> None:
    contract.authority_region = authority_region_for(contract)
    contract.submitted_at = moment
    contract.review_due_on = registration_deadline(shanghai_date(moment), income_fen)


def submit_contract(contract: Contract, *, actor: User, now: datetime | None = None) -> Contract:
    """The seller side applies for registration to the authority of its region."""
    contract = lock(contract)
    if party_side(actor, contract) != "seller":
        if party_side(actor, contract) is None and not is_contract_agency(actor, contract):
            raise PermissionDenied()
        raise Conflict(_l("Only the seller side applies for registration."))
    if contract.status not in (S.SIGNED, S.RETURNED):
        raise InvalidTransition(_l("Only a signed (or returned) contract can be submitted for registration."))
    moment = now or utcnow()
    _raise_if_missing(
        checklist(contract, today=shanghai_date(moment)),
        _l("The contract cannot be submitted yet; see what is missing."),
    )
    from_state, _to = transition(contract, S.SUBMITTED)
    _start_review(contract, moment, contract.tech_income_fen or 0)
    db.session.flush()
    record_audit(
        "contract.submitted",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={"authority_region": contract.authority_region, "due_on": contract.review_due_on.isoformat()},
    )
    _notify_regulators(contract)
    return contract


# --- Registration -----------------------------------------------------------------------------


def next_registration_no(year: int, region_code: str, point: int | str = 0) -> str:
    """Issue the next registration number for a prefix (year, authority city, point).

    The prefix's counter row is locked FOR UPDATE until the transaction ends, so
    concurrent registrations queue on it and get consecutive serials; a number
    already taken (e.g. imported) is skipped; the unique constraint on
    `contracts.registration_no` is the last guard.
    """
    prefix = registration_prefix(year, region_code, point)

    def locked_counter() -> RegistrationCounter | None:
        return db.session.execute(
            select(RegistrationCounter)
            .where(RegistrationCounter.prefix == prefix)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()

    counter = locked_counter()
    if counter is None:
        try:
            with db.session.begin_nested():
                db.session.add(RegistrationCounter(prefix=prefix, last_serial=0))
        except IntegrityError:
            pass  # created meanwhile by a concurrent registration: lock that one
        counter = locked_counter()
        assert counter is not None
    serial = counter.last_serial
    while True:
        serial += 1
        number = format_registration_no(year, region_code, point, serial)
        taken = db.session.scalar(select(func.count()).where(Contract.registration_no == number))
        if not taken:
            break
    counter.last_serial = serial
    db.session.flush()
    return number


def raise_counters(numbers: list[str]) -> None:
    """After importing numbers issued elsewhere, keep each prefix's counter at or above the
    highest of them (the counters locked, as a registration locks them)."""
    highest: dict[str, int] = {}
    for number in numbers:
        prefix, serial = number[:10], int(number[10:])
        highest[prefix] = max(serial, highest.get(prefix, 0))
    counters = {
        c.prefix: c
        for c in db.session.scalars(
            select(RegistrationCounter).where(RegistrationCounter.prefix.in_(highest)).with_for_update()
        )
    }
    for prefix, serial in highest.items():
        counter = counters.get(prefix)
        if counter is None:
            db.session.add(RegistrationCounter(prefix=prefix, last_serial=serial))
        elif counter.last_serial < serial:
            counter.last_serial = serial
    db.session.flush()


def _pending_values(contract: Contract) -> dict[str, Any]:
    """Decode the stored amendment (dates were stored as ISO strings)."""
    change = dict((contract.pending_change or {}).get("changes") or {})
    if "milestones" in change:
        change["milestones"] = [
            {**row, "due_on": date.fromisoformat(row["due_on"])} for row in change["milestones"]
        ]
    return change


def _ledger_event(contract: Contract, kind: str, seq: int, turnover_delta: int, income_delta: int, day: date):
    return ledger_link.LedgerEventData(
        kind=kind,
        contract_id=contract.id,
        registration_no=contract.registration_no,
        turnover_delta_fen=turnover_delta,
        tech_income_delta_fen=income_delta,
        effective_on=day,
        seller_region=contract.seller_org.region_code,
        seller_org_kind=contract.seller_org.kind,
        industry=contract.industry or "other",
        category=contract.category,
        event_key=f"contract:{contract.id}:{kind}:{seq}",
    )


def register_contract(
    contract: Contract, *, actor: User, now: datetime | None = None, note: str | None = None
) -> ContractRegistration:
    """Register what waits for the regulator: the contract (a new registration
    number), an amendment or a cancellation. Appends the registration record and
    hands the event to the ledger in the same transaction."""
    if not regulator_in_scope(actor, contract):
        raise PermissionDenied()
    contract = lock(contract)
    status = S(contract.status)
    if status not in IN_REVIEW:
        if status in (S.REGISTERED, S.CANCELLED):
            raise Conflict(_l("This contract is already registered."), code="already_registered")
        raise InvalidTransition(_l("This contract is not waiting for registration."))
    moment = now or utcnow()
    day = shanghai_date(moment)
    previous = contract.current_registration
    seq = (previous.seq + 1) if previous else 1
    if status == S.SUBMITTED:
        kind = RegistrationKind.REGISTRATION
        contract.registration_no = next_registration_no(day.year, actor.scope_region, 0)
        contract.registered_at = moment
        turnover, income = contract.turnover_fen or 0, contract.tech_income_fen or 0
        target = S.REGISTERED
    elif status == S.AMENDMENT_PENDING:
        kind = RegistrationKind.AMENDMENT
        change = _pending_values(contract)
        current = _current_values(contract)
        new = {**current, **change}
        changed = {k for k in change if _comparable(new).get(k) != _comparable(current).get(k)}
        _apply(contract, new, changed, keep_paid=True)
        turnover, income = contract.turnover_fen or 0, contract.tech_income_fen or 0
        target = S.REGISTERED
    else:
        kind = RegistrationKind.CANCELLATION
        turnover, income = 0, 0
        target = S.CANCELLED
    from_state, _to = transition(contract, target)
    registration = ContractRegistration(
        contract_id=contract.id,
        seq=seq,
        kind=kind.value,
        registration_no=contract.registration_no,
        previous_id=previous.id if previous else None,
        category=contract.category,
        turnover_fen=turnover,
        tech_income_fen=income,
        buyer_org_id=contract.buyer_org_id,
        buyer_name=contract.buyer_name,
        industry=contract.industry,
        effective_on=day,
        registered_at=moment,
        registered_by_id=actor.id,
        authority_region=actor.scope_region,
        note=(note or "").strip() or (contract.pending_change or {}).get("note"),
    )
    db.session.add(registration)
    contract.pending_change = None
    contract.return_reasons = None
    contract.return_note = None
    db.session.flush()
    old_turnover, old_income = ledger_link.contract_totals(contract.id)
    ledger_link.append(
        _ledger_event(contract, kind.value, seq, turnover - old_turnover, income - old_income, day),
        actor=actor,
        recorded_at=moment,
    )
    if kind == RegistrationKind.REGISTRATION:
        raise_counters([contract.registration_no])
        _record_transfers(contract, actor=actor, day=day)
    record_audit(
        f"contract.{kind.value}_registered",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={
            "registration_no": contract.registration_no,
            "seq": seq,
            "turnover_fen": turnover,
            "tech_income_fen": income,
        },
    )
    db.session.flush()
    db.session.expire(contract, ["registrations"])
    _notify_parties(contract, "contract.registered")
    return registration


def ip_reference(contract: Contract) -> str:
    """The contract's reference in the IP registry (committed deals, chain of title):
    the accepted offer's reference for a contract from an offer, else "contract:<id>"."""
    if contract.source == "offer" and contract.source_ref:
        return contract.source_ref
    return f"contract:{contract.id}"


def _record_transfers(contract: Contract, *, actor: User, day: date) -> None:
    """A registered transfer (or equity contribution) moves its assets to the buyer:
    the IP registry appends the link to each asset's chain of title."""
    if (
        contract.category not in TRANSFER_CATEGORIES
        or contract.buyer_org_id is None
        or not contract.asset_links
    ):
        return
    for asset in contract_assets(contract):
        if contract.buyer_org_id in asset.owner_org_ids:
            continue
        ip_services.record_transfer(
            asset,
            [ip_services.OwnerShare(org_id=contract.buyer_org_id, share_bp=10000)],
            contract_ref=ip_reference(contract),
            effective_on=day,
            actor=actor,
        )


def return_contract(
    contract: Contract,
    *,
    reasons: list[str],
    note: str | None = None,
    actor: User,
    now: datetime | None = None,
) -> Contract:
    """Return (未予登记) a contract, amendment or cancellation with one or more reasons."""
    if not regulator_in_scope(actor, contract):
        raise PermissionDenied()
    errors: dict[str, list[Any]] = {}
    reasons = list(dict.fromkeys(reasons or []))
    if not reasons:
        errors["reasons"] = [_l("Give at least one reason.")]
    unknown = [r for r in reasons if r not in RETURN_REASONS]
    if unknown:
        errors["reasons"] = [_l("Unknown reason: %(codes)s.", codes=", ".join(map(str, unknown)))]
    note = (note or "").strip() or None
    if "other" in reasons and not note:
        errors["note"] = [_l("Explain the other reason in the note.")]
    if errors:
        raise ValidationError(fields=errors)
    contract = lock(contract)
    status = S(contract.status)
    if status not in IN_REVIEW:
        raise InvalidTransition(_l("This contract is not waiting for registration."))
    target = S.RETURNED if status == S.SUBMITTED else S.REGISTERED
    change = contract.pending_change
    from_state, _to = transition(contract, target)
    contract.return_reasons = reasons
    contract.return_note = note
    contract.returned_at = now or utcnow()
    contract.pending_change = None
    db.session.flush()
    record_audit(
        "contract.returned",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={"reasons": reasons, "note": note, "change": change},
    )
    _notify_parties(contract, "contract.returned")
    return contract


def _serialize_change(change: dict[str, Any]) -> dict[str, Any]:
    out = dict(change)
    if "milestones" in out:
        out["milestones"] = [
            {**row, "due_on": row["due_on"].isoformat() if isinstance(row["due_on"], date) else row["due_on"]}
            for row in out["milestones"]
        ]
    return out


def request_amendment(
    contract: Contract,
    changes: dict[str, Any],
    *,
    note: str | None = None,
    actor: User,
    now: datetime | None = None,
) -> Contract:
    """The seller side asks to register a change (amounts, parties, category) of a
    registered contract. Nothing changes until the regulator registers it."""
    contract = lock(contract)
    if party_side(actor, contract) != "seller":
        if party_side(actor, contract) is None and not is_contract_agency(actor, contract):
            raise PermissionDenied()
        raise Conflict(_l("Only the seller side applies for an amendment."))
    if contract.status != S.REGISTERED:
        raise InvalidTransition(_l("Only a registered contract can be amended."))
    unknown = set(changes) - set(AMENDABLE_FIELDS)
    if unknown:
        raise ValidationError(fields={n: [_l("An amendment cannot change this.")] for n in sorted(unknown)})
    current = _current_values(contract)
    new = dict(current)
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip() or None
        if name in LIST_FIELDS:
            value = _clean_rows(value, name)
        new[name] = value
    errors: dict[str, list[Any]] = {}
    note = (note or "").strip()
    if not note:
        errors["note"] = [AMENDMENT_REASON_REQUIRED]
    if "buyer_org_id" in changes and changes["buyer_org_id"] is not None:
        buyer = db.session.get(Organization, changes["buyer_org_id"])
        if buyer is None:
            errors.setdefault("buyer_org_id", []).append(_l("There is no such organization."))
        else:
            _check_org(buyer, "buyer_org_id", errors)
            new["buyer_name"] = new["buyer_place"] = None
    if changes.get("buyer_name"):
        new["buyer_org_id"] = None
    if new.get("turnover_fen") != current.get("turnover_fen") and "milestones" not in changes:
        errors.setdefault("milestones", []).append(
            _l("A new turnover needs a new milestone schedule adding up to it.")
        )
    if new.get("tech_income_fen") is None or not new.get("turnover_fen"):
        errors.setdefault("turnover_fen", []).append(
            _l("Enter the contract turnover and the technology income.")
        )
    _validate(new, errors)
    if (
        "cost_lines" not in errors
        and new.get("turnover_fen") is not None
        and new.get("tech_income_fen") is not None
        and sum(r["amount_fen"] for r in new.get("cost_lines") or [])
        != new["turnover_fen"] - new["tech_income_fen"]
    ):
        errors.setdefault("cost_lines", []).append(
            _l("The non-technical costs must add up exactly to turnover minus technology income.")
        )
    if errors:
        raise ValidationError(fields=errors)
    effective = {k: new[k] for k in _comparable(new) if _comparable(new)[k] != _comparable(current)[k]}
    if "buyer_org_id" in effective or "buyer_name" in effective:
        for key in ("buyer_org_id", "buyer_name", "buyer_place"):
            effective[key] = new[key]
    if not effective:
        raise ValidationError(
            _l("The amendment changes nothing."), fields={"note": [_l("Nothing would change.")]}
        )
    moment = now or utcnow()
    from_state, _to = transition(contract, S.AMENDMENT_PENDING)
    contract.pending_change = {
        "kind": "amendment",
        "changes": _serialize_change(effective),
        "note": note,
    }
    _start_review(contract, moment, new.get("tech_income_fen") or 0)
    db.session.flush()
    record_audit(
        "contract.amendment_requested",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data=contract.pending_change,
    )
    _notify_regulators(contract)
    return contract


def request_cancellation(
    contract: Contract, *, note: str | None = None, actor: User, now: datetime | None = None
) -> Contract:
    """The seller side asks to register the termination of a registered contract."""
    contract = lock(contract)
    if party_side(actor, contract) != "seller":
        if party_side(actor, contract) is None and not is_contract_agency(actor, contract):
            raise PermissionDenied()
        raise Conflict(_l("Only the seller side applies for a cancellation."))
    if contract.status != S.REGISTERED:
        raise InvalidTransition(_l("Only a registered contract can be cancelled."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(fields={"note": [_l("Say why the contract ends.")]})
    moment = now or utcnow()
    from_state, _to = transition(contract, S.CANCELLATION_PENDING)
    contract.pending_change = {"kind": "cancellation", "note": note}
    _start_review(contract, moment, 0)
    db.session.flush()
    record_audit(
        "contract.cancellation_requested",
        contract,
        actor=actor,
        from_state=from_state.value,
        to_state=contract.status,
        data={"note": note},
    )
    _notify_regulators(contract)
    return contract


# --- Notifications (in the same transaction: they are rows; e-mail goes after the commit) -----


def _notify_regulators(contract: Contract) -> None:
    regulators = db.session.scalars(
        select(User)
        .join(Organization, User.organization_id == Organization.id)
        .where(User.role == "regulator", Organization.kind == "regulator", Organization.status == "approved")
    ).all()
    for user in regulators:
        if user.acts_as("regulator") and region_in_scope(user.scope_region, contract.seller_org.region_code):
            if user.scope_region == contract.authority_region:
                notify(
                    user,
                    "contract.submitted",
                    N_("Contract %(title)s waits for registration."),
                    params={"title": contract.title},
                    link=contract_url(contract.id),
                    email=False,
                )


def _notify_parties(contract: Contract, kind: str) -> None:
    message = (
        N_("Contract %(title)s was registered.")
        if kind == "contract.registered"
        else N_("Contract %(title)s was returned by the registration authority.")
    )
    users = db.session.scalars(
        select(User).where(User.organization_id == contract.seller_org_id, User.role.in_(("seller", "buyer")))
    ).all()
    for user in users:
        notify(
            user, kind, message, params={"title": contract.title}, link=contract_url(contract.id), email=False
        )
