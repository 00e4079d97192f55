"""Public pages are the same for every visitor: a shared cache may keep them, and
they answer conditional requests. Pages of a session are the visitor's own."""

from __future__ import annotations

import pytest

from tests import factories

PUBLIC_PAGES = (
    "/",
    "/listings",
    "/listings?q=大豆",
    "/demands",
    "/targets",
    "/verify",
    "/biddings",
    "/network/",
    "/network/compare",
    "/policies/",
    "/providers/",
)


@pytest.fixture
def listing(db):
    listing = factories.ListingFactory(published=True)
    db.session.flush()
    return listing


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_may_be_kept_by_a_shared_cache_and_revalidated(app, db, path):
    visitor = app.test_client(use_cookies=False)
    page = visitor.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == f"public, max-age={app.config['PAGE_PUBLIC_MAX_AGE']}"
    assert "Set-Cookie" not in page.headers
    assert "Cookie" in page.headers["Vary"]
    again = visitor.get(path, headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_listing_page_is_public_to_a_visitor_and_private_to_its_seller(app, db, listing, login_as):
    visitor = app.test_client(use_cookies=False)
    page = visitor.get(f"/listings/{listing.id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in page.headers
    seller_page = app.test_client()
    with seller_page.session_transaction() as session:
        session["_user_id"] = str(listing.created_by_id)
        session["_fresh"] = True
    own = seller_page.get(f"/listings/{listing.id}")
    assert own.status_code == 200
    assert own.headers["Cache-Control"] == "no-store"


def test_a_page_that_starts_a_session_is_the_visitors_own(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    visitor = app.test_client(use_cookies=False)
    login = visitor.get("/login")  # its form writes a token to a new session
    assert login.status_code == 200
    assert "Set-Cookie" in login.headers
    assert login.headers["Cache-Control"] == "private, no-cache"


def test_a_visitor_with_a_session_gets_private_pages(app, db):
    visitor = app.test_client()
    visitor.post("/lang/en")
    page = visitor.get("/listings")
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert 'lang="en"' in page.get_data(as_text=True)


def test_a_page_changes_its_etag_when_its_content_changes(app, db):
    visitor = app.test_client(use_cookies=False)
    before = visitor.get("/listings").headers["ETag"]
    factories.ListingFactory(published=True, title_zh="新发布的寒地水稻育种技术")
    db.session.flush()
    from marketplace.search.service import reindex

    reindex()
    after = visitor.get("/listings", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert "新发布的寒地水稻育种技术" in after.get_data(as_text=True)
