"""The network's API: nodes, queue, follow-ups, events, managers, plans, targets?plan=."""

from __future__ import annotations

from datetime import timedelta

from marketplace.core.timeutil import utcnow
from tests import factories

from .factories import DAQING, HARBIN, event, matching_pair, seller_in


def test_nodes(api, net):
    body = api().get("/api/v1/nodes").get_json()
    slugs = {n["slug"]: n for n in body["items"]}
    assert slugs["core"]["level"] == "core" and slugs["core"]["parent_slug"] is None
    assert slugs["230100"]["parent_slug"] == "core" and slugs["230100"]["region"] == HARBIN
    assert api().get("/api/v1/nodes?level=regional").get_json()["total"] == 2
    assert api().get("/api/v1/nodes?level=x").status_code == 422
    node = api().get("/api/v1/nodes/230100").get_json()
    assert len(node["statistics"]) == 12 and set(node["statistics"][0]) >= {
        "month",
        "listings",
        "turnover_fen",
    }
    assert api().get("/api/v1/nodes/nope").status_code == 404


def test_queue_is_for_the_nodes_operators(api, net):
    demand, listing = matching_pair(HARBIN)
    assert api(net.daqing_op).get("/api/v1/nodes/230100/queue").status_code == 404
    assert api(factories.user_with_role("buyer")).get("/api/v1/nodes/230100/queue").status_code == 404
    assert api().get("/api/v1/nodes/230100/queue").status_code == 401
    body = api(net.harbin_op).get("/api/v1/nodes/230100/queue").get_json()
    pair = next(m for m in body["matches"] if m["demand_id"] == demand.id)
    assert pair["listing_id"] == listing.id and pair["score"] >= 45 and pair["state"] == "new"


def test_follow_up(api, net):
    demand, listing = matching_pair(HARBIN)
    url = f"/api/v1/matches/{demand.id}/{listing.id}/follow-ups"
    assert api(net.daqing_op).post(url, json={"kind": "call"}).status_code == 404
    resp = api(net.harbin_op).post(url, json={"kind": "pushed", "note": "", "next_step_on": "2020-01-01"})
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"note", "next_step_on"}
    assert api(net.harbin_op).post(url, json={"kind": "call", "next_step_on": "soon"}).status_code == 422
    resp = api(net.harbin_op).post(url, json={"kind": "intent", "note": "买方愿意签意向书"})
    assert resp.status_code == 201
    assert resp.get_json()["node_slug"] == "230100" and resp.get_json()["kind"] == "intent"
    body = api(net.harbin_op).get("/api/v1/nodes/230100/queue").get_json()
    assert demand.id not in {m["demand_id"] for m in body["matches"]}
    assert demand.id in {m["demand_id"] for m in body["followed"]}
    # the core operator may name the node
    resp = api(net.core_op).post(url, json={"kind": "meeting", "node_slug": "core"})
    assert resp.status_code == 201 and resp.get_json()["node_slug"] == "core"
    assert api(net.core_op).post(url, json={"kind": "call", "node_slug": "230600"}).status_code == 404
    assert (
        api(net.harbin_op).post("/api/v1/matches/999999/1/follow-ups", json={"kind": "call"}).status_code
        == 404
    )
    assert (
        api(net.harbin_op).post(url, data="nope", headers={"Content-Type": "application/json"}).status_code
        == 400
    )


