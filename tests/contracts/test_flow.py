"""A contract from the accepted deal to registration, amendment and cancellation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from marketplace.contracts import services
from marketplace.contracts.models import ContractRegistration
from marketplace.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.core.models import audit_trail
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import contract_totals

from ..factories import ContractFactory, OrganizationFactory, user_with_role

pytestmark = pytest.mark.usefixtures("in_request")


class _Asset:
    def __init__(self, id, kind, legal_status="granted", industry="new_materials"):
        self.id, self.kind, self.legal_status, self.industry = id, kind, legal_status, industry


def test_create_draft_from_deal_locks_terms_and_suggests_category(db):
    seller = OrganizationFactory(kind="university")
    buyer = OrganizationFactory(kind="enterprise")
    actor = user_with_role("buyer", org=buyer)
    terms = {"deal_kind": "transfer", "price_fen": 3_000_000_00}
    contract = services.create_draft_from_deal(
        seller_org=seller,
        buyer_org=buyer,
        assets=[],
        deal_terms=terms,
        title="寒地大豆高蛋白品种选育技术转让合同",
        source="offer",
        source_ref="offer:7",
        actor=actor,
    )
    assert contract.status == "draft"
    assert contract.terms == terms
    assert contract.turnover_fen == contract.tech_income_fen == 3_000_000_00
    assert contract.category == "transfer_technical_secret"
    assert audit_trail(contract)[0].action == "contract.created"


@pytest.mark.parametrize(
    "deal_kind, kinds, statuses, category",
    [
        ("license", ["invention_patent"], ["granted"], "license_patent"),
        ("license", ["technical_secret"], ["granted"], "license_technical_secret"),
        ("transfer", ["invention_patent"], ["granted"], "transfer_patent"),
        ("transfer", ["invention_patent"], ["pending"], "transfer_patent_application"),
        ("transfer", ["technical_secret"], ["granted"], "transfer_technical_secret"),
        ("transfer", ["software_copyright"], ["granted"], "transfer_other"),
        ("transfer", ["plant_variety"], ["granted"], "transfer_other"),
        ("equity", ["utility_model"], ["granted"], "transfer_patent"),
    ],
)
def test_category_suggestion_by_deal_and_asset_kind(db, deal_kind, kinds, statuses, category):
    from marketplace.contracts.codes import suggest_category

    pending = all(s == "pending" for s in statuses)
    assert suggest_category(deal_kind, kinds, pending_patent=pending) == category


def test_whole_journey_reaches_the_ledger(cast, db):
    c = cast(status="draft")
    contract = c.contract
    services.sign_contract(contract, actor=c.seller)
    assert contract.status == "signing"
    with pytest.raises(Conflict):
        services.sign_contract(contract, actor=c.seller)  # once
    services.sign_contract(contract, actor=c.buyer)
    assert contract.status == "signed"
    # the signed document is missing: the checklist says so
    with pytest.raises(services.ChecklistIncomplete) as exc:
        services.submit_contract(contract, actor=c.seller)
    assert set(exc.value.fields) == {"signed_document"}
    ContractFactory._meta.sqlalchemy_session.flush()
    from marketplace.storage.uploads import Attachment

    db.session.add(
        Attachment(
            storage_name="x" * 32,
            original_name="s.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            subject_type="contract",
            subject_id=contract.id,
            purpose="signed_contract",
        )
    )
    with pytest.raises(Conflict):
        services.submit_contract(contract, actor=c.buyer)  # only the seller side applies
    services.submit_contract(contract, actor=c.seller, now=datetime(2025, 3, 3, 2, tzinfo=UTC))
    assert contract.status == "submitted" and contract.authority_region == "230100"
    assert contract.review_due_on == date(2025, 3, 24)  # 15 working days
    with pytest.raises(PermissionDenied):
        services.register_contract(contract, actor=c.other_city)
    reg = services.register_contract(contract, actor=c.regulator, now=datetime(2025, 3, 10, 2, tzinfo=UTC))
    assert reg.kind == "registration" and reg.seq == 1
    assert contract.registration_no == "2025230100000001"
    assert contract_totals(contract.id) == (1_000_000_00, 1_000_000_00)
    with pytest.raises(Conflict):
        services.register_contract(contract, actor=c.regulator)

    # amendment: new amounts, a new schedule and the cost line explaining the difference
    services.request_amendment(
        contract,
        {
            "turnover_fen": 1_200_000_00,
            "tech_income_fen": 1_000_000_00,
            "milestones": [{"due_on": date(2025, 6, 30), "amount_fen": 1_200_000_00}],
            "cost_lines": [{"kind": "equipment", "description": "试验设备", "amount_fen": 200_000_00}],
        },
        note="增加设备供货",
        actor=c.seller,
    )
    assert contract.status == "amendment_pending"
    assert contract.turnover_fen == 1_000_000_00  # nothing changes before registration
    amendment = services.register_contract(
        contract, actor=c.province, now=datetime(2025, 4, 1, 2, tzinfo=UTC)
    )
    assert amendment.kind == "amendment" and amendment.registration_no == contract.registration_no
    assert amendment.previous_id == reg.id and amendment.label_no.endswith("-B1")
    assert contract.turnover_fen == 1_200_000_00 and [m.amount_fen for m in contract.milestones] == [
        1_200_000_00
    ]
    assert contract_totals(contract.id) == (1_200_000_00, 1_000_000_00)
    first = db.session.get(ContractRegistration, reg.id)
    assert (first.turnover_fen, first.tech_income_fen) == (1_000_000_00, 1_000_000_00)  # never edited

    services.request_cancellation(contract, note="双方协商解除", actor=c.seller)
    services.register_contract(contract, actor=c.regulator)
    assert contract.status == "cancelled"
    assert contract_totals(contract.id) == (0, 0)
    deltas = [
        (e.kind, e.turnover_delta_fen)
        for e in db.session.query(LedgerEntry).filter_by(contract_id=contract.id).order_by(LedgerEntry.seq)
    ]
    assert deltas == [
        ("registration", 1_000_000_00),
        ("amendment", 200_000_00),
        ("cancellation", -1_200_000_00),
    ]
    actions = [e.action for e in audit_trail(contract)]
    assert "contract.registration_registered" in actions and "contract.cancellation_registered" in actions


def test_return_and_resubmit(cast, db):
    c = cast(submitted=True)
    contract = c.contract
    with pytest.raises(ValidationError):
        services.return_contract(contract, reasons=[], actor=c.regulator)
    with pytest.raises(ValidationError) as exc:
        services.return_contract(contract, reasons=["other"], actor=c.regulator)
    assert "note" in exc.value.fields
    with pytest.raises(ValidationError):
        services.return_contract(contract, reasons=["not_a_reason"], actor=c.regulator)
    assert contract.status == "submitted"
    services.return_contract(contract, reasons=["seals_incomplete", "missing_proofs"], actor=c.regulator)
    assert contract.status == "returned" and contract.return_reasons == ["seals_incomplete", "missing_proofs"]
    services.submit_contract(contract, actor=c.seller)
    assert contract.status == "submitted"


def test_editing_after_a_signature_clears_signatures(cast, db):
    c = cast(status="draft")
    contract = c.contract
    services.sign_contract(contract, actor=c.seller)
    services.update_contract(contract, {"subject": "新的标的描述"}, actor=c.buyer)
    assert contract.status == "draft"
    assert contract.seller_signed_at is None and contract.buyer_signed_at is None


def test_offline_deal_needs_both_confirmations(cast, db):
    c = cast(offline=True)
    contract = c.contract
    with pytest.raises(InvalidTransition):
        services.sign_contract(contract, actor=c.seller)  # not before both parties confirmed
    services.confirm_contract(contract, actor=c.seller)
    assert contract.status == "awaiting_confirmation"
    services.confirm_contract(contract, actor=c.buyer)
    assert contract.status == "signing"
    services.sign_contract(contract, actor=c.buyer)
    services.sign_contract(contract, actor=c.seller)
    assert contract.status == "signed"
