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
