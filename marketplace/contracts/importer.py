"""Import contracts registered offline (CSV or XLSX), with their registration numbers.

One file is one transaction: every row is checked, and if any row is rejected
nothing is imported (the report lists each rejected row and why). A row whose
registration number is already on the platform for the same contract is
skipped, so importing the same file twice adds nothing. Each imported
contract is registered (a `ContractRegistration` row) and appended to the
turnover ledger, like a registration made on the platform.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, text

from ..accounts.models import Organization, User
from ..core.catalog import INDUSTRIES, city_of
from ..core.models import AuditEvent
from ..core.money import MoneyError, parse_yuan
from ..core.regno import RegistrationNoError, parse_registration_no
from ..core.timeutil import start_of_day_utc, utcnow
from ..extensions import db
from . import ledger_link
from .codes import CATEGORIES
from .models import Contract, ContractCostLine, ContractMilestone, ContractRegistration
from .registration import raise_counters
from .states import ContractStatus, RegistrationKind

#: The columns, in the order the template file has them. Required ones first.
COLUMNS = (
    "registration_no",
    "registered_on",
    "title",
    "category",
    "industry",
    "seller_uscc",
    "turnover_yuan",
    "tech_income_yuan",
    "buyer_uscc",
    "buyer_name",
    "buyer_place",
    "agency_uscc",
    "signed_on",
    "valid_from",
    "valid_to",
)
REQUIRED = COLUMNS[:8]


class ImportFileError(ValueError):
    """The file cannot be read at all (format, missing columns)."""


@dataclass
class RowResult:
    line: int
    registration_no: str
    status: str  # "imported", "skipped", "rejected"
    reasons: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == "rejected"]

    @property
    def ok(self) -> bool:
        return not self.rejected


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(str(value)), "f")
    return str(value).strip()


def read_rows(path: Path) -> tuple[int, Iterator[tuple[int, dict[str, str]]]]:
    """(number of data rows, iterator of (line number, {column: text})) for a CSV or XLSX file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        table = [row for row in csv.reader(io.StringIO(text))]
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ImportFileError(f"cannot read {path.name}: {exc}") from None
        sheet = workbook.worksheets[0]
        table = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    else:
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files can be imported")
    if not table:
        raise ImportFileError(f"{path.name} is empty")
    header = [h.strip().lower() for h in table[0]]
    absent = [c for c in REQUIRED if c not in header]
    if absent:
        raise ImportFileError(f"{path.name}: missing columns: {', '.join(absent)}")
    body = [(i, row) for i, row in enumerate(table[1:], start=2) if any(_text(v) for v in row)]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for line, row in body:
            values = {name: _text(row[i]) if i < len(row) else "" for i, name in enumerate(header)}
            yield line, values

    return len(body), rows()


def _date(text: str, name: str, reasons: list[str], *, required: bool = False) -> date | None:
    if not text:
        if required:
            reasons.append(str(_l("%(column)s is required.", column=name)))
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        reasons.append(str(_l("%(column)s is not a date (YYYY-MM-DD): %(value)s", column=name, value=text)))
        return None


class _Orgs(dict):
    """Organizations by USCC, each looked up once per file (a file names a few sellers many times)."""

    def __missing__(self, uscc: str) -> Organization | None:
        org = db.session.scalar(select(Organization).where(Organization.uscc == uscc))
        self[uscc] = org
        return org


def _org(uscc: str, name: str, reasons: list[str], orgs: _Orgs) -> Organization | None:
    org = orgs[uscc.upper()]
    if org is None:
        reasons.append(str(_l("%(column)s: no organization with the code %(code)s.", column=name, code=uscc)))
    return org


