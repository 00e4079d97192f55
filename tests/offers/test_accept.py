"""Acceptance: the contract draft with the agreed terms, the deal committed on each
asset, the listing closed for whole-right deals, the exclusivity rule enforced."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.contracts.models import Contract
from marketplace.ip.models import Encumbrance
from marketplace.offers import services
from marketplace.offers.models import Offer
from marketplace.offers.services import TermsInput
from tests import factories
from tests.offers.conftest import published_listing


def test_accepting_a_transfer_creates_the_contract_commits_the_deal_and_closes_the_listing(
    world, offer_on, api, db
):
    rival = offer_on(world.listing, world.third_buyer)
    offer = offer_on(world.listing, world.buyer, {"deal_kind": "transfer", "price_fen": 300_000_000})
    services.counter_offer(offer, TermsInput(deal_kind="transfer", price_fen=420_000_000), actor=world.seller)
    response = api(world.buyer).post(f"/api/v1/offers/{offer.id}/accept")
    assert response.status_code == 200
    contract = db.session.get(Contract, response.get_json()["contract_id"])
    assert contract.source == "offer" and contract.source_ref == f"offer:{offer.id}"
    assert contract.seller_org_id == world.seller.organization_id
    assert contract.buyer_org_id == world.buyer.organization_id
    assert contract.turnover_fen == 420_000_000 and contract.category == "transfer_patent"
    assert contract.terms["deal_kind"] == "transfer" and contract.terms["price_fen"] == 420_000_000
    assert contract.terms["offer_version"] == 2
    # The buyer's agency brokered: its commission is on the deal, for payments.
    assert contract.agency_org_id == world.buyer_agent.organization_id
    assert contract.terms["agency_commission_bp"] == 500
    assert {a["side"] for a in contract.terms["agencies"]} == {"buyer", "seller"}
    deals = db.session.scalars(select(Encumbrance).where(Encumbrance.reference == f"offer:{offer.id}")).all()
    assert [(d.kind, d.deal_kind) for d in deals] == [("committed_deal", "transfer")]
    assert world.listing.status == "closed"
    assert db.session.get(Offer, rival.id).status == "rejected"


def test_a_non_exclusive_licence_leaves_the_listing_open(world, offer_on, api, db):
    offer = offer_on(world.listing, world.buyer)
    assert api(world.seller).post(f"/api/v1/offers/{offer.id}/accept").status_code == 200
    assert world.listing.status == "published"
    contract = db.session.get(Contract, db.session.get(Offer, offer.id).contract_id)
    assert contract.category == "license_patent" and contract.terms["license_type"] == "non_exclusive"


def test_an_exclusive_licence_already_granted_refuses_the_deal(world, api, db, offer_on):
    listing = published_listing(
        world.seller, deal_terms=[{"deal_kind": "license", "license_type": "exclusive", "upfront_fen": 1}]
    )
    offer = offer_on(
        listing, world.buyer, {"deal_kind": "license", "license_type": "exclusive", "upfront_fen": 50_000_000}
    )
    factories.EncumbranceFactory(
        asset=listing.assets[0], license_type="exclusive", counterparty="先行被许可方"
    )
    response = api(world.seller).post(f"/api/v1/offers/{offer.id}/accept", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "deal_excluded"
    assert "先行被许可方" in response.get_json()["error"]["message"]
    assert db.session.get(Offer, offer.id).status == "open"
    assert db.session.scalar(select(func.count(Contract.id))) == 0


def test_two_exclusive_deals_on_one_asset_through_two_listings(world, api, db, offer_on):
    asset = factories.IpAssetFactory(owned_by=world.seller.organization)
    terms = [{"deal_kind": "license", "license_type": "exclusive", "upfront_fen": 1}]
    first = published_listing(world.seller, deal_terms=terms, assets=[asset])
    second = published_listing(world.seller, deal_terms=terms, assets=[asset])
    exclusive = {"deal_kind": "license", "license_type": "exclusive", "upfront_fen": 9}
    a = offer_on(first, world.buyer, exclusive)
    b = offer_on(second, world.third_buyer, exclusive)
    assert api(world.seller).post(f"/api/v1/offers/{a.id}/accept").status_code == 200
    response = api(world.seller).post(f"/api/v1/offers/{b.id}/accept")
    assert response.status_code == 409
    assert db.session.get(Offer, b.id).status == "open"
    assert db.session.scalar(select(func.count(Contract.id))) == 1


def test_an_agency_makes_and_answers_offers_for_its_client(world, api, db):
    listing = world.listing
    response = api(world.buyer_agent).post(
        f"/api/v1/listings/{listing.id}/offers",
        json={"terms": {"deal_kind": "transfer", "price_fen": 280_000_000},
              "client_org_id": world.buyer.organization_id},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["buyer"]["org_id"] == world.buyer.organization_id
    assert body["agencies"]["buyer"]["org_id"] == world.buyer_agent.organization_id
    assert body["versions"][0]["author"] == world.buyer_agent.organization.name
    offer_id = body["id"]
    response = api(world.seller_agent).post(
        f"/api/v1/offers/{offer_id}/counter",
        json={"terms": {"deal_kind": "transfer", "price_fen": 350_000_000}},
    )
    assert response.status_code == 200
    response = api(world.buyer_agent).post(f"/api/v1/offers/{offer_id}/accept")
    assert response.status_code == 200
    contract = db.session.get(Contract, response.get_json()["contract_id"])
    assert contract.agency_org_id == world.buyer_agent.organization_id


def test_an_agency_without_a_mandate_cannot_offer_for_a_client(world, api):
    stranger = factories.user_with_role("agency")
    response = api(stranger).post(
        f"/api/v1/listings/{world.listing.id}/offers",
        json={
            "terms": {"deal_kind": "transfer", "price_fen": 1},
            "client_org_id": world.buyer.organization_id,
        },
    )
    assert response.status_code == 422
    assert "client_org_id" in response.get_json()["error"]["fields"]


def test_mandate_lifecycle_through_the_api(api, db):
    agency = factories.user_with_role("agency")
    seller = factories.user_with_role("seller")
    body = {"agency_org_id": agency.organization_id, "commission_bp": 600, "valid_to": "2027-06-30"}
    response = api(seller).post("/api/v1/mandates", json=body)
    assert response.status_code == 201
    mandate = response.get_json()
    assert mandate["side"] == "seller" and mandate["status"] == "proposed" and not mandate["in_force"]
    assert api(seller).post("/api/v1/mandates", json=body).status_code == 409
    assert api(seller).post(f"/api/v1/mandates/{mandate['id']}/accept").status_code == 403
    response = api(agency).post(f"/api/v1/mandates/{mandate['id']}/accept")
    assert response.status_code == 200 and response.get_json()["in_force"] is True
    assert api(agency).post(f"/api/v1/mandates/{mandate['id']}/accept").status_code == 409
    assert api(seller).post(f"/api/v1/mandates/{mandate['id']}/revoke").get_json()["status"] == "revoked"
    bad = api(seller).post("/api/v1/mandates", json={**body, "commission_bp": 20000})
    assert bad.status_code == 422 and "commission_bp" in bad.get_json()["error"]["fields"]
    assert api(factories.user_with_role("regulator")).post("/api/v1/mandates", json=body).status_code == 403


def test_the_expire_command(app, world, offer_on, db):
    from datetime import timedelta

    from marketplace.core.timeutil import today_shanghai

    offer = offer_on(world.listing, world.buyer)
    fresh = offer_on(world.listing, world.third_buyer)
    offer.expires_on = today_shanghai() - timedelta(days=1)
    db.session.flush()
    assert services.expire_due_offers() == 1
    assert offer.status == "expired" and fresh.status == "open"
    assert services.expire_due_offers() == 0
    result = app.test_cli_runner().invoke(args=["offers", "expire"])
    assert result.exit_code == 0 and "0 expired" in result.output
