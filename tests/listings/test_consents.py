"""Co-owners' consent (Patent Law art. 14): a listing that transfers, contributes as equity
or licenses exclusively or solely a co-owned asset needs every other owner's consent
(README, "Shared ownership")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.contracts import services as contracts
from marketplace.core.errors import Conflict, PermissionDenied
from marketplace.core.timeutil import today_shanghai
from marketplace.listings import services
from marketplace.listings.models import ListingConsent
from marketplace.notifications.models import Notification
from marketplace.offers import services as offers
from marketplace.offers.services import TermsInput
from tests.factories import (
    IpAssetFactory,
    ListingFactory,
    OrganizationFactory,
    user_with_role,
)

TRANSFER = {"deal_kind": "transfer", "price_fen": 300_000_000}
NON_EXCLUSIVE = {"deal_kind": "license", "license_type": "non_exclusive", "upfront_fen": 1_000_000}


@pytest.fixture
def en(app):
    with app.test_request_context("/api/v1/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def people(db, en):
    a = user_with_role("seller", org=OrganizationFactory(kind="university", name="哈尔滨工业大学"))
    b = user_with_role("seller", org=OrganizationFactory(kind="enterprise", name="鸡西石墨烯科技有限公司"))
    c = user_with_role("seller", org=OrganizationFactory(kind="research_institute", name="寒地农科院"))
    asset = IpAssetFactory(owned_by=[(a.organization, 5000), (b.organization, 3000), (c.organization, 2000)])
    return a, b, c, asset


def draft(seller, asset, terms=(TRANSFER,)):
    listing = ListingFactory(seller=seller, assets=[asset], deal_terms=[dict(t) for t in terms])
    return listing


def test_a_co_owners_transfer_listing_cannot_be_submitted_or_published_without_every_consent(people):
    a, b, c, asset = people
    admin = user_with_role("admin")
    listing = draft(a, asset)
    with pytest.raises(Conflict) as refused:
        services.submit_listing(listing, actor=a)
    assert refused.value.code == "co_owner_consent_required"
    message = str(refused.value.message)
    assert "鸡西石墨烯科技有限公司" in message and "寒地农科院" in message
    services.give_consent(listing, actor=b)
    with pytest.raises(Conflict) as still:
        services.submit_listing(listing, actor=a)
    assert "寒地农科院" in str(still.value.message) and "鸡西" not in str(still.value.message)
    services.give_consent(listing, actor=c)
    assert services.missing_consent_orgs(listing) == []
    services.submit_listing(listing, actor=a)
    # A consent withdrawn while the listing waits for review: it cannot be published.
    services.withdraw_consent(listing, actor=c)
    with pytest.raises(Conflict) as unpublished:
        services.publish_listing(listing, actor=admin)
    assert unpublished.value.code == "co_owner_consent_required"
    services.give_consent(listing, actor=c)
    services.publish_listing(listing, actor=admin)
    assert listing.status == "published"


@pytest.mark.parametrize(
    "terms",
    [
        {"deal_kind": "equity", "valuation_fen": 9_000_000, "equity_share_bp": 1000},
        {"deal_kind": "license", "license_type": "exclusive"},
        {"deal_kind": "license", "license_type": "sole"},
    ],
)
def test_equity_exclusive_and_sole_licences_need_consent_too(people, terms):
    a, b, c, asset = people
    listing = draft(a, asset, [terms])
    assert services.consent_org_ids(listing) == sorted([b.organization_id, c.organization_id])
    with pytest.raises(Conflict):
        services.submit_listing(listing, actor=a)


def test_a_non_exclusive_licence_needs_no_consent(people):
    a, b, c, asset = people
    listing = draft(a, asset, [NON_EXCLUSIVE])
    assert services.consent_org_ids(listing) == []
    services.submit_listing(listing, actor=a)
    assert listing.status == "submitted"
    with pytest.raises(Conflict) as not_needed:
        services.give_consent(listing, actor=b)
    assert not_needed.value.code == "consent_not_needed"


def test_a_sole_owners_transfer_needs_no_consent(db, en):
    a = user_with_role("seller")
    listing = draft(a, IpAssetFactory(owned_by=a.organization))
    services.submit_listing(listing, actor=a)
    assert listing.status == "submitted"


def test_editing_the_deal_terms_clears_the_consents_and_asks_again(people):
    from marketplace.listings.services import ListingData, TermsData

    a, b, c, asset = people
    listing = draft(a, asset)
    services.give_consent(listing, actor=b)
    services.give_consent(listing, actor=c)

    def data(price):
        return ListingData(
            asset_ids=[asset.id], title_zh=listing.title_zh, problem=listing.problem,
            comparison=listing.comparison, price_fen=listing.price_fen,
            deal_terms=[TermsData(deal_kind="transfer", price_fen=price)],
        )  # fmt: skip

    services.update_listing(listing, data(300_000_000), actor=a)  # the same terms: kept
    assert len(listing.consents) == 2
    services.update_listing(listing, data(200_000_000), actor=a)
    assert listing.consents == []
    assert db_count(ListingConsent) == 0
    notes = select(Notification).where(
        Notification.user_id == b.id, Notification.kind == "listing.consent_requested"
    )
    from marketplace.extensions import db

    assert db.session.scalars(notes).all()  # asked (again) for its consent
    with pytest.raises(Conflict):
        services.submit_listing(listing, actor=a)


def db_count(model) -> int:
    from sqlalchemy import func

    from marketplace.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_the_co_owners_sellers_are_notified_when_the_listing_is_created(people):
    from marketplace.extensions import db
    from marketplace.listings.services import ListingData, TermsData

    a, b, c, asset = people
    listing = services.create_listing(
        ListingData(
            asset_ids=[asset.id], title_zh="共有专利转让", deal_terms=[TermsData("transfer", price_fen=1)]
        ),
        actor=a,
    )
    kinds = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "listing.consent_requested")
    ).all()
    assert sorted(kinds) == sorted([b.id, c.id])
    assert a.id not in kinds and listing.id


def test_permission_matrix_of_the_consent_api(people, api):
    a, b, c, asset = people
    listing = ListingFactory(seller=a, assets=[asset], deal_terms=[TRANSFER], published=True)
    outsider = user_with_role("seller")
    buyer = user_with_role("buyer")
    agency = user_with_role("agency")
    url = f"/api/v1/listings/{listing.id}/consents"
    for user in (a, outsider, buyer, agency):
        assert api(user).post(url).status_code == 403, user.role
    assert api().post(url).status_code == 401
    body = api(b).post(url).get_json()
    assert [x["org_id"] for x in body["consents"]] == [b.organization_id]
    assert [x["org_id"] for x in body["consents_missing"]] == [c.organization_id]
    assert body["consents_required"] is True
    assert api(b).post(url).status_code == 200  # twice: the same consent
    assert db_count(ListingConsent) == 1
    for user in (a, outsider, buyer, agency):
        assert api(user).delete(url).status_code == 403
    assert api(c).delete(url).status_code == 409  # nothing to withdraw
    assert api(b).delete(url).get_json()["consents"] == []
    api(c).post(url)
    assert api(c).post(url + "/withdraw").get_json()["consents"] == []


def test_a_co_owner_sees_a_draft_to_consent_to_an_outsider_does_not(people, api):
    a, b, c, asset = people
    listing = draft(a, asset)
    assert api(b).get(f"/api/v1/listings/{listing.id}").status_code == 200
    assert api(user_with_role("seller")).get(f"/api/v1/listings/{listing.id}").status_code == 404
    assert api(user_with_role("seller")).post(f"/api/v1/listings/{listing.id}/consents").status_code == 404


def _offer(listing, buyer, terms):
    return offers.make_offer(
        listing, TermsInput.from_dict(terms), expires_on=today_shanghai() + timedelta(days=9), actor=buyer
    )


def test_an_offer_cannot_be_accepted_without_consent_and_the_registered_transfer_moves_the_asset(people):
    a, b, c, asset = people
    buyer = user_with_role("buyer")
    listing = ListingFactory(seller=a, assets=[asset], deal_terms=[TRANSFER, NON_EXCLUSIVE], published=True)
    transfer = _offer(listing, buyer, TRANSFER)
    with pytest.raises(Conflict) as refused:
        offers.accept_offer(transfer, actor=a)
    assert refused.value.code == "co_owner_consent_required"
    assert transfer.status == "open"
    # A non-exclusive licence needs no consent.
    licence = _offer(listing, user_with_role("buyer"), NON_EXCLUSIVE)
    assert offers.accept_offer(licence, actor=a).terms.get("co_owner_consents") is None
    services.give_consent(listing, actor=b)
    services.give_consent(listing, actor=c)
    contract = offers.accept_offer(transfer, actor=a)
    assert contract.terms["co_owner_consents"] == sorted([b.organization_id, c.organization_id])
    assert [i.ok for i in contracts.checklist(contract) if i.code == "co_owner_consent"] == [True]
    # Consent binds once an offer is accepted.
    with pytest.raises(Conflict) as bound:
        services.withdraw_consent(listing, actor=b)
    assert bound.value.code == "consent_bound"
    contracts._record_transfers(contract, actor=a, day=today_shanghai())
    assert asset.owner_org_ids == {buyer.organization_id}


def test_offline_deals_dispose_only_of_assets_the_seller_owns_alone(people):
    a, b, c, asset = people
    agency = user_with_role("agency")
    buyer = user_with_role("buyer")

    def record(asset_id, terms):
        return contracts.record_offline_deal(
            agency_org=agency.organization, seller_org=a.organization, buyer_org=buyer.organization,
            title="寒地技术转让合同", deal_terms=terms, details={"asset_ids": [asset_id]}, actor=agency,
        )  # fmt: skip

    for terms in (
        TRANSFER,
        {"deal_kind": "license", "license_type": "exclusive"},
        {**TRANSFER, "co_owner_consents": [b.organization_id, c.organization_id]},  # not its to say
    ):
        with pytest.raises(Conflict) as refused:
            record(asset.id, terms)
        assert refused.value.code == "co_owner_consent_required"
    assert record(asset.id, {"deal_kind": "license", "license_type": "non_exclusive"}).id
    own = IpAssetFactory(owned_by=a.organization)
    contract = record(own.id, TRANSFER)
    assert [i.ok for i in contracts.checklist(contract) if i.code == "co_owner_consent"] == [True]
    # The co-owned asset linked afterwards: the checklist refuses to sign or submit.
    contracts.update_contract(contract, {"asset_ids": [asset.id]}, actor=agency)
    assert [i.ok for i in contracts.checklist(contract) if i.code == "co_owner_consent"] == [False]


def test_only_an_approved_seller_of_a_co_owner_consents(people):
    a, b, c, asset = people
    listing = draft(a, asset)
    b_buyer = user_with_role("buyer", org=b.organization)
    with pytest.raises(PermissionDenied):
        services.give_consent(listing, actor=b_buyer)
    with pytest.raises(PermissionDenied):
        services.give_consent(listing, actor=a)


def test_the_listing_page_offers_the_consent_and_shows_who_is_missing(people, client, login_as, db):
    a, b, c, asset = people
    listing = draft(a, asset)
    db.session.commit()
    login_as(b)
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "同意共有人处分" in page and "寒地农科院" in page
    csrf = _csrf(page)
    assert client.post(f"/listings/{listing.id}/consent", data={"csrf_token": csrf}).status_code == 302
    assert [x.org_id for x in listing.consents] == [b.organization_id]
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "撤回同意" in page
    login_as(a)
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "同意共有人处分" not in page and "尚未同意" in page and "寒地农科院" in page


def _csrf(page: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    return match.group(1) if match else ""
