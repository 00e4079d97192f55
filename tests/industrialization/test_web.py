"""The industrialization pages: from the contract to the report form, the list,
one report with confirm and return, evidence, and the public targets page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from marketplace.core.timeutil import today_shanghai
from marketplace.industrialization import services
from marketplace.industrialization.models import IndustrializationReport
from marketplace.storage.uploads import attachments_of
from tests import factories

from .conftest import PNG


def _form(deal, **overrides):
    data = {
        "asset_id": str(deal.asset.id),
        "stage": "first_sales",
        "achieved_on": "2025-03-01",
        "output_value_fen": "5,000,000.00",
        "sales_fen": "1,280,000.50",
        "units": "1200",
        "jobs": "35",
        "description": "首批石墨烯负极材料销往宁德，年产1200吨。",
    }
    data.update(overrides)
    return data


def _targets_row(html: str, label: str) -> list[str]:
    """The cells of the targets page's industrialized row for a source label."""
    section = html[html.index('id="industrialized-heading"') :]
    row = re.search(r"<th scope=\"row\">" + re.escape(label) + r"</th>(.*?)</tr>", section, re.S)
    assert row, label
    return re.findall(r"<td>\s*(.*?)\s*</td>", row.group(1), re.S)


def test_the_buyer_reports_from_the_contract_and_the_seller_confirms(db, client, login_as, make_deal):
    deal = make_deal()
    login_as(deal.buyer)
    contract_page = client.get(f"/contracts/{deal.contract.id}").get_data(as_text=True)
    assert 'id="industrialization"' in contract_page
    assert f"/contracts/{deal.contract.id}/industrialization/new" in contract_page
    form_page = client.get(f"/contracts/{deal.contract.id}/industrialization/new")
    assert form_page.status_code == 200 and deal.asset.title in form_page.get_data(as_text=True)
    response = client.post(
        f"/contracts/{deal.contract.id}/industrialization/new",
        data=_form(deal, evidence=(io.BytesIO(PNG), "首张发票.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    report = db.session.scalars(db.select(IndustrializationReport)).one()
    assert response.headers["Location"].endswith(f"/industrialization/{report.id}")
    assert (report.sales_fen, report.output_value_fen, report.units) == (128_000_050, 500_000_000, 1200)
    assert [a.original_name for a in attachments_of(report, "evidence")] == ["首张发票.png"]
    mine = client.get("/industrialization/?box=mine").get_data(as_text=True)
    assert f"/industrialization/{report.id}" in mine

    login_as(deal.seller)
    to_confirm = client.get("/industrialization/?box=to_confirm").get_data(as_text=True)
    assert f"/industrialization/{report.id}" in to_confirm
    page = client.get(f"/industrialization/{report.id}").get_data(as_text=True)
    assert f"/industrialization/{report.id}/confirm" in page and "data-confirm" in page
    evidence = attachments_of(report, "evidence")[0]
    download = client.get(f"/industrialization/{report.id}/evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == PNG
    download.close()
    assert client.post(f"/industrialization/{report.id}/confirm").status_code == 302
    assert report.status == "confirmed"
    assert client.get("/industrialization/?box=to_confirm").get_data(as_text=True).count(
        "/industrialization/"
    ) < (to_confirm.count("/industrialization/"))

    targets = client.get("/targets").get_data(as_text=True)
    assert _targets_row(targets, "高校") == ["600", "1"] or _targets_row(targets, "University") == [
        "600",
        "1",
    ]


def test_the_targets_page_shows_the_counts_by_source(db, client, make_deal, in_request):
    for kind, n in (("university", 2), ("research_institute", 1), ("enterprise", 3)):
        for _ in range(n):
            deal = make_deal(seller_kind=kind)
            report = factories.IndustrializationReportFactory(contract=deal.contract, asset=deal.asset)
            services.confirm_report(report, actor=deal.seller)
    from marketplace.core.catalog import org_kind_label

    html = client.get("/targets").get_data(as_text=True)
    assert _targets_row(html, org_kind_label("university")) == ["600", "2"]
    assert _targets_row(html, org_kind_label("research_institute")) == ["300", "1"]
    assert _targets_row(html, org_kind_label("enterprise")) == ["300", "3"]
    assert "1200</td><td>6</td>" in html.replace("\n", "").replace(" ", "")
    body = client.get("/api/v1/targets").get_json()
    assert body["industrialized"]["counts"] == {"university": 2, "research_institute": 1, "enterprise": 3}


def test_the_seller_returns_with_a_reason(db, client, login_as, make_deal):
    deal = make_deal()
    report = factories.IndustrializationReportFactory(contract=deal.contract, asset=deal.asset)
    login_as(deal.seller)
    response = client.post(f"/industrialization/{report.id}/return", data={"reason": ""})
    assert response.status_code == 422 and report.status == "pending"
    response = client.post(f"/industrialization/{report.id}/return", data={"reason": "现场核查未见投产。"})
    assert response.status_code == 302 and report.status == "returned"
    login_as(deal.buyer)
    page = client.get(f"/industrialization/{report.id}").get_data(as_text=True)
    assert "现场核查未见投产。" in page


@pytest.mark.parametrize(
    ("overrides", "message_field"),
    [
        ({"achieved_on": "tomorrow"}, "achieved_on"),
        ({"sales_fen": "-12.00"}, "sales_fen"),
        ({"jobs": "-3"}, "jobs"),
        ({"units": "-1"}, "units"),
        ({"stage": "first_sales", "sales_fen": ""}, "sales_fen"),
        ({"description": ""}, "description"),
    ],
)
def test_bad_input_shows_the_form_again_and_stores_nothing(
    db, client, login_as, make_deal, overrides, message_field
):
    deal = make_deal()
    if overrides.get("achieved_on") == "tomorrow":
        overrides = {**overrides, "achieved_on": (today_shanghai() + timedelta(days=1)).isoformat()}
    login_as(deal.buyer)
    response = client.post(
        f"/contracts/{deal.contract.id}/industrialization/new", data=_form(deal, **overrides)
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(
        rf'id="{message_field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{message_field}"', html
    )
    assert db.session.scalars(db.select(IndustrializationReport)).all() == []


def test_a_non_eligible_contract_shows_no_report_link_and_redirects(db, client, login_as, make_deal):
    deal = make_deal(status="submitted")
    login_as(deal.buyer)
    page = client.get(f"/contracts/{deal.contract.id}").get_data(as_text=True)
    assert f"/contracts/{deal.contract.id}/industrialization/new" not in page
    response = client.get(f"/contracts/{deal.contract.id}/industrialization/new")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/contracts/{deal.contract.id}"
    )


def test_a_development_contract_page_has_no_industrialization_block(db, client, login_as, make_deal):
    deal = make_deal(category="development_commissioned")
    login_as(deal.buyer)
    page = client.get(f"/contracts/{deal.contract.id}").get_data(as_text=True)
    assert 'id="industrialization"' not in page


def test_the_buyer_adds_evidence_while_pending(db, client, login_as, make_deal):
    deal = make_deal()
    report = factories.IndustrializationReportFactory(contract=deal.contract, asset=deal.asset)
    login_as(deal.buyer)
    bad = client.post(
        f"/industrialization/{report.id}/evidence",
        data={"evidence": (io.BytesIO(b"not a pdf"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    good = client.post(
        f"/industrialization/{report.id}/evidence",
        data={"evidence": (io.BytesIO(PNG), "产线照片.png")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert [a.original_name for a in attachments_of(report, "evidence")] == ["产线照片.png"]


# --- Permission matrix ------------------------------------------------------------------

ROLES = [
    # who, sees the report, may confirm/return, may report on the contract
    ("buyer", 200, 403, 200),
    ("seller", 200, 302, 403),
    ("agency", 200, 302, 403),
    ("other_agency", 404, 404, 404),
    ("other_buyer", 404, 404, 404),
    ("regulator_city", 200, 403, 403),
    ("regulator_province", 200, 403, 403),
    ("regulator_other_city", 404, 404, 404),
    ("admin", 200, 403, 403),
    ("anonymous", 302, 302, 302),
]


def _user(who, deal):
    return {
        "buyer": lambda: deal.buyer,
        "seller": lambda: deal.seller,
        "agency": lambda: deal.agency,
        "other_agency": lambda: factories.user_with_role("agency"),
        "other_buyer": lambda: factories.user_with_role("buyer"),
        "regulator_city": lambda: factories.user_with_role("regulator", region="230100"),
        "regulator_province": lambda: factories.user_with_role("regulator", region="230000"),
        "regulator_other_city": lambda: factories.user_with_role("regulator", region="230200"),
        "admin": lambda: factories.user_with_role("admin"),
        "anonymous": lambda: None,
    }[who]()


@pytest.mark.parametrize(("who", "view", "decide", "report"), ROLES)
def test_permission_matrix(db, client, login_as, make_deal, who, view, decide, report):
    from marketplace.contracts.models import ContractAsset

    deal = make_deal()
    second = factories.IpAssetFactory(owned_by=deal.seller.organization)
    deal.contract.asset_links.append(ContractAsset(asset_id=second.id))
    to_return = factories.IndustrializationReportFactory(contract=deal.contract, asset=deal.asset)
    to_confirm = factories.IndustrializationReportFactory(contract=deal.contract, asset=second)
    user = _user(who, deal)
    if user is not None:
        login_as(user)
    assert client.get(f"/industrialization/{to_return.id}").status_code == view
    assert client.get(f"/contracts/{deal.contract.id}/industrialization/new").status_code == report
    assert (
        client.post(f"/industrialization/{to_return.id}/return", data={"reason": "不符"}).status_code
        == decide
    )
    assert client.post(f"/industrialization/{to_confirm.id}/confirm").status_code == decide
    assert (to_return.status, to_confirm.status) == (
        ("returned", "confirmed") if decide == 302 and user is not None else ("pending", "pending")
    )
    listing = client.get("/industrialization/")
    if user is None:
        assert listing.status_code == 302
    else:
        assert (f"/industrialization/{to_return.id}" in listing.get_data(as_text=True)) == (view == 200)


def test_the_menu_leads_to_the_reports_in_chinese_and_english(db, client, login_as, make_deal):
    deal = make_deal()
    login_as(deal.seller)
    html = client.get("/industrialization/").get_data(as_text=True)
    assert 'href="/industrialization/"' in html and "成果转化" in html
    assert "科技成果产业化" in html
    english = client.get("/industrialization/?lang=en").get_data(as_text=True)
    assert "Industrialization of achievements" in english and "科技成果产业化" not in english
