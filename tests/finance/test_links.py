"""What finance takes from the rest of the platform: a loan's evaluation (科技成果评价)
of a pledged asset, investors' interest in incubated start-ups, and the files a bank
asks for, uploaded through the API with the same checks as on the web."""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask_babel import force_locale

from marketplace.core.errors import PermissionDenied, ValidationError
from marketplace.finance import investments, loans, permissions
from marketplace.services import evaluations, incubation
from tests import factories
from tests.services.factories import provider_user

from .factories import apply, financier, to_state, world

pytestmark = pytest.mark.usefixtures("in_request")

PDF = b"%PDF-1.4\n" + b"0" * 64
RESULT = {
    "trl": 6,
    "novelty": "domestic_leading",
    "maturity": "pilot",
    "value_low_fen": 3_000_000_00,
    "value_high_fen": 5_000_000_00,
    "opinion": "中试验证完成。",
}


def _evaluation(asset, owner, *, complete=True):
    staff, body = provider_user("evaluation")
    e = evaluations.ask(asset, body, actor=owner)
    if complete:
        evaluations.record_result(e, actor=staff, evaluated_on=date(2026, 10, 20), **RESULT)
    return e


# -- evaluations ------------------------------------------------------------------------
def test_a_loan_names_a_completed_evaluation_of_a_pledged_asset(db):
    w = world()
    done = _evaluation(w.assets[0], w.owner)
    loan = apply(w, evaluation_id=done.id)
    assert loan.evaluation is done and loan.evaluation_id == done.id
    assert loans.evaluations_for(w.owner) == [done]


def test_an_evaluation_that_does_not_support_the_application_is_refused(db):
    w = world()
    pending = _evaluation(w.assets[0], w.owner, complete=False)
    other_asset = factories.IpAssetFactory(owned_by=w.owner.organization)
    of_other = _evaluation(other_asset, w.owner)
    for bad, words in (
        (pending.id, "completed"),
        (of_other.id, "pledged"),
        (10**9, "no such"),
        ("1", "no such"),
    ):
        with pytest.raises(ValidationError) as exc:
            apply(w, evaluation_id=bad)
        with force_locale("en"):
            assert words in str(exc.value.fields["evaluation_id"][0]).lower(), bad


