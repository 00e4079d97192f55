"""Keyboard and phone-width use of the main forms and actions."""

from __future__ import annotations

import pytest

from .conftest import shot
from .flows import BUYER, T, label, log_in, open_page

pytestmark = pytest.mark.e2e

SIGN_UP_FIELDS = [
    "name",
    "email",
    "password",
    "password_confirm",
    "role",
    "org_name",
    "org_kind",
    "uscc",
    "region",
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sign_up_form_by_keyboard(page_factory, lang):
    """From the top of the page, Tab reaches every field of the sign-up form, in order,
    and then its submit button; every field has a label."""
    t = T[lang]
    page = open_page(page_factory, lang)
    page.goto("/register")
    for key in ("name", "email", "password", "password2", "role", "org_name", "org_kind", "uscc", "region"):
        assert label(page, t[key]).count() == 1, t[key]
    page.locator("body").focus()
    seen: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return {id: e.id, tag: e.tagName, type: e.type || '', text: e.innerText || ''}; }"
        )
        if focused["id"]:
            seen.append(focused["id"])
        if focused["tag"] == "BUTTON" and focused["type"] == "submit" and page.locator("main form").count():
            if page.evaluate("() => !!document.activeElement.closest('main form')"):
                break
    else:
        pytest.fail(f"Tab never reached the sign-up button; focused: {seen}")
    assert focused["text"].strip() == t["create_account"]
    order = [f for f in seen if f in SIGN_UP_FIELDS]
    assert order == SIGN_UP_FIELDS
    # And Enter on the focused button submits: the empty form answers with its errors.
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert label(page, t["name"]).get_attribute("aria-invalid") == "true"


def test_buyer_at_phone_width_reaches_make_an_offer(page_factory):
    """A buyer on a 390-pixel-wide phone finds a technology and reaches "Make an offer"."""
    t = T["zh"]
    page = open_page(page_factory, "zh", width=390, height=844)
    log_in(page, BUYER)
    page.goto("/listings?q=石墨烯")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    first = page.locator("ol.result-list h2 a").first
    first.scroll_into_view_if_needed()
    first.click()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    offer = page.get_by_role("link", name=t["make_offer"], exact=True)
    offer.scroll_into_view_if_needed()
    assert offer.is_visible()
    box = offer.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "phone-listing", full_page=False)
    offer.click()
    send = page.get_by_role("button", name=t["send_offer"])
    send.scroll_into_view_if_needed()
    assert send.is_visible() and send.is_enabled()
    box = send.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert label(page, t["upfront"]).is_visible()
    shot(page, "phone-offer", full_page=False)
    assert page.external_requests == []
