"""The negotiation pages: make an offer from the listing, my negotiations, the offer
page (versions side by side, the actions of the side whose turn it is, the thread),
and mandates."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from marketplace.contracts.models import Contract
from marketplace.notifications.models import Notification
from marketplace.offers.models import Mandate, Offer
from marketplace.offers.services import TermsInput, counter_offer
from marketplace.storage.uploads import Attachment
from tests import factories

PDF = b"%PDF-1.4\n% test\n"


def _csrf(html: str) -> str:
    """The form's token (CSRF checks are off in tests, so there may be none)."""
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    return found.group(1) if found else ""


def test_the_listing_page_links_to_the_offer_form_for_buyers_only(client, login_as, world, english):
    login_as(world.buyer)
    page = client.get(f"/listings/{world.listing.id}").get_data(as_text=True)
    assert f"/listings/{world.listing.id}/offer" in page
    login_as(world.seller)
    page = client.get(f"/listings/{world.listing.id}").get_data(as_text=True)
    assert f"/listings/{world.listing.id}/offer" not in page
    assert client.get(f"/listings/{world.listing.id}/offer").status_code == 404


def test_a_buyer_makes_an_offer_in_yuan_and_lands_on_the_offer_page(client, login_as, world, english, db):
    login_as(world.buyer)
    form = client.get(f"/listings/{world.listing.id}/offer").get_data(as_text=True)
    response = client.post(
        f"/listings/{world.listing.id}/offer",
        data={
            "csrf_token": _csrf(form),
            "terms-deal_kind": "transfer",
            "terms-price_fen": "3,000,000.00",
            "message": "我们希望尽快签约。",
        },
    )
    assert response.status_code == 302
    offer = db.session.scalar(select(Offer).where(Offer.listing_id == world.listing.id))
    assert offer.latest.price_fen == 300_000_000 and offer.turn == "seller"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "我们希望尽快签约。" in page
    assert "Waiting for the other side to answer." in page
    assert "/accept" not in page  # not the buyer's turn: no accept button
    assert "/withdraw" in page  # an offer can be withdrawn until accepted


def test_a_bad_offer_form_shows_the_message_next_to_the_field(client, login_as, world, english, db):
    licence_only = factories.ListingFactory(seller=world.seller, published=True)
    login_as(world.buyer)
    form = client.get(f"/listings/{licence_only.id}/offer").get_data(as_text=True)
    response = client.post(
        f"/listings/{licence_only.id}/offer",
        data={"csrf_token": _csrf(form), "terms-deal_kind": "license", "terms-license_type": "sole",
              "terms-royalty_bp": "120", "expires_on": "2001-01-01"},
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "percentage from 0 % to 100 %" in page
    # The service's rule on the date comes in the same answer as the field's message,
    # and trying it stored nothing and told nobody.
    assert "The expiry date is in the past." in page
    assert db.session.scalar(select(func.count(Offer.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_the_offer_page_shows_versions_side_by_side_with_changes_marked(
    client, login_as, world, offer_on, english
):
    offer = offer_on(world.listing, world.buyer, {"deal_kind": "transfer", "price_fen": 300_000_000})
    counter_offer(offer, TermsInput(deal_kind="transfer", price_fen=450_000_000), actor=world.seller)
    login_as(world.seller)
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "Version 1" in page and "Version 2" in page
    assert page.count('class="changed"') == 1
    assert "4,500,000.00" in page and "3,000,000.00" in page
    assert "/accept" not in page and "/reject" not in page  # the buyer's turn now
    login_as(world.buyer)
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert f"/offers/{offer.id}/accept" in page and "data-confirm" in page
    assert f"/offers/{offer.id}/reject" not in page


def test_accepting_twice_from_the_page_makes_one_contract(client, login_as, world, offer_on, db, english):
    offer = offer_on(world.listing, world.buyer, {"deal_kind": "transfer", "price_fen": 300_000_000})
    login_as(world.seller)
    token = _csrf(client.get(f"/offers/{offer.id}").get_data(as_text=True))
    first = client.post(f"/offers/{offer.id}/accept", data={"csrf_token": token})
    second = client.post(f"/offers/{offer.id}/accept", data={"csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/contracts/{offer.contract_id}"
    assert db.session.scalar(select(func.count(Contract.id))) == 1


def test_messages_with_attachments_and_checked_types(client, login_as, world, offer_on, db, english):
    offer = offer_on(world.listing, world.buyer)
    login_as(world.seller)
    token = _csrf(client.get(f"/offers/{offer.id}").get_data(as_text=True))
    response = client.post(
        f"/offers/{offer.id}/messages",
        data={
            "csrf_token": token,
            "body": "请查看附件中的检测报告。",
            "files": (io.BytesIO(PDF), "检测报告.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    refused = client.post(
        f"/offers/{offer.id}/messages",
        data={"csrf_token": token, "body": "脚本", "files": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Only PDF, PNG and JPEG files are accepted." in refused.get_data(as_text=True)
    attachment = db.session.scalar(select(Attachment).where(Attachment.subject_type == "offer_message"))
    login_as(world.buyer)
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "请查看附件中的检测报告。" in page and "检测报告.pdf" in page
    download = client.get(f"/offers/{offer.id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    login_as(world.third_buyer)
    assert client.get(f"/offers/{offer.id}/attachments/{attachment.id}").status_code == 404


def test_my_negotiations_lists_only_mine(client, login_as, world, offer_on, english):
    offer_on(world.listing, world.buyer)
    login_as(world.seller)
    page = client.get("/offers").get_data(as_text=True)
    assert world.listing.title in page and "Yours" in page
    login_as(world.third_buyer)
    page = client.get("/offers").get_data(as_text=True)
    assert world.listing.title not in page


def test_mandates_page_propose_then_accept(client, login_as, db, english):
    agency_user = factories.user_with_role("agency")
    buyer = login_as("buyer")
    page = client.get("/mandates").get_data(as_text=True)
    response = client.post(
        "/mandates",
        data={"csrf_token": _csrf(page), "agency_org_id": agency_user.organization_id, "commission_bp": "4.5",
              "valid_to": "2099-01-01"},
    )  # fmt: skip
    assert response.status_code == 422  # more than five years
    response = client.post(
        "/mandates",
        data={"csrf_token": _csrf(page), "agency_org_id": agency_user.organization_id, "commission_bp": "4.5",
              "valid_to": ""},
    )  # fmt: skip
    assert response.status_code == 422
    mandate_count = db.session.scalar(select(func.count(Mandate.id)))
    assert mandate_count == 0
    from datetime import timedelta

    from marketplace.core.timeutil import today_shanghai
    from marketplace.offers.services import propose_mandate

    mandate = propose_mandate(agency_org_id=agency_user.organization_id, commission_bp=450, valid_from=None,
                              valid_to=today_shanghai() + timedelta(days=200), actor=buyer)  # fmt: skip
    login_as(agency_user)
    page = client.get("/mandates").get_data(as_text=True)
    assert buyer.organization.name in page and "4.50 %" in page
    assert "/contracts/new" in page  # the offline-deal flow of the contracts domain
    client.post(f"/mandates/{mandate.id}/accept", data={"csrf_token": _csrf(page)})
    assert db.session.get(Mandate, mandate.id).status == "active"