def test_events(api, net):
    start = utcnow() + timedelta(days=3)
    body = {
        "node_slug": "230100",
        "kind": "roadshow",
        "title": "冰雪经济成果路演",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "online_url": "https://meeting.example.cn/123",
        "capacity": 1,
        "industries": ["ice_snow"],
    }
    assert api(net.daqing_op).post("/api/v1/events", json=body).status_code == 404
    bad = api(net.harbin_op).post(
        "/api/v1/events",
        json={**body, "starts_at": "2027-01-01T09:00", "capacity": "x", "industries": "ice_snow"},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"starts_at", "capacity", "industries"}
    resp = api(net.harbin_op).post("/api/v1/events", json=body)
    assert resp.status_code == 201, resp.get_json()
    ev = resp.get_json()
    assert ev["seats_left"] == 1 and ev["node_slug"] == "230100"
    listed = api().get("/api/v1/events").get_json()
    assert ev["id"] in {e["id"] for e in listed["items"]}
    assert api().get("/api/v1/events?when=never").status_code == 422
    buyer = factories.user_with_role("buyer")
    assert api(buyer).post(f"/api/v1/events/{ev['id']}/registrations").status_code == 201
    assert (
        api(factories.user_with_role("buyer")).post(f"/api/v1/events/{ev['id']}/registrations").status_code
        == 409
    )
    seller = seller_in(DAQING)
    listing = factories.ListingFactory(seller=seller, published=True)
    assert (
        api(buyer).post(f"/api/v1/events/{ev['id']}/pitches", json={"listing_id": listing.id}).status_code
        == 403
    )
    assert (
        api(seller).post(f"/api/v1/events/{ev['id']}/pitches", json={"listing_id": listing.id}).status_code
        == 201
    )
    resp = api(net.harbin_op).post(
        f"/api/v1/events/{ev['id']}/outcomes", json={"kind": "intent", "note": "签署意向"}
    )
    assert resp.status_code == 201
    detail = api().get(f"/api/v1/events/{ev['id']}").get_json()
    assert detail["pitches"][0]["listing_id"] == listing.id and detail["outcomes"][0]["kind"] == "intent"
    assert (
        api(net.daqing_op)
        .post(f"/api/v1/events/{ev['id']}/outcomes", json={"kind": "intent", "note": "x"})
        .status_code
        == 404
    )


def test_managers(api, net):
    org = factories.OrganizationFactory(kind="agency")
    agent = factories.UserFactory(role="agency", organization=org)
    body = {"name": "周平", "certificate_no": "HLJ-2025-0200", "level": "intermediate", "fields": ["energy"]}
    assert api(factories.user_with_role("buyer")).post("/api/v1/managers", json=body).status_code == 403
    resp = api(agent).post("/api/v1/managers", json=body)
    assert resp.status_code == 201 and resp.get_json()["verified"] is False
    mid = resp.get_json()["id"]
    assert api(agent).post("/api/v1/managers", json=body).status_code == 409
    assert api().get(f"/api/v1/managers/{mid}").status_code == 404
    assert (
        api(net.harbin_op).post(f"/api/v1/managers/{mid}/verify", json={"verified": True}).status_code == 404
    )
    assert (
        api(net.core_op).post(f"/api/v1/managers/{mid}/verify", json={"verified": "yes"}).status_code == 422
    )
    assert api(net.core_op).post(f"/api/v1/managers/{mid}/verify", json={"verified": True}).status_code == 200
    listed = api().get("/api/v1/managers").get_json()
    assert listed["items"][0]["name"] == "周平" and listed["counts"]["managers"] == 1
    contract = factories.ContractFactory(agency_org=org)
    assert (
        api(agent).post(f"/api/v1/managers/{mid}/contracts", json={"contract_id": contract.id}).status_code
        == 201
    )
    assert api().get(f"/api/v1/managers/{mid}").get_json()["brokered_contracts"] == 1


def test_plans_and_targets(api, net):
    reg = factories.user_with_role("regulator")
    plans = api().get("/api/v1/plans").get_json()["items"]
    assert [p["slug"] for p in plans] == ["2022-2025"] and plans[0]["current"]
    body = {
        "title": "十五五方案",
        "first_year": 2026,
        "last_year": 2027,
        "turnover_target_fen": 10**12,
        "yearly_path": [{"year": 2026, "path_fen": 4 * 10**11}, {"year": 2027, "path_fen": 6 * 10**11}],
        "targets": {"transfer_institutions": 150},
        "source": "省政府文件",
    }
    assert (
        api(factories.user_with_role("regulator", region="230100"))
        .post("/api/v1/plans", json=body)
        .status_code
        == 403
    )
    assert api(reg).post("/api/v1/plans", json={**body, "yearly_path": "x"}).status_code == 422
    resp = api(reg).post("/api/v1/plans", json=body)
    assert resp.status_code == 201 and resp.get_json()["slug"] == "2026-2027"
    assert api(reg).post("/api/v1/plans", json=body).status_code == 409
    plans = api().get("/api/v1/plans").get_json()["items"]
    assert [p["current"] for p in plans] == [False, True]
    assert (
        api(reg)
        .post(
            "/api/v1/plans/official-turnover",
            json={"year": 2026, "turnover_fen": 5 * 10**11, "source": "统计"},
        )
        .status_code
        == 201
    )
    targets = api().get("/api/v1/targets").get_json()
    assert targets["plan"]["plan"]["slug"] == "2026-2027"
    year = next(y for y in targets["plan"]["years"] if y["year"] == 2026)
    assert year["official_fen"] == 5 * 10**11 and year["coverage_bp"] == 0
    old = api().get("/api/v1/targets?plan=2022-2025").get_json()
    assert old["plan"]["ended"] is True and old["turnover"]["target_fen"] == 2 * 10**13
    assert api().get("/api/v1/targets?plan=nope").status_code == 404


