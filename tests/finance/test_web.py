"""The finance pages in Chinese and English: the application form with its errors,
the bank's steps on the loan page, the investors' pages."""

from __future__ import annotations

import io

import pytest

from marketplace.finance.models import Investment, PledgeLoan

from .factories import equity_listing, financier, to_state, world

PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_owner_applies_and_sees_the_loan(client, login_as, db, lang):
    w = world(co_owned=True)
    login_as(w.owner)
    suffix = "?lang=en" if lang == "en" else ""
    page = client.get(f"/finance/pledges/new{suffix}").get_data(as_text=True)
    assert ("Apply for a pledge loan" if lang == "en" else "申请质押贷款") in page
    assert "测试银行哈尔滨分行" in page and w.assets[1].title in page
    response = client.post(
        f"/finance/pledges/new{suffix}",
        data={
            "bank_org_id": str(w.bank.organization_id),
            "asset_ids": [str(a.id) for a in w.assets],
            "amount_fen": "5,000,000.00",
            "term_months": "12",
            "purpose": "购置中试设备",
            "valuation_report": (io.BytesIO(PDF), "评估报告.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    loan = db.session.query(PledgeLoan).one()
    assert loan.amount_fen == 5_000_000_00 and len(loan.asset_links) == 2
    html = client.get(response.headers["Location"] + suffix).get_data(as_text=True)
    assert "评估报告.pdf" in html and w.partner.organization.name in html
    assert ("Awaiting consent" if lang == "en" else "待同意") in html
    assert client.get(f"/finance/{suffix}").status_code == 200


def test_form_errors_are_shown_all_at_once_next_to_their_fields(client, login_as, db):
    w = world()
    login_as(w.owner)
    response = client.post(
        "/finance/pledges/new?lang=en",
        data={
            "bank_org_id": str(w.bank.organization_id),
            "amount_fen": "abc",
            "term_months": "",
            "purpose": "",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count('class="error"') >= 3
    assert db.session.query(PledgeLoan).count() == 0
    # The service's own rules come back on their fields too (no asset chosen).
    response = client.post(
        "/finance/pledges/new",
        data={
            "bank_org_id": str(w.bank.organization_id),
            "amount_fen": "100",
            "term_months": "999",
            "purpose": "x",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请至少选择一项出质的知识产权。" in html and "1 至 360" in html


def test_only_sellers_apply(client, login_as, db):
    login_as("buyer")
    assert client.get("/finance/pledges/new").status_code == 403


def test_the_bank_reviews_signs_and_records_repayment_on_the_page(client, login_as, db):
    w = world()
    loan = to_state(w, "applied")
    login_as(w.bank)
    page = client.get(f"/finance/pledges/{loan.id}?lang=en").get_data(as_text=True)
    assert 'id="approve-form"' in page and 'id="withdraw"' not in page
    bad = client.post(f"/finance/pledges/{loan.id}/decline", data={"reason": ""})
    assert bad.status_code == 422 and loan.status == "applied"
    assert (
        client.post(
            f"/finance/pledges/{loan.id}/risk-shares", data={"sharer_kind": "risk_fund", "share_bp": "30.5%"}
        ).status_code
        == 302
    )
    db.session.refresh(loan)
    assert loan.risk_shares[0].share_bp == 3050
    over = client.post(
        f"/finance/pledges/{loan.id}/risk-shares", data={"sharer_kind": "risk_fund", "share_bp": "70%"}
    )
    assert over.status_code == 422 and "69.50" in over.get_data(as_text=True)
    assert (
        client.post(f"/finance/pledges/{loan.id}/approve", data={"conditions": "年利率3.85%"}).status_code
        == 302
    )
    no_number = client.post(
        f"/finance/pledges/{loan.id}/sign", data={"pledge_registration_no": "", "signed_on": "2025-03-10"}
    )
    assert no_number.status_code == 422
    client.post(
        f"/finance/pledges/{loan.id}/sign",
        data={"pledge_registration_no": "Y2025230000777", "signed_on": "2025-03-10"},
    )
    login_as(w.owner)
    assert client.post(f"/finance/pledges/{loan.id}/sign").status_code == 302
    db.session.refresh(loan)
    assert loan.status == "signed"
    html = client.get(f"/finance/pledges/{loan.id}").get_data(as_text=True)
    assert "Y2025230000777" in html and "已出质" in html
    login_as(w.bank)
    assert (
        client.post(f"/finance/pledges/{loan.id}/repay", data={"repaid_on": "2026-03-01"}).status_code == 302
    )
    db.session.refresh(loan)
    assert loan.status == "repaid"
    assert "已于 2026年3月1日 解除" in client.get(f"/finance/pledges/{loan.id}").get_data(as_text=True)


def test_a_step_by_the_wrong_party_is_refused(client, login_as, db):
    w = world()
    loan = to_state(w, "applied")
    login_as(w.owner)
    assert client.post(f"/finance/pledges/{loan.id}/approve", data={}).status_code == 403
    login_as(w.other_bank)
    assert client.post(f"/finance/pledges/{loan.id}/approve", data={}).status_code == 404


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_investor_pages(client, login_as, db, lang):
    listing, seller = equity_listing()
    investor = financier("investment_fund", name="哈尔滨创新投资基金")
    login_as(investor)
    suffix = "?lang=en" if lang == "en" else ""
    page = client.get(f"/finance/investors{suffix}").get_data(as_text=True)
    assert (
        listing.title in page and ("Listings offered as equity" if lang == "en" else "作价入股项目") in page
    )
    assert client.post("/finance/investors", data={"industries": ["new_materials"]}).status_code == 302
    empty = client.post(f"/finance/listings/{listing.id}/interest", data={"message": ""})
    assert empty.status_code == 422
    response = client.post(f"/finance/listings/{listing.id}/interest", data={"message": "拟投资2000万元"})
    assert response.status_code == 302
    thread = client.get(response.headers["Location"] + suffix).get_data(as_text=True)
    assert "拟投资2000万元" in thread
    bad = client.post(
        "/finance/investments/new",
        data={
            "listing_id": str(listing.id),
            "company": "",
            "amount_fen": "x",
            "share_bp": "101",
            "invested_on": "",
        },
    )
    assert bad.status_code == 422 and bad.get_data(as_text=True).count('class="error"') >= 4
    done = client.post(
        "/finance/investments/new",
        data={
            "listing_id": str(listing.id),
            "company": "哈尔滨新材料科技有限公司",
            "amount_fen": "20,000,000",
            "share_bp": "12.5",
            "invested_on": "2025-09-01",
        },
    )
    assert done.status_code == 302
    inv = db.session.query(Investment).one()
    assert (inv.amount_fen, inv.share_bp) == (20_000_000_00, 1250)
    login_as(seller)
    page = client.get(f"/finance/investments/{inv.id}{suffix}").get_data(as_text=True)
    assert 'id="reject-form"' in page
    assert client.post(f"/finance/investments/{inv.id}/confirm").status_code == 302
    db.session.refresh(inv)
    assert inv.status == "confirmed"
    # Someone else sees neither the thread nor the investment.
    login_as(financier("investment_fund"))
    assert client.get(f"/finance/investments/{inv.id}").status_code == 404
    assert client.get(response.headers["Location"]).status_code == 404


def test_the_listing_page_offers_investors_to_express_interest(client, login_as, db):
    from marketplace.finance import investments

    listing, seller = equity_listing()
    investor = financier("investment_fund")
    login_as(investor)
    assert 'id="express-interest"' in client.get(f"/listings/{listing.id}").get_data(as_text=True)
    investments.express_interest(listing, message="有意投资", actor=investor)
    login_as(seller)
    html = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert 'id="express-interest"' not in html and "投资机构意向：1" in html
    login_as(financier("bank"))
    assert 'id="express-interest"' not in client.get(f"/listings/{listing.id}").get_data(as_text=True)


def test_the_lists_run_as_many_queries_for_many_loans_as_for_one(client, api, login_as, db, count_queries):
    w = world()
    to_state(w, "signed")
    login_as(w.bank)
    caller = api(w.bank)

    def measure():
        with count_queries() as page:
            assert client.get("/finance/").status_code == 200
        with count_queries() as listed:
            assert caller.get("/api/v1/financing/pledges").get_json()["total"] >= 1
        return page.count, listed.count

    measure()  # the token's first use records itself
    one = measure()
    for state in ("applied", "signed", "repaid", "defaulted"):
        other = world(co_owned=True)
        other.bank = w.bank  # the same bank, other owners
        to_state(other, state)
    assert caller.get("/api/v1/financing/pledges").get_json()["total"] == 5
    assert measure() == one
