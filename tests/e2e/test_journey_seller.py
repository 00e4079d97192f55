"""Journey 1: a university seller signs up, registers an invention patent, lists it
for a non-exclusive licence and an equity deal and submits it; the Harbin agency
reviews and publishes it. In Chinese, then in English."""

from __future__ import annotations

import pytest

from .conftest import shot
from .flows import (
    AGENCY,
    T,
    agency_publishes,
    list_for_licence_and_equity,
    log_in,
    open_page,
    register_invention,
    sign_up_university_seller,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_university_seller_lists_and_agency_publishes(page_factory, lang):
    t = T[lang]
    seller = open_page(page_factory, lang)
    if lang == "zh":
        shot(seller, "tour-home", full_page=False)
    sign_up_university_seller(seller, lang, shots=f"j1-{lang}")
    asset_title, number = register_invention(seller, lang, shots=f"j1-{lang}")
    title, url = list_for_licence_and_equity(seller, asset_title, lang, shots=f"j1-{lang}")

    # Submitted, not yet public: the search does not show it.
    seller.goto("/listings?q=" + title)
    assert seller.get_by_role("link", name=title).count() == 0

    agency = open_page(page_factory, lang)
    log_in(agency, AGENCY)
    agency_publishes(agency, title, lang, shots=f"j1-{lang}")
    if lang == "zh":
        shot(agency, "tour-listing", full_page=False)

    # The seller sees it published, with both deals and the asset's number.
    seller.goto(url)
    text = seller.locator("main").inner_text()
    assert t["published"] in text
    assert number in text
    for deal in ("许可", "作价入股") if lang == "zh" else ("Licence", "Equity"):
        assert deal in text
    assert seller.external_requests == []
    assert agency.external_requests == []