def _check_row(values: dict[str, str], seen: set[str], orgs: _Orgs) -> tuple[dict[str, Any], list[str]]:
    reasons: list[str] = []
    for name in REQUIRED:
        if not values.get(name):
            reasons.append(str(_l("%(column)s is required.", column=name)))
    out: dict[str, Any] = {}
    number = values.get("registration_no", "")
    if number:
        try:
            parts = parse_registration_no(number)
        except RegistrationNoError as exc:
            reasons.append(str(exc))
            parts = None
        if number in seen:
            reasons.append(str(_l("Registration number %(no)s appears twice in the file.", no=number)))
        seen.add(number)
    else:
        parts = None
    registered_on = _date(values.get("registered_on", ""), "registered_on", reasons)
    if parts is not None and registered_on is not None and parts.year != registered_on.year:
        reasons.append(
            str(
                _l(
                    "The registration number's year %(year)s is not the year of registered_on.",
                    year=parts.year,
                )
            )
        )
    if values.get("category") and values["category"] not in CATEGORIES:
        reasons.append(str(_l("Unknown category %(code)s.", code=values["category"])))
    if values.get("industry") and values["industry"] not in INDUSTRIES:
        reasons.append(str(_l("Unknown industry %(code)s.", code=values["industry"])))
    if len(values.get("title", "")) > 300:
        reasons.append(str(_l("The title is longer than 300 characters.")))
    amounts = {}
    for name in ("turnover_yuan", "tech_income_yuan"):
        if values.get(name):
            try:
                amounts[name] = parse_yuan(values[name])
            except MoneyError as exc:
                reasons.append(f"{name}: {exc}")
    turnover, income = amounts.get("turnover_yuan"), amounts.get("tech_income_yuan")
    if turnover is not None and turnover <= 0:
        reasons.append(str(_l("The contract turnover must be more than 0.")))
    if turnover is not None and income is not None and income > turnover:
        reasons.append(str(_l("Technology income cannot be more than the contract turnover.")))
    seller = _org(values["seller_uscc"], "seller_uscc", reasons, orgs) if values.get("seller_uscc") else None
    if seller is not None and parts is not None:
        authority_city = parts.city
        seller_city = (city_of(seller.region_code) or "230000")[2:4]
        if not seller.region_code.startswith("23"):
            reasons.append(str(_l("The seller is not registered in Heilongjiang.")))
        elif authority_city not in ("00", seller_city):
            reasons.append(
                str(
                    _l(
                        "The number was issued by another city's authority than the seller's (%(city)s).",
                        city=authority_city,
                    )
                )
            )
    buyer = _org(values["buyer_uscc"], "buyer_uscc", reasons, orgs) if values.get("buyer_uscc") else None
    if buyer is None and not values.get("buyer_uscc"):
        if not values.get("buyer_name") or not values.get("buyer_place"):
            reasons.append(
                str(_l("Give buyer_uscc, or buyer_name and buyer_place for a buyer outside the province."))
            )
    agency = _org(values["agency_uscc"], "agency_uscc", reasons, orgs) if values.get("agency_uscc") else None
    valid_from = _date(values.get("valid_from", ""), "valid_from", reasons)
    valid_to = _date(values.get("valid_to", ""), "valid_to", reasons)
    if valid_from and valid_to and valid_from > valid_to:
        reasons.append(str(_l("The validity period ends before it starts.")))
    out.update(
        registration_no=number,
        parts=parts,
        registered_on=registered_on,
        title=values.get("title", ""),
        category=values.get("category"),
        industry=values.get("industry"),
        turnover_fen=turnover,
        tech_income_fen=income,
        seller=seller,
        buyer=buyer,
        buyer_name=values.get("buyer_name") or None,
        buyer_place=values.get("buyer_place") or None,
        agency=agency,
        signed_on=_date(values.get("signed_on", ""), "signed_on", reasons),
        valid_from=valid_from,
        valid_to=valid_to,
    )
    return out, reasons


def _existing(numbers: list[str]) -> dict[str, tuple[int, int, str]]:
    """The contracts already on the platform under these numbers: (seller, turnover, title)."""
    found: dict[str, tuple[int, int, str]] = {}
    for i in range(0, len(numbers), BATCH):
        stmt = select(
            Contract.registration_no, Contract.seller_org_id, Contract.turnover_fen, Contract.title
        ).where(Contract.registration_no.in_(numbers[i : i + BATCH]))
        found.update({row[0]: (row[1], row[2], row[3]) for row in db.session.execute(stmt)})
    return found


#: Rows written per statement and per take of the ledger's lock.
BATCH = 1000


def _contract_row(data: dict[str, Any], *, actor: User, source: str, now: datetime) -> dict[str, Any]:
    buyer = data["buyer"]
    return {
        "status": ContractStatus.REGISTERED.value,
        "source": "import",
        "source_ref": source[:100],
        "category": data["category"],
        "title": data["title"],
        "seller_org_id": data["seller"].id,
        "buyer_org_id": buyer.id if buyer else None,
        "buyer_name": None if buyer else data["buyer_name"],
        "buyer_place": None if buyer else data["buyer_place"],
        "agency_org_id": data["agency"].id if data["agency"] else None,
        "industry": data["industry"],
        "turnover_fen": data["turnover_fen"],
        "tech_income_fen": data["tech_income_fen"],
        "signed_on": data["signed_on"],
        "valid_from": data["valid_from"],
        "valid_to": data["valid_to"],
        "authority_region": data["parts"].region_code,
        "registration_no": data["registration_no"],
        "registered_at": start_of_day_utc(data["registered_on"]),
        "created_by_id": actor.id,
        "created_at": now,
        "updated_at": now,
    }


