"""Every domain's catalogue is compiled and loaded: its strings show in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "marketplace").glob("**/translations/zh_Hans/LC_MESSAGES/messages.po"))


def test_there_is_a_catalogue_per_domain():
    assert len(CATALOGUES) >= 2


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT / "marketplace")))
def test_catalogue_is_loaded(app, po):
    with po.open("rb") as fh:
        catalog = read_po(fh)
    samples = [m for m in catalog if m.id and isinstance(m.id, str) and m.string and "%" not in m.id][:5]
    assert samples, f"{po} has no translated entries"
    with app.test_request_context("/"), force_locale("zh_Hans"):
        for message in samples:
            assert gettext(message.id) == message.string, f"{message.id!r} is not translated at run time"


# Words that mean one thing in one domain and another elsewhere carry a context, so the
# catalogue merged last (which wins for a bare msgid) cannot put its word on another
# domain's page: a contract is 注销 (deregistered), not 撤销 as a payment; an asset's
# licence has a 期限, not 条款; a co-owner 同意s a proposal.
DOMAIN_WORDS = [
    ("marketplace.contracts.states", "STATUS_LABELS", "cancelled", "已注销"),
    ("marketplace.ip.states", "VOTE_LABELS", "accept", "已同意"),
]


@pytest.mark.parametrize(("module", "mapping", "key", "word"), DOMAIN_WORDS)
def test_a_domains_own_word_wins_on_its_pages(app, module, mapping, key, word):
    import importlib

    labels = getattr(importlib.import_module(module), mapping)
    with app.test_request_context("/"), force_locale("zh_Hans"):
        assert str(labels[key]) == word


@pytest.mark.parametrize(
    ("context", "msgid", "word"),
    [
        ("contract", "Title", "合同名称"),
        ("registration", "Number", "登记编号"),
        ("milestone", "Paid", "已付"),
        ("encumbrance", "Term", "期限"),
        ("encumbrance", "Scope", "范围"),
        ("ownership", "Share", "份额"),
        ("proposal", "Accept", "同意"),
        ("asset status", "Expired", "已届满"),
        ("ledger", "Recorded", "记录时间"),
    ],
)
def test_words_with_a_context_are_translated(app, context, msgid, word):
    from flask_babel import pgettext

    with app.test_request_context("/"), force_locale("zh_Hans"):
        assert pgettext(context, msgid) == word


def test_translations_follow_a_forced_locale_and_come_back(app):
    """The translations kept for a request's locale are not reused under another."""
    from flask import render_template_string
    from flask_babel import refresh

    template = "{{ _('Log in') }}"
    with app.test_request_context("/?lang=zh_Hans"):
        chinese = gettext("Log in")
        assert chinese != "Log in"
        assert render_template_string(template) == chinese
        with force_locale("en"):
            assert gettext("Log in") == "Log in"
            assert render_template_string(template) == "Log in"
        assert gettext("Log in") == chinese
        assert render_template_string(template) == chinese
    with app.test_request_context("/?lang=en"):
        assert gettext("Log in") == "Log in"
        refresh()
        assert render_template_string(template) == "Log in"


def test_templates_translate_with_a_context_a_plural_and_variables(app):
    from flask import render_template_string

    with app.test_request_context("/"), force_locale("zh_Hans"):
        assert render_template_string("{{ pgettext('ledger', 'Recorded') }}") == "记录时间"
        assert render_template_string("{{ pgettext('proposal', 'Accept') }}") == "同意"
        # Always a format string: %% is one %, and variables are escaped.
        assert render_template_string("{{ _('%(n)s unread', n='<b>') }}").count("&lt;b&gt;") == 1
        one = render_template_string("{{ ngettext('%(num)s day', '%(num)s days', 1) }}")
        many = render_template_string("{{ ngettext('%(num)s day', '%(num)s days', 3) }}")
        assert "1" in one and "3" in many
    with app.test_request_context("/?lang=en"):
        assert render_template_string("{{ ngettext('%(num)s day', '%(num)s days', 3) }}") == "3 days"
        assert render_template_string("{{ ngettext('%(num)s day', '%(num)s days', 1) }}") == "1 day"
        assert render_template_string("{{ npgettext('ledger', '%(num)s entry', '%(num)s entries', 2) }}") == (
            "2 entries"
        )
