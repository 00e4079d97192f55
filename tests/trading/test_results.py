"""成果公示: a university's agreed deal is published with its intended price before signing;
the contract's checklist shows it; an unanswered objection or a running notice blocks signing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.contracts.services import checklist
from marketplace.core.errors import Conflict, PermissionDenied
from marketplace.core.timeutil import today_shanghai, utcnow
from marketplace.offers import services as offers
from marketplace.offers.services import TermsInput
from marketplace.trading import notices, results


@pytest.fixture
def agreed(world, db):
    """A university seller's contract draft from an accepted offer (world's seller is a university)."""
    offer = offers.make_offer(world.listing, TermsInput(deal_kind="transfer", price_fen=480_000_000),
                              expires_on=today_shanghai() + timedelta(days=9), actor=world.buyers[0])  # fmt: skip
    return offers.accept_offer(offer, actor=world.seller)


def _item(contract, today):
    return next((i for i in checklist(contract, today=today) if i.code == "result_notice"), None)


def test_result_notice_blocks_signing_until_it_ends_with_answers(world, agreed, app):
    assert world.listing.organization.kind == "university"
    assert _item(agreed, today_shanghai()) is None  # not published, not required by default
    app.config["RESULT_NOTICE_REQUIRED"] = True
    try:
        assert _item(agreed, today_shanghai()).ok is False
    finally:
        app.config.pop("RESULT_NOTICE_REQUIRED")
    with pytest.raises(PermissionDenied):
        results.start_result_notice(agreed, actor=world.buyers[0])
    now = utcnow()
    n = results.start_result_notice(agreed, notice_days=15, actor=world.seller, now=now)
    assert n.kind == "result" and n.listed_price_fen == agreed.turnover_fen
    with pytest.raises(Conflict):
        results.start_result_notice(agreed, actor=world.seller, now=now)
    assert _item(agreed, n.ends_on).ok is False  # still running
    o = notices.object_to(n, "价格明显偏低", actor=world.buyers[2], now=now)
    assert _item(agreed, n.ends_on + timedelta(days=1)).ok is False  # unanswered
    notices.answer_objection(o, "经第三方评估，价格公允", actor=world.seller, now=now)
    assert _item(agreed, n.ends_on + timedelta(days=1)).ok is True
    notices.finish_if_due(n, now + timedelta(days=16))
    assert n.status == "passed"


def test_result_notice_api_and_contract_page(world, agreed, api, client, login_as):
    r = api(world.seller).post(f"/api/v1/contracts/{agreed.id}/result-notice", json={"notice_days": 15})
    assert r.status_code == 201, r.get_json()
    nid = r.get_json()["id"]
    assert (
        api(world.buyers[2]).post(f"/api/v1/notices/{nid}/objections", json={"reason": "异议"}).status_code
        == 201
    )
    login_as(world.seller)
    page = client.get(f"/contracts/{agreed.id}?lang=en").get_data(as_text=True)
    assert 'id="result-notice"' in page
    assert "成果公示" in client.get(f"/notices/{nid}").get_data(as_text=True)
