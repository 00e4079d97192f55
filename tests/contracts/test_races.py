"""Conflicting actions on one contract at the same moment (PostgreSQL row locks).

Each pair runs ROUNDS rounds over two real connections, started together by a
barrier; the holder of the lock alternates between the rounds. Every round must
end in a consistent state (the recorded state changes form one chain, the state
matches the signatures and confirmations) from which the next step works."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete

from marketplace.accounts.models import User
from marketplace.contracts import ledger_link, services
from marketplace.contracts.models import Contract, RegistrationCounter
from marketplace.extensions import db as _db
from tests import factories
from tests.race import ROUNDS, act, audit_chain, committed, lead_of, race, rounds

pytestmark = pytest.mark.postgres

YEAR = 2032  # registration numbers of a year nothing else uses


@pytest.fixture(autouse=True)
def _no_ledger(monkeypatch, app):
    """The ledger has tests of its own; here registration only needs to succeed."""
    monkeypatch.setattr(ledger_link, "append", lambda event, *, actor, recorded_at=None: None)
    monkeypatch.setattr(ledger_link, "contract_totals", lambda contract_id: (0, 0))
    yield
    with app.app_context():
        _db.session.execute(delete(RegistrationCounter).where(RegistrationCounter.prefix.like(f"{YEAR}%")))
        _db.session.commit()
        _db.session.remove()


def _people(**contract_kwargs) -> dict[str, int]:
    """A contract with its seller, buyer, a second seller user and a regulator in scope."""
    contract = factories.ContractFactory(**contract_kwargs)
    seller = factories.user_with_role("seller", org=contract.seller_org)
    other_seller = factories.user_with_role("seller", org=contract.seller_org)
    buyer = factories.user_with_role("buyer", org=contract.buyer_org)
    regulator = factories.user_with_role("regulator", region="230100")
    other_regulator = factories.user_with_role("regulator", region="230100")
    _db.session.flush()
    return {
        "contract": contract.id,
        "seller": seller.id,
        "other_seller": other_seller.id,
        "buyer": buyer.id,
        "regulator": regulator.id,
        "other_regulator": other_regulator.id,
    }


def _act(ids: dict[str, int], who: str, service, **kwargs):
    return act(Contract, ids["contract"], ids[who], service, **kwargs)


def _at(day: int) -> datetime:
    return datetime(YEAR, 3, day, 2, tzinfo=UTC)


def _contract(ids) -> Contract:
    return _db.session.get(Contract, ids["contract"])


def _user(ids, who) -> User:
    return _db.session.get(User, ids[who])


def _signatures(contract: Contract) -> tuple[bool, bool]:
    return contract.seller_signed_at is not None, contract.buyer_signed_at is not None


def _consistent(ids) -> Contract:
    contract = _contract(ids)
    audit_chain(contract)
    signatures = _signatures(contract)
    expected = {
        "draft": [(False, False)],
        "signing": [(True, False), (False, True)],
        "signed": [(True, True)],
        "submitted": [(True, True)],
    }.get(contract.status)
    if contract.status == "signing" and contract.is_offline:
        expected.append((False, False))  # both confirmed, nobody signed yet
    if expected is not None:
        assert signatures in expected, (contract.status, signatures)
    return contract


def _sign_until_signed(app, ids) -> None:
    with app.test_request_context("/"):
        contract = _contract(ids)
        for side in ("seller", "buyer"):
            if getattr(contract, f"{side}_signed_at") is None:
                services.sign_contract(contract, actor=_user(ids, side))
        assert contract.status == "signed"
        _db.session.commit()
        _db.session.remove()


def test_both_parties_sign_at_once(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _people(document=True)
            outcomes = race(
                app,
                _act(ids, "seller", services.sign_contract),
                _act(ids, "buyer", services.sign_contract),
                lead=lead_of(round_no),
            )
            assert outcomes == ["ok", "ok"], outcomes
            with app.test_request_context("/"):
                contract = _consistent(ids)
                assert contract.status == "signed" and _signatures(contract) == (True, True)
                services.submit_contract(contract, actor=_user(ids, "seller"))
                assert contract.status == "submitted"
                _db.session.commit()
                _db.session.remove()


def test_both_parties_confirm_an_offline_deal_at_once(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _people(offline=True, document=True)
            outcomes = race(
                app,
                _act(ids, "seller", services.confirm_contract),
                _act(ids, "buyer", services.confirm_contract),
                lead=lead_of(round_no),
            )
            assert outcomes == ["ok", "ok"], outcomes
            with app.app_context():
                contract = _consistent(ids)
                assert contract.status == "signing"
                assert contract.seller_confirmed_at and contract.buyer_confirmed_at
                _db.session.remove()
            _sign_until_signed(app, ids)


def test_sign_against_an_edit(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _people(document=True)
            outcomes = race(
                app,
                _act(ids, "seller", services.sign_contract),
                _act(ids, "buyer", services.update_contract, changes={"valid_to": date(2031, 6, 30)}),
                lead=lead_of(round_no),
            )
            assert outcomes == ["ok", "ok"], outcomes
            with app.app_context():
                contract = _consistent(ids)
                assert contract.valid_to == date(2031, 6, 30)
                # signed first, then changed: the signature is gone; changed first: it stands
                assert (contract.status, _signatures(contract)) in (
                    ("draft", (False, False)),
                    ("signing", (True, False)),
                )
                _db.session.remove()
            _sign_until_signed(app, ids)


def test_submit_against_an_edit(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _people(signed=True)
            outcomes = race(
                app,
                _act(ids, "seller", services.submit_contract),
                _act(ids, "buyer", services.update_contract, changes={"valid_to": date(2031, 6, 30)}),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) == ["invalid_transition", "ok"], outcomes
            with app.test_request_context("/"):
                contract = _consistent(ids)
                if outcomes[0] == "ok":
                    assert contract.status == "submitted" and contract.valid_to == date(2030, 12, 31)
                    services.register_contract(contract, actor=_user(ids, "regulator"), now=_at(2))
                    assert contract.status == "registered"
                else:
                    assert contract.status == "draft" and contract.valid_to == date(2031, 6, 30)
                _db.session.commit()
                _db.session.remove()
            if outcomes[0] != "ok":
                _sign_until_signed(app, ids)


def test_register_against_a_return(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _people(submitted=True)
            outcomes = race(
                app,
                _act(ids, "regulator", services.register_contract, now=_at(2)),
                _act(ids, "other_regulator", services.return_contract, reasons=["missing_proofs"]),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) in (
                ["invalid_transition", "ok"],
                ["already_registered", "ok"],
            ), outcomes
            with app.test_request_context("/"):
                contract = _consistent(ids)
                if outcomes[0] == "ok":
                    assert contract.status == "registered" and contract.registration_no
                    services.request_cancellation(contract, note="双方协商终止", actor=_user(ids, "seller"))
                    assert contract.status == "cancellation_pending"
                else:
                    assert contract.status == "returned" and contract.registration_no is None
                    services.submit_contract(contract, actor=_user(ids, "seller"))
                    assert contract.status == "submitted"
                _db.session.commit()
                _db.session.remove()


def test_amend_against_a_cancellation(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _people(submitted=True)
            with app.test_request_context("/"):
                services.register_contract(_contract(ids), actor=_user(ids, "regulator"), now=_at(2))
                _db.session.commit()
                _db.session.remove()
            outcomes = race(
                app,
                _act(
                    ids,
                    "seller",
                    services.request_amendment,
                    changes={"industry": "digital"},
                    note="行业分类登记有误",
                ),
                _act(ids, "other_seller", services.request_cancellation, note="双方协商终止"),
                lead=lead_of(round_no),
            )
            assert sorted(outcomes) == ["invalid_transition", "ok"], outcomes
            with app.test_request_context("/"):
                contract = _consistent(ids)
                pending = "amendment_pending" if outcomes[0] == "ok" else "cancellation_pending"
                assert contract.status == pending
                assert contract.pending_change["kind"] == pending.split("_")[0]
                services.register_contract(contract, actor=_user(ids, "regulator"), now=_at(3))
                assert contract.status == ("registered" if outcomes[0] == "ok" else "cancelled")
                _db.session.commit()
                _db.session.remove()
