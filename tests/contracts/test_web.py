"""The contract pages: lists, queue with deadlines, the edit form's refusals, decisions, certificate."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.contracts import certificate as certificate_module
from marketplace.contracts import services
from marketplace.contracts.models import Contract
from marketplace.core.timeutil import today_shanghai


def _form(contract, **overrides):
    data = {
        "title": contract.title,
        "category": contract.category,
        "industry": contract.industry,
        "subject": contract.subject,
        "turnover_fen": "1000000.00",
        "tech_income_fen": "1000000.00",
        "valid_from": "2024-01-01",
        "valid_to": "2030-12-31",
        "milestones-0-due_on": "2025-06-30",
        "milestones-0-amount_fen": "500000.00",
        "milestones-1-due_on": "2025-12-31",
        "milestones-1-amount_fen": "500000.00",
    }
    data.update(overrides)
    return data


def test_pages_for_a_party(client, login_as, cast, db):
    c = cast(status="draft")
    login_as(c.seller)
    index = client.get("/contracts")
    assert index.status_code == 200 and c.contract.title in index.get_data(as_text=True)
    page = client.get(f"/contracts/{c.contract.id}").get_data(as_text=True)
    assert 'id="checklist"' in page and 'data-code="signed_document"' in page
    assert client.get("/contracts?status=registered").get_data(as_text=True).count(c.contract.title) == 0
    assert client.get(f"/contracts/{c.contract.id}/edit").status_code == 200


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"tech_income_fen": "1000000.01"}, "Technology income cannot be more than the contract turnover"),
        ({"milestones-1-amount_fen": "499999.99"}, "The milestones add up to"),
        ({"category": "license_software"}, "Choose a category from the national list"),
        ({"turnover_fen": "abc"}, "Enter an amount in yuan"),
    ],
)
def test_edit_form_refuses_bad_input_and_changes_nothing(client, login_as, cast, db, overrides, message):
    c = cast(status="draft")
    login_as(c.seller)
    before = (
        c.contract.turnover_fen,
        c.contract.tech_income_fen,
        c.contract.category,
        [m.amount_fen for m in c.contract.milestones],
    )
    r = client.post(
        f"/contracts/{c.contract.id}/edit?lang=en",
        data=_form(c.contract, **overrides),
    )
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert message in text, [line for line in text.splitlines() if "error" in line or "html lang" in line]
    contract = db.session.get(Contract, c.contract.id)
    assert (
        contract.turnover_fen,
        contract.tech_income_fen,
        contract.category,
        [m.amount_fen for m in contract.milestones],
    ) == before


def test_edit_form_saves_rows(client, login_as, cast, db):
    c = cast(status="draft")
    login_as(c.buyer)
    data = _form(
        c.contract,
        tech_income_fen="900000.00",
        **{
            "cost_lines-0-kind": "parts",
            "cost_lines-0-description": "传感器零部件",
            "cost_lines-0-amount_fen": "100000",
        },
    )
    r = client.post(f"/contracts/{c.contract.id}/edit", data=data)
    assert r.status_code == 302
    contract = db.session.get(Contract, c.contract.id)
    assert contract.tech_income_fen == 90_000_000 and [line.amount_fen for line in contract.cost_lines] == [
        10_000_000
    ]


def test_queue_shows_deadlines_and_overdue(client, login_as, cast, db):
    late = cast(submitted=True, review_due_on=today_shanghai() - timedelta(days=1))
    soon = cast(submitted=True, review_due_on=today_shanghai() + timedelta(days=10))
    login_as(late.regulator)
    page = client.get("/contracts/queue?lang=en").get_data(as_text=True)
    assert late.contract.title in page and soon.contract.title in page
    assert page.index(late.contract.title) < page.index(soon.contract.title)  # oldest deadline first
    assert f'datetime="{(today_shanghai() - timedelta(days=1)).isoformat()}"' in page
    assert page.count('class="overdue"') == 1
    only_late = client.get("/contracts/queue?overdue=1").get_data(as_text=True)
    assert late.contract.title in only_late and soon.contract.title not in only_late
    login_as(late.seller)
    assert client.get("/contracts/queue").status_code == 404


def test_submit_computes_the_deadline_shown_in_the_queue(client, login_as, cast, db):
    c = cast(signed=True)
    login_as(c.seller)
    assert client.post(f"/contracts/{c.contract.id}/submit").status_code == 302
    contract = db.session.get(Contract, c.contract.id)
    assert contract.status == "submitted" and contract.review_due_on > today_shanghai()
    login_as(c.regulator)
    page = client.get("/contracts/queue").get_data(as_text=True)
    assert f'datetime="{contract.review_due_on.isoformat()}"' in page


def test_register_and_return_through_the_forms(client, login_as, cast, db):
    c = cast(submitted=True)
    login_as(c.regulator)
    r = client.post(
        f"/contracts/{c.contract.id}/return",
        data={"reasons": ["other"], "note": ""},
    )
    assert r.status_code == 302
    assert db.session.get(Contract, c.contract.id).status == "submitted"  # `other` needs a note
    client.post(f"/contracts/{c.contract.id}/register", data={})
    contract = db.session.get(Contract, c.contract.id)
    assert contract.status == "registered" and contract.registration_no
    again = client.post(
        f"/contracts/{c.contract.id}/register?lang=en",
        data={},
        follow_redirects=True,
    )
    assert "already registered" in again.get_data(as_text=True)
    login_as(c.other_city)
    assert client.post(f"/contracts/{c.contract.id}/register", data={}).status_code == 404
    assert client.get(f"/contracts/{c.contract.id}").status_code == 404


def test_certificate_page_and_pdf(client, login_as, cast, db, app):
    c = cast(submitted=True, turnover_fen=2_345_678_90, tech_income_fen=2_000_000_00)
    login_as(c.regulator)
    client.post(f"/contracts/{c.contract.id}/register", data={})
    number = db.session.get(Contract, c.contract.id).registration_no
    login_as(c.buyer)
    page = client.get(f"/contracts/{c.contract.id}/certificate").get_data(as_text=True)
    assert number in page and "2,345,678.90 元" in page and "2,000,000.00 元" in page
    assert "账本条目（序号 / 叶哈希）" in page  # the ledger entry's leaf hash, for the public proof
    r = client.get(f"/contracts/{c.contract.id}/certificate.pdf")
    if certificate_module.cjk_font_path() is None:
        assert r.status_code == 302
        pytest.skip("no CJK font installed: the PDF falls back to the printable page")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert r.headers["Content-Type"] == "application/pdf"
    with app.test_request_context("/"):
        lines = dict(certificate_module.certificate_lines(db.session.get(Contract, c.contract.id)))
    assert lines["登记编号"] == number and "2,345,678.90" in lines["技术合同成交额"]
    # the PDF embeds the text as glyphs of a subset font: check the number's digits are drawn
    assert len(r.data) > 2000


def test_pdf_falls_back_without_a_font(client, login_as, cast, db, monkeypatch):
    c = cast(submitted=True)
    login_as(c.regulator)
    client.post(f"/contracts/{c.contract.id}/register", data={})
    monkeypatch.setattr(certificate_module, "cjk_font_path", lambda: None)
    r = client.get(f"/contracts/{c.contract.id}/certificate.pdf")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/contracts/{c.contract.id}/certificate")


def test_outsider_sees_nothing(client, login_as, cast, db):
    c = cast(submitted=True)
    login_as(c.outsider)
    for path in ("", "/edit", "/certificate", "/amend", "/cancel"):
        assert client.get(f"/contracts/{c.contract.id}{path}").status_code == 404, path
    assert c.contract.title not in client.get("/contracts").get_data(as_text=True)


def test_agency_records_an_offline_deal_through_the_form(client, login_as, cast, db):
    c = cast()
    login_as(c.agency)
    assert client.get("/contracts/new").status_code == 200
    r = client.post(
        "/contracts/new?lang=en",
        data={
            "seller_org_id": c.contract.seller_org_id,
            "buyer_org_id": "",
            "buyer_name": "深圳前海智造投资有限公司",
            "buyer_place": "广东省深圳市",
            "deal_kind": "transfer",
            "title": "寒地大豆高蛋白品种选育技术转让合同",
            "turnover_fen": "800000",
            "tech_income_fen": "800001",
        },
    )
    assert r.status_code == 200 and "Technology income cannot be more" in r.get_data(as_text=True)
    assert db.session.query(Contract).count() == 1
    login_as(c.seller)
    assert client.get("/contracts/new").status_code == 404


def test_amend_and_cancel_forms(client, login_as, cast, db):
    c = cast(submitted=True)
    services.register_contract(c.contract, actor=c.regulator)
    db.session.flush()
    login_as(c.seller)
    assert client.get(f"/contracts/{c.contract.id}/amend").status_code == 200
    r = client.post(
        f"/contracts/{c.contract.id}/amend?lang=en",
        data={
            "turnover_fen": "1200000",
            "tech_income_fen": "1200000",
            "milestones-0-due_on": "2026-06-30",
            "milestones-0-amount_fen": "1199999.99",
            "note": "补充协议",
        },
    )
    assert r.status_code == 200 and "The milestones add up to" in r.get_data(as_text=True)
    assert db.session.get(Contract, c.contract.id).status == "registered"
    r = client.post(
        f"/contracts/{c.contract.id}/amend",
        data={
            "turnover_fen": "1200000",
            "tech_income_fen": "1200000",
            "milestones-0-due_on": "2026-06-30",
            "milestones-0-amount_fen": "1200000",
            "note": "补充协议",
        },
    )
    assert r.status_code == 302
    contract = db.session.get(Contract, c.contract.id)
    assert contract.status == "amendment_pending" and contract.turnover_fen == 1_000_000_00
    assert contract.review_due_on >= date.today() - timedelta(days=1)


@pytest.mark.parametrize("role", ["seller", "buyer", "agency", "regulator", "province", "admin"])
@pytest.mark.parametrize("state", ["offline", "draft", "submitted", "registered", "returned", "amended"])
def test_detail_page_renders_for_every_viewer_in_every_state(client, login_as, cast, db, role, state):
    c = cast(**({"offline": True} if state == "offline" else {"submitted": True} if state != "draft" else {}))
    if state in ("registered", "amended"):
        services.register_contract(c.contract, actor=c.regulator)
    if state == "returned":
        services.return_contract(c.contract, reasons=["other"], note="请补充公章", actor=c.regulator)
    if state == "amended":
        services.request_amendment(
            c.contract, {"category": "license_technical_secret"}, note="类别更正", actor=c.seller
        )
    db.session.flush()
    login_as(getattr(c, role))
    r = client.get(f"/contracts/{c.contract.id}")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert c.contract.title in page
    if role in ("regulator", "province") and state in ("submitted", "amended"):
        assert f"/contracts/{c.contract.id}/register" in page and 'name="reasons"' in page
    else:
        assert f"/contracts/{c.contract.id}/register" not in page
    if state == "returned":
        assert "请补充公章" in page
