"""Who sees and changes what: every role against every page and API endpoint.
Invisible assets answer 404; visible but not changeable, 403."""

from __future__ import annotations

import io

import pytest

from marketplace.ip import permissions

from ..factories import EncumbranceFactory, IpAssetFactory, OrganizationFactory, user_with_role

ROLES = [
    "seller_owner",
    "seller_other_org",
    "buyer",
    "agency",
    "regulator_in_scope",
    "regulator_out_of_scope",
    "regulator_province",
    "admin",
    "anonymous",
]
VIEW = {"seller_owner", "agency", "regulator_in_scope", "regulator_province", "admin"}
EDIT = {"seller_owner"}
VERIFY = {"agency", "admin"}


def make_user(role: str, owner_org):
    if role == "anonymous":
        return None
    if role == "seller_owner":
        return user_with_role("seller", org=owner_org)
    if role == "seller_other_org":
        return user_with_role("seller")
    if role == "regulator_in_scope":
        return user_with_role("regulator", region="231000")  # Mudanjiang, where the owner is
    if role == "regulator_out_of_scope":
        return user_with_role("regulator", region="230600")  # Daqing
    if role == "regulator_province":
        return user_with_role("regulator", region="230000")
    return user_with_role(role)


@pytest.fixture
def world(db):
    owner_org = OrganizationFactory(kind="research_institute", region_code="231000")
    asset = IpAssetFactory(owned_by=owner_org)
    pledge = EncumbranceFactory(asset=asset, pledge=True)
    return owner_org, asset, pledge


def expected(role, allowed: set[str], *, ok: int) -> int:
    if role == "anonymous":
        return 302
    if role not in VIEW:
        return 404
    return ok if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_web_pages_matrix(app, client, db, login_as, world, role):
    owner_org, asset, pledge = world
    user = make_user(role, owner_org)
    if user is not None:
        login_as(user)
    a = asset.id
    checks = [
        ("get", f"/assets/{a}", {}, expected(role, VIEW, ok=200) if role != "anonymous" else 404),
        ("get", f"/assets/{a}/edit", {}, expected(role, EDIT, ok=200)),
        ("post", f"/assets/{a}/edit", {"title_zh": "改"}, expected(role, EDIT, ok=200)),
        (
            "post",
            f"/assets/{a}/encumbrances?form=pledge",
            {"pledge-kind": "pledge", "pledge-counterparty": "x", "pledge-amount": "1"},
            expected(role, EDIT, ok=302),
        ),
        (
            "post",
            f"/assets/{a}/encumbrances/{pledge.id}/release",
            {f"release{pledge.id}-released_on": "2025-01-01"},
            expected(role, EDIT, ok=302),
        ),
        ("post", f"/assets/{a}/attachments", {}, expected(role, EDIT, ok=302)),
        ("get", f"/assets/{a}/verify", {}, expected(role, VERIFY, ok=200)),
        ("post", f"/assets/{a}/verify", {"source": "ccpc"}, expected(role, VERIFY, ok=302)),
    ]
    for method, path, data, status in checks:
        response = getattr(client, method)(path, data=data)
        assert response.status_code == status, (role, method, path, response.status_code)
    # Lists: everyone logged in gets a page; only those who may see the asset find it on it.
    listing = client.get("/assets/mine")
    if role == "anonymous":
        assert listing.status_code == 302 and "/login" in listing.headers["Location"]
    else:
        assert listing.status_code == 200
        assert (asset.title_zh in listing.get_data(as_text=True)) == (role in VIEW), role
    create = client.get("/assets/new")
    assert create.status_code == (
        302 if role == "anonymous" else 200 if role.startswith("seller") else 403
    ), role
    # Nothing was changed by those not allowed.
    if role in EDIT:
        assert pledge.is_released and len(asset.encumbrances) == 2
    else:
        assert asset.title_zh != "改" and not pledge.is_released and len(asset.encumbrances) == 1
    if role not in VERIFY:
        assert not asset.is_verified


@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(api, db, world, role):
    owner_org, asset, pledge = world
    user = make_user(role, owner_org)
    caller = api(user)
    a = asset.id

    def status(allowed, ok):
        if role == "anonymous":
            return 401
        if role not in VIEW:
            return 404
        return ok if role in allowed else 403

    checks = [
        ("get", f"/api/v1/assets/{a}", None, status(VIEW, 200)),
        ("patch", f"/api/v1/assets/{a}", {"title_en": "Changed"}, status(EDIT, 200)),
        (
            "post",
            f"/api/v1/assets/{a}/encumbrances",
            {"kind": "pledge", "counterparty": "银行", "amount_fen": 100},
            status(EDIT, 201),
        ),
        (
            "post",
            f"/api/v1/assets/{a}/encumbrances/{pledge.id}/release",
            {"released_on": "2025-01-01"},
            status(EDIT, 200),
        ),
        ("post", f"/api/v1/assets/{a}/verify", {"source": "cnipa_patent_search"}, status(VERIFY, 200)),
        ("get", f"/api/v1/assets/{a}/deal-check?deal_kind=transfer", None, status(VIEW, 200)),
    ]
    for method, path, body, expected_status in checks:
        kwargs = {"json": body} if body is not None else {}
        response = getattr(caller, method)(path, **kwargs)
        assert response.status_code == expected_status, (role, method, path, response.get_json())
        assert response.is_json
    listing = caller.get("/api/v1/assets")
    if role == "anonymous":
        assert listing.status_code == 401
    else:
        ids = [item["id"] for item in listing.get_json()["items"]]
        assert (a in ids) == (role in VIEW), role


def test_unknown_asset_is_404_everywhere(api, client, db, login_as):
    admin = user_with_role("admin")
    assert api(admin).get("/api/v1/assets/999999").status_code == 404
    assert api(admin).get("/api/v1/assets/999999").get_json()["error"]["code"] == "not_found"
    login_as(admin)
    assert client.get("/assets/999999").status_code == 404


def test_public_listing_hook_opens_the_asset_to_anyone(db, world, monkeypatch):
    _org, asset, _pledge = world
    buyer = user_with_role("buyer")
    assert not permissions.can_view_asset(buyer, asset)
    monkeypatch.setattr(permissions, "is_publicly_listed", lambda a: a.id == asset.id)
    assert permissions.can_view_asset(buyer, asset)
    assert permissions.can_view_asset(None, asset)
    assert not permissions.can_view_asset_records(buyer, asset)
    assert not permissions.can_edit_asset(buyer, asset)


def test_pending_member_of_the_owner_cannot_edit(db, world):
    owner_org, asset, _ = world
    pending = user_with_role("seller", org=owner_org, membership="pending")
    assert not permissions.can_edit_asset(pending, asset)
    assert not permissions.can_view_asset(pending, asset)


def test_attachments_are_served_only_to_those_allowed(client, db, login_as, world, app):
    owner_org, asset, _ = world
    owner = login_as(user_with_role("seller", org=owner_org))
    client.post(
        f"/assets/{asset.id}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 certificate"), "证书.pdf")},
        content_type="multipart/form-data",
    )
    from marketplace.storage.uploads import attachments_of

    [attachment] = attachments_of(asset)
    url = f"/assets/{asset.id}/attachments/{attachment.id}"

    def fetch() -> int:
        response = client.get(url)
        response.close()
        return response.status_code

    assert fetch() == 200
    for role, status in (
        ("seller_other_org", 404),
        ("buyer", 404),
        ("regulator_out_of_scope", 404),
        ("agency", 200),
    ):
        login_as(make_user(role, owner_org))
        assert fetch() == status, role
    assert owner is not None
