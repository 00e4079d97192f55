"""Royalties, equity shares and commissions typed in percent on the offer pages."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.offers.forms import MandateForm, MandateWebForm, OfferTermsWebForm


def _validate(app, form_cls, data):
    with app.test_request_context("/?lang=en"):
        form = form_cls(formdata=MultiDict(data), meta={"csrf": False})
        ok = form.validate()
        return ok, form, {k: [str(m) for m in v] for k, v in form.errors.items()}


@pytest.mark.parametrize(("typed", "bp"), [("0", 0), ("100", 10000), ("12.34", 1234)])
def test_offer_royalty_in_percent(app, typed, bp):
    ok, form, errors = _validate(app, OfferTermsWebForm, {"deal_kind": "license", "royalty_bp": typed})
    assert ok, errors
    assert form.to_input().royalty_bp == bp


@pytest.mark.parametrize("typed", ["12.345", "-1", "101"])
def test_offer_royalty_refused_in_percent(app, typed):
    ok, _form, errors = _validate(app, OfferTermsWebForm, {"deal_kind": "license", "royalty_bp": typed})
    assert not ok and "royalty_bp" in errors
    assert not any("basis point" in m for m in errors["royalty_bp"])


def test_offer_equity_share_in_percent(app):
    ok, form, errors = _validate(app, OfferTermsWebForm, {"deal_kind": "equity", "equity_share_bp": "12.5"})
    assert ok, errors
    assert form.equity_share_bp.data == 1250


@pytest.mark.parametrize(("typed", "bp"), [("0", 0), ("4.5", 450), ("100", 10000)])
def test_mandate_commission_in_percent(app, typed, bp):
    ok, form, errors = _validate(
        app, MandateWebForm, {"agency_org_id": "3", "commission_bp": typed, "valid_to": "2027-01-01"}
    )
    assert ok, errors
    assert form.commission_bp.data == bp


@pytest.mark.parametrize("typed", ["12.345", "-1", "450"])
def test_mandate_commission_refused_in_percent(app, typed):
    ok, _form, errors = _validate(
        app, MandateWebForm, {"agency_org_id": "3", "commission_bp": typed, "valid_to": "2027-01-01"}
    )
    assert not ok and errors["commission_bp"]
    assert not any("basis point" in m for m in errors["commission_bp"])


def test_the_api_mandate_form_keeps_basis_points(app):
    ok, form, errors = _validate(
        app, MandateForm, {"agency_org_id": "3", "commission_bp": "450", "valid_to": "2027-01-01"}
    )
    assert ok and form.commission_bp.data == 450, errors
