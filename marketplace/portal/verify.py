"""The public check of a registration certificate: /verify/<registration_no>.

Anyone holding a certificate (a bank, a tax office, a partner) can check that
its number was issued: the registration's date, category and authority, its
status now (registered, amended, cancelled), and the ledger entries recorded
under the number with their hashes (the entry hash of the chain and the leaf
hash that a Merkle inclusion proof starts from). Nothing private: no parties,
no amounts, no contract text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..contracts.codes import category_label
from ..contracts.models import Contract
from ..contracts.states import ContractStatus
from ..core.catalog import authority_name
from ..core.regno import RegistrationNoError, parse_registration_no
from ..core.timeutil import shanghai_date
from ..extensions import db
from ..ledger import merkle
from ..ledger.models import LedgerEntry
from ..ledger.services import entry_fields

#: What the public may learn of a contract's state.
_PUBLIC_STATUS = {
    ContractStatus.REGISTERED.value: "registered",
    ContractStatus.AMENDMENT_PENDING.value: "registered",
    ContractStatus.CANCELLATION_PENDING.value: "registered",
    ContractStatus.CANCELLED.value: "cancelled",
}


@dataclass(frozen=True)
class LedgerMark:
    seq: int
    kind: str
    recorded_on: date
    entry_hash: str
    leaf_hash: str


@dataclass(frozen=True)
class Verification:
    registration_no: str
    status: str  # "registered" or "cancelled"
    amended: bool
    registered_on: date
    category: str
    category_label: str
    authority_region: str
    authority: str
    ledger: list[LedgerMark]

    def to_dict(self) -> dict[str, Any]:
        return {
            "registration_no": self.registration_no,
            "status": self.status,
            "amended": self.amended,
            "registered_on": self.registered_on.isoformat(),
            "category": self.category,
            "category_label": self.category_label,
            "authority_region": self.authority_region,
            "authority": self.authority,
            "ledger_entries": [
                {
                    "seq": m.seq,
                    "kind": m.kind,
                    "recorded_on": m.recorded_on.isoformat(),
                    "entry_hash": m.entry_hash,
                    "leaf_hash": m.leaf_hash,
                }
                for m in self.ledger
            ],
        }


def well_formed(registration_no: str) -> bool:
    try:
        parse_registration_no(registration_no)
    except RegistrationNoError:
        return False
    return True


def verify(registration_no: str) -> Verification | None:
    """What the public may know of a registration number, or None if none was issued."""
    if not well_formed(registration_no):
        return None
    contract = db.session.scalar(
        select(Contract)
        .where(Contract.registration_no == registration_no)
        .options(selectinload(Contract.registrations))
    )
    if contract is None or contract.status not in _PUBLIC_STATUS or contract.first_registration is None:
        return None
    first, current = contract.first_registration, contract.current_registration
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.registration_no == registration_no).order_by(LedgerEntry.seq)
    ).all()
    return Verification(
        registration_no=registration_no,
        status=_PUBLIC_STATUS[contract.status],
        amended=any(r.kind == "amendment" for r in contract.registrations),
        registered_on=shanghai_date(first.registered_at),
        category=current.category,
        category_label=str(category_label(current.category)),
        authority_region=first.authority_region,
        authority=authority_name(first.authority_region),
        ledger=[
            LedgerMark(
                seq=e.seq,
                kind=e.kind,
                recorded_on=shanghai_date(e.recorded_at),
                entry_hash=e.hash,
                leaf_hash=merkle.entry_leaf_hash(entry_fields(e)).hex(),
            )
            for e in entries
        ],
    )
