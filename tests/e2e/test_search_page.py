"""The search page as a person sees it: results on the first screen (filters
beside them on a wide screen, behind a toggle on a phone), price buckets that
narrow the search, and an offer to post a demand when nothing matches."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.e2e

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
FILTERS = {"zh": "筛选", "en": "Filters"}
POST_DEMAND = {"zh": "发布需求", "en": "Post a demand"}
FOUND = {"zh": re.compile(r"(\d+)"), "en": re.compile(r"Technologies found: (\d+)")}
NOTHING_MATCHES = "qzxvwk 光刻胶"


def open_page(page_factory, lang: str, **size):
    """A new browser of that size speaking `lang` (at phone width the language
    button is in the menu behind the header's toggle)."""
    page = page_factory(**size)
    page.set_default_timeout(10_000)
    page.goto("/")
    if lang == "en":
        toggle = page.locator(".nav-toggle")
        if toggle.is_visible():
            toggle.click()
        page.get_by_role("button", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
    return page


def _found(page, lang: str) -> int:
    text = page.locator(".result-count").inner_text()
    match = FOUND[lang].search(text)
    assert match, text
    return int(match.group(1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_first_result_is_on_the_first_screen_of_a_wide_window(page_factory, lang):
    page = open_page(page_factory, lang, **WIDE)
    page.goto("/listings")
    first = page.locator(".result-list > li").first
    box = first.bounding_box()
    assert box is not None
    heading = first.locator("h2").bounding_box()
    assert heading["y"] >= 0 and heading["y"] + heading["height"] <= WIDE["height"], heading
    assert page.evaluate("window.scrollY") == 0
    # The filters sit beside the results (a left column), open.
    filters = page.locator(".search-filters").bounding_box()
    assert filters["x"] + filters["width"] <= box["x"], (filters, box)
    assert page.locator(".search-filters fieldset").first.is_visible()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone_shows_the_first_result_below_the_collapsed_filters(page_factory, lang):
    page = open_page(page_factory, lang, **PHONE)
    page.goto("/listings")
    toggle = page.locator(".search-filters summary")
    assert FILTERS[lang] in toggle.inner_text()
    assert not page.locator(".search-filters fieldset").first.is_visible()  # collapsed
    first = page.locator(".result-list > li").first.bounding_box()
    assert first is not None and first["y"] < PHONE["height"], first
    assert first["y"] > toggle.bounding_box()["y"]
    # The toggle opens the filters, by keyboard too.
    toggle.focus()
    page.keyboard.press("Enter")
    assert page.locator(".search-filters fieldset").first.is_visible()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_price_bucket_narrows_the_results(page_factory, lang):
    page = open_page(page_factory, lang, **WIDE)
    page.goto("/listings")
    everything = _found(page, lang)
    bucket = page.locator(".price-buckets li:has(a)").first
    expected = int(re.search(r"\((\d+)\)", bucket.inner_text()).group(1))
    assert 0 < expected
    bucket.locator("a").click()
    page.wait_for_load_state()
    assert "price" in urlparse(page.url).query
    assert _found(page, lang) == expected <= everything
    assert page.locator('.price-buckets [aria-current="true"]').count() == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [WIDE, PHONE], ids=["wide", "phone"])
def test_no_result_offers_a_demand_with_the_query(page_factory, lang, size):
    page = open_page(page_factory, lang, **size)
    page.goto("/listings")
    page.locator("#q").fill(NOTHING_MATCHES)
    page.locator("#q").press("Enter")
    page.wait_for_load_state()
    assert _found(page, lang) == 0
    link = page.get_by_role("link", name=POST_DEMAND[lang], exact=True)
    assert link.is_visible()
    href = link.get_attribute("href")
    assert urlparse(href).path == "/demands/new"
    assert parse_qs(urlparse(href).query)["title"] == [NOTHING_MATCHES]
    assert NOTHING_MATCHES in page.locator(".demand-offer").inner_text()