def test_openapi_lists_the_network(api):
    doc = api().get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/nodes", "/api/v1/events", "/api/v1/managers", "/api/v1/plans"):
        assert any(p.endswith(path.removeprefix("/api/v1")) or p == path for p in doc["paths"]), path


def test_past_events(api, net):
    ev = event(net.harbin, net.harbin_op, days=-30)
    assert ev.id in {e["id"] for e in api().get("/api/v1/events?when=past").get_json()["items"]}


def test_workbench_items_for_operators(api, net):
    matching_pair(HARBIN)
    items = {i["key"]: i for i in api(net.harbin_op).get("/api/v1/workbench").get_json()["items"]}
    assert items["network_queue_230100"]["count"] >= 1
    assert items["network_queue_230100"]["url"] == "/network/nodes/230100/queue"
    assert "network_managers_to_verify" not in items
    core = {i["key"] for i in api(net.core_op).get("/api/v1/workbench").get_json()["items"]}
    assert {"network_queue_core", "network_managers_to_verify", "network_operators_to_approve"} <= core
    buyer = {
        i["key"] for i in api(factories.user_with_role("buyer")).get("/api/v1/workbench").get_json()["items"]
    }
    assert not any(k.startswith("network_") for k in buyer)


def test_nodes_operators_and_event_status_through_the_api(api, net):
    hit = factories.OrganizationFactory(kind="university", name="哈尔滨北方工业大学")
    body = {
        "slug": "hit-ttc",
        "name": "北方工大技术转移中心",
        "org_id": hit.id,
        "institution_org_ids": [hit.id],
    }
    assert api(net.harbin_op).post("/api/v1/nodes", json=body).status_code == 403
    bad = api(net.core_op).post("/api/v1/nodes", json={**body, "slug": "230100", "institution_org_ids": "x"})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"institution_org_ids"}
    bad = api(net.core_op).post("/api/v1/nodes", json={**body, "slug": "230100"})
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"slug"}
    resp = api(net.core_op).post("/api/v1/nodes", json=body)
    assert resp.status_code == 201 and resp.get_json()["parent_slug"] == "core"
    assert api(net.core_op).post("/api/v1/nodes", json=body).status_code == 409
    person = factories.UserFactory(role="agency", organization=net.daqing.organization)
    assert api(factories.user_with_role("agency")).post("/api/v1/nodes/230600/operators").status_code == 403
    row = api(person).post("/api/v1/nodes/230600/operators").get_json()
    assert row["status"] == "pending"
    assert api(person).post("/api/v1/nodes/230600/operators").status_code == 409
    url = f"/api/v1/operators/{row['id']}/decision"
    assert api(net.harbin_op).post(url, json={"approve": True}).status_code == 404
    assert api(net.core_op).post(url, json={"approve": "yes"}).status_code == 422
    assert api(net.core_op).post(url, json={"approve": True}).get_json()["status"] == "approved"
    assert api(net.core_op).post(url, json={"approve": True}).status_code == 409
    assert api(person).get("/api/v1/nodes/230600/queue").status_code == 200
    ev = event(net.harbin, net.harbin_op)
    status_url = f"/api/v1/events/{ev.id}/status"
    assert api(net.daqing_op).post(status_url, json={"status": "held"}).status_code == 404
    assert api(net.harbin_op).post(status_url, json={"status": "gone"}).status_code == 422
    assert api(net.harbin_op).post(status_url, json={"status": "held"}).get_json()["status"] == "held"
    assert api(net.harbin_op).post(status_url, json={"status": "cancelled"}).status_code == 409
