"""Finance items on the workbench: the bank's applications and signatures, the owner's
loans and a co-owner's consents."""

from __future__ import annotations

import pytest

from marketplace.finance import loans
from marketplace.portal.workbench import items_for

from .factories import apply, to_state, world

pytestmark = pytest.mark.usefixtures("in_request")


def _counts(user):
    return {i.key: i.count for i in items_for(user)}


def test_bank_owner_and_co_owner_see_what_waits_for_them(db):
    w = world(co_owned=True)
    loan = apply(w)
    assert _counts(w.bank)["pledge_loans_to_review"] == 1
    assert _counts(w.other_bank)["pledge_loans_to_review"] == 0
    assert _counts(w.partner)["pledge_consents"] == 1
    loans.answer_consent(loan, give=True, actor=w.partner)
    assert _counts(w.partner)["pledge_consents"] == 0
    loans.approve_loan(loan, actor=w.bank)
    assert _counts(w.bank)["pledge_loans_to_sign"] == 1 and _counts(w.owner)["pledge_loans_waiting"] == 1
    loans.sign_loan(loan, actor=w.owner)
    assert _counts(w.owner)["pledge_loans_waiting"] == 0


def test_loans_falling_due(db):
    w = world()
    to_state(w, "signed")  # signed 2025-03-10 for 12 months: overdue today
    item = next(i for i in items_for(w.bank) if i.key == "pledge_loans_due")
    assert (item.count, item.overdue) == (1, 1)
