"""Licences and pledges recorded by sellers, deals committed by contracts, pledge
release, and the chain of title through record_transfer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.core.errors import Conflict, ValidationError
from marketplace.core.models import audit_trail
from marketplace.core.timeutil import today_shanghai
from marketplace.ip import services
from marketplace.ip.deals import DealTerms, check_deal
from marketplace.ip.models import Encumbrance
from marketplace.ip.services import DealExcluded, OwnerShare

from ..factories import EncumbranceFactory, IpAssetFactory, OrganizationFactory, user_with_role


@pytest.fixture(autouse=True)
def _request(request_ctx):
    yield


@pytest.fixture
def owner(db):
    return user_with_role("seller")


@pytest.fixture
def asset(owner):
    return IpAssetFactory(owned_by=owner.organization)


def test_seller_records_a_licence_and_a_pledge_through_the_api(api, db, owner, asset):
    caller = api(owner)
    response = caller.post(
        f"/api/v1/assets/{asset.id}/encumbrances",
        json={
            "kind": "license",
            "license_type": "exclusive",
            "counterparty": "北大荒垦丰种业股份有限公司",
            "field_of_use": "大豆种植， 大豆加工",
            "territory": "黑龙江省",
            "term_start": "2025-01-01",
            "term_end": "2029-12-31",
        },
    )
    assert response.status_code == 201, response.get_json()
    licence = response.get_json()
    assert licence["field_of_use"] == "大豆种植、大豆加工" and licence["license_type"] == "exclusive"
    response = caller.post(
        f"/api/v1/assets/{asset.id}/encumbrances",
        json={
            "kind": "pledge",
            "counterparty": "中国银行哈尔滨分行",
            "amount_fen": 500_000_000,
            "term_start": "2025-03-01",
        },
    )
    assert response.status_code == 201
    assert response.get_json()["amount_fen"] == 500_000_000
    # An overlapping non-exclusive licence is excluded: 409 with the reason.
    response = caller.post(
        f"/api/v1/assets/{asset.id}/encumbrances",
        json={
            "kind": "license",
            "license_type": "non_exclusive",
            "counterparty": "某公司",
            "territory": "哈尔滨",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "deal_excluded"
    assert "overlaps" in response.get_json()["error"]["message"]
    # ...but one in another province coexists.
    response = caller.post(
        f"/api/v1/assets/{asset.id}/encumbrances",
        json={
            "kind": "license",
            "license_type": "non_exclusive",
            "counterparty": "吉林某公司",
            "territory": "吉林省",
        },
    )
    assert response.status_code == 201
    actions = [e.action for e in audit_trail(asset)]
    assert actions.count("ip.license_recorded") == 2 and actions.count("ip.pledge_recorded") == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "pledge", "counterparty": "银行"}, "amount_fen"),
        ({"kind": "pledge", "counterparty": "银行", "amount_fen": 0}, "amount_fen"),
        ({"kind": "license", "counterparty": "甲"}, "license_type"),
        ({"kind": "license", "license_type": "sole"}, "counterparty"),
        ({"kind": "mortgage", "counterparty": "甲"}, "kind"),
        (
            {
                "kind": "license",
                "license_type": "sole",
                "counterparty": "甲",
                "term_start": "2026-01-02",
                "term_end": "2026-01-01",
            },
            "term_end",
        ),
        ({"kind": "pledge", "counterparty": "银行", "amount_fen": 100, "amount": "2.00"}, "amount_fen"),
    ],
)
def test_encumbrance_validation_is_422_per_field(api, db, owner, asset, payload, field):
    response = api(owner).post(f"/api/v1/assets/{asset.id}/encumbrances", json=payload)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db.session.query(Encumbrance).count() == 0


def test_pledge_release_is_recorded_not_deleted_and_unblocks_transfer(client, db, login_as, owner, asset):
    pledge = EncumbranceFactory(
        asset=asset, pledge=True, counterparty="哈尔滨银行", term_start=date(2025, 1, 1)
    )
    assert check_deal(asset, DealTerms("transfer")).codes == ["pledged"]
    login_as(owner)
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "哈尔滨银行" in page and "data-confirm" in page
    released_on = today_shanghai() - timedelta(days=1)
    response = client.post(
        f"/assets/{asset.id}/encumbrances/{pledge.id}/release",
        data={
            f"release{pledge.id}-released_on": released_on.isoformat(),
            f"release{pledge.id}-note": "贷款已还清",
        },
    )
    assert response.status_code == 302
    assert pledge.released_on == released_on and pledge.release_note == "贷款已还清"
    assert db.session.get(Encumbrance, pledge.id) is not None
    assert check_deal(asset, DealTerms("transfer")).ok
    assert audit_trail(asset)[-1].action == "ip.pledge_released"
    # Releasing twice is refused.
    with pytest.raises(Conflict):
        services.release_encumbrance(pledge, released_on=released_on, note=None, actor=owner)


def test_release_date_cannot_be_in_the_future_or_before_the_term(db, owner, asset):
    pledge = EncumbranceFactory(asset=asset, pledge=True, term_start=date(2025, 1, 1))
    with pytest.raises(ValidationError):
        services.release_encumbrance(
            pledge, released_on=today_shanghai() + timedelta(days=1), note=None, actor=owner
        )
    with pytest.raises(ValidationError):
        services.release_encumbrance(pledge, released_on=date(2024, 12, 31), note=None, actor=owner)
    assert not pledge.is_released


def test_web_form_shows_an_excluded_licence(client, db, login_as, owner, asset):
    EncumbranceFactory(asset=asset, license_type="exclusive", counterparty="独占被许可人")
    login_as(owner)
    response = client.post(
        f"/assets/{asset.id}/encumbrances?form=license",
        data={
            "license-kind": "license",
            "license-license_type": "non_exclusive",
            "license-counterparty": "新公司",
        },
    )
    assert response.status_code == 422
    assert "独占被许可人" in response.get_data(as_text=True)
    assert asset.encumbrances[-1].counterparty == "独占被许可人"


def test_record_committed_deal_checks_under_lock_and_is_idempotent(db, owner, asset):
    terms = DealTerms("license", license_type="exclusive", territory="黑龙江")
    first = services.record_committed_deal(
        asset, terms, reference="HT-2026-001", actor=owner, counterparty="乙公司"
    )
    again = services.record_committed_deal(asset, terms, reference="HT-2026-001", actor=owner)
    assert again.id == first.id
    with pytest.raises(Conflict):
        services.record_committed_deal(asset, DealTerms("transfer"), reference="HT-2026-001", actor=owner)
    with pytest.raises(DealExcluded) as exc:
        services.record_committed_deal(asset, DealTerms("transfer"), reference="HT-2026-002", actor=owner)
    assert exc.value.check.codes == ["exclusive_license_in_force"]
    assert exc.value.status == 409
    # Another province is free for another exclusive licence.
    services.record_committed_deal(
        asset,
        DealTerms("license", license_type="exclusive", territory="吉林"),
        reference="HT-2026-003",
        actor=owner,
    )
    # Owners can no longer be edited in place.
    assert not services.owners_editable(asset)


def test_a_committed_transfer_excludes_everything_until_record_transfer(db, owner, asset):
    buyer_org = OrganizationFactory(name="鸡西石墨烯科技有限公司")
    services.record_committed_deal(asset, DealTerms("transfer"), reference="HT-T-1", actor=owner)
    for deal in (
        DealTerms("equity"),
        DealTerms("license", license_type="non_exclusive"),
        DealTerms("transfer"),
    ):
        assert check_deal(asset, deal).codes == ["transfer_committed"]
    with pytest.raises(DealExcluded):  # nor can it be pledged meanwhile
        services.add_encumbrance(
            asset, services.EncumbranceData(kind="pledge", counterparty="银行", amount_fen=100), actor=owner
        )
    event = services.record_transfer(
        asset,
        [OwnerShare(buyer_org.id, 10000)],
        contract_ref="HT-T-1",
        effective_on=today_shanghai(),
        actor=owner,
    )
    assert event.seq == 2 and event.kind == "transfer" and event.contract_ref == "HT-T-1"
    assert [o.org_id for o in asset.owners] == [buyer_org.id]
    assert [t.kind for t in asset.title_events] == ["registration", "transfer"]
    assert asset.title_events[1].owners == [
        {"org_id": buyer_org.id, "name": buyer_org.name, "share_bp": 10000}
    ]
    # The new owner may deal again: the committed transfer is closed.
    assert check_deal(asset, DealTerms("transfer")).ok
    assert audit_trail(asset)[-1].action == "ip.title_transferred"


def test_record_transfer_refuses_a_pledged_asset_and_bad_owners(db, owner, asset):
    new = OrganizationFactory()
    EncumbranceFactory(asset=asset, pledge=True)
    with pytest.raises(DealExcluded) as exc:
        services.record_transfer(
            asset,
            [OwnerShare(new.id, 10000)],
            contract_ref="HT-X",
            effective_on=today_shanghai(),
            actor=owner,
        )
    assert exc.value.check.codes == ["pledged"]
    with pytest.raises(ValidationError) as exc:
        services.record_transfer(
            asset, [OwnerShare(new.id, 5000)], contract_ref="", effective_on=date(2000, 1, 1), actor=owner
        )
    assert {"contract_ref", "effective_on", "owners"} <= set(exc.value.fields)
    assert len(asset.title_events) == 1


def test_chain_of_title_over_two_transfers_with_co_owners(db, owner, asset):
    a, b = OrganizationFactory(), OrganizationFactory()
    services.record_transfer(
        asset,
        [OwnerShare(a.id, 5000), OwnerShare(b.id, 5000)],
        contract_ref="2024230100000123",
        effective_on=date(2025, 3, 1),
        actor=owner,
    )
    services.record_transfer(
        asset,
        [OwnerShare(b.id, 10000)],
        contract_ref="2025230100000456",
        effective_on=date(2025, 9, 1),
        actor=owner,
    )
    chain = [(t.seq, t.kind, t.contract_ref, [o["org_id"] for o in t.owners]) for t in asset.title_events]
    assert chain == [
        (1, "registration", None, [owner.organization_id]),
        (2, "transfer", "2024230100000123", [a.id, b.id]),
        (3, "transfer", "2025230100000456", [b.id]),
    ]
    # The former owner can no longer edit; the owners are locked.
    assert not services.owners_editable(asset)


def test_owners_are_locked_once_a_transfer_is_recorded(api, db, owner, asset):
    buyer = user_with_role("seller")
    other = OrganizationFactory()
    services.record_transfer(
        asset, [OwnerShare(buyer.organization_id, 10000)], contract_ref="HT-9", effective_on=today_shanghai(),
        actor=owner,
    )  # fmt: skip
    db.session.flush()
    response = api(buyer).patch(
        f"/api/v1/assets/{asset.id}",
        json={"owners": [{"org_id": buyer.organization_id, "share_bp": 5000}, {"org_id": other.id, "share_bp": 5000}]},
    )  # fmt: skip
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "owners_locked"
    # Other fields can still be edited.
    assert (
        api(buyer).patch(f"/api/v1/assets/{asset.id}", json={"title_en": "Still editable"}).status_code == 200
    )


def test_a_co_owned_asset_after_a_transfer_changes_owners_only_by_proposal(api, db, owner, asset):
    partner = OrganizationFactory()
    services.record_transfer(
        asset,
        [OwnerShare(owner.organization_id, 5000), OwnerShare(partner.id, 5000)],
        contract_ref="HT-9",
        effective_on=today_shanghai(),
        actor=owner,
    )
    db.session.flush()
    response = api(owner).patch(
        f"/api/v1/assets/{asset.id}", json={"owners": [{"org_id": owner.organization_id, "share_bp": 10000}]}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "ownership_proposal_required"


def test_close_committed_deal_frees_the_asset(db, owner, asset):
    services.record_committed_deal(asset, DealTerms("equity"), reference="HT-E", actor=owner)
    assert not check_deal(asset, DealTerms("license", license_type="sole")).ok
    services.close_committed_deal(
        asset, reference="HT-E", released_on=today_shanghai(), note="合同解除", actor=owner
    )
    assert check_deal(asset, DealTerms("license", license_type="sole")).ok


def test_deal_check_endpoint(api, db, owner, asset):
    EncumbranceFactory(asset=asset, pledge=True)
    caller = api(owner)
    response = caller.get(f"/api/v1/assets/{asset.id}/deal-check?deal_kind=transfer")
    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] is False and data["reasons"][0]["code"] == "pledged" and data["reasons"][0]["message"]
    data = caller.get(f"/api/v1/assets/{asset.id}/deal-check?deal_kind=license&license_type=sole").get_json()
    assert data["ok"] is False and data["reasons"][0]["code"] == "pledged"
    data = caller.get(
        f"/api/v1/assets/{asset.id}/deal-check?deal_kind=license&license_type=non_exclusive"
    ).get_json()
    assert data["ok"] is True and data["warnings"][0]["code"] == "pledgee_consent_needed"
    response = caller.get(f"/api/v1/assets/{asset.id}/deal-check?deal_kind=license")
    assert response.status_code == 422 and "license_type" in response.get_json()["error"]["fields"]
    response = caller.get(
        f"/api/v1/assets/{asset.id}/deal-check?deal_kind=license&license_type=sole&term_start=x"
    )
    assert response.status_code == 422 and "term_start" in response.get_json()["error"]["fields"]


def test_web_forms_record_a_pledge_in_yuan_and_a_licence(client, db, login_as, owner, asset):
    login_as(owner)
    response = client.post(
        f"/assets/{asset.id}/encumbrances?form=pledge",
        data={"pledge-kind": "pledge", "pledge-counterparty": "哈尔滨银行", "pledge-amount": "8,000,000.00"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/assets/{asset.id}/encumbrances?form=license",
        data={
            "license-kind": "license",
            "license-license_type": "non_exclusive",
            "license-counterparty": "绥化大豆蛋白有限公司",
            "license-territory": "绥化市",
            "license-term_start": "2026-01-01",
            "license-term_end": "2030-12-31",
        },
    )
    assert response.status_code == 302
    pledge, licence = asset.encumbrances
    assert (pledge.kind, pledge.amount_fen, pledge.counterparty) == ("pledge", 800_000_000, "哈尔滨银行")
    assert (licence.license_type, licence.territory, licence.term_end) == (
        "non_exclusive",
        "绥化市",
        date(2030, 12, 31),
    )
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "800.00 万元" in page and "绥化大豆蛋白有限公司" in page
