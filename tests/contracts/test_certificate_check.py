"""The certificate names its authority in full, is set in the Simplified Chinese face,
and carries a QR code and the address of its public check."""

from __future__ import annotations

import pytest

from marketplace.contracts import certificate as certificate_module
from marketplace.contracts.models import Contract


@pytest.fixture
def registered(client, login_as, cast, db):
    c = cast(submitted=True)
    login_as(c.regulator)
    client.post(f"/contracts/{c.contract.id}/register", data={})
    login_as(c.buyer)
    return c, db.session.get(Contract, c.contract.id)


def test_the_certificate_page_names_the_authority_and_links_its_check(client, registered):
    _c, contract = registered
    html = client.get(f"/contracts/{contract.id}/certificate", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "哈尔滨市科学技术局" in html  # issued in Chinese, whatever the page's language
    assert f"/verify/{contract.registration_no}" in html
    assert 'src="data:image/svg+xml' in html


def test_the_pdf_uses_the_simplified_chinese_face_and_carries_the_check(client, registered, app):
    _c, contract = registered
    with app.app_context():
        font = certificate_module.cjk_font_path()
    if font is None:
        pytest.skip("no CJK font installed: the PDF falls back to the printable page")
    response = client.get(f"/contracts/{contract.id}/certificate.pdf")
    assert response.status_code == 200
    if font.lower().endswith((".otf", ".ttf")) and "NotoSansCJK" in font:
        assert b"NotoSansCJKSC" in response.data and b"NotoSansCJKJP" not in response.data
    # the QR code is drawn as an image
    assert b"/Subtype /Image" in response.data
