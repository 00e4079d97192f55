"""Ownership proposals decided at the same moment end consistent (PostgreSQL row locks).

Each round commits a fresh proposal, then fires two conflicting decisions over two
real connections at once. Recording an answer is slowed down (after it is written,
before the commit) so that without the row locks both requests would decide on the
same stale reading; with them the second waits and re-reads.
"""

from __future__ import annotations

import io
import threading
import time

import pytest
from sqlalchemy import delete, or_, select
from werkzeug.datastructures import FileStorage

from marketplace.accounts.models import Organization, User
from marketplace.core.errors import DomainError
from marketplace.core.models import AuditEvent
from marketplace.extensions import db as _db
from marketplace.ip import ownership
from marketplace.ip.models import AssetOwner, IpAsset, OwnershipProposal, OwnershipVote, TitleEvent
from marketplace.ip.services import OwnerShare
from marketplace.notifications.models import Notification
from marketplace.storage.uploads import Attachment

from .. import factories

ROUNDS = 3
PDF = b"%PDF-1.4\n% judgment\n"


@pytest.fixture
def slow_answers(monkeypatch):
    original = ownership._vote

    def slow(*args, **kwargs):
        original(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(ownership, "_vote", slow)


@pytest.fixture
def world(app):
    """Three sellers of three organizations and an admin, committed; removed afterwards."""
    created: dict[str, list[int]] = {"orgs": [], "users": [], "assets": []}
    with app.app_context():
        factories.bind(_db.session)
        people = {}
        for key in ("a", "b", "c"):
            user = factories.user_with_role("seller")
            people[key] = user
        people["admin"] = factories.user_with_role("admin")
        _db.session.commit()
        ids = {key: (u.id, u.organization_id) for key, u in people.items()}
        created["users"] = [i for i, _o in ids.values()]
        created["orgs"] = [o for _i, o in ids.values()]
        _db.session.remove()
    yield app, ids, created
    with app.app_context():
        assets = created["assets"]
        proposals = list(
            _db.session.scalars(select(OwnershipProposal.id).where(OwnershipProposal.asset_id.in_(assets)))
        )
        _db.session.execute(delete(OwnershipVote).where(OwnershipVote.proposal_id.in_(proposals)))
        _db.session.execute(delete(TitleEvent).where(TitleEvent.asset_id.in_(assets)))
        _db.session.execute(
            delete(AuditEvent).where(
                or_(
                    (AuditEvent.subject_type == "ip_asset") & AuditEvent.subject_id.in_(assets),
                    (AuditEvent.subject_type == "ip_ownership_proposal")
                    & AuditEvent.subject_id.in_(proposals),
                )
            )
        )
        _db.session.execute(delete(OwnershipProposal).where(OwnershipProposal.id.in_(proposals)))
        _db.session.execute(
            delete(Attachment).where(
                Attachment.subject_type == "ip_ownership_proposal", Attachment.subject_id.in_(proposals)
            )
        )
        _db.session.execute(delete(AssetOwner).where(AssetOwner.asset_id.in_(assets)))
        _db.session.execute(delete(IpAsset).where(IpAsset.id.in_(assets)))
        _db.session.execute(delete(Notification).where(Notification.user_id.in_(created["users"])))
        _db.session.execute(delete(User).where(User.id.in_(created["users"])))
        _db.session.execute(delete(Organization).where(Organization.id.in_(created["orgs"])))
        _db.session.commit()
        _db.session.remove()


def _new_proposal(app, ids, created, owner_keys: tuple[str, ...]) -> tuple[int, int]:
    """A committed asset owned by `owner_keys` (equal shares) with A's open proposal to own it alone."""
    with app.app_context(), app.test_request_context("/api/v1/"):
        factories.bind(_db.session)
        orgs = [_db.session.get(Organization, ids[k][1]) for k in owner_keys]
        shares = [10000 // len(orgs)] * len(orgs)
        shares[0] += 10000 - sum(shares)
        asset = factories.IpAssetFactory(owned_by=list(zip(orgs, shares, strict=True)))
        _db.session.flush()
        created["assets"].append(asset.id)
        proposer = _db.session.get(User, ids["a"][0])
        proposal = ownership.propose_ownership_change(
            asset, [OwnerShare(ids["a"][1], 10000)], reason="股权调整协议", actor=proposer
        )
        _db.session.commit()
        result = (asset.id, proposal.id)
        _db.session.remove()
    return result


def _race(app, actions: dict[str, callable]) -> dict[str, str]:
    """Run each action in its own thread, connection and request at the same moment."""
    results: dict[str, str] = {}
    barrier = threading.Barrier(len(actions))

    def run(name, action):
        with app.app_context(), app.test_request_context("/api/v1/"):
            try:
                barrier.wait(5)
                action()
                _db.session.commit()
                results[name] = "ok"
            except DomainError as exc:
                _db.session.rollback()
                results[name] = exc.code
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


def _state(app, asset_id: int, proposal_id: int):
    with app.app_context():
        proposal = _db.session.get(OwnershipProposal, proposal_id)
        asset = _db.session.get(IpAsset, asset_id)
        state = (
            proposal.status,
            sorted((v.org_id, v.decision) for v in proposal.votes),
            {o.org_id: o.share_bp for o in asset.owners},
            [t.kind for t in asset.title_events],
        )
        _db.session.remove()
    return state


def _answer(app, service, proposal_id: int, user_id: int, **kwargs):
    def action():
        proposal = _db.session.get(OwnershipProposal, proposal_id)
        service(proposal, actor=_db.session.get(User, user_id), **kwargs)

    return action


@pytest.mark.postgres
def test_two_owners_accepting_at_once_apply_the_change_exactly_once(world, slow_answers):
    app, ids, created = world
    a, b, c = ids["a"][1], ids["b"][1], ids["c"][1]
    for _round in range(ROUNDS):
        asset_id, proposal_id = _new_proposal(app, ids, created, ("a", "b", "c"))
        results = _race(
            app,
            {
                "b": _answer(app, ownership.accept_proposal, proposal_id, ids["b"][0]),
                "c": _answer(app, ownership.accept_proposal, proposal_id, ids["c"][0]),
            },
        )
        assert results == {"b": "ok", "c": "ok"}
        status, votes, owners, chain = _state(app, asset_id, proposal_id)
        assert status == "accepted"
        assert votes == sorted([(a, "accept"), (b, "accept"), (c, "accept")])
        assert owners == {a: 10000}
        assert chain == ["registration", "ownership_change"]


@pytest.mark.postgres
def test_an_owner_accepting_while_an_admin_rejects_ends_one_way(world, slow_answers):
    app, ids, created = world
    a, b = ids["a"][1], ids["b"][1]
    outcomes = set()
    for _round in range(ROUNDS):
        asset_id, proposal_id = _new_proposal(app, ids, created, ("a", "b"))

        def admin_rejects(proposal_id=proposal_id):
            proposal = _db.session.get(OwnershipProposal, proposal_id)
            ownership.decide_proposal(
                proposal,
                decision="reject",
                note="依据判决",
                evidence=FileStorage(io.BytesIO(PDF), filename="判决书.pdf"),
                actor=_db.session.get(User, ids["admin"][0]),
            )

        results = _race(
            app,
            {"b": _answer(app, ownership.accept_proposal, proposal_id, ids["b"][0]), "admin": admin_rejects},
        )
        assert sorted(results.values()) == ["ok", "proposal_closed"], results
        status, votes, owners, chain = _state(app, asset_id, proposal_id)
        if results["b"] == "ok":
            assert status == "accepted" and owners == {a: 10000}
            assert chain == ["registration", "ownership_change"]
            assert votes == sorted([(a, "accept"), (b, "accept")])
        else:
            assert status == "rejected" and owners == {a: 5000, b: 5000}
            assert chain == ["registration"] and votes == [(a, "accept")]
        outcomes.add(status)
    assert outcomes <= {"accepted", "rejected"}


@pytest.mark.postgres
def test_withdrawing_while_the_last_owner_accepts_ends_one_way(world, slow_answers):
    app, ids, created = world
    a, b = ids["a"][1], ids["b"][1]
    for _round in range(ROUNDS):
        asset_id, proposal_id = _new_proposal(app, ids, created, ("a", "b"))
        results = _race(
            app,
            {
                "b": _answer(app, ownership.accept_proposal, proposal_id, ids["b"][0]),
                "a": _answer(app, ownership.withdraw_proposal, proposal_id, ids["a"][0]),
            },
        )
        assert sorted(results.values()) == ["ok", "proposal_closed"], results
        status, _votes, owners, chain = _state(app, asset_id, proposal_id)
        if results["b"] == "ok":
            assert (status, owners, chain) == ("accepted", {a: 10000}, ["registration", "ownership_change"])
        else:
            assert (status, owners, chain) == ("withdrawn", {a: 5000, b: 5000}, ["registration"])
