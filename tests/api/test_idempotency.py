"""Idempotency-Key: the key and the stored answer are committed with the effect, or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from marketplace.core.idempotency import IdempotencyKey
from marketplace.listings import api as listings_api
from marketplace.listings.models import Demand
from tests import factories

BODY = {"title": "寻找寒地大豆育种技术", "description": "需要耐寒品种", "industry": "biology"}


def _counts(session) -> tuple[int, int, list]:
    demands = session.scalar(select(func.count(Demand.id)).where(Demand.title == BODY["title"]))
    keys = session.execute(select(IdempotencyKey.status_code).where(IdempotencyKey.key == "k-1")).all()
    return demands, len(keys), [row[0] for row in keys]


@pytest.fixture
def buyer_api(api, db):
    return api(factories.user_with_role("buyer"))


@pytest.fixture
def commits():
    """What each commit during the request held: (demands, keys, their status codes)."""
    seen: list[tuple] = []

    def before_commit(session):
        session.flush()
        snapshot = _counts(session)
        if snapshot[0] or snapshot[1]:
            seen.append(snapshot)

    event.listen(Session, "before_commit", before_commit)
    yield seen
    event.remove(Session, "before_commit", before_commit)


def test_the_answer_is_committed_with_the_effect(buyer_api, db, commits):
    response = buyer_api.post("/api/v1/demands", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 201
    # One commit holds the demand, the key and its answer; none holds the key unanswered.
    assert commits == [(1, 1, [201])]
    assert _counts(db.session) == (1, 1, [201])


def test_a_crash_after_the_effect_leaves_no_key_and_can_be_retried(buyer_api, db, monkeypatch):
    def crash(demand):
        raise RuntimeError("the process died while answering")

    with monkeypatch.context() as patched:
        patched.setattr(listings_api, "demand_json", crash)
        response = buyer_api.post("/api/v1/demands", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 500
    assert _counts(db.session) == (0, 0, [])  # the effect and the key rolled back together
    retried = buyer_api.post("/api/v1/demands", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert retried.status_code == 201
    again = buyer_api.post("/api/v1/demands", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again.get_json() == retried.get_json()
    assert _counts(db.session) == (1, 1, [201])


def test_a_refused_request_leaves_no_key(buyer_api, db):
    bad = buyer_api.post(
        "/api/v1/demands", json={**BODY, "industry": "nonsense"}, headers={"Idempotency-Key": "k-1"}
    )
    assert bad.status_code == 422
    assert _counts(db.session)[1] == 0
    good = buyer_api.post("/api/v1/demands", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert good.status_code == 201  # not 409: the key was not kept by the refused request
    reused = buyer_api.post(
        "/api/v1/demands", json={**BODY, "title": "另一个"}, headers={"Idempotency-Key": "k-1"}
    )
    assert reused.status_code == 409
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"


def test_without_a_key_the_effect_is_committed(buyer_api, db, commits):
    response = buyer_api.post("/api/v1/demands", json=BODY)
    assert response.status_code == 201
    assert commits == [(1, 0, [])]
