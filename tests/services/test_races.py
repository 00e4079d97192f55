"""Two actions on one service request at the same moment (PostgreSQL row locks):
two ratings, exactly one stored; an acceptance against a cancellation, exactly
one wins and the audit trail forms one chain; two evaluation results, one wins."""

from __future__ import annotations

import pytest

from marketplace.extensions import db as _db
from marketplace.services import evaluations
from marketplace.services import requests as reqs
from marketplace.services.models import Evaluation, ServiceRequest
from tests import factories
from tests.race import ROUNDS, act, audit_chain, committed, lead_of, race, rounds
from tests.services.factories import provider_user, request_in

pytestmark = pytest.mark.postgres


def _request(status: str) -> dict[str, int]:
    staff, provider = provider_user()
    buyer = factories.user_with_role("buyer")
    req = request_in(provider, buyer, status)
    return {"req": req.id, "staff": staff.id, "buyer": buyer.id}


def test_two_ratings_at_once_store_one(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _request("completed")
            outcomes = race(
                app,
                act(ServiceRequest, ids["req"], ids["buyer"], reqs.rate, rating=5, comment="很好"),
                act(ServiceRequest, ids["req"], ids["buyer"], reqs.rate, rating=1, comment="很差"),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) == ["already_rated", "ok"], outcomes
            with app.test_request_context("/"):
                req = _db.session.get(ServiceRequest, ids["req"])
                assert req.rating == (5 if outcomes[0] == "ok" else 1)


def test_accept_against_cancel(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _request("quoted")
            outcomes = race(
                app,
                act(ServiceRequest, ids["req"], ids["buyer"], reqs.accept),
                act(ServiceRequest, ids["req"], ids["buyer"], reqs.cancel),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) == ["invalid_transition", "ok"], outcomes
            with app.test_request_context("/"):
                req = _db.session.get(ServiceRequest, ids["req"])
                assert req.status == ("accepted" if outcomes[0] == "ok" else "cancelled")


def test_quote_against_cancel_keeps_one_chain(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _request("requested")
            outcomes = race(
                app,
                act(ServiceRequest, ids["req"], ids["staff"], reqs.quote, quote_fen=100_000),
                act(ServiceRequest, ids["req"], ids["buyer"], reqs.cancel),
                lead=lead_of(round_no),
            )
            assert "ok" in outcomes, outcomes
            with app.test_request_context("/"):
                req = _db.session.get(ServiceRequest, ids["req"])
                # Quoted then cancelled (both ok), or cancelled first and the quote refused.
                assert outcomes in (["ok", "ok"], ["invalid_transition", "ok"]), outcomes
                assert req.status == "cancelled"
                audit_chain(req)


def test_two_results_of_one_evaluation(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                seller = factories.user_with_role("seller")
                asset = factories.IpAssetFactory(owned_by=seller.organization)
                staff, body = provider_user("evaluation")
                e = evaluations.ask(asset, body, actor=seller)
                _db.session.flush()
                ids = {"e": e.id, "staff": staff.id}
            result = {
                "novelty": "domestic_leading",
                "maturity": "pilot",
                "value_low_fen": 1,
                "value_high_fen": 2,
            }
            outcomes = race(
                app,
                act(Evaluation, ids["e"], ids["staff"], evaluations.record_result, trl=3, **result),
                act(Evaluation, ids["e"], ids["staff"], evaluations.record_result, trl=8, **result),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) == ["invalid_transition", "ok"], outcomes
            with app.test_request_context("/"):
                e = _db.session.get(Evaluation, ids["e"])
                assert e.trl == (3 if outcomes[0] == "ok" else 8)
                audit_chain(e)
