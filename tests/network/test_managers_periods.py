"""Technology managers and plan periods."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from marketplace.core.money import FEN_PER_YI
from marketplace.extensions import db
from marketplace.ledger.models import ContractTotal
from marketplace.network import managers, periods
from tests import factories


def _agency_user():
    org = factories.OrganizationFactory(kind="agency", name="哈尔滨科技成果转化中心")
    return factories.UserFactory(role="agency", organization=org)


def test_register_verify_and_broker(net):
    agent = _agency_user()
    m = managers.register_manager(
        name="王明", certificate_no="hlj-2024-0001", level="senior", fields=["new_materials"], actor=agent
    )
    assert m.certificate_no == "HLJ-2024-0001" and m.status == "pending"
    assert managers.plan_counts()["managers"] == 0
    for who in (net.harbin_op, agent):
        with pytest.raises(PermissionDenied):
            managers.decide_manager(m, verify=True, actor=who)
    managers.decide_manager(m, verify=True, actor=net.core_op)
    assert managers.plan_counts()["managers"] == 1
    assert managers.plan_counts()["institutions"] >= 1
    with pytest.raises(Conflict):
        managers.decide_manager(m, verify=False, actor=net.core_op)
    contract = factories.ContractFactory(agency_org=agent.organization)
    db.session.add(
        ContractTotal(
            contract_id=contract.id,
            registration_no="2024230100000001",
            turnover_fen=5_000_000,
            tech_income_fen=0,
            entries=1,
            last_seq=1,
        )
    )
    db.session.flush()
    managers.record_brokerage(m, contract, actor=agent)
    assert managers.brokered([m.id])[m.id] == {"contracts": 1, "registered": 1, "turnover_fen": 5_000_000}
    with pytest.raises(Conflict):
        managers.record_brokerage(m, contract, actor=agent)
    other = factories.ContractFactory()
    with pytest.raises(ValidationError):
        managers.record_brokerage(m, other, actor=agent)


def test_manager_bad_input_and_duplicates(net):
    agent = _agency_user()
    with pytest.raises(ValidationError) as err:
        managers.register_manager(name="", certificate_no="x", level="expert", fields=[], actor=agent)
    assert set(err.value.fields) == {"name", "certificate_no", "level", "fields"}
    managers.register_manager(
        name="李华", certificate_no="HLJ-2024-0002", level="junior", fields=["digital"], actor=agent
    )
    with pytest.raises(Conflict):
        managers.register_manager(
            name="李华", certificate_no="hlj-2024-0002", level="junior", fields=["digital"], actor=agent
        )
    with pytest.raises(PermissionDenied):
        managers.register_manager(
            name="张三",
            certificate_no="HLJ-2024-0003",
            level="junior",
            fields=["digital"],
            actor=factories.user_with_role("buyer"),
        )


def test_pending_managers_are_not_public(net):
    agent = _agency_user()
    m = managers.register_manager(
        name="赵丽", certificate_no="HLJ-2024-0009", level="intermediate", fields=["digital"], actor=agent
    )
    assert not managers.visible(factories.user_with_role("buyer"), m)
    assert managers.visible(agent, m) and managers.visible(net.core_op, m)


def _regulator(region="230000"):
    return factories.user_with_role("regulator", region=region)


def _period(actor, **over):
    kw = dict(
        slug="",
        title="黑龙江省科技成果转化“十五五”行动方案",
        title_en=None,
        first_year=2026,
        last_year=2030,
        turnover_target_fen=4000 * FEN_PER_YI,
        yearly_path={
            y: v * FEN_PER_YI for y, v in zip(range(2026, 2031), (650, 720, 800, 880, 950), strict=True)
        },
        targets={"transfer_institutions": 150},
        source="省科技厅 2026 年 1 月公布",
        actor=actor,
    )
    kw.update(over)
    return periods.create_period(**kw)


def test_periods_builtin_ended_next_current(db):
    reg = _regulator()
    assert (
        periods.get_period(None, today=date(2026, 12, 1)).slug == "2022-2025"
    )  # none entered yet: the latest started
    _period(reg)
    all_ = periods.all_periods(today=date(2026, 12, 1))
    assert [p.slug for p in all_] == ["2022-2025", "2026-2030"]
    assert [p.current for p in all_] == [False, True]
    assert periods.get_period(None, today=date(2025, 6, 1)).slug == "2022-2025"
    assert periods.get_period("2026-2030").yearly_path[2026] == 650 * FEN_PER_YI
    with pytest.raises(NotFound):
        periods.get_period("1999-2000")


def test_period_rules(db):
    reg = _regulator()
    with pytest.raises(PermissionDenied):
        _period(_regulator("230100"))
    with pytest.raises(ValidationError) as err:
        _period(reg, title="", source="", first_year=2024, turnover_target_fen=0)
    assert {"title", "source", "first_year", "turnover_target_fen"} <= set(err.value.fields)
    with pytest.raises(ValidationError) as err:
        _period(reg, yearly_path={2026: 1}, targets={"nope": 1})
    assert set(err.value.fields) == {"yearly_path", "targets"}
    _period(reg)
    with pytest.raises(Conflict):
        _period(reg, first_year=2028, last_year=2032, yearly_path={y: 1 for y in range(2028, 2033)})


def test_official_turnover_and_coverage(db):
    reg = _regulator()
    periods.record_official_turnover(year=2024, turnover_fen=500 * FEN_PER_YI, source="统计公报", actor=reg)
    periods.record_official_turnover(
        year=2024, turnover_fen=560 * FEN_PER_YI, source="统计公报（修订）", actor=reg
    )
    progress = periods.period_progress(periods.builtin_period(), today=date(2026, 12, 1))
    row = next(r for r in progress["rows"] if r["year"] == 2024)
    assert row["official_fen"] == 560 * FEN_PER_YI and row["official"].source == "统计公报（修订）"
    assert row["coverage_bp"] == 0
    assert progress["ended"] is True
    assert progress["progress_basis"] == "platform"  # 2022, 2023 and 2025 not published yet
    for year in (2022, 2023, 2025):
        periods.record_official_turnover(
            year=year, turnover_fen=480 * FEN_PER_YI, source="统计公报", actor=reg
        )
    progress = periods.period_progress(periods.builtin_period(), today=date(2026, 12, 1))
    assert progress["progress_basis"] == "official"
    assert progress["official_fen"] == (560 + 3 * 480) * FEN_PER_YI
    assert progress["progress_bp"] == 10000  # 2,000 of 2,000 亿元
    with pytest.raises(ValidationError) as err:
        periods.record_official_turnover(year=2099, turnover_fen=-1, source="", actor=reg)
    assert set(err.value.fields) == {"year", "turnover_fen", "source"}
    with pytest.raises(PermissionDenied):
        periods.record_official_turnover(
            year=2024, turnover_fen=1, source="x", actor=factories.user_with_role("admin")
        )
