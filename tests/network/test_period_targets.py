"""A plan period's other targets: each one it sets shows its progress on /targets,
on the dashboard and in GET /api/v1/targets, from what the provincial authority
reported or from the platform's own count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from marketplace.core.errors import ValidationError
from marketplace.core.money import FEN_PER_YI
from marketplace.core.timeutil import today_shanghai, utcnow
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.network import managers, periods
from tests import factories

from .factories import event

GOALS = {
    "transfer_institutions": 150,
    "registered_managers": 300,
    "registered_contracts": 4,
    "docking_events": 400,
    "hightech_investment_share": 1300,
    "high_tech_enterprises": 8000,
}


def _regulator():
    return factories.user_with_role("regulator", region="230000")


def _next_period(reg, targets=None):
    return periods.create_period(
        slug="",
        title="黑龙江省科技成果转化“十五五”行动方案",
        title_en="Heilongjiang plan for the transfer of achievements (2026-2030)",
        first_year=2026,
        last_year=2030,
        turnover_target_fen=4000 * FEN_PER_YI,
        yearly_path={y: 800 * FEN_PER_YI for y in range(2026, 2031)},
        targets=GOALS if targets is None else targets,
        source="省科技厅 2026 年 1 月公布",
        actor=reg,
    )


def _facts(net, reg):
    """A reported institutions count, a verified manager, events held in and before the
    period (and a cancelled one), a contract registered in 2026 and one in 2024."""
    ledger.record_target_value(
        "transfer_institutions", value=120, measured_on=date(2026, 6, 30), source="省科技厅通报", actor=reg
    )
    agency = factories.OrganizationFactory(kind="agency", name="哈工大技术转移中心")
    agent = factories.UserFactory(role="agency", organization=agency)
    m = managers.register_manager(
        name="王明", certificate_no="HLJ-2026-0001", level="senior", fields=["new_materials"], actor=agent
    )
    managers.decide_manager(m, verify=True, actor=net.core_op)
    event(net.harbin, net.harbin_op, days=-3)  # held this year
    event(net.harbin, net.harbin_op, days=-2, status="cancelled")
    event(net.harbin, net.harbin_op, days=10)  # not held yet
    old = event(net.harbin, net.harbin_op, days=-1)
    old.starts_at = datetime(2025, 12, 30, 2, tzinfo=UTC)  # the period before
    old.ends_at = old.starts_at + timedelta(hours=3)
    ledger.append_entry(factories.LedgerEventFactory(effective_on=date(2026, 3, 2)), actor=reg)
    ledger.append_entry(factories.LedgerEventFactory(effective_on=date(2024, 3, 2)), actor=reg)
    db.session.flush()


def test_every_target_of_the_period_has_its_progress(net):
    assert today_shanghai().year >= 2026 and utcnow().year >= 2026  # the period has started
    reg = _regulator()
    _facts(net, reg)
    _next_period(reg)
    progress = periods.period_progress(periods.get_period("2026-2030"))
    rows = {r["code"]: r for r in progress["targets"]}
    assert set(rows) == set(GOALS)
    inst = rows["transfer_institutions"]
    assert (inst["value"], inst["basis"], inst["progress_bp"]) == (120, "reported", 8000)
    assert inst["latest"].source == "省科技厅通报" and inst["platform"] >= 1
    assert (rows["registered_managers"]["value"], rows["registered_managers"]["basis"]) == (1, "platform")
    assert rows["registered_managers"]["progress_bp"] == 33  # 1 of 300
    assert rows["docking_events"]["value"] == 1  # held in the period, not cancelled, not ahead
    assert rows["registered_contracts"]["value"] == 1 and rows["registered_contracts"]["progress_bp"] == 2500
    assert rows["high_tech_enterprises"]["value"] is None and rows["high_tech_enterprises"]["basis"] is None
    share = rows["hightech_investment_share"]
    assert share["unit"] == "share_bp" and share["progress_bp"] is None


def test_the_period_before_counts_its_own_years(net):
    reg = _regulator()
    _facts(net, reg)
    builtin = periods.period_progress(periods.builtin_period())
    rows = {r["code"]: r for r in builtin["targets"]}
    assert rows["registered_managers"]["goal"] == 100 and rows["registered_managers"]["value"] == 1
    assert rows["transfer_institutions"]["goal"] == 100


def test_unknown_and_bad_goals_are_refused(db):
    with pytest.raises(ValidationError) as err:
        _next_period(_regulator(), targets={"docking_events": -1, "nope": 3})
    assert len(err.value.fields["targets"]) == 2


def test_targets_page_dashboard_and_api(client, login_as, api, net):
    reg = _regulator()
    _facts(net, reg)
    _next_period(reg)
    page = client.get("/targets?plan=2026-2030").get_data(as_text=True)
    assert 'id="plan-targets"' in page
    for code in GOALS:
        assert f'data-target="{code}"' in page
    assert "省科技厅通报" in page and "80.00 %" in page  # 120 of 150 institutions
    assert "1 / 300" in page  # the managers card uses this period's goal
    old = client.get("/targets?plan=2022-2025").get_data(as_text=True)
    assert "1 / 100" in old and 'id="plan-targets"' not in old  # the ledger's own table there
    login_as(reg)
    dash = client.get("/ledger/").get_data(as_text=True)
    assert 'id="plan-targets"' in dash and 'data-target="docking_events"' in dash
    body = api().get("/api/v1/targets?plan=2026-2030").get_json()
    got = {t["code"]: t for t in body["plan"]["targets"]}
    assert set(got) == set(GOALS)
    assert got["transfer_institutions"] == {
        "code": "transfer_institutions",
        "label": "全省技术转移机构",
        "unit": "count",
        "target": 150,
        "value": 120,
        "basis": "reported",
        "platform_value": got["transfer_institutions"]["platform_value"],
        "measured_on": "2026-06-30",
        "source": "省科技厅通报",
        "progress_bp": 8000,
    }
    assert got["docking_events"]["value"] == 1 and got["docking_events"]["basis"] == "platform"


def test_goals_entered_through_the_page(client, login_as, db):
    reg = login_as(_regulator())
    data = {
        "which": "period",
        "period-title": "“十五五”行动方案",
        "period-first_year": "2026",
        "period-last_year": "2030",
        "period-turnover_target_fen": "400000000000",
        "period-yearly_path": "\n".join(f"{y} 800" for y in range(2026, 2031)),
        "period-source": "省科技厅",
        "period-target_docking_events": "250",
        "period-target_hightech_investment_share": "12.5",
    }
    bad = client.post("/network/plans", data={**data, "period-target_docking_events": "2.5"})
    assert bad.status_code == 422
    assert client.post("/network/plans", data=data).status_code == 302
    period = periods.get_period("2026-2030")
    assert period.targets == {"docking_events": 250, "hightech_investment_share": 1250}
    assert reg is not None


def test_goals_entered_through_the_api(api, db):
    reg = _regulator()
    body = {
        "title": "“十五五”行动方案",
        "first_year": 2026,
        "last_year": 2030,
        "turnover_target_fen": 4000 * FEN_PER_YI,
        "yearly_path": [{"year": y, "path_fen": 800 * FEN_PER_YI} for y in range(2026, 2031)],
        "source": "省科技厅",
        "targets": {"registered_managers": 300, "docking_events": 250},
    }
    bad = api(reg).post("/api/v1/plans", json={**body, "targets": {"docking_events": "many"}})
    assert bad.status_code == 422 and "targets" in bad.get_json()["error"]["fields"]
    resp = api(reg).post("/api/v1/plans", json=body)
    assert resp.status_code == 201 and resp.get_json()["targets"] == body["targets"]
    plan = api().get("/api/v1/targets?plan=2026-2030").get_json()["plan"]
    assert [t["code"] for t in plan["targets"]] == ["registered_managers", "docking_events"]
    assert all(t["basis"] == "platform" and t["value"] == 0 for t in plan["targets"])
