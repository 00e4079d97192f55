"""Rates and shares typed in percent on the web forms, stored in basis points."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from marketplace.core.percent import bp_to_percent_text, parse_percent
from marketplace.listings.forms import TermsForm, TermsWebForm


@pytest.mark.parametrize(
    ("typed", "bp"),
    [
        ("0", 0),
        ("100", 10000),
        ("12.34", 1234),
        ("12.5", 1250),
        ("12.5 %", 1250),
        ("１２％", 1200),
        ("5%", 500),
    ],
)
def test_a_percentage_becomes_basis_points(typed, bp):
    assert parse_percent(typed) == bp


@pytest.mark.parametrize(
    ("bp", "shown"), [(0, "0"), (10000, "100"), (1234, "12.34"), (1250, "12.5"), (500, "5")]
)
def test_basis_points_are_shown_as_a_percentage(bp, shown):
    assert bp_to_percent_text(bp) == shown


def _terms(app, **fields):
    with app.test_request_context("/?lang=en"):
        form = TermsWebForm(formdata=MultiDict({"deal_kind": "license", **fields}), meta={"csrf": False})
        ok = form.validate()
        return ok, form, {k: [str(m) for m in v] for k, v in form.errors.items()}


@pytest.mark.parametrize(("typed", "bp"), [("0", 0), ("100", 10000), ("12.34", 1234), ("12.5", 1250)])
def test_royalty_is_typed_in_percent(app, typed, bp):
    ok, form, errors = _terms(app, royalty_bp=typed)
    assert ok, errors
    assert form.royalty_bp.data == bp
    assert form.to_data().royalty_bp == bp


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "two decimals at most"),
        ("-1", "from 0 % to 100 %"),
        ("100.01", "from 0 % to 100 %"),
        ("1500", "from 0 % to 100 %"),
        ("abc", "percentage such as 12.5"),
    ],
)
def test_a_bad_royalty_is_refused_in_percent(app, typed, message):
    ok, form, errors = _terms(app, royalty_bp=typed)
    assert not ok
    assert form.royalty_bp.data is None
    assert any(message in m for m in errors["royalty_bp"]), errors
    assert not any("basis point" in m for m in errors["royalty_bp"]), errors


def test_an_equity_share_is_at_least_a_hundredth_of_a_percent(app):
    ok, form, _errors = _terms(app, deal_kind="equity", equity_share_bp="0.01")
    assert ok and form.equity_share_bp.data == 1
    ok, _form, errors = _terms(app, deal_kind="equity", equity_share_bp="0")
    assert not ok and any("from 0.01 % to 100 %" in m for m in errors["equity_share_bp"]), errors


def test_the_edit_form_shows_stored_basis_points_as_percent(app):
    with app.test_request_context("/"):
        form = TermsWebForm(data={"deal_kind": "license", "royalty_bp": 1250}, meta={"csrf": False})
        assert form.royalty_bp._value() == "12.5%"
        assert 'inputmode="decimal"' in form.royalty_bp()


def test_the_api_form_keeps_basis_points(app):
    with app.test_request_context("/"):
        form = TermsForm(
            formdata=MultiDict({"deal_kind": "license", "royalty_bp": "1250"}), meta={"csrf": False}
        )
        assert form.validate() and form.royalty_bp.data == 1250
