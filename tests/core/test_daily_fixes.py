"""Small things every page shows: the favicon, readable tags, English words and amounts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template_string

from marketplace.core import money
from tests import factories

CSS = Path(__file__).resolve().parents[2] / "marketplace" / "static" / "css" / "app.css"


def test_the_favicon_answers_and_every_page_links_it(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    response.close()
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    assert links
    for href in links:
        linked = client.get(href)
        assert linked.status_code == 200, href
        linked.close()


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#9a6700", "#fff4d6") == pytest.approx(4.44, abs=0.01)  # the colour that failed


def _rule(css: str, selector: str) -> dict[str, str]:
    body = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css).group(1)
    declarations = dict(
        (name.strip(), value.strip())
        for name, value in (d.split(":", 1) for d in body.split(";") if ":" in d)
    )
    return declarations


def _colour(css: str, value: str) -> str:
    if value.startswith("var("):
        name = value[4:-1].strip()
        return re.search(re.escape(name) + r":\s*(#[0-9a-fA-F]{6})", css).group(1)
    return value


@pytest.mark.parametrize(
    "selector",
    [
        ".tag.warn",
        ".tag.ok",
        ".tag.danger",
        ".tag.status-submitted, .tag.status-amendment_pending, .tag.status-cancellation_pending",
    ],
)
def test_tags_are_readable(selector):
    """The checklist's 缺少 tags are .tag.warn; WCAG AA asks at least 4.5:1 for their small text."""
    css = CSS.read_text()
    rule = _rule(css, selector)
    ratio = contrast(_colour(css, rule["color"]), _colour(css, rule["background"]))
    assert ratio >= 4.5, f"{selector}: {ratio:.2f}:1"


def test_the_english_home_page_names_every_kind_in_english(client, db):
    for role in ("seller", "buyer", "agency", "regulator"):
        factories.user_with_role(role)
    db.session.flush()
    # Chinese first: the bug was a label frozen, at the template's first rendering, in that language.
    chinese = client.get("/").get_data(as_text=True)
    assert "技术转移机构" in chinese
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "Technology transfer agency" in html
    assert "技术转移机构" not in html


@pytest.mark.parametrize(
    ("template", "fen", "zh", "en"),
    [
        ("{{ v|wan }}", 12_300_000, "12.30 万元", "CNY 123,000"),
        ("{{ v|wan }}", 123_456_789, "123.46 万元", "CNY 1.23 million"),
        ("{{ v|yi }}", 2 * 10**13, "2,000.00 亿元", "CNY 200.00 billion"),
        ("{{ v|yuan }}", 12_345_678, "123,456.78 元", "CNY 123,456.78"),
        ("{{ v|yuan(unit=False) }}", 12_345_678, "123,456.78", "123,456.78"),
        ("{{ v|money }}", 12_000_000, "12.00 万元", "CNY 120,000.00"),
        ("{{ v|money }}", 250_000_000, "250.00 万元", "CNY 2.50 million"),
        ("{{ v|money }}", 3 * 10**12, "300.00 亿元", "CNY 30.00 billion"),
        ("{{ v|wan }}", None, "", ""),
    ],
)
def test_amounts_read_in_the_pages_language(app, template, fen, zh, en):
    with app.test_request_context("/"):
        assert render_template_string(template, v=fen) == zh
    with app.test_request_context("/?lang=en"):
        assert render_template_string(template, v=fen) == en
    # What the API, the exports and the certificate use stays as it was.
    assert money.format_wan(12_300_000) == "12.30 万元"


def test_an_english_page_shows_no_wan(client, db):
    html_zh = client.get("/targets").get_data(as_text=True)
    html_en = client.get("/targets?lang=en").get_data(as_text=True)
    assert re.search(r"\d 亿元", html_zh)
    assert "billion" in html_en and not re.search(r"\d 万元|\d 亿元", html_en)
