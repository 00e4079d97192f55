"""The network's pages in Chinese and English, forms with errors, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.core.timeutil import to_shanghai, utcnow
from marketplace.extensions import db
from marketplace.network import queue
from marketplace.network.models import DockingEvent, FollowUp, TechManager
from tests import factories

from .factories import DAQING, HARBIN, event, matching_pair, seller_in


@pytest.mark.parametrize("lang,word", [("zh", "对接网络"), ("en", "docking network")])
def test_public_pages(client, net, lang, word):
    ev = event(net.harbin, net.harbin_op)
    pages = [
        "/network/",
        f"/network/nodes/{net.harbin.slug}",
        f"/network/nodes/{net.core.slug}",
        "/network/events",
        f"/network/events/{ev.id}",
        "/network/managers",
        "/network/compare",
        "/network/plans",
        "/targets",
        "/targets?plan=2022-2025",
    ]
    for path in pages:
        sep = "&" if "?" in path else "?"
        resp = client.get(f"{path}{sep}lang={lang}")
        assert resp.status_code == 200, path
    body = client.get(f"/network/?lang={lang}").get_data(as_text=True)
    assert word in body.lower() if lang == "en" else word in body
    assert client.get("/network/nodes/nope").status_code == 404
    assert client.get("/targets?plan=1999-2000").status_code == 404


def test_ics_files(client, net):
    ev = event(net.harbin, net.harbin_op, title="石墨烯成果路演")
    resp = client.get(f"/network/events/{ev.id}.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert "SUMMARY:石墨烯成果路演" in resp.get_data(as_text=True)
    assert "石墨烯成果路演" in client.get("/network/events.ics").get_data(as_text=True)


def test_queue_permissions(client, login_as, net):
    demand, listing = matching_pair(HARBIN)
    for user, status in [(net.harbin_op, 200), (net.core_op, 200), (net.daqing_op, 404)]:
        login_as(user)
        assert client.get(f"/network/nodes/{net.harbin.slug}/queue").status_code == status
    login_as("buyer")
    assert client.get(f"/network/nodes/{net.harbin.slug}/queue").status_code == 404
    login_as(net.harbin_op)
    body = client.get(f"/network/nodes/{net.harbin.slug}/queue?lang=en").get_data(as_text=True)
    assert demand.title in body and listing.title in body


def test_record_follow_up_through_the_page(client, login_as, net):
    demand, listing = matching_pair(HARBIN)
    url = f"/network/matches/{demand.id}/{listing.id}"
    login_as(net.daqing_op)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"kind": "call"}).status_code == 404
    login_as(net.harbin_op)
    resp = client.post(url + "?lang=en", data={"kind": "pushed", "note": "", "next_step_on": "2020-01-01"})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Write the note the buyer and the seller will read." in body
    assert "The next step cannot be in the past." in body
    assert db.session.scalar(select(FollowUp.id)) is None
    resp = client.post(url, data={"kind": "pushed", "note": "请双方尽快联系"})
    assert resp.status_code == 302
    row = db.session.scalar(select(FollowUp))
    assert row.kind == "pushed" and row.node_id == net.harbin.id
    # the buyer, notified, opens the match and reads the note
    login_as(demand.created_by)
    body = client.get(url).get_data(as_text=True)
    assert "请双方尽快联系" in body and "Record a follow-up" not in body


def test_create_event_form(client, login_as, net):
    login_as(net.harbin_op)
    url = f"/network/nodes/{net.harbin.slug}/events/new"
    assert client.get(url).status_code == 200
    resp = client.post(url + "?lang=en", data={"kind": "roadshow", "title": "", "capacity": "0"})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert body.count('role="alert"') >= 3
    start = to_shanghai(utcnow() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    end = to_shanghai(utcnow() + timedelta(days=5, hours=2)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(
        url,
        data={
            "kind": "roadshow",
            "title": "新材料路演",
            "starts_at": start,
            "ends_at": end,
            "place": "哈尔滨",
            "capacity": "50",
            "industries": ["new_materials"],
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ev = db.session.scalar(select(DockingEvent).where(DockingEvent.title == "新材料路演"))
    assert ev.capacity == 50 and ev.industries == ["new_materials"]
    assert to_shanghai(ev.starts_at).strftime("%Y-%m-%dT%H:%M") == start
    login_as(net.daqing_op)
    assert client.get(url).status_code == 404


def test_register_and_pitch_pages(client, login_as, net):
    ev = event(net.harbin, net.harbin_op, capacity=1)
    login_as("buyer")
    assert client.post(f"/network/events/{ev.id}/register").status_code == 302
    assert ev.registered == 1 or db.session.get(DockingEvent, ev.id).registered == 1
    login_as("buyer")
    client.post(f"/network/events/{ev.id}/register")
    db.session.refresh(ev)
    assert ev.registered == 1
    seller = seller_in(HARBIN)
    listing = factories.ListingFactory(seller=seller, published=True)
    login_as(seller)
    assert (
        client.post(f"/network/events/{ev.id}/pitches", data={"listing_id": str(listing.id)}).status_code
        == 302
    )
    assert listing.title in client.get(f"/network/events/{ev.id}").get_data(as_text=True)


def test_manager_pages(client, login_as, net):
    org = factories.OrganizationFactory(kind="agency", region_code=DAQING)
    agent = factories.UserFactory(role="agency", organization=org)
    login_as(agent)
    resp = client.post(
        "/network/managers/new?lang=en", data={"name": "", "certificate_no": "x", "level": "senior"}
    )
    assert resp.status_code == 422
    resp = client.post(
        "/network/managers/new",
        data={"name": "孙强", "certificate_no": "HLJ-2025-0100", "level": "senior", "fields": ["energy"]},
    )
    assert resp.status_code == 302
    m = db.session.scalar(select(TechManager))
    login_as("buyer")
    assert client.get(f"/network/managers/{m.id}").status_code == 404
    login_as(net.core_op)
    assert client.post(f"/network/managers/{m.id}/decide", data={"decision": "verify"}).status_code == 302
    assert m.verified
    client.get("/logout")
    assert "孙强" in client.get("/network/managers").get_data(as_text=True)


def test_plan_pages(client, login_as, net):
    login_as(factories.user_with_role("regulator"))
    resp = client.post(
        "/network/plans?lang=en",
        data={
            "which": "period",
            "period-title": "",
            "period-first_year": "2026",
            "period-last_year": "2030",
            "period-yearly_path": "2026 abc",
        },
    )
    assert resp.status_code == 422
    resp = client.post(
        "/network/plans",
        data={
            "which": "period",
            "period-title": "十五五行动方案",
            "period-first_year": "2026",
            "period-last_year": "2030",
            "period-turnover_target_fen": "400000000000",
            "period-yearly_path": "2026 650\n2027 720\n2028 800\n2029 880\n2030 950",
            "period-source": "省政府 2026 年文件",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    resp = client.post(
        "/network/plans",
        data={
            "which": "official",
            "official-year": "2025",
            "official-turnover_fen": "61000000000",
            "official-source": "省科技厅统计",
        },
    )
    assert resp.status_code == 302
    body = client.get("/targets?lang=en").get_data(as_text=True)
    assert "十五五行动方案" in body and "2026-2030 (current)" in body
    body = client.get("/targets?plan=2022-2025&lang=en").get_data(as_text=True)
    assert "Ended: final result" in body and "CNY 61.00 billion" in body
    assert "1 of 4 years published" in body and "by the platform" in body
    login_as(factories.user_with_role("regulator", region="230100"))
    assert client.post("/network/plans", data={"which": "official"}).status_code == 404


def test_dashboard_headline(client, login_as, net):
    login_as(factories.user_with_role("regulator"))
    body = client.get("/ledger/?lang=en").get_data(as_text=True)
    assert "Current plan period" in body and "Coverage" in body


def test_operator_request_flow(client, login_as, net):
    person = factories.UserFactory(role="agency", organization=net.daqing.organization)
    login_as(person)
    assert client.post(f"/network/nodes/{net.daqing.slug}/operators").status_code == 302
    login_as(net.core_op)
    body = client.get("/network/").get_data(as_text=True)
    assert person.name in body
    from marketplace.network.models import NodeOperator

    row = db.session.scalar(select(NodeOperator).where(NodeOperator.user_id == person.id))
    login_as(net.harbin_op)
    assert client.post(f"/network/operators/{row.id}/decide", data={"decision": "approve"}).status_code == 404
    login_as(net.core_op)
    assert client.post(f"/network/operators/{row.id}/decide", data={"decision": "approve"}).status_code == 302
    db.session.refresh(row)
    assert row.status == "approved"
    _ = queue
