"""The API's reads answer conditional requests and say who may cache them."""

from __future__ import annotations

from tests import factories


def test_a_public_read_has_an_etag_and_answers_304_when_unchanged(client, db):
    listing = factories.ListingFactory(published=True)
    db.session.commit()
    first = client.get(f"/api/v1/listings/{listing.id}")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "Accept-Language" in first.headers["Vary"]
    again = client.get(f"/api/v1/listings/{listing.id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_the_etag_changes_when_the_answer_does(client, db):
    listing = factories.ListingFactory(published=True)
    db.session.commit()
    etag = client.get(f"/api/v1/listings/{listing.id}").headers["ETag"]
    listing.title_zh = "寒地水稻节水灌溉技术"
    db.session.commit()
    changed = client.get(f"/api/v1/listings/{listing.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["title_zh"] == "寒地水稻节水灌溉技术"


def test_a_token_holders_answer_is_private(api, db):
    buyer = factories.user_with_role("buyer")
    answer = api(buyer).get("/api/v1/workbench")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-cache"
    again = api(buyer).get("/api/v1/workbench", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_refusals_and_writes_carry_no_etag(client, api, db):
    missing = client.get("/api/v1/listings/999999")
    assert missing.status_code == 404 and "ETag" not in missing.headers
    buyer = factories.user_with_role("buyer")
    created = api(buyer).post("/api/v1/demands", json={})
    assert created.status_code >= 400 and "ETag" not in created.headers
