"""The demo negotiations: every state, an anonymous buyer, agencies under mandates,
threads in Chinese, a contract draft from an accepted offer; a second run adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.demo import accounts, ip, listings, offers
from marketplace.demo.context import DemoContext
from marketplace.offers.models import Mandate, Offer, OfferMessage, OfferVersion


def test_demo_negotiations_cover_every_state_and_run_twice(db, app):
    messages = []
    ctx = DemoContext(echo=messages.append)
    for seeder in (accounts.seed, ip.seed, listings.seed, offers.seed):
        seeder(ctx)  # as `flask demo seed` runs them: no request
    assert not [m for m in messages if "skipped" in m], messages
    all_offers = db.session.scalars(select(Offer)).all()
    assert len(all_offers) == len(offers.OFFERS)
    assert {o.status for o in all_offers} == {
        "open",
        "countered",
        "accepted",
        "rejected",
        "withdrawn",
        "expired",
    }
    assert any(len(o.versions) >= 3 for o in all_offers if o.status == "countered")
    assert all(o.contract_id for o in all_offers if o.status == "accepted")
    assert any(o.anonymous and o.buyer_hidden for o in all_offers)
    assert any(o.buyer_agency_org_id for o in all_offers) and any(o.seller_agency_org_id for o in all_offers)
    assert {m.status for m in db.session.scalars(select(Mandate))} == {"active", "proposed", "revoked"}
    bodies = db.session.scalars(select(OfferMessage.body)).all()
    assert len(bodies) >= 8 and all(any("\u4e00" <= ch <= "\u9fff" for ch in b) for b in bodies)
    counts = [
        db.session.scalar(select(func.count(m.id))) for m in (Offer, OfferVersion, OfferMessage, Mandate)
    ]
    offers.seed(DemoContext(echo=lambda *_: None, orgs=ctx.orgs, users=ctx.users))
    assert [
        db.session.scalar(select(func.count(m.id))) for m in (Offer, OfferVersion, OfferMessage, Mandate)
    ] == counts
