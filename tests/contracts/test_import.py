"""`flask contracts import FILE`: a good file, a file with bad rows, the same file twice, XLSX."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from marketplace.contracts.models import Contract, ContractRegistration, RegistrationCounter
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import contract_totals

from ..factories import OrganizationFactory, user_with_role

HEADER = [
    "registration_no", "registered_on", "title", "category", "industry", "seller_uscc",
    "turnover_yuan", "tech_income_yuan", "buyer_uscc", "buyer_name", "buyer_place",
]  # fmt: skip


@pytest.fixture
def parties(db):
    seller = OrganizationFactory(kind="university", region_code="230100")
    daqing = OrganizationFactory(kind="research_institute", region_code="230600")
    buyer = OrganizationFactory(kind="enterprise", region_code="230200")
    admin = user_with_role("admin")
    db.session.flush()
    return seller, daqing, buyer, admin


def good_rows(seller, daqing, buyer):
    return [
        ["2023230100000101", "2023-04-18", "寒地大豆高蛋白品种选育技术转让合同", "transfer_other", "biology",
         seller.uscc, "1,200,000.00", "1000000", buyer.uscc, "", ""],
        ["2024230600000007", "2024-08-02", "稠油降黏催化剂技术秘密转让合同", "transfer_technical_secret", "chemical",
         daqing.uscc, "500000", "500000", "", "深圳前海智造投资有限公司", "广东省深圳市"],
        ["2024230000000003", "2024-09-30", "石墨烯负极材料专利实施许可合同", "license_patent", "new_materials",
         seller.uscc, "80000.5", "80000.5", buyer.uscc, "", ""],
    ]  # fmt: skip


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return str(path)


def run(app, *args):
    return app.test_cli_runner().invoke(args=["contracts", "import", "--locale", "en", *args])


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_good_file_imports_every_contract_with_its_ledger_entry(app, db, parties, tmp_path):
    seller, daqing, buyer, admin = parties
    path = write_csv(tmp_path / "good.csv", good_rows(seller, daqing, buyer))
    result = run(app, path, "--actor", admin.email)
    assert result.exit_code == 0, result.output
    assert "3 contract(s) imported" in result.output
    contract = db.session.scalar(select(Contract).where(Contract.registration_no == "2023230100000101"))
    assert contract.status == "registered" and contract.source == "import"
    assert (contract.turnover_fen, contract.tech_income_fen) == (120_000_000, 100_000_000)
    assert sum(line.amount_fen for line in contract.cost_lines) == 20_000_000
    assert sum(m.amount_fen for m in contract.milestones) == 120_000_000
    assert contract_totals(contract.id) == (120_000_000, 100_000_000)
    out_of_province = db.session.scalar(
        select(Contract).where(Contract.registration_no == "2024230600000007")
    )
    assert (
        out_of_province.buyer_name == "深圳前海智造投资有限公司" and out_of_province.buyer_region == "000000"
    )
    assert count(db, LedgerEntry) == 3 and count(db, ContractRegistration) == 3
    # the counter now knows the imported serials: the next Harbin 2023 number follows them
    assert db.session.get(RegistrationCounter, "2023230100").last_serial == 101


def test_same_file_twice_adds_nothing(app, db, parties, tmp_path):
    seller, daqing, buyer, admin = parties
    path = write_csv(tmp_path / "good.csv", good_rows(seller, daqing, buyer))
    assert run(app, path, "--actor", admin.email).exit_code == 0
    result = run(app, path, "--actor", admin.email)
    assert result.exit_code == 0, result.output
    assert "0 contract(s) imported, 3 already there" in result.output
    assert count(db, Contract) == 3 and count(db, LedgerEntry) == 3


def test_file_with_bad_rows_imports_nothing_and_reports_each(app, db, parties, tmp_path):
    seller, daqing, buyer, admin = parties
    rows = good_rows(seller, daqing, buyer)
    bad = [
        # income above turnover
        ["2023230100000201", "2023-05-01", "农机专利实施许可合同", "license_patent", "agri_machinery",
         seller.uscc, "100", "101", buyer.uscc, "", ""],
        # unknown category, malformed number
        ["20232301000002", "2023-05-01", "技术咨询合同", "consultancy", "digital", seller.uscc, "100", "100",
         buyer.uscc, "", ""],
        # year of the number is not the year of registration; unknown seller
        ["2022230100000202", "2023-05-01", "技术服务合同", "service", "digital", "91230100MA1BXXXXX0",
         "100", "100", buyer.uscc, "", ""],
        # a Daqing seller under a Harbin number; a duplicate number in the file
        ["2023230100000101", "2023-04-18", "技术秘密转让合同", "transfer_technical_secret", "energy",
         daqing.uscc, "100", "100", buyer.uscc, "", ""],
    ]  # fmt: skip
    path = write_csv(tmp_path / "bad.csv", rows + bad)
    result = run(app, path, "--actor", admin.email)
    assert result.exit_code == 1
    output = result.output
    assert "4 row(s) rejected; nothing was imported" in output
    for line in ("line 5", "line 6", "line 7", "line 8"):
        assert line in output
    assert "cannot be more than the contract turnover" in output or "不能" in output
    assert (
        "consultancy" in output and "2022" in output and "appears twice" in output.replace("出现", "appears")
    )
    assert count(db, Contract) == 0 and count(db, LedgerEntry) == 0 and count(db, RegistrationCounter) == 0


def test_xlsx_file(app, db, parties, tmp_path):
    from openpyxl import Workbook

    seller, daqing, buyer, admin = parties
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in good_rows(seller, daqing, buyer):
        row[6] = float(row[6].replace(",", "")) if "." in row[6] else int(row[6].replace(",", ""))
        sheet.append([int(row[0]), *row[1:]])  # numbers stored as numbers, as Excel does
    path = tmp_path / "offline.xlsx"
    workbook.save(path)
    result = run(app, str(path), "--actor", admin.email)
    assert result.exit_code == 0, result.output
    third = db.session.scalar(select(Contract).where(Contract.registration_no == "2024230000000003"))
    assert third.turnover_fen == 8_000_050


def test_unreadable_or_incomplete_file_is_refused(app, db, parties, tmp_path):
    *_rest, admin = parties
    path = tmp_path / "x.txt"
    path.write_text("hello")
    assert run(app, str(path), "--actor", admin.email).exit_code != 0
    missing = tmp_path / "missing.csv"
    missing.write_text("registration_no,title\n2023230100000001,x\n", encoding="utf-8")
    result = run(app, str(missing), "--actor", admin.email)
    assert result.exit_code != 0 and "missing columns" in result.output
