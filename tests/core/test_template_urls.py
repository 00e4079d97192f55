"""Templates build each address once; the address still follows the script root,
the arguments and the options."""

from __future__ import annotations

from flask import render_template_string


def test_template_addresses_follow_script_root_arguments_and_options(app):
    template = (
        "{{ url_for('listings.search') }}|{{ url_for('listings.detail', listing_id=n) }}"
        "|{{ url_for('listings.search', _external=True) }}"
    )
    with app.test_request_context("/"):
        first = render_template_string(template, n=1).split("|")
        again = render_template_string(template, n=2).split("|")
    assert first[0] == again[0] == "/listings"
    assert (first[1], again[1]) == ("/listings/1", "/listings/2")
    assert first[2].startswith("http") and first[2].endswith("/listings")
    with app.test_request_context("/", base_url="http://localhost/market/"):
        mounted = render_template_string(template, n=1).split("|")
    assert mounted[:2] == ["/market/listings", "/market/listings/1"]


def test_unhashable_arguments_are_built_each_time(app):
    with app.test_request_context("/"):
        url = render_template_string("{{ url_for('listings.search', industry=['energy', 'agriculture']) }}")
    assert url == "/listings?industry=energy&amp;industry=agriculture"
