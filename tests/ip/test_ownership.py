"""Shared ownership: the owners of a co-owned asset change only with every owner's agreement
(README, "Shared ownership")."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace.core.models import audit_trail
from marketplace.core.timeutil import today_shanghai, utcnow
from marketplace.ip import ownership, services
from marketplace.ip.models import OwnershipProposal
from marketplace.ip.services import OwnerShare
from marketplace.listings.models import Listing
from marketplace.notifications.models import Notification
from marketplace.search.outbox import SearchOutbox

from ..factories import (
    EncumbranceFactory,
    IpAssetFactory,
    ListingFactory,
    OrganizationFactory,
    UserFactory,
    user_with_role,
)

PDF = b"%PDF-1.4\n% judgment\n"


@pytest.fixture
def seller_a(db):
    return user_with_role("seller", org=OrganizationFactory(kind="university", name="哈尔滨工业大学"))


@pytest.fixture
def seller_b(db):
    return user_with_role("seller", org=OrganizationFactory(kind="enterprise", name="鸡西石墨烯科技有限公司"))


@pytest.fixture
def asset(seller_a, seller_b):
    """Owned 50/50 by A and B, verified by an agency."""
    agency = user_with_role("agency")
    asset = IpAssetFactory(owned_by=[(seller_a.organization, 5000), (seller_b.organization, 5000)])
    asset.verified_at = utcnow()
    asset.verified_by_id = agency.id
    asset.verification_source = "cnipa_patent_search"
    return asset


@pytest.fixture
def listing_b(seller_b, asset):
    return ListingFactory(seller=seller_b, published=True, assets=[asset])


def owners_of(asset) -> dict[int, int]:
    return {o.org_id: o.share_bp for o in asset.owners}


def propose(api, actor, asset, owners, reason="双方签订股权调整协议（2026-11-20）"):
    return api(actor).post(
        f"/api/v1/assets/{asset.id}/ownership-proposals",
        json={"owners": [{"org_id": o, "share_bp": s} for o, s in owners], "reason": reason},
    )


def decide(api, actor, proposal_id, decision="accept", note="依据（2026）黑01民初123号判决", file=PDF):
    data = {"decision": decision, "note": note}
    if file is not None:
        data["evidence"] = (io.BytesIO(file), "判决书.pdf")
    return api(actor).post(
        f"/api/v1/ownership-proposals/{proposal_id}/decide", data=data, content_type="multipart/form-data"
    )


# --- the takeover ------------------------------------------------------------------------------


def test_a_co_owner_cannot_make_itself_sole_owner_by_patch(api, db, seller_a, seller_b, asset, listing_b):
    a, b = seller_a.organization_id, seller_b.organization_id
    response = api(seller_a).patch(
        f"/api/v1/assets/{asset.id}", json={"owners": [{"org_id": a, "share_bp": 10000}]}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "ownership_proposal_required"
    assert f"/api/v1/assets/{asset.id}/ownership-proposals" in error["message"]
    db.session.expire_all()
    assert owners_of(asset) == {a: 5000, b: 5000}
    assert [t.kind for t in asset.title_events] == ["registration"]
    assert {o["org_id"] for o in asset.title_events[0].owners} == {a, b}
    assert asset.is_verified
    assert db.session.get(Listing, listing_b.id).status == "published"
    # Nor by changing shares only, nor through the web form.
    response = api(seller_a).patch(
        f"/api/v1/assets/{asset.id}",
        json={"owners": [{"org_id": a, "share_bp": 9000}, {"org_id": b, "share_bp": 1000}]},
    )
    assert response.status_code == 409
    # Other fields stay editable.
    assert api(seller_a).patch(f"/api/v1/assets/{asset.id}", json={"title_en": "Graphene"}).status_code == 200
    assert owners_of(asset) == {a: 5000, b: 5000}


def test_the_web_edit_form_does_not_change_the_owners_of_a_co_owned_asset(
    client, db, english, login_as, seller_a, seller_b, asset
):
    login_as(seller_a)
    page = client.get(f"/assets/{asset.id}/edit").get_data(as_text=True)
    assert "its owners change only when every owner agrees" in page
    assert f"/assets/{asset.id}/ownership-proposals/new" in page
    data = {
        "kind": asset.kind,
        "identifier": asset.identifier,
        "title_zh": asset.title_zh,
        "industry": asset.industry,
        "legal_status": asset.legal_status,
        "owners-0-org_id": str(seller_a.organization_id),
        "owners-0-share_bp": "100%",
    }
    response = client.post(f"/assets/{asset.id}/edit", data=data)
    assert response.status_code == 200
    assert "every owner agrees" in response.get_data(as_text=True)
    assert owners_of(asset) == {seller_a.organization_id: 5000, seller_b.organization_id: 5000}


# --- accepted by every owner --------------------------------------------------------------------


def test_a_proposal_accepted_by_every_owner_applies_as_a_new_link(
    api, db, seller_a, seller_b, asset, listing_b
):
    a, b = seller_a.organization_id, seller_b.organization_id
    listing_a = ListingFactory(seller=seller_a, published=True, assets=[asset])
    other_b = ListingFactory(seller=seller_b, published=True)  # another asset of B's
    draft_b = ListingFactory(seller=seller_b, assets=[asset])
    closed_b = ListingFactory(seller=seller_b, closed=True, assets=[asset])
    colleague_b = UserFactory(role="seller", organization=seller_b.organization)
    response = propose(api, seller_a, asset, [(a, 10000)])
    assert response.status_code == 201, response.get_json()
    proposal = response.get_json()
    assert proposal["status"] == "proposed"
    assert [(x["org_id"], x["decision"]) for x in proposal["answers"]] == [(a, "accept")]
    assert proposal["awaiting_org_ids"] == [b]
    assert [o["share_bp"] for o in proposal["current_owners"]] == [5000, 5000]
    # Nothing changed yet; B's people are told.
    assert owners_of(asset) == {a: 5000, b: 5000}
    told = db.session.scalars(select(Notification).where(Notification.kind == "ip.ownership_proposed")).all()
    assert {n.user_id for n in told} == {seller_b.id, colleague_b.id}
    assert told[0].link == f"/ownership-proposals/{proposal['id']}"

    response = api(seller_b).post(
        f"/api/v1/ownership-proposals/{proposal['id']}/accept", json={"note": "同意"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "accepted" and body["decision_basis"] == "owners"
    db.session.expire_all()
    assert owners_of(asset) == {a: 10000}
    chain = [(t.seq, t.kind, t.proposal_id) for t in asset.title_events]
    assert chain == [(1, "registration", None), (2, "ownership_change", proposal["id"])]
    # The first registration is kept as it was.
    assert {o["org_id"]: o["share_bp"] for o in asset.title_events[0].owners} == {a: 5000, b: 5000}
    assert asset.title_events[1].owners == [
        {"org_id": a, "name": seller_a.organization.name, "share_bp": 10000}
    ]
    assert not asset.is_verified
    # B's open listings of the asset are withdrawn; everything else is untouched.
    statuses = {lst.id: db.session.get(Listing, lst.id).status for lst in (listing_b, draft_b, closed_b)}
    assert statuses == {listing_b.id: "withdrawn", draft_b.id: "withdrawn", closed_b.id: "closed"}
    assert db.session.get(Listing, listing_a.id).status == "published"
    assert db.session.get(Listing, other_b.id).status == "published"
    withdrawn = audit_trail(db.session.get(Listing, listing_b.id))[-1]
    assert withdrawn.action == "listing.withdraw" and withdrawn.data["reason"] == "ownership_changed"
    assert withdrawn.from_state == "published" and withdrawn.actor_id == seller_b.id
    # The public no longer sees it.
    assert api().get(f"/api/v1/listings/{listing_b.id}").status_code == 404
    assert api().get(f"/api/v1/listings/{listing_a.id}").status_code == 200
    lost = db.session.scalars(select(Notification).where(Notification.kind == "ip.ownership_lost")).all()
    assert {n.user_id for n in lost} == {colleague_b.id}  # seller_b acted and knows


def test_applying_in_the_service_drops_the_withdrawn_listing_from_the_search_index(
    db, seller_a, seller_b, asset, listing_b, request_ctx
):
    proposal = ownership.propose_ownership_change(
        asset, [OwnerShare(seller_a.organization_id, 10000)], reason="协议", actor=seller_a
    )
    ownership.accept_proposal(proposal, actor=seller_b)
    assert listing_b.status == "withdrawn" and listing_b.end_reason == f"ownership_changed asset:{asset.id}"
    ops = db.session.scalars(select(SearchOutbox.op).where(SearchOutbox.listing_id == listing_b.id)).all()
    assert ops == ["delete"]


def test_the_audit_trail_records_old_and_new_owners_and_shares(api, db, seller_a, seller_b, asset):
    a, b = seller_a.organization_id, seller_b.organization_id
    c = OrganizationFactory(name="黑龙江省农业科学院")
    proposal_id = propose(api, seller_a, asset, [(a, 4000), (b, 4000), (c.id, 2000)]).get_json()["id"]
    assert api(seller_b).post(f"/api/v1/ownership-proposals/{proposal_id}/accept").status_code == 200
    db.session.expire_all()
    events = {e.action: e for e in audit_trail(asset)}
    changed = events["ip.owners_changed"]
    assert changed.actor_id == seller_b.id
    assert changed.data["from"] == [
        {"org_id": a, "name": "哈尔滨工业大学", "share_bp": 5000},
        {"org_id": b, "name": "鸡西石墨烯科技有限公司", "share_bp": 5000},
    ]
    assert changed.data["to"] == [
        {"org_id": a, "name": "哈尔滨工业大学", "share_bp": 4000},
        {"org_id": b, "name": "鸡西石墨烯科技有限公司", "share_bp": 4000},
        {"org_id": c.id, "name": "黑龙江省农业科学院", "share_bp": 2000},
    ]
    assert changed.data["cause"] == "proposal" and changed.data["proposal_id"] == proposal_id
    assert changed.data["verification_cleared"] is True
    assert events["ip.ownership_proposed"].data["to"] == changed.data["to"]
    proposal = db.session.get(OwnershipProposal, proposal_id)
    assert [e.action for e in audit_trail(proposal)] == [
        "ip.ownership_proposed",
        "ip.ownership_vote_accept",
        "ip.ownership_accepted",
        "ip.ownership_applied",
    ]
    assert audit_trail(proposal)[-1].data["from"] == changed.data["from"]


def test_every_current_owner_must_accept_and_added_owners_only_watch(api, db, seller_a, seller_b):
    seller_c = user_with_role("seller")
    a, b, c = seller_a.organization_id, seller_b.organization_id, seller_c.organization_id
    asset = IpAssetFactory(owned_by=[(seller_a.organization, 4000), (seller_b.organization, 3000),
                                     (seller_c.organization, 3000)])  # fmt: skip
    newcomer = user_with_role("seller")
    d = newcomer.organization_id
    proposal_id = propose(api, seller_a, asset, [(a, 4000), (b, 3000), (d, 3000)]).get_json()["id"]
    # The organization to be added sees the proposal but does not answer it.
    assert api(newcomer).get(f"/api/v1/ownership-proposals/{proposal_id}").status_code == 200
    assert api(newcomer).post(f"/api/v1/ownership-proposals/{proposal_id}/accept").status_code == 403
    assert api(seller_b).post(f"/api/v1/ownership-proposals/{proposal_id}/accept").status_code == 200
    assert owners_of(asset) == {a: 4000, b: 3000, c: 3000}
    again = api(seller_b).post(f"/api/v1/ownership-proposals/{proposal_id}/accept")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_answered"
    body = api(seller_c).post(f"/api/v1/ownership-proposals/{proposal_id}/accept").get_json()
    assert body["status"] == "accepted"
    db.session.expire_all()
    assert owners_of(asset) == {a: 4000, b: 3000, d: 3000}


# --- refused, withdrawn, blocked ---------------------------------------------------------------


def test_a_rejected_proposal_changes_nothing(api, db, seller_a, seller_b, asset, listing_b):
    a, b = seller_a.organization_id, seller_b.organization_id
    proposal_id = propose(api, seller_a, asset, [(a, 10000)]).get_json()["id"]
    response = api(seller_b).post(
        f"/api/v1/ownership-proposals/{proposal_id}/reject", json={"note": "不同意"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected" and body["decision_note"] == "不同意"
    db.session.expire_all()
    assert owners_of(asset) == {a: 5000, b: 5000}
    assert [t.kind for t in asset.title_events] == ["registration"]
    assert asset.is_verified
    assert db.session.get(Listing, listing_b.id).status == "published"
    assert "ip.owners_changed" not in {e.action for e in audit_trail(asset)}
    late = api(seller_b).post(f"/api/v1/ownership-proposals/{proposal_id}/accept")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "proposal_closed"
    told = db.session.scalars(select(Notification).where(Notification.kind == "ip.ownership_rejected")).all()
    assert {n.user_id for n in told} == {seller_a.id}
    # A new proposal may be made.
    assert propose(api, seller_a, asset, [(a, 6000), (b, 4000)]).status_code == 201


def test_withdrawn_and_one_open_proposal_at_a_time(api, db, seller_a, seller_b, asset):
    a, b = seller_a.organization_id, seller_b.organization_id
    proposal_id = propose(api, seller_a, asset, [(a, 10000)]).get_json()["id"]
    second = propose(api, seller_b, asset, [(b, 10000)])
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "proposal_open"
    assert api(seller_b).post(f"/api/v1/ownership-proposals/{proposal_id}/withdraw").status_code == 403
    response = api(seller_a).post(f"/api/v1/ownership-proposals/{proposal_id}/withdraw")
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert api(seller_b).post(f"/api/v1/ownership-proposals/{proposal_id}/accept").status_code == 409
    assert owners_of(asset) == {a: 5000, b: 5000}
    assert propose(api, seller_b, asset, [(b, 10000)]).status_code == 201


def test_a_pledge_keeps_the_owners_from_changing(api, db, seller_a, seller_b, asset):
    a = seller_a.organization_id
    proposal_id = propose(api, seller_a, asset, [(a, 10000)]).get_json()["id"]
    EncumbranceFactory(asset=asset, pledge=True)
    response = api(seller_b).post(f"/api/v1/ownership-proposals/{proposal_id}/accept")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "deal_excluded"
    proposal = db.session.get(OwnershipProposal, proposal_id)
    db.session.refresh(proposal)
    assert proposal.status == "proposed" and [v.org_id for v in proposal.votes] == [a]  # nothing recorded
    api(seller_a).post(f"/api/v1/ownership-proposals/{proposal_id}/withdraw")
    response = propose(api, seller_a, asset, [(a, 10000)])
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "deal_excluded"


def test_stale_proposal_refuses_to_apply(db, seller_a, seller_b, asset, request_ctx):
    a, b = seller_a.organization_id, seller_b.organization_id
    proposal = ownership.propose_ownership_change(
        asset, [OwnerShare(a, 10000)], reason="协议", actor=seller_a
    )
    seller_t = user_with_role("seller")
    services.record_transfer(
        asset, [OwnerShare(b, 5000), OwnerShare(seller_t.organization_id, 5000)], contract_ref="HT-8",
        effective_on=today_shanghai(), actor=seller_a,
    )  # fmt: skip
    with pytest.raises(services.Conflict) as exc:
        ownership.accept_proposal(proposal, actor=seller_b)
    assert exc.value.code == "proposal_stale"


def test_a_sole_owner_adds_a_co_owner_directly_and_proposals_are_for_co_owned_assets(api, db, seller_a):
    asset = IpAssetFactory(owned_by=seller_a.organization)
    partner_seller = user_with_role("seller")
    partner = partner_seller.organization
    a = seller_a.organization_id
    assert propose(api, seller_a, asset, [(a, 5000), (partner.id, 5000)]).get_json()["error"]["code"] == (
        "not_co_owned"
    )
    response = api(seller_a).patch(
        f"/api/v1/assets/{asset.id}",
        json={"owners": [{"org_id": a, "share_bp": 6000}, {"org_id": partner.id, "share_bp": 4000}]},
    )
    assert response.status_code == 200
    chain = response.get_json()["chain_of_title"]
    assert [t["kind"] for t in chain] == ["registration", "ownership_change"]
    assert [o["org_id"] for o in chain[0]["owners"]] == [a]
    updated = [e for e in audit_trail(asset) if e.action == "ip.asset_updated"][-1]
    assert updated.data["fields"] == ["owners"]
    assert [o["share_bp"] for o in updated.data["to"]] == [6000, 4000]
    assert response.get_json()["co_owned"] is True
    told = db.session.scalars(select(Notification).where(Notification.kind == "ip.co_owner_added")).all()
    assert [n.user_id for n in told] == [partner_seller.id]


# --- decided by an admin or agency ---------------------------------------------------------------


def test_an_agency_decides_with_evidence(api, db, seller_a, seller_b, asset, listing_b):
    a = seller_a.organization_id
    agency = user_with_role("agency")
    proposal_id = propose(api, seller_a, asset, [(a, 10000)]).get_json()["id"]
    missing = decide(api, agency, proposal_id, file=None)
    assert missing.status_code == 422 and "evidence" in missing.get_json()["error"]["fields"]
    assert decide(api, agency, proposal_id, note="").status_code == 422
    not_pdf = decide(api, agency, proposal_id, file=b"MZ\x90\x00 not a document")
    assert not_pdf.status_code == 422
    assert api(agency).post(f"/api/v1/ownership-proposals/{proposal_id}/decide", json={}).status_code == 422
    response = decide(api, agency, proposal_id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "accepted" and body["decision_basis"] == "agency"
    assert body["evidence"]["name"] == "判决书.pdf" and body["decision_note"].startswith("依据")
    db.session.expire_all()
    assert owners_of(asset) == {a: 10000}
    assert db.session.get(Listing, listing_b.id).status == "withdrawn"
    assert [v.org_id for v in db.session.get(OwnershipProposal, proposal_id).votes] == [a]


def test_an_admin_rejects_with_evidence(api, db, seller_a, seller_b, asset):
    admin = user_with_role("admin")
    proposal_id = propose(api, seller_a, asset, [(seller_a.organization_id, 10000)]).get_json()["id"]
    body = decide(api, admin, proposal_id, decision="reject").get_json()
    assert body["status"] == "rejected" and body["decision_basis"] == "admin" and body["evidence"]
    assert owners_of(asset) == {seller_a.organization_id: 5000, seller_b.organization_id: 5000}
    assert decide(api, admin, proposal_id).status_code == 409


# --- who may do what -------------------------------------------------------------------------------

ACTORS = ("owner_a", "owner_b", "outsider", "agency", "admin", "regulator", "pending_agency", "buyer_of_b")


def _actor(name, seller_a, seller_b):
    return {
        "owner_a": lambda: seller_a,
        "owner_b": lambda: seller_b,
        "outsider": lambda: user_with_role("seller"),
        "agency": lambda: user_with_role("agency"),
        "admin": lambda: user_with_role("admin"),
        "regulator": lambda: user_with_role("regulator"),
        "pending_agency": lambda: user_with_role(
            "agency", org=OrganizationFactory(kind="agency", pending=True)
        ),
        "buyer_of_b": lambda: UserFactory(role="buyer", organization=seller_b.organization),
    }[name]()


EXPECTED = {
    #               owner_a owner_b outsider agency admin regulator pending_agency buyer_of_b
    "view": (200, 200, 404, 200, 200, 200, 404, 200),
    "propose": (201, 201, 404, 403, 403, 403, 404, 403),
    "accept": (409, 200, 404, 403, 403, 403, 404, 403),
    "reject": (409, 200, 404, 403, 403, 403, 404, 403),
    "withdraw": (200, 403, 404, 403, 403, 403, 404, 403),
    "decide": (403, 403, 404, 200, 200, 403, 404, 403),
}


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("who", ACTORS)
def test_permission_matrix(api, db, seller_a, seller_b, asset, action, who):
    a, b = seller_a.organization_id, seller_b.organization_id
    actor = _actor(who, seller_a, seller_b)
    if action == "propose":
        response = propose(api, actor, asset, [(a, 6000), (b, 4000)])
    else:
        proposal_id = propose(api, seller_a, asset, [(a, 6000), (b, 4000)]).get_json()["id"]
        path = f"/api/v1/ownership-proposals/{proposal_id}"
        if action == "view":
            response = api(actor).get(path)
        elif action == "decide":
            response = decide(api, actor, proposal_id)
        else:
            response = api(actor).post(f"{path}/{action}")
    expected = EXPECTED[action][ACTORS.index(who)]
    assert response.status_code == expected, (who, action, response.get_json())
    if expected >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message"}
    listing = api(actor).get(f"/api/v1/assets/{asset.id}/ownership-proposals")
    assert listing.status_code == (404 if who in ("outsider", "pending_agency") else 200)


def test_the_openapi_document_describes_the_proposal_endpoints(api, db):
    paths = api().get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/assets/{asset_id}/ownership-proposals"]) == {"get", "post"}
    for action in ("accept", "reject", "withdraw", "decide"):
        assert "post" in paths[f"/api/v1/ownership-proposals/{{proposal_id}}/{action}"]
    assert "get" in paths["/api/v1/ownership-proposals/{proposal_id}"]
    assert (
        "multipart/form-data" in paths["/api/v1/ownership-proposals/{proposal_id}/decide"]["post"]["summary"]
    )


# --- the web pages -------------------------------------------------------------------------------


def test_web_journey_propose_accept_and_see_the_chain(
    client, db, english, login_as, seller_a, seller_b, asset
):
    a, b = seller_a.organization_id, seller_b.organization_id
    login_as(seller_a)
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Propose a change of owners" in page
    form = client.get(f"/assets/{asset.id}/ownership-proposals/new")
    assert form.status_code == 200 and "Owners now" in form.get_data(as_text=True)
    bad = client.post(
        f"/assets/{asset.id}/ownership-proposals/new",
        data={"owners-0-org_id": str(a), "owners-0-share_bp": "90%", "reason": "协议"},
    )
    assert bad.status_code == 200 and "must add up to exactly 100" in bad.get_data(as_text=True)
    response = client.post(
        f"/assets/{asset.id}/ownership-proposals/new",
        data={
            "owners-0-org_id": str(a),
            "owners-0-share_bp": "70%",
            "owners-1-org_id": str(b),
            "owners-1-share_bp": "30%",
            "reason": "双方协议调整份额",
        },
    )
    assert response.status_code == 302
    proposal = ownership.open_proposal(asset)
    assert response.headers["Location"].endswith(f"/ownership-proposals/{proposal.id}")
    asset_page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "See the open proposal" in asset_page and "Propose a change of owners" not in asset_page
    mine = client.get(f"/ownership-proposals/{proposal.id}").get_data(as_text=True)
    assert "Withdraw the proposal" in mine and 'formaction="' not in mine
    login_as(seller_b)
    theirs = client.get(f"/ownership-proposals/{proposal.id}").get_data(as_text=True)
    assert "Your organization&#39;s answer" in theirs or "Your organization's answer" in theirs
    assert "双方协议调整份额" in theirs and "70.00%" in theirs
    response = client.post(f"/ownership-proposals/{proposal.id}/accept", data={"note": "同意"})
    assert response.status_code == 302
    db.session.expire_all()
    assert owners_of(asset) == {a: 7000, b: 3000}
    page = client.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Owners changed by agreement" in page and "Accepted and applied" in page


def test_web_pages_in_chinese_and_the_decision_form(client, db, login_as, seller_a, seller_b, asset):
    proposal = ownership.propose_ownership_change(
        asset, [OwnerShare(seller_a.organization_id, 10000)], reason="法院判决", actor=seller_a
    )
    login_as("admin")
    page = client.get(f"/ownership-proposals/{proposal.id}").get_data(as_text=True)
    assert "依据证据作出决定" in page and "等待权利人答复" in page
    response = client.post(
        f"/ownership-proposals/{proposal.id}/decide",
        data={
            "decision": "accept",
            "note": "（2026）黑01民初123号判决",
            "evidence": (io.BytesIO(PDF), "判决书.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert owners_of(asset) == {seller_a.organization_id: 10000}
    with client.get(f"/ownership-proposals/{proposal.id}/evidence") as evidence:
        assert evidence.status_code == 200 and evidence.data == PDF
    login_as(user_with_role("seller"))
    assert client.get(f"/ownership-proposals/{proposal.id}").status_code == 404
    assert client.get(f"/ownership-proposals/{proposal.id}/evidence").status_code == 404


def test_web_decision_without_evidence_is_refused(client, db, english, login_as, seller_a, seller_b, asset):
    proposal = ownership.propose_ownership_change(
        asset, [OwnerShare(seller_a.organization_id, 10000)], reason="判决", actor=seller_a
    )
    login_as("agency")
    response = client.post(
        f"/ownership-proposals/{proposal.id}/decide", data={"decision": "accept", "note": "判决"}
    )
    assert response.status_code == 422 and "Choose a file to upload" in response.get_data(as_text=True)
    assert owners_of(asset) == {seller_a.organization_id: 5000, seller_b.organization_id: 5000}
    login_as(seller_b)
    assert client.post(f"/ownership-proposals/{proposal.id}/decide", data={}).status_code == 403


def test_a_registered_transfer_also_withdraws_the_former_owners_listings(db, seller_a, request_ctx):
    asset = IpAssetFactory(owned_by=seller_a.organization)
    bundle = ListingFactory(
        seller=seller_a, published=True, assets=[asset, IpAssetFactory(owned_by=seller_a.organization)]
    )
    buyer = OrganizationFactory(kind="enterprise")
    services.record_transfer(
        asset, [OwnerShare(buyer.id, 10000)], contract_ref="HT-2026-T1", effective_on=today_shanghai(),
        actor=seller_a,
    )  # fmt: skip
    assert bundle.status == "withdrawn"
    assert audit_trail(bundle)[-1].data == {
        "reason": "ownership_changed",
        "asset_id": asset.id,
        "cause": "transfer",
    }