def _write_batch(batch: list[tuple[int, dict[str, Any]]], *, actor: User, source: str) -> None:
    """Create the batch's registered contracts, with their milestone, cost line,
    registration, audit event and ledger entries: a few statements of many rows."""
    now = utcnow()
    rows = [_contract_row(data, actor=actor, source=f"{source}:{line}", now=now) for line, data in batch]
    ids = _new_contract_ids(rows)
    milestones, costs, registrations, audits, events, times = [], [], [], [], [], []
    for contract_id, row, (line, data) in zip(ids, rows, batch, strict=True):
        where = f"{source}:{line}"
        turnover, income = row["turnover_fen"], row["tech_income_fen"]
        due = data["signed_on"] or data["registered_on"]
        milestones.append({"contract_id": contract_id, "seq": 1, "due_on": due, "amount_fen": turnover})
        if turnover > income:
            costs.append({"contract_id": contract_id, "seq": 1, "kind": "equipment",
                          "description": "非技术性费用（线下登记）", "amount_fen": turnover - income})  # fmt: skip
        registrations.append(
            {
                "contract_id": contract_id,
                "seq": 1,
                "kind": RegistrationKind.REGISTRATION.value,
                "registration_no": row["registration_no"],
                "category": row["category"],
                "turnover_fen": turnover,
                "tech_income_fen": income,
                "buyer_org_id": row["buyer_org_id"],
                "buyer_name": row["buyer_name"],
                "industry": row["industry"],
                "effective_on": data["registered_on"],
                "registered_at": row["registered_at"],
                "registered_by_id": None,
                "authority_region": row["authority_region"],
                "note": str(_l("Registered offline; imported from %(source)s.", source=where)),
            }
        )
        audits.append(
            {
                "at": now,
                "actor_id": actor.id,
                "action": "contract.imported",
                "subject_type": Contract.__audit_type__,
                "subject_id": contract_id,
                "from_state": None,
                "to_state": row["status"],
                "data": {"registration_no": row["registration_no"], "source": where},
            }
        )
        seller = data["seller"]
        events.append(
            ledger_link.LedgerEventData(
                kind="registration",
                contract_id=contract_id,
                registration_no=row["registration_no"],
                turnover_delta_fen=turnover,
                tech_income_delta_fen=income,
                effective_on=data["registered_on"],
                seller_region=seller.region_code,
                seller_org_kind=seller.kind,
                industry=row["industry"] or "other",
                category=row["category"],
                event_key=f"contract:{contract_id}:registration:1",
            )
        )
        times.append(row["registered_at"])
    # Core inserts with many parameter sets: sent pipelined, one statement each.
    db.session.execute(ContractMilestone.__table__.insert(), milestones)
    if costs:
        db.session.execute(ContractCostLine.__table__.insert(), costs)
    db.session.execute(ContractRegistration.__table__.insert(), registrations)
    db.session.execute(AuditEvent.__table__.insert(), audits)
    raise_counters([row["registration_no"] for row in rows])
    ledger_link.append_many(events, actor=actor, recorded_at=times)


def _new_contract_ids(rows: list[dict[str, Any]]) -> list[int]:
    """Insert the contracts and answer their ids, in the rows' order. PostgreSQL: the ids
    are taken from the table's sequence first, so the rows go as one statement with many
    parameter sets; SQLite: one INSERT ... RETURNING of many rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(
            db.session.scalars(
                text("SELECT nextval(pg_get_serial_sequence('contracts', 'id')) FROM generate_series(1, :n)"),
                {"n": len(rows)},
            )
        )
        db.session.execute(
            Contract.__table__.insert(), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)]
        )
        return ids
    return list(
        db.session.scalars(insert(Contract).returning(Contract.id, sort_by_parameter_order=True), rows)
    )


def import_contracts(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    actor: User,
    source: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row, then import them all in batches, or none (flush only; the caller
    commits when `report.ok`). `progress(written, total)` is told of each batch written."""
    report = ImportReport()
    seen: set[str] = set()
    orgs = _Orgs()
    checked = []
    for line, values in rows:
        data, reasons = _check_row(values, seen, orgs)
        seller = data.get("seller")
        if seller is not None and not ledger_link.may_record(actor, seller.region_code):
            reasons.append(str(_l("Only the registration authority of the seller's region records this.")))
        checked.append((line, data.get("registration_no", ""), data, reasons))
    existing = _existing([number for _line, number, _data, reasons in checked if number and not reasons])
    todo: list[tuple[int, dict[str, Any]]] = []
    for line, number, data, reasons in checked:
        if not reasons and number in existing:
            seller_id, turnover, title = existing[number]
            if (seller_id, turnover, title) == (data["seller"].id, data["turnover_fen"], data["title"]):
                report.rows.append(RowResult(line, number, "skipped", [str(_l("already imported"))]))
                continue
            reasons.append(str(_l("Registration number %(no)s belongs to another contract.", no=number)))
        if reasons:
            report.rows.append(RowResult(line, number, "rejected", reasons))
            continue
        report.rows.append(RowResult(line, number, "imported"))
        todo.append((line, data))
    if report.ok:
        for i in range(0, len(todo), BATCH):
            _write_batch(todo[i : i + BATCH], actor=actor, source=source)
            if progress is not None:
                progress(min(i + BATCH, len(todo)), len(todo))
    return report
