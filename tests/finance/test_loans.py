"""Pledge loans: the life of a loan, the pledges in the IP register, consents, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.finance import loans
from marketplace.finance.states import LOAN_TRANSITIONS, LoanStatus, loan_machine
from marketplace.ip.deals import DealExcluded, DealTerms, check_deal
from marketplace.ip.encumbrances import record_committed_deal
from marketplace.ip.owners import OwnerShare, record_transfer
from tests import factories

from .factories import SIGNED_ON, apply, to_state, world

pytestmark = pytest.mark.usefixtures("in_request")

EXCLUSIVE = DealTerms("license", license_type="exclusive")
SOLE = DealTerms("license", license_type="sole")
NON_EXCLUSIVE = DealTerms("license", license_type="non_exclusive")


def test_every_pair_of_states_follows_the_table():
    for src in LoanStatus:
        for dst in LoanStatus:
            assert loan_machine.allowed(src, dst) is (dst in LOAN_TRANSITIONS[src])
    assert not loan_machine.targets(LoanStatus.REPAID) and not loan_machine.targets(LoanStatus.DISPOSED)
    assert loan_machine.targets(LoanStatus.DEFAULTED) == {LoanStatus.DISPOSED}


def test_the_whole_life_of_a_loan_pledges_and_releases(db):
    w = world()
    asset = w.assets[0]
    loan = apply(w)
    assert loan.status == "applied" and loan.region_code == "230100" and not loan.consents
    loans.request_documents(loan, request="请提供专利评估报告", actor=w.bank)
    assert loan.status == "documents_requested"
    loans.provide_documents(loan, note="评估报告已线下提交", actor=w.owner)
    assert loan.status == "applied"
    loans.approve_loan(loan, conditions="年利率3.85%，按季付息", actor=w.bank)
    assert loan.status == "approved" and loan.conditions.startswith("年利率")
    loans.sign_loan(loan, actor=w.owner)
    assert loan.status == "approved" and not asset.encumbrances  # one signature is not enough
    assert check_deal(asset, DealTerms("transfer")).ok
    loans.sign_loan(loan, actor=w.bank, pledge_registration_no="Y2025230000123", signed_on=SIGNED_ON)
    assert loan.status == "signed" and loan.due_on == date(2026, 3, 10)
    (pledge,) = asset.encumbrances
    assert (pledge.kind, pledge.reference, pledge.amount_fen, pledge.counterparty) == (
        "pledge",
        "Y2025230000123",
        5_000_000_00,
        "测试银行哈尔滨分行",
    )
    assert loan.asset_links[0].encumbrance_id == pledge.id
    assert loan.outstanding_fen == 5_000_000_00
    # The register's rule now refuses a transfer, equity and an exclusive or sole licence.
    for terms in (DealTerms("transfer"), DealTerms("equity"), EXCLUSIVE, SOLE):
        assert check_deal(asset, terms).codes == ["pledged"], terms
    assert check_deal(asset, NON_EXCLUSIVE).ok
    with pytest.raises(DealExcluded):
        record_committed_deal(asset, DealTerms("transfer"), reference="C-1", actor=w.owner)
    with pytest.raises(DealExcluded):
        record_committed_deal(asset, EXCLUSIVE, reference="C-2", actor=w.owner)
    buyer_org = factories.OrganizationFactory()
    with pytest.raises(DealExcluded):
        record_transfer(
            asset,
            [OwnerShare(buyer_org.id, 10_000)],
            contract_ref="C-3",
            effective_on=date(2026, 1, 5),
            actor=w.owner,
        )
    loans.repay_loan(loan, actor=w.bank, repaid_on=date(2026, 3, 1))
    assert loan.status == "repaid" and loan.outstanding_fen == 0
    db.session.refresh(asset)
    (pledge,) = asset.encumbrances  # released, never deleted
    assert pledge.released_on == date(2026, 3, 1)
    assert check_deal(asset, DealTerms("transfer")).ok and check_deal(asset, EXCLUSIVE).ok
    record_committed_deal(asset, EXCLUSIVE, reference="C-4", actor=w.owner)


def test_a_co_owned_asset_needs_every_owners_consent(db):
    w = world(co_owned=True)
    loan = apply(w)
    (consent,) = loan.consents
    assert consent.org_id == w.partner.organization_id and consent.status == "pending"
    with pytest.raises(Conflict) as exc:
        loans.approve_loan(loan, actor=w.bank)
    assert exc.value.code == "co_owner_consent_required" and w.partner.organization.name in str(
        exc.value.message
    )
    with pytest.raises(PermissionDenied):
        loans.answer_consent(loan, give=True, actor=w.buyer)
    loans.answer_consent(loan, give=False, note="不同意", actor=w.partner)
    with pytest.raises(Conflict):
        loans.approve_loan(loan, actor=w.bank)
    loans.answer_consent(loan, give=True, actor=w.partner)
    loans.approve_loan(loan, actor=w.bank)
    loans.sign_loan(loan, actor=w.bank, pledge_registration_no="Y1", signed_on=SIGNED_ON)
    loans.sign_loan(loan, actor=w.owner)
    assert loan.status == "signed"
    assert all(a.encumbrances and a.encumbrances[0].kind == "pledge" for a in w.assets)


def test_a_default_keeps_the_pledges_and_records_the_proceeds(db):
    w = world()
    loan = to_state(w, "defaulted")
    assert loan.status == "defaulted" and loan.proceeds_fen == 1_000_000_00
    assert loan.outstanding_fen == 4_000_000_00
    assert check_deal(w.assets[0], DealTerms("transfer")).codes == ["pledged"]
    with pytest.raises(ValidationError) as exc:
        loans.record_proceeds(loan, amount_fen=4_000_000_01, actor=w.bank)
    assert "amount_fen" in exc.value.fields
    loans.record_proceeds(
        loan,
        amount_fen=2_500_000_00,
        received_on=date(2026, 6, 1),
        note="拍卖所得",
        release=True,
        actor=w.bank,
    )
    assert loan.outstanding_fen == 1_500_000_00
    db.session.refresh(w.assets[0])
    assert w.assets[0].encumbrances[0].released_on == date(2026, 6, 1)
    assert check_deal(w.assets[0], DealTerms("transfer")).ok


def test_decline_needs_a_reason_and_is_final(db):
    w = world()
    loan = apply(w)
    with pytest.raises(ValidationError) as exc:
        loans.decline_loan(loan, reason="  ", actor=w.bank)
    assert "reason" in exc.value.fields and loan.status == "applied"
    loans.decline_loan(loan, reason="质押物估值不足", actor=w.bank)
    assert loan.status == "declined"
    for act in (
        lambda: loans.approve_loan(loan, actor=w.bank),
        lambda: loans.withdraw_loan(loan, actor=w.owner),
        lambda: loans.request_documents(loan, request="x", actor=w.bank),
    ):
        with pytest.raises(InvalidTransition):
            act()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bank_org_id", None),
        ("bank_org_id", "x"),
        ("asset_ids", []),
        ("asset_ids", "1"),
        ("amount_fen", 0),
        ("amount_fen", -5),
        ("amount_fen", 1.5),
        ("amount_fen", 10**15),
        ("term_months", 0),
        ("term_months", 361),
        ("purpose", ""),
        ("purpose", "x" * 2001),
    ],
)
def test_bad_application_input_names_its_field(db, field, value):
    w = world()
    with pytest.raises(ValidationError) as exc:
        apply(w, **{field: value})
    assert field in exc.value.fields


def test_all_field_errors_at_once_and_nothing_stored(db):
    from marketplace.finance.models import PledgeLoan

    w = world()
    before = db.session.query(PledgeLoan).count()
    with pytest.raises(ValidationError) as exc:
        apply(w, amount_fen=0, term_months=0, purpose="", bank_org_id=w.buyer.organization_id)
    assert {"amount_fen", "term_months", "purpose", "bank_org_id"} <= set(exc.value.fields)
    assert db.session.query(PledgeLoan).count() == before


def test_assets_must_be_the_applicants_and_not_already_pledged(db):
    w = world()
    stranger_asset = factories.IpAssetFactory()
    with pytest.raises(ValidationError) as exc:
        apply(w, asset_ids=[stranger_asset.id])
    assert "asset_ids" in exc.value.fields
    to_state(w, "signed")
    with pytest.raises(ValidationError) as exc:
        apply(w)
    assert "已出质" in str(exc.value.fields["asset_ids"][0])


def test_a_transfer_committed_before_signing_refuses_the_pledge(db):
    w = world()
    loan = to_state(w, "approved")
    record_committed_deal(w.assets[0], DealTerms("transfer"), reference="C-9", actor=w.owner)
    loans.sign_loan(loan, actor=w.owner)
    with pytest.raises(DealExcluded):
        loans.sign_loan(loan, actor=w.bank, pledge_registration_no="Y9", signed_on=SIGNED_ON)


def test_signing_needs_the_registration_number_and_each_side_once(db):
    w = world()
    loan = to_state(w, "approved")
    with pytest.raises(ValidationError) as exc:
        loans.sign_loan(loan, actor=w.bank, pledge_registration_no="")
    assert "pledge_registration_no" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        loans.sign_loan(loan, actor=w.bank, pledge_registration_no="Y", signed_on=date(2099, 1, 1))
    assert "signed_on" in exc.value.fields
    loans.sign_loan(loan, actor=w.owner)
    with pytest.raises(Conflict) as exc:
        loans.sign_loan(loan, actor=w.owner)
    assert exc.value.code == "already_signed"


def test_repayment_date_cannot_precede_signing(db):
    w = world()
    loan = to_state(w, "signed")
    with pytest.raises(ValidationError) as exc:
        loans.repay_loan(loan, actor=w.bank, repaid_on=date(2024, 1, 1))
    assert "repaid_on" in exc.value.fields
