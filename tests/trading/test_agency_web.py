"""An agency enrols a buyer it represents (a buyer mandate in force) in a bidding on the
web page, and bids for it; no mandate, no client to choose."""

from __future__ import annotations

from datetime import timedelta

from tests import factories

from .conftest import T0
from .factories import START, make_session

OPEN = T0 + timedelta(days=8, hours=1)


def test_an_agency_enrols_its_client_and_bids_for_it_on_the_page(world, client, login_as, clock):
    client_buyer = world.buyers[1]
    broker = factories.user_with_role("agency")
    factories.MandateFactory(agency=broker.organization, client=client_buyer.organization, side="buyer")
    other = factories.OrganizationFactory(kind="enterprise")
    factories.MandateFactory(agency=broker.organization, client=other, side="buyer", status="revoked")
    s = make_session(world.listing, world.seller, T0)
    login_as(broker)
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert 'id="client-enrol"' in page and client_buyer.organization.name in page
    assert other.name not in page  # no mandate in force
    # A client that is not the agency's is refused (not among the choices).
    r = client.post(f"/biddings/{s.id}/enrol?lang=en", data={"client_org_id": str(other.id)})
    assert r.status_code == 422 and not s.enrolments
    r = client.post(f"/biddings/{s.id}/enrol", data={"client_org_id": str(client_buyer.organization_id)})
    assert r.status_code == 302 and r.headers["Location"].endswith("#client-bidding")
    (e,) = s.enrolments
    assert (e.org_id, e.agency_org_id) == (client_buyer.organization_id, broker.organization_id)
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert e.deposit.reference in page and 'id="client-enrol"' not in page
    login_as(world.seller)
    assert client.post(f"/biddings/{s.id}/deposits/{e.deposit.id}/confirm").status_code == 302
    login_as(broker)
    clock.set(OPEN)
    page = client.get(f"/biddings/{s.id}?lang=zh").get_data(as_text=True)
    assert f'id="client-bid-{client_buyer.organization_id}"' in page
    r = client.post(
        f"/biddings/{s.id}/bid",
        data={"amount_fen": "1000000", "client_org_id": str(client_buyer.organization_id)},
    )
    assert r.status_code == 302 and s.current_price_fen == START and s.leader_enrolment_id == e.id
    # Without the client, the agency itself is no bidder.
    r = client.post(f"/biddings/{s.id}/bid", data={"amount_fen": "1100000"})
    assert r.status_code == 409 and s.current_price_fen == START


def test_a_buyer_sees_no_client_section(world, client, login_as, clock):
    s = make_session(world.listing, world.seller, T0)
    login_as(world.buyers[0])
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert 'id="client-bidding"' not in page


def test_the_listings_own_agency_does_not_bid_for_a_buyer(world, client, login_as, api, clock):
    """The listing's agency sees the secret reserve and confirms deposits: it enrols no buyer."""
    client_buyer = world.buyers[1]
    factories.MandateFactory(agency=world.agent.organization, client=client_buyer.organization, side="buyer")
    s = make_session(world.listing, world.seller, T0, reserve_fen=START * 2)
    login_as(world.agent)
    page = client.get(f"/biddings/{s.id}?lang=en").get_data(as_text=True)
    assert 'id="client-bidding"' not in page
    r = api(world.agent).post(
        f"/api/v1/biddings/{s.id}/enrol", json={"client_org_id": client_buyer.organization_id}
    )
    assert r.status_code == 403 and not s.enrolments
