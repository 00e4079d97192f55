"""Each role against each loan: who sees it (web and API) and who may take each step.

Roles: the owner side (applicant), a co-owner asked to consent, the loan's bank,
another bank, a buyer, the provincial regulator, an admin, and anonymous.
"""

from __future__ import annotations

import pytest

from marketplace.finance import loans, permissions
from marketplace.finance.states import LoanStatus

from .factories import to_state, world

pytestmark = pytest.mark.usefixtures("in_request")

ROLES = ("owner", "co_owner", "bank", "other_bank", "buyer", "regulator", "admin", "anonymous")
SEES = {"owner", "co_owner", "bank", "regulator", "admin"}


def _user(w, role):
    if role == "anonymous":
        return None
    return {
        "owner": w.owner,
        "co_owner": w.partner,
        "bank": w.bank,
        "other_bank": w.other_bank,
        "buyer": w.buyer,
        "regulator": w.regulator,
        "admin": w.admin,
    }[role]


def _loan(w, state):
    loan = to_state(w, state)
    if state == "applied":
        loans.answer_consent(loan, give=True, actor=w.partner)
    return loan


#: (endpoint suffix, JSON body, the state it is tried in, {role: expected success status}).
ACTIONS = {
    "documents-request": ({"request": "请补充评估报告"}, "applied", {"bank": 200}),
    "approve": ({"conditions": "年利率3.85%"}, "applied", {"bank": 200}),
    "decline": ({"reason": "估值不足"}, "applied", {"bank": 200}),
    "withdraw": ({}, "applied", {"owner": 200}),
    "consent": ({"give": True}, "applied", {"co_owner": 200}),
    "risk-shares": ({"sharer_kind": "risk_fund", "share_bp": 1000}, "applied", {"bank": 201}),
    "documents": ({"note": "评估报告已补充"}, "documents_requested", {"owner": 200}),
    "sign": (
        {"pledge_registration_no": "Y2025230000999", "signed_on": "2025-03-10"},
        "approved",
        {"owner": 200, "bank": 200},
    ),
    "repay": ({"repaid_on": "2026-03-01"}, "signed", {"bank": 200}),
    "default": ({"defaulted_on": "2026-04-01"}, "signed", {"bank": 200}),
    "proceeds": ({"amount_fen": 100_000_00}, "defaulted", {"bank": 200}),
}


@pytest.mark.parametrize("state", [s.value for s in LoanStatus])
def test_who_sees_each_loan_on_the_web_and_in_the_api(client, api, login_as, db, state):
    w = world(co_owned=True)
    loan = _loan(w, state)
    assert loan.status == state
    for role in ROLES:
        user = _user(w, role)
        assert permissions.can_view_loan(user, loan) is (role in SEES), role
        if user is None:
            assert api().get(f"/api/v1/financing/pledges/{loan.id}").status_code == 401
            with client.session_transaction() as sess:
                sess.clear()
            assert client.get(f"/finance/pledges/{loan.id}").status_code == 302
            continue
        response = api(user).get(f"/api/v1/financing/pledges/{loan.id}")
        assert response.status_code == (200 if role in SEES else 404), (role, response.get_json())
        listed = {
            item["id"] for item in api(user).get("/api/v1/financing/pledges?per_page=100").get_json()["items"]
        }
        assert (loan.id in listed) is (role in SEES), role
        login_as(user)
        assert client.get(f"/finance/pledges/{loan.id}").status_code == (200 if role in SEES else 404), role


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_step_only_for_its_party(api, db, role, action):
    body, state, allowed = ACTIONS[action]
    w = world(co_owned=True)
    loan = _loan(w, state)
    user = _user(w, role)
    if action == "sign" and role == "owner":
        body = {}
    response = (api(user) if user else api()).post(f"/api/v1/financing/pledges/{loan.id}/{action}", json=body)
    if role in allowed:
        expected = allowed[role]
    elif user is None:
        expected = 401
    elif role in SEES:
        expected = 403
    else:
        expected = 404
    assert response.status_code == expected, (role, action, response.get_json())
    db.session.refresh(loan)
    if response.status_code >= 400:
        assert loan.status == state


def test_the_predicates_match_the_states(db):
    """For every state, which of the loan's own parties may take which step."""
    table = {
        "applied": {
            "owner": {"withdraw"},
            "bank": {"documents", "approve", "decline", "risk"},
            "co_owner": {"consent"},
        },
        "documents_requested": {
            "owner": {"withdraw", "provide"},
            "bank": {"decline", "risk"},
            "co_owner": {"consent"},
        },
        "approved": {"owner": {"withdraw", "sign"}, "bank": {"sign", "risk"}, "co_owner": {"consent"}},
        "declined": {},
        "withdrawn": {},
        "signed": {"bank": {"close", "risk"}},
        "repaid": {},
        "defaulted": {"bank": {"proceeds"}},
    }
    checks = {
        "withdraw": permissions.can_withdraw,
        "provide": permissions.can_provide_documents,
        "documents": permissions.can_request_documents,
        "approve": permissions.can_approve,
        "decline": permissions.can_decide,
        "sign": permissions.can_sign,
        "close": permissions.can_close,
        "proceeds": permissions.can_record_proceeds,
        "risk": permissions.can_add_risk_share,
        "consent": permissions.can_answer_consent,
    }
    for state, allowed in table.items():
        w = world(co_owned=True)
        loan = _loan(w, state)
        for role in ROLES:
            user = _user(w, role)
            for name, check in checks.items():
                assert check(user, loan) is (name in allowed.get(role, set())), (state, role, name)
