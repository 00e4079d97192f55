"""The ledger's pages and API: permissions, figures, drill-down, exports, targets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from marketplace.ledger import services
from marketplace.ledger.models import TargetValue

from ..factories import LedgerEventFactory, amendment_of, cancellation_of, user_with_role

T0 = datetime(2023, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def ledger(db, app):
    """Entries in Harbin and Daqing over two years, with an amendment and a cancellation."""
    with app.test_request_context("/"):
        reg = user_with_role("regulator")
        harbin = LedgerEventFactory(
            seller_region="230100",
            turnover_delta_fen=300_000_00,
            tech_income_delta_fen=200_000_00,
            effective_on=date(2023, 3, 1),
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
            seller_region="230100",
            turnover_delta_fen=50_000_00,
            tech_income_delta_fen=50_000_00,
            effective_on=date(2024, 6, 1),
        )
        services.append_entry(harbin, actor=reg, recorded_at=T0)
        services.append_entry(daqing, actor=reg, recorded_at=T0 + timedelta(days=400))
        services.append_entry(
            amendment_of(harbin, 100_000_00, 0, effective_on=date(2024, 7, 1)),
            actor=reg,
            recorded_at=T0 + timedelta(days=480),
        )
        services.append_entry(gone, actor=reg, recorded_at=T0 + timedelta(days=490))
        services.append_entry(
            cancellation_of(gone, 50_000_00, 50_000_00), actor=reg, recorded_at=T0 + timedelta(days=500)
        )
        db.session.flush()
    return {"harbin": harbin, "daqing": daqing, "gone": gone}


VIEWERS = [("regulator", "230000"), ("regulator", "230100"), ("admin", None)]
OTHERS = ["seller", "buyer", "agency"]


@pytest.mark.parametrize(
    "path", ["/ledger/", "/ledger/entries", "/ledger/verify", "/ledger/export?year=2024&format=csv"]
)
def test_pages_for_regulators_and_admins_only(client, login_as, ledger, path):
    assert client.get(path).status_code == 302  # to the log-in page
    for role in OTHERS:
        login_as(role)
        assert client.get(path).status_code == 404, role
    for role, region in VIEWERS:
        login_as(role, region=region)
        assert client.get(path).status_code == 200, role


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ledger/entries",
        "/api/v1/ledger/summary",
        "/api/v1/ledger/verify",
        "/api/v1/ledger/export?year=2024",
    ],
)
def test_api_for_regulators_and_admins_only(api, ledger, path):
    assert api().get(path).status_code == 401
    for role in OTHERS:
        assert api(user_with_role(role)).get(path).status_code == 403, role
    for role, region in VIEWERS:
        assert api(user_with_role(role, region=region)).get(path).status_code == 200, role


def test_summary_api_matches_the_contract(api, ledger):
    body = api(user_with_role("regulator")).get("/api/v1/ledger/summary?group_by=region").get_json()
    assert body["totals"] == {
        "turnover_fen": 1100_000_00,
        "tech_income_fen": 700_000_00,
        "contracts": 2,
        "entries": 5,
    }
    groups = {g["key"]: g for g in body["groups"]}
    assert groups["230100"]["turnover_fen"] == 400_000_00 and groups["230100"]["contracts"] == 1
    assert groups["230600"]["turnover_fen"] == 700_000_00
    assert set(groups["230100"]) >= {"key", "turnover_fen", "tech_income_fen", "contracts"}
    assert body["as_of"]
    by_year = (
        api(user_with_role("regulator")).get("/api/v1/ledger/summary?group_by=year&year=2024").get_json()
    )
    assert [g["key"] for g in by_year["groups"]] == [2024]
    assert (
        by_year["totals"]["turnover_fen"] == 800_000_00
    )  # Daqing + Harbin's amendment; the cancelled one nets 0


def test_city_regulator_sees_its_city_in_summary_and_entries(api, ledger):
    harbin = user_with_role("regulator", region="230100")
    body = api(harbin).get("/api/v1/ledger/summary?group_by=region").get_json()
    assert [g["key"] for g in body["groups"]] == ["230100"]
    assert body["totals"]["turnover_fen"] == 400_000_00
    entries = api(harbin).get("/api/v1/ledger/entries").get_json()["items"]
    assert {e["dims"]["seller_region"] for e in entries} == {"230100"}
    # Each visible entry still verifies on its own against its prev_hash.
    from marketplace.ledger.chain import entry_hash

    for item in entries:
        fields = {k: v for k, v in item.items() if k not in ("prev_hash", "hash", "contract_url")}
        fields["recorded_at"] = datetime.fromisoformat(fields["recorded_at"])
        fields["effective_on"] = date.fromisoformat(fields["effective_on"])
        assert entry_hash(item["prev_hash"], fields) == item["hash"]


def test_summary_as_of_and_bad_parameters(api, ledger):
    caller = api(user_with_role("regulator"))
    body = caller.get("/api/v1/ledger/summary?as_of=2023-12-31").get_json()
    assert body["totals"]["turnover_fen"] == 300_000_00 and body["as_of_seq"] == 1
    for query in ("group_by=colour", "as_of=someday", "year=abc", "region=440300"):
        response = caller.get(f"/api/v1/ledger/summary?{query}")
        assert response.status_code == 422, query
        assert response.get_json()["error"]["fields"]


def test_entries_api_pages_by_sequence(api, ledger):
    caller = api(user_with_role("regulator"))
    first = caller.get("/api/v1/ledger/entries?limit=2").get_json()
    assert [e["seq"] for e in first["items"]] == [1, 2] and first["next_after_seq"] == 2
    rest = caller.get("/api/v1/ledger/entries?after_seq=2&limit=10").get_json()
    assert [e["seq"] for e in rest["items"]] == [3, 4, 5] and rest["next_after_seq"] is None
    assert rest["items"][0]["prev_hash"] == first["items"][1]["hash"]
    assert rest["head_seq"] == 5
    assert caller.get("/api/v1/ledger/entries?limit=0").status_code == 422


def test_verify_api(api, ledger):
    body = api(user_with_role("regulator")).get("/api/v1/ledger/verify").get_json()
    assert body == {"ok": True, "entries": 5, "head": services.ledger_head()[1]}


def test_dashboard_figures_and_drill_down(client, login_as, ledger):
    login_as("regulator")
    html = client.get("/ledger/").get_data(as_text=True)
    assert "30.00 万元" in html and "80.00 万元" in html  # 2023 and 2024 (the cancelled contract nets 0)
    assert 'class="muted-figure"' not in html  # cash received: tracked once payments fill the hook
    assert 'id="ledger-chart-data"' in html and "echarts.min.js" in html
    assert "/ledger/entries?year=plan" in html
    drill = client.get("/ledger/entries?year=2024&region=230100").get_data(as_text=True)
    assert ledger["gone"].registration_no in drill and ledger["harbin"].registration_no in drill
    assert ledger["daqing"].registration_no not in drill


def test_dashboard_as_of_and_city_scope(client, login_as, ledger):
    login_as("regulator", region="230600")
    html = client.get("/ledger/?as_of=2023-12-31").get_data(as_text=True)
    assert "70.00 万元" not in html  # Daqing registered nothing before 2024
    html = client.get("/ledger/").get_data(as_text=True)
    assert "70.00 万元" in html and "30.00 万元" not in html  # Harbin's figures are not Daqing's
    assert ledger["harbin"].registration_no not in client.get("/ledger/entries").get_data(as_text=True)


def test_csv_export_states_the_chain_head(client, login_as, ledger):
    login_as("regulator")
    response = client.get("/ledger/export?year=2024&format=csv&what=entries")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    meta = dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# "))
    assert meta["chain_entries"] == "5" and meta["chain_head_hash"] == services.ledger_head()[1]
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert [int(r["seq"]) for r in rows] == [2, 3, 4, 5]
    assert sum(int(r["turnover_delta_fen"]) for r in rows) == 800_000_00


def test_xlsx_export_has_entries_summary_and_chain(client, login_as, ledger):
    login_as("admin")
    response = client.get("/ledger/export?year=2023&format=xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["台账记录", "哈希链与检查点", "entries", "chain"]
    entries = list(book["entries"].iter_rows(values_only=True))
    assert entries[0][0] == "seq" and len(entries) == 2
    chain = {row[0]: row[1] for row in book["chain"].iter_rows(values_only=True)}
    assert chain["chain_head_hash"] == services.ledger_head()[1]


def test_cli_verify_and_export(app, ledger, db, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "verify", "--summaries"])
    assert result.exit_code == 0, result.output
    assert "OK: 5 entries" in result.output
    out = tmp_path / "ledger-2024.xlsx"
    result = runner.invoke(
        args=["ledger", "export", "--year", "2024", "--format", "xlsx", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(list(load_workbook(out, read_only=True)["entries"].iter_rows())) == 5
    result = runner.invoke(
        args=["ledger", "export", "--year", "2024", "--format", "csv", "--what", "summary"]
    )
    assert "region,230600" in result.output


def test_cli_verify_fails_naming_the_entry(app, ledger, db):
    from sqlalchemy import text

    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only"))
    else:
        db.session.execute(text("DROP TRIGGER ledger_entries_no_update"))
    db.session.execute(text("UPDATE ledger_entries SET seller_region = '230200' WHERE seq = 4"))
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "entry 4" in result.output


# --- targets -------------------------------------------------------------------


def test_targets_page_is_public_and_counts_what_the_platform_can(client, ledger):
    html = client.get("/targets").get_data(as_text=True)
    assert "2,000.00 亿元" in html and "0.01 亿元" in html  # 110 万元 registered of 2,000 亿元
    body = client.get("/api/v1/targets").get_json()
    assert body["turnover"]["registered_fen"] == 1100_000_00
    # Counted from confirmed industrialization reports: none in this ledger.
    assert body["industrialized"]["counts"] == {"university": 0, "research_institute": 0, "enterprise": 0}
    assert {t["code"] for t in body["targets"]} >= {"high_tech_enterprises", "new_product_share"}


def test_provincial_regulator_records_a_target_value_and_history_is_kept(client, login_as, db):
    login_as("regulator", region="230000")
    for value, day in (("4200", "2024-06-30"), ("4,993", "2024-12-31")):
        response = client.post(
            "/targets/high_tech_enterprises/values",
            data={"value": value, "measured_on": day, "source": "省科技厅统计公报"},
        )
        assert response.status_code == 302
    history = client.get("/targets/high_tech_enterprises").get_data(as_text=True)
    assert "4,993" in history and "4,200" in history
    response = client.post(
        "/targets/hightech_investment_share/values",
        data={"value": "10.25", "measured_on": "2024-12-31", "source": "统计公报"},
    )
    assert response.status_code == 302
    assert db.session.query(TargetValue).filter_by(target="hightech_investment_share").one().value == 1025
    bad = client.post(
        "/targets/hightech_investment_share/values",
        data={"value": "10.255", "measured_on": "2024-12-31", "source": "x"},
    )
    assert bad.status_code == 422


@pytest.mark.parametrize("role, region", [("regulator", "230100"), ("seller", None), ("admin", None)])
def test_others_cannot_record_target_values(client, login_as, role, region):
    login_as(role, region=region)
    response = client.post(
        "/targets/high_tech_enterprises/values",
        data={"value": "1", "measured_on": "2024-01-01", "source": "x"},
    )
    assert response.status_code == 404


def test_target_value_api(api, db):
    province = user_with_role("regulator", region="230000")
    response = api(province).post(
        "/api/v1/targets/new_product_share/values",
        json={"value": 2100, "measured_on": "2024-12-31", "source": "省统计局"},
    )
    assert response.status_code == 201, response.get_json()
    assert api().get("/api/v1/targets/new_product_share/values").get_json()["items"][0]["value"] == 2100
    assert (
        api(province)
        .post(
            "/api/v1/targets/new_product_share/values",
            json={"value": 12000, "measured_on": "2024-12-31", "source": "x"},
        )
        .status_code
        == 422
    )
    assert api(province).post("/api/v1/targets/nope/values", json={}).status_code == 404
    city = user_with_role("regulator", region="230100")
    assert (
        api(city)
        .post(
            "/api/v1/targets/new_product_share/values",
            json={"value": 1, "measured_on": "2024-12-31", "source": "x"},
        )
        .status_code
        == 403
    )
