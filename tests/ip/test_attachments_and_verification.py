"""Attachments (type and size checked, removal confirmed) and the agency's verification badge."""

from __future__ import annotations

import io
import re

import pytest

from marketplace.core.models import audit_trail
from marketplace.storage.uploads import attachments_of

from ..factories import IpAssetFactory, user_with_role

PDF = b"%PDF-1.4\n% certificate\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def owner(db):
    return user_with_role("seller")


@pytest.fixture
def asset(owner):
    return IpAssetFactory(owned_by=owner.organization)


def upload(client, asset, content, name):
    return client.post(
        f"/assets/{asset.id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_owner_uploads_pdf_and_png_and_removes_one(client, db, login_as, owner, asset):
    login_as(owner)
    assert upload(client, asset, PDF, "授权证书.pdf").status_code == 200
    assert upload(client, asset, PNG, "drawing.png").status_code == 200
    files = attachments_of(asset)
    assert [(f.original_name, f.content_type) for f in files] == [
        ("授权证书.pdf", "application/pdf"),
        ("drawing.png", "image/png"),
    ]
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    # Removing asks for confirmation first, naming the file.
    assert re.search(r'attachments/\d+/remove" class="inline-form" data-confirm="[^"]*授权证书\.pdf', page)
    path = files[0].path
    assert path.exists()
    response = client.post(f"/assets/{asset.id}/attachments/{files[0].id}/remove")
    assert response.status_code == 302
    assert [f.original_name for f in attachments_of(asset)] == ["drawing.png"]
    assert not path.exists()
    actions = [e.action for e in audit_trail(asset)]
    assert actions.count("ip.attachment_added") == 2 and actions[-1] == "ip.attachment_removed"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 an exe", "virus.pdf", "Only PDF, PNG and JPEG"),
        (b"plain text", "notes.txt", "Only PDF, PNG and JPEG"),
        (b"", "empty.pdf", "empty"),
    ],
)
def test_wrong_type_or_empty_file_is_refused(
    client, db, english, login_as, owner, asset, content, name, message
):
    login_as(owner)
    page = upload(client, asset, content, name).get_data(as_text=True)
    assert message in page
    assert attachments_of(asset) == []


def test_too_large_file_is_refused(app, client, db, english, login_as, owner, asset, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    login_as(owner)
    page = upload(client, asset, PDF + b"0" * 2048, "big.pdf").get_data(as_text=True)
    assert "larger than" in page
    assert attachments_of(asset) == []


def test_agency_verifies_and_a_status_change_clears_it(client, api, db, english, login_as, owner, asset):
    agency = login_as("agency")
    form = client.get(f"/assets/{asset.id}/verify")
    assert form.status_code == 200
    response = client.post(f"/assets/{asset.id}/verify", data={"source": "other"})
    assert response.status_code == 200 and "Say which source" in response.get_data(as_text=True)
    assert not asset.is_verified
    response = client.post(
        f"/assets/{asset.id}/verify", data={"source": "cnipa_patent_search", "note": "2025年年费已缴纳"}
    )
    assert response.status_code == 302
    assert asset.is_verified and asset.verified_by_id == agency.id
    assert (
        asset.verification_source == "cnipa_patent_search" and asset.verification_note == "2025年年费已缴纳"
    )
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "verified" in page and agency.name in page
    data = api(owner).get(f"/api/v1/assets/{asset.id}").get_json()
    assert data["verification"]["source"] == "cnipa_patent_search"
    # An edit that keeps the status keeps the badge; a status change clears it.
    assert api(owner).patch(f"/api/v1/assets/{asset.id}", json={"title_en": "x"}).status_code == 200
    assert asset.is_verified
    assert api(owner).patch(f"/api/v1/assets/{asset.id}", json={"legal_status": "lapsed"}).status_code == 200
    assert not asset.is_verified and asset.verification_source is None
    assert [e.action for e in audit_trail(asset)].count("ip.asset_verified") == 1


def test_verify_api_validates_the_source(api, db, asset):
    agency = user_with_role("agency")
    response = api(agency).post(f"/api/v1/assets/{asset.id}/verify", json={"source": "rumour"})
    assert response.status_code == 422 and "source" in response.get_json()["error"]["fields"]
    response = api(agency).post(
        f"/api/v1/assets/{asset.id}/verify", json={"source": "ccpc", "note": "已核对"}
    )
    assert response.status_code == 200 and response.get_json()["verification"]["source"] == "ccpc"
