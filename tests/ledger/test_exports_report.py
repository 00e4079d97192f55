"""The exports: an XLSX report a registration office can read (headers in
its language, yuan as numbers, labels beside codes, Beijing time, widths, a
frozen header, a chain sheet; summaries differ from entries) and a CSV that
stays the machine-readable contract for auditors' scripts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from marketplace.ledger import exports, services

from ..factories import LedgerEventFactory, cancellation_of, user_with_role

T0 = datetime(2024, 3, 1, 18, 30, 5, 123456, tzinfo=UTC)  # 2024-03-02 02:30:05 in Beijing


@pytest.fixture
def entries(db, app):
    """A Harbin university contract, a Daqing enterprise one, and a cancelled one."""
    with app.test_request_context("/"):
        reg = user_with_role("regulator")
        harbin = LedgerEventFactory(
            seller_region="230100",
            turnover_delta_fen=123_456_78,
            tech_income_delta_fen=100_000_00,
            effective_on=date(2024, 3, 1),
            industry="digital",
            seller_org_kind="university",
        )
        daqing = LedgerEventFactory(
            seller_region="230600",
            turnover_delta_fen=700_000_00,
            tech_income_delta_fen=500_000_00,
            effective_on=date(2024, 5, 1),
            industry="energy",
            seller_org_kind="enterprise",
            category="service",
        )
        gone = LedgerEventFactory(
            seller_region="230100", turnover_delta_fen=50_000_00, tech_income_delta_fen=40_000_00
        )
        services.append_entry(harbin, actor=reg, recorded_at=T0)
        services.append_entry(daqing, actor=reg, recorded_at=T0 + timedelta(days=60))
        services.append_entry(gone, actor=reg, recorded_at=T0 + timedelta(days=70))
        services.append_entry(
            cancellation_of(gone, 50_000_00, 40_000_00), actor=reg, recorded_at=T0 + timedelta(days=71)
        )
        db.session.flush()
    return {"harbin": harbin, "daqing": daqing}


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def _download(client, query: str) -> bytes:
    response = client.get(f"/ledger/export?{query}")
    assert response.status_code == 200, response.status_code
    return response.data


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_entries_workbook_is_a_report_in_chinese(client, login_as, entries):
    login_as("regulator")
    book = _book(_download(client, "format=xlsx&what=entries&year=2024"))
    assert book.sheetnames == ["台账记录", "哈希链与检查点", "entries", "chain"]
    sheet = book["台账记录"]
    header, first = _rows(sheet)[:2]
    assert header[:9] == (
        "记录序号", "记录类型", "登记编号", "平台合同编号", "成交额变动（元）", "技术交易额变动（元）",
        "合同数变动", "生效日期", "记录时间（北京时间）",
    )  # fmt: skip
    assert header[10:18] == (
        "地市代码", "地市", "机构类型代码", "机构类型", "产业代码", "产业", "合同类别代码", "合同类别",
    )  # fmt: skip
    # Amounts in yuan, as numbers with two decimals; labels beside the codes.
    assert first[0] == 1 and first[1] == "登记" and first[2] == entries["harbin"].registration_no
    assert first[4] == pytest.approx(123_456.78) and isinstance(first[4], float)
    assert sheet.cell(row=2, column=5).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=6).number_format == "#,##0.00"
    assert first[10:14] == ("230100", "哈尔滨市", "university", "高校")
    # Beijing time, not UTC.
    assert first[8] == datetime(2024, 3, 2, 2, 30, 5)
    assert first[7] == datetime(2024, 3, 1)
    # A frozen header row and set widths.
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width >= 16 and sheet.column_dimensions["T"].width >= 60
    assert len(_rows(sheet)) == 5


def test_chain_sheet_states_the_head_the_count_and_the_time(client, login_as, entries):
    login_as("regulator")
    book = _book(_download(client, "format=xlsx&what=entries"))
    chain = {row[0]: row[1] for row in _rows(book["哈希链与检查点"])}
    head_seq, head_hash, _at = services.ledger_head()
    assert chain["链头哈希（最后一条记录的 SHA-256）"] == head_hash
    assert chain["链中记录数"] == head_seq == 4 and chain["本文件记录数"] == 4
    exported = chain["导出时间（北京时间）"]
    assert isinstance(exported, datetime)
    assert abs(exported - datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=8)) < timedelta(minutes=5)
    assert chain["范围"] == "黑龙江省（全省） (230000)" and chain["截至（北京时间）"] == "导出时"
    assert book["哈希链与检查点"].freeze_panes == "A2"
    # The machine-readable sheets keep the CSV's columns and values.
    machine = _rows(book["entries"])
    assert machine[0] == exports.ENTRY_COLUMNS
    assert machine[1][4] == 123_456_78 and machine[1][8] == "2024-03-01T18:30:05.123456+00:00"
    assert {row[0]: row[1] for row in _rows(book["chain"])}["chain_head_hash"] == head_hash


def test_entries_workbook_in_english_on_an_english_request(client, login_as, entries):
    login_as("regulator")
    book = _book(_download(client, "format=xlsx&what=entries&lang=en"))
    assert book.sheetnames == ["Ledger entries", "Chain and checkpoint", "entries", "chain"]
    header, first = _rows(book["Ledger entries"])[:2]
    assert header[:5] == (
        "Entry number", "Entry kind", "Registration number", "Platform contract number", "Turnover change (yuan)",
    )  # fmt: skip
    assert "Recorded at (Beijing time)" in header
    assert first[1] == "Registration" and first[10:12] == ("230100", "Harbin")
    chain = {row[0]: row[1] for row in _rows(book["Chain and checkpoint"])}
    assert chain["Head hash (SHA-256 of the last entry)"] == services.ledger_head()[1]
    assert chain["Entries in the chain"] == 4


def test_summary_workbook_differs_from_entries_and_groups_in_wan(client, login_as, entries):
    login_as("regulator")
    summary_bytes = _download(client, "format=xlsx&what=summary&year=2024")
    entries_bytes = _download(client, "format=xlsx&what=entries&year=2024")
    assert summary_bytes != entries_bytes
    book = _book(summary_bytes)
    assert book.sheetnames == ["按年度", "按地市", "按产业", "按机构类型", "按合同类别", "哈希链与检查点"]
    assert _book(entries_bytes).sheetnames != book.sheetnames
    sheet = book["按地市"]
    rows = _rows(sheet)
    assert rows[0] == (
        "代码",
        "名称",
        "登记成交额（万元）",
        "成交额占比",
        "技术交易额（万元）",
        "合同数",
        "记录数",
    )
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["230100"][1] == "哈尔滨市" and by_code["230100"][2] == pytest.approx(12.345678)
    assert by_code["230600"][2] == pytest.approx(70.0)
    total = rows[-1]
    assert total[1] == "合计" and total[2] == pytest.approx(82.345678) and total[3] == pytest.approx(1)
    assert by_code["230600"][3] == pytest.approx(700_000_00 / 823_456_78)
    assert sheet.cell(row=2, column=3).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=4).number_format == "0.00%"
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width >= 20
    years = _rows(book["按年度"])
    assert years[0][0] == "年份" and years[1][0] == 2024
    chain = {row[0]: row[1] for row in _rows(book["哈希链与检查点"])}
    assert chain["链头哈希（最后一条记录的 SHA-256）"] == services.ledger_head()[1]
    assert "本文件记录数" not in chain


def test_cli_writes_the_report_in_english_with_locale_en(app, entries, tmp_path):
    runner = app.test_cli_runner()
    zh, en, summary = tmp_path / "zh.xlsx", tmp_path / "en.xlsx", tmp_path / "summary-en.xlsx"
    for out, extra in (
        (zh, []),
        (en, ["--locale", "en"]),
        (summary, ["--locale", "en", "--what", "summary"]),
    ):
        result = runner.invoke(args=["ledger", "export", "--format", "xlsx", "--output", str(out), *extra])
        assert result.exit_code == 0, result.output
    assert load_workbook(zh).sheetnames[0] == "台账记录"
    assert _rows(load_workbook(en)["Ledger entries"])[0][2] == "Registration number"
    book = load_workbook(summary)
    assert book.sheetnames[:2] == ["By year", "By city"]
    header = _rows(book["By city"])[0]
    assert header[:3] == ("Code", "Name", "Registered turnover (CNY million)")
    by_code = {row[0]: row for row in _rows(book["By city"])[1:]}
    assert by_code["230600"][2] == pytest.approx(0.7)  # CNY 700,000


def test_csv_keeps_the_documented_machine_readable_columns(client, login_as, entries):
    login_as("regulator")
    text = _download(client, "format=csv&what=entries").decode("utf-8-sig")
    lines = text.splitlines()
    comments = [line for line in lines if line.startswith("# ")]
    assert lines[: len(comments)] == comments  # the chain's head comes first, then the table
    rows = list(csv.reader(lines[len(comments) :]))
    assert tuple(rows[0]) == exports.ENTRY_COLUMNS == (
        "seq", "kind", "contract_id", "registration_no", "turnover_delta_fen", "tech_income_delta_fen",
        "contracts_delta", "effective_on", "recorded_at", "regulator_id", "year", "seller_region",
        "seller_org_kind", "industry", "category", "event_key", "prev_hash", "hash",
    )  # fmt: skip
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["turnover_delta_fen"] == "12345678" and first["kind"] == "registration"
    assert first["recorded_at"] == "2024-03-01T18:30:05.123456+00:00" and first["seller_region"] == "230100"
    summary = _download(client, "format=csv&what=summary&lang=en").decode("utf-8-sig")
    header = next(line for line in summary.splitlines() if not line.startswith("#"))
    assert tuple(header.split(",")) == exports.SUMMARY_COLUMNS
    assert (
        "region,230100,Harbin,12345678,12.35," in summary
    )  # codes and fen; labels in the request's language
