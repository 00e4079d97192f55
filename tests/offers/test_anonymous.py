"""An anonymous buyer's name never reaches the seller side before acceptance or reveal:
not on the page, in the API, in notifications, in e-mails or in file names."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from marketplace.notifications.models import Notification
from marketplace.offers import services
from marketplace.offers.services import TermsInput

PDF = b"%PDF-1.4\n% test\n"


def _seller_side_texts(world, client, login_as, api, offer):
    """Everything the seller side can read about the offer."""
    texts = []
    for user in (world.seller, world.seller_agent):
        login_as(user)
        texts.append(client.get(f"/offers/{offer.id}").get_data(as_text=True))
        texts.append(client.get("/offers").get_data(as_text=True))
        texts.append(client.get("/notifications").get_data(as_text=True))
        caller = api(user)
        texts.append(json.dumps(caller.get(f"/api/v1/offers/{offer.id}").get_json(), ensure_ascii=False))
        texts.append(json.dumps(caller.get("/api/v1/offers").get_json(), ensure_ascii=False))
        texts.append(
            json.dumps(caller.get(f"/api/v1/offers/{offer.id}/messages").get_json(), ensure_ascii=False)
        )
    return "\n".join(texts)


def test_the_seller_side_never_sees_an_anonymous_buyers_name(
    world, client, login_as, api, offer_on, outbox, db, request_ctx
):
    buyer_org = world.buyer.organization
    buyer_org.name = "绥化隐名大豆蛋白有限公司"
    db.session.flush()
    offer = offer_on(world.listing, world.buyer, anonymous=True, message="我方希望先了解技术细节。")
    response = api(world.buyer).post(
        f"/api/v1/offers/{offer.id}/messages",
        data={"body": "附上我方资料。", "files": (io.BytesIO(PDF), f"{buyer_org.name}需求说明.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    services.counter_offer(
        offer, TermsInput(deal_kind="license", license_type="non_exclusive", upfront_fen=30_000_000),
        actor=world.seller,
    )  # fmt: skip
    services.counter_offer(
        offer, TermsInput(deal_kind="license", license_type="non_exclusive", upfront_fen=25_000_000),
        actor=world.buyer_agent,
    )  # fmt: skip
    db.session.commit()

    seen = _seller_side_texts(world, client, login_as, api, offer)
    assert buyer_org.name not in seen
    assert world.buyer.name not in seen and world.buyer.email not in seen
    assert f'"org_id": {buyer_org.id}' not in seen
    assert "需求说明" not in seen  # the buyer's file name could name it
    assert "匿名买方" in seen or "Anonymous buyer" in seen
    # The buyer's agency acts openly (its part is visible), but it does not name its client.
    assert world.buyer_agent.organization.name in seen
    # What reached the seller side by notification and e-mail.
    seller_side = {world.seller.id, world.seller_agent.id}
    notes = db.session.scalars(select(Notification).where(Notification.user_id.in_(seller_side))).all()
    assert notes
    for note in notes:
        assert buyer_org.name not in note.text and buyer_org.name not in json.dumps(
            note.params, ensure_ascii=False
        )
    mails = [m for m in outbox if m[0] in (world.seller.email, world.seller_agent.email)]
    assert mails
    assert all(buyer_org.name not in subject + body for _to, subject, body in mails)
    # The buyer side sees its own name.
    assert api(world.buyer).get(f"/api/v1/offers/{offer.id}").get_json()["buyer"]["name"] == buyer_org.name


def test_revealing_or_accepting_shows_the_name(world, api, offer_on, db):
    offer = offer_on(world.listing, world.buyer, anonymous=True)
    assert api(world.seller).get(f"/api/v1/offers/{offer.id}").get_json()["buyer"]["name"] is None
    assert api(world.seller).post(f"/api/v1/offers/{offer.id}/reveal").status_code == 403
    response = api(world.buyer).post(f"/api/v1/offers/{offer.id}/reveal")
    assert response.status_code == 200 and response.get_json()["revealed"] is True
    assert api(world.seller).get(f"/api/v1/offers/{offer.id}").get_json()["buyer"]["name"] == (
        world.buyer.organization.name
    )
    assert api(world.buyer).post(f"/api/v1/offers/{offer.id}/reveal").status_code == 409

    other = offer_on(world.listing, world.third_buyer, anonymous=True)
    response = api(world.seller).post(f"/api/v1/offers/{other.id}/accept")
    assert response.status_code == 200
    assert response.get_json()["offer"]["buyer"]["name"] == world.third_buyer.organization.name
