"""The contract state machine over every pair of states, and which role may do what in each."""

from __future__ import annotations

import itertools

import pytest

from marketplace.contracts import permissions as perms
from marketplace.contracts.states import TRANSITIONS, ContractStatus, contract_machine
from marketplace.core.errors import InvalidTransition

S = ContractStatus
ALLOWED = {
    (S.DRAFT, S.SIGNING),
    (S.AWAITING_CONFIRMATION, S.SIGNING),
    (S.SIGNING, S.SIGNED),
    (S.SIGNING, S.DRAFT),
    (S.SIGNED, S.SUBMITTED),
    (S.SIGNED, S.DRAFT),
    (S.SUBMITTED, S.REGISTERED),
    (S.SUBMITTED, S.RETURNED),
    (S.RETURNED, S.SUBMITTED),
    (S.RETURNED, S.DRAFT),
    (S.REGISTERED, S.AMENDMENT_PENDING),
    (S.REGISTERED, S.CANCELLATION_PENDING),
    (S.AMENDMENT_PENDING, S.REGISTERED),
    (S.CANCELLATION_PENDING, S.CANCELLED),
    (S.CANCELLATION_PENDING, S.REGISTERED),
}


class _Obj:
    def __init__(self, status):
        self.status = status.value


@pytest.mark.parametrize("src, dst", list(itertools.product(S, S)))
def test_every_pair_of_states(src, dst):
    obj = _Obj(src)
    if (src, dst) in ALLOWED:
        assert contract_machine.apply(obj, dst) == (src, dst)
        assert obj.status == dst.value
    else:
        with pytest.raises(InvalidTransition):
            contract_machine.apply(obj, dst)
        assert obj.status == src.value


def test_every_state_is_in_the_table_and_cancelled_is_final():
    assert set(TRANSITIONS) == set(S)
    assert TRANSITIONS[S.CANCELLED] == []


ROLES = ("seller", "buyer", "agency", "regulator", "province", "other_city", "outsider", "admin")
# For each state: who may edit, confirm, sign, submit, review (register/return), amend.
EXPECTED = {
    S.DRAFT: {"edit": {"seller", "buyer", "agency"}, "sign": {"seller", "buyer"}},
    S.AWAITING_CONFIRMATION: {"edit": {"agency"}, "confirm": {"seller", "buyer"}},
    S.SIGNING: {"edit": {"seller", "buyer", "agency"}, "sign": {"seller", "buyer"}},
    S.SIGNED: {"edit": {"seller", "buyer", "agency"}, "submit": {"seller"}},
    S.SUBMITTED: {"review": {"regulator", "province"}},
    S.RETURNED: {"edit": {"seller", "buyer", "agency"}, "submit": {"seller"}},
    S.REGISTERED: {"amend": {"seller"}},
    S.AMENDMENT_PENDING: {"review": {"regulator", "province"}},
    S.CANCELLATION_PENDING: {"review": {"regulator", "province"}},
    S.CANCELLED: {},
}
CHECKS = {
    "edit": perms.can_edit,
    "confirm": perms.can_confirm,
    "sign": perms.can_sign,
    "submit": perms.can_submit,
    "review": perms.can_review,
    "amend": perms.can_amend,
}


@pytest.mark.parametrize("status", list(S))
def test_who_may_do_what_in_each_state(cast, status):
    c = cast()
    c.contract.status = status.value
    if status in (S.REGISTERED, S.AMENDMENT_PENDING, S.CANCELLATION_PENDING, S.CANCELLED):
        c.contract.registration_no = "2024230100000001"
    for role in ROLES:
        user = getattr(c, role)
        assert perms.can_view(user, c.contract) == (role not in ("other_city", "outsider")), role
        for action, check in CHECKS.items():
            expected = role in EXPECTED[status].get(action, set())
            assert check(user, c.contract) == expected, (status, role, action)
