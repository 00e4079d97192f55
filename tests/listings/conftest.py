"""Fixtures of the listings tests: an empty search index, and listings published
through the services so that the outbox puts them in the index."""

from __future__ import annotations

import pytest

from marketplace.listings import services
from marketplace.search import outbox
from marketplace.search.service import get_backend
from tests import factories


@pytest.fixture
def search_index(app, db):
    """The app's search backend, emptied (the index outlives each test's transaction)."""
    backend = get_backend()
    backend.rebuild([])
    yield backend
    backend.rebuild([])


@pytest.fixture
def seller(db):
    return factories.user_with_role("seller")


@pytest.fixture
def reviewer(db):
    return factories.user_with_role("admin")


@pytest.fixture
def publish(db, reviewer):
    """Publish a listing through the services and drain the outbox into the index."""

    def _publish(listing):
        if listing.status == "draft":
            services.submit_listing(listing, actor=listing.created_by)
        services.publish_listing(listing, actor=reviewer)
        db.session.commit()
        outbox.drain()
        return listing

    return _publish


def make_listing(seller, *, industry="agri_processing", kind="invention_patent", **kwargs):
    asset = factories.IpAssetFactory(owned_by=seller.organization, industry=industry, kind=kind)
    return factories.ListingFactory(seller=seller, assets=[asset], **kwargs)
