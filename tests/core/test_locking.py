"""The one lock and transition every state machine uses (both databases)."""

from __future__ import annotations

import enum

import pytest
from sqlalchemy import update

from marketplace.contracts.models import Contract
from marketplace.contracts.states import ContractStatus
from marketplace.core.errors import InvalidTransition
from marketplace.core.locking import is_locked, lock
from marketplace.core.states import StateMachine, machine_for, transition
from marketplace.listings.states import LISTING_MACHINE, ListingStatus
from tests.factories import ContractFactory


def _behind_its_back(contract: Contract, **values) -> None:
    """Another writer changes the row; the session's copy does not see it."""
    from marketplace.extensions import db

    db.session.execute(
        update(Contract).where(Contract.id == contract.id).values(**values),
        execution_options={"synchronize_session": False},
    )


def test_lock_re_reads_the_row(db):
    contract = ContractFactory()
    _behind_its_back(contract, status="signing", seller_signed_at=contract.created_at)
    assert contract.status == "draft"  # the stale copy
    assert lock(contract) is contract
    assert contract.status == "signing" and contract.seller_signed_at is not None
    assert is_locked(contract)


def test_lock_keeps_pending_changes(db):
    contract = ContractFactory()
    contract.subject = "改过的标的"
    lock(contract)
    assert contract.subject == "改过的标的"


def test_a_second_lock_in_the_same_transaction_reuses_the_first(db):
    contract = ContractFactory()
    lock(contract)
    _behind_its_back(contract, subject="不会被读到")  # cannot happen under a real lock
    lock(contract)
    assert contract.subject != "不会被读到"


def test_a_commit_ends_the_lock(db):
    contract = ContractFactory()
    lock(contract)
    db.session.commit()
    assert not is_locked(contract)
    _behind_its_back(contract, subject="新的标的")
    lock(contract)
    assert contract.subject == "新的标的"


def test_transition_decides_on_the_state_read_under_the_lock(db):
    contract = ContractFactory()
    _behind_its_back(contract, status="submitted")
    with pytest.raises(InvalidTransition):
        transition(contract, ContractStatus.SIGNING)  # draft -> signing, but it is submitted now
    assert contract.status == "submitted"
    assert transition(contract, ContractStatus.REGISTERED) == (
        ContractStatus.SUBMITTED,
        ContractStatus.REGISTERED,
    )
    assert contract.status == "registered"


def test_transition_can_say_why(db):
    contract = ContractFactory()
    with pytest.raises(InvalidTransition) as caught:
        transition(contract, ContractStatus.REGISTERED, message="不行", code="not_now")
    assert (str(caught.value), caught.value.code) == ("不行", "not_now")


def test_the_machine_is_found_by_the_states_of_the_target():
    assert machine_for(ListingStatus.PUBLISHED) is LISTING_MACHINE

    class Unknown(enum.Enum):
        A = "a"

    with pytest.raises(LookupError):
        machine_for(Unknown.A)


def test_an_object_not_stored_yet_needs_no_lock(db):
    machine = StateMachine(ContractStatus, {"draft": ["signing"]})
    contract = Contract(status="draft")
    assert lock(contract) is contract
    assert machine.transition(contract, ContractStatus.SIGNING)[1] == ContractStatus.SIGNING
