"""The payments pages run as many SQL statements for 20 rows as for 1.

A contract with n milestones, each holding a confirmed payment with a refund:
the web page of the contract's payments and the API's list of them must not
load a payment's milestone, refunds or receipts one payment at a time."""

from __future__ import annotations

import pytest

from marketplace.core.timeutil import utcnow
from marketplace.extensions import db as _db
from marketplace.payments.models import Refund
from tests import factories


def _deal_with_payments(make_deal, n: int):
    deal = make_deal(milestones=[(30 + i, 100_000) for i in range(n)])
    for milestone in deal.milestones:
        payment = factories.PaymentFactory(milestone=milestone, confirmed=True)
        payment.refunds.append(
            Refund(amount_fen=10_000, status="succeeded", reason="部分退款", succeeded_at=utcnow())
        )
    _db.session.flush()
    _db.session.expire_all()
    return deal


def _web_count(client, login_as, count_queries, deal) -> int:
    login_as(deal.buyer)
    url = f"/contracts/{deal.contract.id}/payments"
    client.get(url)  # the first request warms what a session loads once
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200
    return q.count


def _api_count(api, count_queries, deal) -> int:
    caller = api(deal.buyer)
    url = f"/api/v1/contracts/{deal.contract.id}/payments"
    caller.get(url)
    with count_queries() as q:
        response = caller.get(url)
    assert response.status_code == 200
    assert len(response.get_json()["payments"]) == len(deal.milestones)
    return q.count


@pytest.mark.parametrize("page", ["web", "api"])
def test_a_contracts_payments_cost_the_same_for_1_and_20_rows(
    db, client, api, login_as, make_deal, count_queries, page
):
    counts = {}
    for n in (1, 20):
        deal = _deal_with_payments(make_deal, n)
        if page == "web":
            counts[n] = _web_count(client, login_as, count_queries, deal)
            client.post("/logout")
        else:
            counts[n] = _api_count(api, count_queries, deal)
    assert counts[20] == counts[1], counts
