"""A reviewer publishes a listing while its seller withdraws it (PostgreSQL row
locks), ROUNDS rounds over two real connections: the listing always ends
withdrawn (published then withdrawn, or withdrawn and the publication refused),
never published-and-withdrawn at once, and the next step works: the same asset
can be listed again and published."""

from __future__ import annotations

import pytest

from marketplace.extensions import db as _db
from marketplace.listings import services
from marketplace.listings.models import Listing
from marketplace.listings.services import ListingData, TermsData
from tests import factories
from tests.race import ROUNDS, act, audit_chain, committed, lead_of, race, rounds

pytestmark = pytest.mark.postgres


def _submitted() -> dict[str, int]:
    seller = factories.user_with_role("seller")
    listing = factories.ListingFactory(seller=seller, submitted=True)
    admin = factories.user_with_role("admin")
    return {"listing": listing.id, "seller": seller.id, "admin": admin.id}


def test_publish_against_a_withdrawal(app):
    with rounds(app):
        for round_no in range(ROUNDS):
            with committed(app):
                ids = _submitted()
            outcomes = race(
                app,
                act(Listing, ids["listing"], ids["admin"], services.publish_listing),
                act(Listing, ids["listing"], ids["seller"], services.withdraw_listing),
                lead=lead_of(round_no),
            )
            assert outcomes in (["ok", "ok"], ["invalid_transition", "ok"]), outcomes
            with app.test_request_context("/"):
                from marketplace.accounts.models import User

                listing = _db.session.get(Listing, ids["listing"])
                chain = audit_chain(listing)
                assert listing.status == "withdrawn" and listing.ended_at is not None
                published = outcomes[0] == "ok"
                assert [(step[1], step[2]) for step in chain] == (
                    [("submitted", "published"), ("published", "withdrawn")]
                    if published
                    else [("submitted", "withdrawn")]
                )
                seller = _db.session.get(User, ids["seller"])
                data = ListingData(
                    title_zh=listing.title_zh,
                    abstract_zh=listing.abstract_zh,
                    keywords=list(listing.keywords),
                    problem=listing.problem,
                    comparison=listing.comparison,
                    price_fen=listing.price_fen,
                    asset_ids=[a.id for a in listing.assets],
                    deal_terms=[TermsData(deal_kind="license", license_type="non_exclusive")],
                )
                again = services.create_listing(data, actor=seller)
                services.submit_listing(again, actor=seller)
                services.publish_listing(again, actor=_db.session.get(User, ids["admin"]))
                assert again.status == "published"
                _db.session.commit()
                _db.session.remove()
