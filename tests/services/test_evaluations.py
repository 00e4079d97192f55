"""Evaluations of achievements and incubated start-ups."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.services import evaluations, incubation, permissions
from tests import factories
from tests.services.factories import provider_user

pytestmark = pytest.mark.usefixtures("db", "in_request")

RESULT = {
    "trl": 6,
    "novelty": "domestic_leading",
    "maturity": "pilot",
    "value_low_fen": 3_000_000_00,
    "value_high_fen": 5_000_000_00,
    "opinion": "中试验证完成。",
}


def _asset():
    seller = factories.user_with_role("seller")
    return seller, factories.IpAssetFactory(owned_by=seller.organization)


def test_the_owner_asks_and_the_body_records_the_result():
    seller, asset = _asset()
    staff, body = provider_user("evaluation")
    e = evaluations.ask(asset, body, actor=seller, note="请评价")
    assert e.status == "requested"
    with pytest.raises(Conflict):
        evaluations.ask(asset, body, actor=seller)  # one waiting per body and asset
    evaluations.record_result(e, actor=staff, evaluated_on=date(2026, 11, 20), **RESULT)
    assert (e.status, e.trl) == ("completed", 6)
    assert evaluations.latest_results([asset.id])[asset.id] is e
    assert evaluations.trl_of_assets([asset.id]) == 6
    with pytest.raises(InvalidTransition):
        evaluations.record_result(e, actor=staff, **RESULT)
    assert permissions.can_view_evaluation(None, e)  # a result is public
    assert not permissions.can_see_report(factories.user_with_role("buyer"), e)


def test_who_asks_and_who_records():
    seller, asset = _asset()
    staff, body = provider_user("evaluation")
    for user in (
        factories.user_with_role("seller"),
        factories.user_with_role("buyer"),
        staff,
        factories.user_with_role("admin"),
    ):
        with pytest.raises(PermissionDenied):
            evaluations.ask(asset, body, actor=user)
    e = evaluations.ask(asset, body, actor=seller)
    assert not permissions.can_view_evaluation(factories.user_with_role("buyer"), e)
    other_staff, _other = provider_user("evaluation")
    for user in (seller, other_staff, factories.user_with_role("admin")):
        with pytest.raises(PermissionDenied):
            evaluations.record_result(e, actor=user, **RESULT)
    with pytest.raises(PermissionDenied):
        evaluations.decline(e, actor=seller, reason="x")
    evaluations.decline(e, actor=staff, reason="不在评价范围内")
    assert e.status == "declined"


def test_only_an_evaluation_body_is_asked():
    seller, asset = _asset()
    _staff, lab = provider_user("testing")
    with pytest.raises(ValidationError) as exc:
        evaluations.ask(asset, lab, actor=seller)
    assert "provider_id" in exc.value.fields


def test_a_bad_result_is_refused_field_by_field():
    seller, asset = _asset()
    staff, body = provider_user("evaluation")
    e = evaluations.ask(asset, body, actor=seller)
    with pytest.raises(ValidationError) as exc:
        evaluations.record_result(
            e,
            actor=staff,
            trl=10,
            novelty="best",
            maturity="x",
            value_low_fen=5,
            value_high_fen=1,
            evaluated_on=date(2999, 1, 1),
        )
    assert set(exc.value.fields) == {"trl", "novelty", "maturity", "value_high_fen", "evaluated_on"}
    assert e.status == "requested"


def test_the_latest_result_counts_and_a_listing_takes_the_highest_trl():
    seller, asset = _asset()
    other = factories.IpAssetFactory(owned_by=seller.organization)
    staff, body = provider_user("evaluation")
    first = evaluations.ask(asset, body, actor=seller)
    evaluations.record_result(first, actor=staff, evaluated_on=date(2025, 1, 1), **{**RESULT, "trl": 4})
    second = evaluations.ask(asset, body, actor=seller)
    evaluations.record_result(second, actor=staff, evaluated_on=date(2026, 1, 1), **{**RESULT, "trl": 7})
    third = evaluations.ask(other, body, actor=seller)
    evaluations.record_result(third, actor=staff, evaluated_on=date(2026, 1, 1), **{**RESULT, "trl": 5})
    assert evaluations.trl_by_listing({1: [asset.id, other.id], 2: [other.id], 3: []}) == {
        1: 7,
        2: 5,
        3: None,
    }


def test_an_incubator_records_startups_with_a_valid_uscc():
    staff, incubator = provider_user("incubator")
    code = factories.valid_uscc()
    s = incubation.record_startup(
        incubator,
        actor=staff,
        name="哈尔滨冰晶科技有限公司",
        uscc=code.lower(),
        founded_on=date(2024, 5, 1),
        field="new_materials",
    )
    assert s.uscc == code and incubation.startup_count() >= 1
    with pytest.raises(ValidationError) as exc:
        incubation.record_startup(
            incubator, actor=staff, name="重复", uscc=code, founded_on=date(2024, 5, 1), field="new_materials"
        )
    assert "uscc" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        incubation.record_startup(
            incubator,
            actor=staff,
            name="",
            uscc=code[:-1] + ("0" if code[-1] != "0" else "1"),
            founded_on=date(2999, 1, 1),
            field="weather",
        )
    assert set(exc.value.fields) == {"name", "uscc", "founded_on", "field"}
    lab_staff, lab = provider_user("testing")
    with pytest.raises(PermissionDenied):
        incubation.record_startup(
            lab,
            actor=lab_staff,
            name="x",
            uscc=factories.valid_uscc(),
            founded_on=date(2024, 1, 1),
            field="digital",
        )
    with pytest.raises(PermissionDenied):
        incubation.record_startup(
            incubator,
            actor=factories.user_with_role("seller"),
            name="x",
            uscc=factories.valid_uscc(),
            founded_on=date(2024, 1, 1),
            field="digital",
        )
