"""Owners' shares typed in percent on the asset pages; the API keeps basis points."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.ip.forms import OwnerForm, OwnerWebForm


def _row(app, form_cls, share):
    with app.test_request_context("/?lang=en"):
        form = form_cls(formdata=MultiDict({"org_id": "1", "share_bp": share}))
        ok = form.validate()
        return ok, form.share_bp.data, [str(m) for m in form.errors.get("share_bp", [])]


@pytest.mark.parametrize(
    ("typed", "bp"), [("100", 10000), ("12.34", 1234), ("50%", 5000), ("33.33 %", 3333), ("0.01", 1)]
)
def test_a_share_is_typed_in_percent(app, typed, bp):
    ok, data, errors = _row(app, OwnerWebForm, typed)
    assert ok, errors
    assert data == bp


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "from 0.01 % to 100 %"),
        ("12.345", "two decimals at most"),
        ("-5", "from 0.01 % to 100 %"),
        ("100.5", "from 0.01 % to 100 %"),
        ("5000", "from 0.01 % to 100 %"),
    ],
)
def test_a_bad_share_is_refused_in_percent(app, typed, message):
    ok, data, errors = _row(app, OwnerWebForm, typed)
    assert not ok and data is None
    assert any(message in m for m in errors), errors


def test_the_api_row_still_reads_basis_points(app):
    ok, data, errors = _row(app, OwnerForm, "5000")
    assert ok and data == 5000, errors


def test_typing_100_on_the_asset_page_means_the_whole_asset(client, db, login_as):
    from sqlalchemy import select

    from marketplace.ip.models import IpAsset

    from .test_assets import body, form

    seller = login_as("seller")
    response = client.post("/assets/new", data=form(body(), owners=[(seller.organization_id, "100")]))
    assert response.status_code == 302, response.get_data(as_text=True)
    asset = db.session.scalar(select(IpAsset))
    assert [(o.org_id, o.share_bp) for o in asset.owners] == [(seller.organization_id, 10000)]
