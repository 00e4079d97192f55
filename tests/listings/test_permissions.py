"""Permission matrix: each role and an outsider against each listing endpoint.
Invisible things answer 404."""

from __future__ import annotations

import pytest

from tests import factories

from .conftest import make_listing

ROLES = ("anonymous", "owner_seller", "owner_buyer", "other_seller", "buyer", "agency", "named_agency",
         "other_agency", "regulator", "admin", "pending_seller")  # fmt: skip


@pytest.fixture
def people(db):
    owner_org = factories.OrganizationFactory(kind="university")
    named = factories.OrganizationFactory(kind="agency")
    return {
        "anonymous": None,
        "owner_seller": factories.user_with_role("seller", org=owner_org),
        "owner_buyer": factories.user_with_role("buyer", org=owner_org),
        "pending_seller": factories.user_with_role("seller", org=owner_org, membership="pending"),
        "other_seller": factories.user_with_role("seller"),
        "buyer": factories.user_with_role("buyer"),
        "agency": factories.user_with_role("agency"),
        "named_agency": factories.user_with_role("agency", org=named),
        "other_agency": factories.user_with_role("agency"),
        "regulator": factories.user_with_role("regulator"),
        "admin": factories.user_with_role("admin"),
    }


def listing_in(state, people, *, named_agency=True):
    agency_id = people["named_agency"].organization_id if named_agency else None
    extra = {state: True} if state != "draft" else {}
    return make_listing(people["owner_seller"], agency_org_id=agency_id, **extra)


# Who sees a listing in each state (named agency on the listing).
SEES = {
    "draft": {"owner_seller", "owner_buyer", "named_agency", "admin"},
    "submitted": {"owner_seller", "owner_buyer", "named_agency", "admin"},
    "returned": {"owner_seller", "owner_buyer", "named_agency", "admin"},
    "published": set(ROLES),
    "closed": {"owner_seller", "owner_buyer", "named_agency", "admin"},
    "withdrawn": {"owner_seller", "owner_buyer", "named_agency", "admin"},
}


@pytest.mark.parametrize("state", list(SEES))
def test_who_sees_a_listing(api, client, login_as, people, state):
    listing = listing_in(state, people)
    for role in ROLES:
        user = people[role]
        r = api(user).get(f"/api/v1/listings/{listing.id}")
        expected = 200 if role in SEES[state] else 404
        assert r.status_code == expected, (role, state, r.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_web_detail_page_matches_the_api(client, login_as, people, role):
    listing = listing_in("submitted", people)
    if people[role] is not None:
        login_as(people[role])
    r = client.get(f"/listings/{listing.id}")
    assert r.status_code == (200 if role in SEES["submitted"] else 404)


def test_any_agency_reviews_a_listing_that_names_none(api, people):
    listing = listing_in("submitted", people, named_agency=False)
    assert api(people["agency"]).get(f"/api/v1/listings/{listing.id}").status_code == 200
    assert api(people["buyer"]).get(f"/api/v1/listings/{listing.id}").status_code == 404


# action -> (state it needs, who may do it)
ACTIONS = {
    "submit": ("draft", {"owner_seller"}),
    "publish": ("submitted", {"named_agency", "admin"}),
    "return": ("submitted", {"named_agency", "admin"}),
    "withdraw": ("published", {"owner_seller", "admin"}),
    "patch": ("draft", {"owner_seller"}),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_lifecycle_matrix(api, people, search_index, action, role):
    state, allowed = ACTIONS[action]
    listing = listing_in(state, people)
    caller = api(people[role])
    if action == "patch":
        r = caller.patch(f"/api/v1/listings/{listing.id}", json={"title_zh": "新标题"})
    else:
        r = caller.post(f"/api/v1/listings/{listing.id}/{action}", json={"reason": "请补充数据"})
    if role in allowed:
        assert r.status_code == 200, (role, action, r.get_json())
    else:
        visible = role in SEES[state]
        assert r.status_code == (403 if visible else 404), (role, action, r.status_code)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_anonymous_callers_need_a_token(api, people, action):
    listing = listing_in(ACTIONS[action][0], people)
    if action == "patch":
        r = api().patch(f"/api/v1/listings/{listing.id}", json={})
    else:
        r = api().post(f"/api/v1/listings/{listing.id}/{action}")
    assert r.status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_who_creates_listings_and_demands(api, people, role):
    user = people[role]
    r = api(user).post("/api/v1/listings", json={"asset_ids": [], "deal_terms": []})
    if role == "anonymous":
        assert r.status_code == 401
    else:
        assert r.status_code == (422 if role in ("owner_seller", "other_seller") else 403)
    r = api(user).post("/api/v1/demands", json={})
    if role == "anonymous":
        assert r.status_code == 401
    else:
        assert r.status_code == (422 if role in ("owner_buyer", "buyer") else 403)


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client, login_as, people, role):
    user = people[role]
    if user is not None:
        login_as(user)
    listing = listing_in("draft", people)
    expectations = {
        "/listings": 200,
        "/demands": 200,
        "/listings/new": 200 if role in ("owner_seller", "other_seller") else (302 if user is None else 404),
        f"/listings/{listing.id}/edit": 200 if role == "owner_seller" else (302 if user is None else 404),
        "/listings/review": 200
        if role in ("agency", "named_agency", "other_agency", "admin")
        else (302 if user is None else 404),
        "/demands/new": 200 if role in ("owner_buyer", "buyer") else (302 if user is None else 404),
        "/my/listings": 302 if user is None else 200,
    }
    for path, status in expectations.items():
        assert client.get(path).status_code == status, (role, path)


def test_review_queue_shows_what_the_agency_may_review(client, login_as, people):
    named = listing_in("submitted", people)
    open_one = listing_in("submitted", people, named_agency=False)
    login_as(people["other_agency"])
    html = client.get("/listings/review").get_data(as_text=True)
    assert f"/listings/{open_one.id}" in html and f"/listings/{named.id}" not in html
    login_as(people["named_agency"])
    html = client.get("/listings/review").get_data(as_text=True)
    assert f"/listings/{open_one.id}" in html and f"/listings/{named.id}" in html


def test_my_listings_shows_the_organization_listings(client, login_as, people):
    mine = listing_in("draft", people)
    theirs = make_listing(people["other_seller"])
    login_as(people["owner_seller"])
    html = client.get("/my/listings").get_data(as_text=True)
    assert f"/listings/{mine.id}" in html and f"/listings/{theirs.id}" not in html


@pytest.mark.parametrize("role", ["anonymous", "buyer", "other_seller"])
def test_asset_of_a_published_listing_is_public(people, role):
    from marketplace.ip.permissions import can_view_asset, is_publicly_listed

    draft = listing_in("draft", people)
    published = listing_in("published", people)
    withdrawn = listing_in("withdrawn", people)
    user = people[role]
    assert is_publicly_listed(published.assets[0]) and can_view_asset(user, published.assets[0])
    for listing in (draft, withdrawn):
        assert not is_publicly_listed(listing.assets[0])
        assert not can_view_asset(user, listing.assets[0])
