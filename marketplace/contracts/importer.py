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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization, User
from ..core.catalog import INDUSTRIES, city_of
from ..core.errors import DomainError
from ..core.models import record_audit
from ..core.money import MoneyError, parse_yuan
from ..core.regno import RegistrationNoError, parse_registration_no
from ..core.timeutil import start_of_day_utc
from ..extensions import db
from . import ledger_link
from .codes import CATEGORIES
from .models import Contract, ContractCostLine, ContractMilestone, ContractRegistration
from .registration import _bump_counter, _ledger_event
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


def _org(uscc: str, name: str, reasons: list[str]) -> Organization | None:
    org = db.session.scalar(select(Organization).where(Organization.uscc == uscc.upper()))
    if org is None:
        reasons.append(str(_l("%(column)s: no organization with the code %(code)s.", column=name, code=uscc)))
    return org


def _check_row(values: dict[str, str], seen: set[str]) -> tuple[dict[str, Any], list[str]]:
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
    seller = _org(values["seller_uscc"], "seller_uscc", reasons) if values.get("seller_uscc") else None
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
    buyer = _org(values["buyer_uscc"], "buyer_uscc", reasons) if values.get("buyer_uscc") else None
    if buyer is None and not values.get("buyer_uscc"):
        if not values.get("buyer_name") or not values.get("buyer_place"):
            reasons.append(
                str(_l("Give buyer_uscc, or buyer_name and buyer_place for a buyer outside the province."))
            )
    agency = _org(values["agency_uscc"], "agency_uscc", reasons) if values.get("agency_uscc") else None
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


def _existing(number: str) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.registration_no == number))


def import_row(data: dict[str, Any], *, actor: User, source: str) -> Contract:
    """Create one registered contract from a checked row, with its registration and ledger entry."""
    registered_at = start_of_day_utc(data["registered_on"])
    parts = data["parts"]
    authority = parts.region_code
    turnover, income = data["turnover_fen"], data["tech_income_fen"]
    buyer = data["buyer"]
    contract = Contract(
        status=ContractStatus.REGISTERED.value,
        source="import",
        source_ref=source[:100],
        category=data["category"],
        title=data["title"],
        seller_org_id=data["seller"].id,
        buyer_org_id=buyer.id if buyer else None,
        buyer_name=None if buyer else data["buyer_name"],
        buyer_place=None if buyer else data["buyer_place"],
        agency_org_id=data["agency"].id if data["agency"] else None,
        industry=data["industry"],
        turnover_fen=turnover,
        tech_income_fen=income,
        signed_on=data["signed_on"],
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        authority_region=authority,
        registration_no=data["registration_no"],
        registered_at=registered_at,
        created_by_id=actor.id,
    )
    contract.milestones.append(
        ContractMilestone(seq=1, due_on=data["signed_on"] or data["registered_on"], amount_fen=turnover)
    )
    if turnover > income:
        contract.cost_lines.append(
            ContractCostLine(
                seq=1, kind="equipment", description="非技术性费用（线下登记）", amount_fen=turnover - income
            )
        )
    db.session.add(contract)
    db.session.flush()
    db.session.add(
        ContractRegistration(
            contract_id=contract.id,
            seq=1,
            kind=RegistrationKind.REGISTRATION.value,
            registration_no=contract.registration_no,
            category=contract.category,
            turnover_fen=turnover,
            tech_income_fen=income,
            buyer_org_id=contract.buyer_org_id,
            buyer_name=contract.buyer_name,
            industry=contract.industry,
            effective_on=data["registered_on"],
            registered_at=registered_at,
            registered_by_id=None,
            authority_region=authority,
            note=str(_l("Registered offline; imported from %(source)s.", source=source)),
        )
    )
    _bump_counter(contract.registration_no)
    db.session.flush()
    ledger_link.append(
        _ledger_event(contract, "registration", 1, turnover, income, data["registered_on"]),
        actor=actor,
        recorded_at=registered_at,
    )
    record_audit(
        "contract.imported",
        contract,
        actor=actor,
        to_state=contract.status,
        data={"registration_no": contract.registration_no, "source": source},
    )
    return contract


def import_contracts(rows: Iterable[tuple[int, dict[str, str]]], *, actor: User, source: str) -> ImportReport:
    """Check and import every row (flush only; the caller commits when `report.ok`)."""
    report = ImportReport()
    seen: set[str] = set()
    for line, values in rows:
        data, reasons = _check_row(values, seen)
        number = data.get("registration_no", "")
        if not reasons:
            existing = _existing(number)
            if existing is not None:
                same = (
                    existing.seller_org_id == data["seller"].id
                    and existing.turnover_fen == data["turnover_fen"]
                    and existing.title == data["title"]
                )
                if same:
                    report.rows.append(RowResult(line, number, "skipped", [str(_l("already imported"))]))
                    continue
                reasons.append(str(_l("Registration number %(no)s belongs to another contract.", no=number)))
        if reasons:
            report.rows.append(RowResult(line, number, "rejected", reasons))
            continue
        if report.ok:  # after a rejection, only check the rest
            try:
                with db.session.begin_nested():
                    import_row(data, actor=actor, source=f"{source}:{line}")
            except DomainError as exc:
                report.rows.append(RowResult(line, number, "rejected", [str(exc.message)]))
                continue
        report.rows.append(RowResult(line, number, "imported"))
    return report