def test_the_evaluation_on_the_loan_page_and_in_the_api(client, login_as, api, db):
    w = world()
    done = _evaluation(w.assets[0], w.owner)
    login_as(w.owner)
    form = client.get("/finance/pledges/new?lang=en").get_data(as_text=True)
    assert 'name="evaluation_id"' in form and "TRL 6" in form
    posted = client.post(
        "/finance/pledges/new?lang=en",
        data={
            "bank_org_id": str(w.bank.organization_id),
            "asset_ids": [str(w.assets[0].id)],
            "amount_fen": "3,000,000",
            "term_months": "12",
            "purpose": "购置中试设备",
            "evaluation_id": str(done.id),
        },
    )
    assert posted.status_code == 302
    page = client.get(posted.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert 'id="loan-evaluation"' in page and f"/evaluations/{done.id}" in page
    body = {
        "bank_org_id": w.bank.organization_id,
        "asset_ids": [w.assets[0].id],
        "amount_fen": 3_000_000_00,
        "term_months": 12,
        "purpose": "扩大产能",
    }
    refused = api(w.owner).post("/api/v1/financing/pledges", json={**body, "evaluation_id": done.id + 999})
    assert refused.status_code == 422 and "evaluation_id" in refused.get_json()["error"]["fields"]
    created = api(w.owner).post("/api/v1/financing/pledges", json={**body, "evaluation_id": done.id})
    assert created.status_code == 201
    ev = created.get_json()["evaluation"]
    assert (ev["id"], ev["trl"], ev["asset_id"], ev["value_high_fen"]) == (
        done.id,
        6,
        w.assets[0].id,
        5_000_000_00,
    )


# -- start-ups ----------------------------------------------------------------------------------
def _startup(name="哈尔滨冰晶科技有限公司", field="new_materials"):
    staff, incubator = provider_user("incubator")
    s = incubation.record_startup(
        incubator,
        actor=staff,
        name=name,
        uscc=factories.valid_uscc(),
        founded_on=date(2024, 5, 1),
        field=field,
    )
    return s, staff


def test_investors_express_interest_in_an_incubated_startup(db):
    startup, staff = _startup()
    investor = financier("investment_fund")
    bank = financier("bank")
    seller = factories.user_with_role("seller")
    for user in (bank, seller, staff):
        with pytest.raises(PermissionDenied):
            investments.express_startup_interest(startup, message="有意投资", actor=user)
    with pytest.raises(ValidationError):
        investments.express_startup_interest(startup, message=" ", actor=investor)
    interest = investments.express_startup_interest(startup, message="希望了解融资计划", actor=investor)
    again = investments.express_startup_interest(startup, message="补充：可领投", actor=investor)
    assert again.id == interest.id and len(interest.messages) == 2
    assert interest.counterpart_org_id == startup.provider.org_id and interest.subject_title == startup.name
    # The incubator's staff read and answer; another investor and the seller do not see it.
    assert permissions.can_write_interest(staff, interest)
    investments.post_message(interest, body="欢迎来访", actor=staff)
    other = financier("investment_fund")
    assert not permissions.can_view_interest(other, interest) and not permissions.can_view_interest(
        seller, interest
    )
    assert interest.id in {i.id for i in db.session.scalars(investments.interests_visible_to(staff))}
    # Followed industries first.
    later, _staff = _startup(name="大庆数字能源科技有限公司", field="digital")
    investments.set_followed_industries(investor, ["digital"])
    assert investments.startups(investor)[0] == later


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_investors_page_shows_startups_beside_equity_listings(client, login_as, db, lang):
    startup, staff = _startup()
    investor = financier("investment_fund")
    suffix = "?lang=en" if lang == "en" else ""
    login_as(investor)
    page = client.get(f"/finance/investors{suffix}").get_data(as_text=True)
    assert (
        'id="startups"' in page
        and startup.name in page
        and f"/finance/startups/{startup.id}/interest" in page
    )
    assert ("Incubated start-ups" if lang == "en" else "在孵初创企业") in page
    assert (
        client.post(f"/finance/startups/{startup.id}/interest{suffix}", data={"message": ""}).status_code
        == 422
    )
    posted = client.post(
        f"/finance/startups/{startup.id}/interest{suffix}", data={"message": "希望了解融资计划"}
    )
    assert posted.status_code == 302
    thread = client.get(posted.headers["Location"] + suffix).get_data(as_text=True)
    assert (
        startup.name in thread
        and "希望了解融资计划" in thread
        and startup.provider.organization.name in thread
    )
    login_as(staff)
    assert client.get(posted.headers["Location"]).status_code == 200
    login_as(factories.user_with_role("seller"))
    assert client.get(posted.headers["Location"]).status_code == 404
    assert client.get(f"/finance/startups/{startup.id}/interest").status_code == 403


def test_startups_and_interest_in_them_through_the_api(api, db):
    startup, staff = _startup()
    investor = financier("investment_fund")
    listed = api(investor).get("/api/v1/financing/startups").get_json()
    assert listed["total"] >= 1 and startup.id in {s["id"] for s in listed["items"]}
    assert api(investor).get("/api/v1/financing/startups?per_page=500").status_code == 422
    path = f"/api/v1/startups/{startup.id}/interests"
    assert api(factories.user_with_role("seller")).post(path, json={"message": "x"}).status_code == 403
    assert api(investor).post(path, json={}).status_code == 422
    assert api(investor).post("/api/v1/startups/999999/interests", json={"message": "x"}).status_code == 404
    created = api(investor).post(path, json={"message": "希望了解融资计划"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["startup_id"] == startup.id and body["listing_id"] is None
    assert body["counterpart_org_id"] == staff.organization_id


# -- uploads through the API -------------------------------------------------------------------------
def test_the_valuation_report_and_documents_are_uploaded_through_the_api(api, app, db):
    w = world()
    loan = apply(w)
    owner = api(w.owner)
    path = f"/api/v1/financing/pledges/{loan.id}"
    up = owner.post(
        f"{path}/valuation-report",
        data={"valuation_report": (io.BytesIO(PDF), "评估报告.pdf")},
        content_type="multipart/form-data",
    )
    assert up.status_code == 201
    (f,) = up.get_json()["files"]
    assert (f["purpose"], f["name"], f["content_type"]) == ("valuation", "评估报告.pdf", "application/pdf")
    download = api(w.bank).get(f["url"])
    assert download.status_code == 200 and download.data == PDF
    download.close()
    assert api(w.buyer).get(f["url"]).status_code == 404
    assert api(w.bank).get(f"{path}/files/999999").status_code == 404
    not_pdf = owner.post(
        f"{path}/valuation-report",
        data={"valuation_report": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "x.exe")},
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 422 and "valuation_report" in not_pdf.get_json()["error"]["fields"]
    assert (
        owner.post(f"{path}/valuation-report", data={}, content_type="multipart/form-data").status_code == 422
    )
    app.config["UPLOAD_MAX_BYTES"], limit = 32, app.config["UPLOAD_MAX_BYTES"]
    try:
        too_big = owner.post(
            f"{path}/valuation-report",
            data={"valuation_report": (io.BytesIO(PDF), "big.pdf")},
            content_type="multipart/form-data",
        )
        assert too_big.status_code == 422
    finally:
        app.config["UPLOAD_MAX_BYTES"] = limit
    assert (
        api(w.bank)
        .post(
            f"{path}/valuation-report",
            data={"valuation_report": (io.BytesIO(PDF), "r.pdf")},
            content_type="multipart/form-data",
        )
        .status_code
        == 403
    )
    # The bank asks for documents; the owner sends two files and a note.
    assert (
        api(w.bank).post(f"{path}/documents-request", json={"request": "请提供审计报告"}).status_code == 200
    )
    sent = owner.post(
        f"{path}/documents",
        data={
            "documents": [(io.BytesIO(PDF), "审计报告.pdf"), (io.BytesIO(PDF), "财务报表.pdf")],
            "note": "已补充",
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 200 and sent.get_json()["status"] == "applied"
    names = {x["name"] for x in sent.get_json()["files"] if x["purpose"] == "document"}
    assert names == {"审计报告.pdf", "财务报表.pdf"}


def test_a_signed_loan_takes_no_more_valuation_reports(api, db):
    w = world()
    loan = to_state(w, "signed")
    response = api(w.owner).post(
        f"/api/v1/financing/pledges/{loan.id}/valuation-report",
        data={"valuation_report": (io.BytesIO(PDF), "r.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
