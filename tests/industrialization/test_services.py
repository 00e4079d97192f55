"""The rule: registered transfer, licence or equity contracts only; only the
buyer reports; only the seller side or the contract's agency decides; an
achievement counts once, for the source kind of its owner, snapshotted."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from marketplace.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from marketplace.core.timeutil import today_shanghai, utcnow
from marketplace.industrialization import services
from marketplace.industrialization.states import TRANSITIONS, ReportStatus, report_machine
from tests import factories

from .conftest import report_kwargs

pytestmark = pytest.mark.usefixtures("in_request")

ZERO = {"university": 0, "research_institute": 0, "enterprise": 0}


def test_a_confirmed_report_counts_for_the_owners_source_kind(db, make_deal):
    deal = make_deal()
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    assert report.status == "pending" and report.buyer_org_id == deal.buyer.organization_id
    assert services.industrialized_counts() == ZERO  # pending does not count
    services.confirm_report(report, actor=deal.seller)
    assert report.status == "confirmed" and report.decided_as == "seller"
    assert (report.source_org_id, report.source_kind) == (deal.seller.organization_id, "university")
    assert services.industrialized_counts() == {**ZERO, "university": 1}


@pytest.mark.parametrize(
    ("category", "eligible"),
    [
        ("transfer_patent", True),
        ("transfer_technical_secret", True),
        ("transfer_other", True),
        ("license_patent", True),
        ("license_technical_secret", True),
        ("development_commissioned", False),
        ("consulting", False),
        ("service", False),
    ],
)
def test_only_transfer_and_licence_contracts_take_reports(db, make_deal, category, eligible):
    deal = make_deal(category=category)
    if eligible:
        assert services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer).id
    else:
        with pytest.raises(Conflict) as exc:
            services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
        assert exc.value.code == "category_not_eligible"


def test_an_equity_contribution_registered_as_a_transfer_counts(db, make_deal):
    deal = make_deal(category="transfer_patent")
    deal.contract.terms = {"deal_kind": "equity", "valuation_fen": 10**9, "equity_share_bp": 1500}
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    services.confirm_report(report, actor=deal.seller)
    assert services.industrialized_counts()["university"] == 1


@pytest.mark.parametrize(
    ("status", "eligible"),
    [
        ("registered", True),
        ("amendment_pending", True),
        ("signed", False),
        ("submitted", False),
        ("returned", False),
        ("cancellation_pending", False),
        ("cancelled", False),
    ],
)
def test_only_registered_contracts_take_reports(db, make_deal, status, eligible):
    deal = make_deal(status=status)
    if eligible:
        assert services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer).id
    else:
        with pytest.raises(Conflict) as exc:
            services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
        assert exc.value.code == "contract_not_registered"


def test_a_contract_without_assets_has_nothing_to_report(db, make_deal):
    deal = make_deal()
    deal.contract.asset_links.clear()
    db.session.flush()
    with pytest.raises(Conflict) as exc:
        services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    assert exc.value.code == "no_assets"


def test_only_the_buyer_reports(db, make_deal):
    deal = make_deal()
    others = [
        deal.seller,
        deal.agency,
        factories.user_with_role("regulator"),
        factories.user_with_role("admin"),
        factories.user_with_role("buyer"),  # another enterprise
        factories.user_with_role("buyer", org=deal.buyer.organization, pending_member=True),
    ]
    for user in others:
        with pytest.raises(PermissionDenied):
            services.report_industrialization(deal.contract, **report_kwargs(deal), actor=user)
    # Any approved member of the buyer organization may report, also one registered as seller.
    colleague = factories.user_with_role("seller", org=deal.buyer.organization)
    assert services.report_industrialization(deal.contract, **report_kwargs(deal), actor=colleague).id


def test_only_the_seller_side_or_the_contracts_agency_decides(db, make_deal):
    deal = make_deal()
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    refused = [
        deal.buyer,
        factories.user_with_role("agency"),  # an agency, but not this contract's
        factories.user_with_role("regulator"),
        factories.user_with_role("admin"),
        factories.user_with_role("seller"),  # another university
        factories.user_with_role("seller", org=deal.seller.organization, pending_member=True),
    ]
    for user in refused:
        with pytest.raises(PermissionDenied):
            services.confirm_report(report, actor=user)
        with pytest.raises(PermissionDenied):
            services.return_report(report, reason="数据不符", actor=user)
    services.confirm_report(report, actor=deal.agency)
    assert report.decided_as == "agency" and report.decided_by_id == deal.agency.id


def test_an_asset_counts_once_even_under_two_contracts(db, make_deal):
    first = make_deal()
    # A second, non-exclusive licence of the same asset to another enterprise.
    other_buyer = factories.user_with_role("buyer")
    second_contract = factories.registered_contract(
        assets=[first.asset], seller_org=first.seller.organization, buyer_org=other_buyer.organization
    )
    a = services.report_industrialization(first.contract, **report_kwargs(first), actor=first.buyer)
    b = services.report_industrialization(
        second_contract, **report_kwargs(first, stage="first_sales", sales_fen=80_000_00), actor=other_buyer
    )
    services.confirm_report(a, actor=first.seller)
    with pytest.raises(Conflict) as exc:
        services.confirm_report(b, actor=first.seller)
    assert exc.value.code == "already_counted"
    with pytest.raises(Conflict) as exc:
        services.report_industrialization(second_contract, **report_kwargs(first), actor=other_buyer)
    assert exc.value.code == "already_counted"
    services.return_report(b, reason="该成果已由另一受让企业转化并计入。", actor=first.seller)
    assert services.industrialized_counts() == {**ZERO, "university": 1}


def test_the_database_refuses_a_second_confirmed_report_on_an_asset(db, make_deal):
    deal = make_deal()
    now = utcnow()
    confirmed = {
        "status": "confirmed",
        "confirmed_at": now,
        "decided_at": now,
        "source_org_id": deal.seller.organization_id,
        "source_kind": "university",
    }
    factories.IndustrializationReportFactory(contract=deal.contract, asset=deal.asset, **confirmed)
    other = factories.registered_contract(assets=[deal.asset], seller_org=deal.seller.organization)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        factories.IndustrializationReportFactory(contract=other, asset=deal.asset, **confirmed)


def test_one_report_at_a_time_waits_per_contract_and_asset(db, make_deal):
    deal = make_deal()
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    with pytest.raises(Conflict) as exc:
        services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    assert exc.value.code == "report_pending"
    services.return_report(report, reason="投产日期与现场核查不符", actor=deal.seller)
    again = services.report_industrialization(
        deal.contract, **report_kwargs(deal, achieved_on=date(2025, 4, 1)), actor=deal.buyer
    )
    assert again.status == "pending" and report.status == "returned"
    assert report.return_reason == "投产日期与现场核查不符"


def test_a_return_needs_a_reason(db, make_deal):
    deal = make_deal()
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    with pytest.raises(ValidationError) as exc:
        services.return_report(report, reason="   ", actor=deal.seller)
    assert "reason" in exc.value.fields
    assert report.status == "pending"


def test_decided_reports_stay_decided(db, make_deal):
    deal = make_deal()
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    services.confirm_report(report, actor=deal.seller)
    with pytest.raises(Conflict):
        services.confirm_report(report, actor=deal.seller)
    with pytest.raises(Conflict):
        services.return_report(report, reason="撤回", actor=deal.seller)


def test_co_owned_asset_counts_for_the_largest_share_ties_to_the_lowest_org_id(db, make_deal):
    institute = factories.OrganizationFactory(kind="research_institute")
    enterprise = factories.OrganizationFactory(kind="enterprise")
    university = factories.OrganizationFactory(kind="university")
    asset = factories.IpAssetFactory(owned_by=[(university, 2000), (institute, 4000), (enterprise, 4000)])
    deal = make_deal(asset=asset)
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    services.confirm_report(report, actor=deal.seller)
    lowest = min(institute, enterprise, key=lambda o: o.id)
    assert (report.source_org_id, report.source_kind, report.source_share_bp) == (
        lowest.id,
        lowest.kind,
        4000,
    )
    assert services.pick_source([(7, 5000), (3, 3000), (5, 2000)]) == (7, 5000)
    assert services.pick_source([(9, 5000), (4, 5000)]) == (4, 5000)
    assert services.pick_source([]) is None


def test_the_source_kind_is_snapshotted_at_confirmation(db, make_deal):
    deal = make_deal()
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    deal.seller.organization.kind = "research_institute"  # re-registered before confirmation
    db.session.flush()
    services.confirm_report(report, actor=deal.seller)
    assert report.source_kind == "research_institute"
    deal.seller.organization.kind = "enterprise"  # changes afterwards do not move the count
    db.session.flush()
    assert services.industrialized_counts() == {**ZERO, "research_institute": 1}


def test_a_transferred_asset_counts_for_the_owner_before_the_transfer(db, make_deal):
    from marketplace.contracts.services import ip_reference
    from marketplace.ip import services as ip_services

    deal = make_deal(category="transfer_patent")
    ip_services.record_transfer(
        deal.asset,
        [ip_services.OwnerShare(org_id=deal.buyer.organization_id, share_bp=10000)],
        contract_ref=ip_reference(deal.contract),
        effective_on=today_shanghai(),
        actor=deal.seller,
    )
    assert deal.asset.owner_org_ids == {deal.buyer.organization_id}  # now the enterprise's
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    services.confirm_report(report, actor=deal.seller)
    assert (report.source_org_id, report.source_kind) == (deal.seller.organization_id, "university")


def test_owners_outside_the_three_sources_are_not_in_the_target(db, make_deal):
    individual = factories.OrganizationFactory(kind="individual")
    deal = make_deal(asset=factories.IpAssetFactory(owned_by=individual))
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    services.confirm_report(report, actor=deal.seller)
    assert report.source_kind == "individual"
    assert services.industrialized_counts() == ZERO
    assert services.other_source_count() == 1


def test_counts_as_of_a_moment(db, make_deal):
    deal = make_deal(seller_kind="research_institute")
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    moment = utcnow()
    services.confirm_report(report, actor=deal.seller, now=moment + timedelta(hours=1))
    assert services.industrialized_counts(as_of=moment) == ZERO
    assert services.industrialized_counts(as_of=moment + timedelta(hours=2))["research_institute"] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"achieved_on": "tomorrow"}, "achieved_on"),
        ({"achieved_on": date(2023, 12, 31)}, "achieved_on"),  # before the contract was signed
        ({"achieved_on": None}, "achieved_on"),
        ({"output_value_fen": -1}, "output_value_fen"),
        ({"sales_fen": -100}, "sales_fen"),
        ({"units": -5}, "units"),
        ({"jobs": -1}, "jobs"),
        ({"jobs": 2.5}, "jobs"),
        ({"output_value_fen": 10**15}, "output_value_fen"),
        ({"output_value_fen": None, "units": None, "sales_fen": None}, "output_value_fen"),
        ({"stage": "first_sales", "sales_fen": None}, "sales_fen"),
        ({"stage": "first_sales", "sales_fen": 0}, "sales_fen"),
        ({"stage": "planned"}, "stage"),
        ({"asset_id": 999_999}, "asset_id"),
        ({"asset_id": "x"}, "asset_id"),
        ({"description": "  "}, "description"),
        ({"description": "长" * 4001}, "description"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_stored(db, make_deal, overrides, field):
    deal = make_deal()
    if overrides.get("achieved_on") == "tomorrow":
        overrides = {**overrides, "achieved_on": today_shanghai() + timedelta(days=1)}
    with pytest.raises(ValidationError) as exc:
        services.report_industrialization(deal.contract, **report_kwargs(deal, **overrides), actor=deal.buyer)
    assert field in exc.value.fields
    assert services.reports_of_contract(deal.contract) == []


def test_an_asset_of_another_contract_is_refused(db, make_deal):
    deal = make_deal()
    other = make_deal()
    with pytest.raises(ValidationError) as exc:
        services.report_industrialization(
            deal.contract, **report_kwargs(deal, asset_id=other.asset.id), actor=deal.buyer
        )
    assert "asset_id" in exc.value.fields


def test_the_parties_are_notified(db, make_deal):
    from marketplace.notifications.models import Notification

    deal = make_deal()
    report = services.report_industrialization(deal.contract, **report_kwargs(deal), actor=deal.buyer)
    db.session.flush()
    notified = {n.user_id for n in db.session.scalars(db.select(Notification))}
    assert {deal.seller.id, deal.agency.id} <= notified and deal.buyer.id not in notified
    services.confirm_report(report, actor=deal.seller)
    db.session.flush()
    assert deal.buyer.id in {n.user_id for n in db.session.scalars(db.select(Notification))}


def test_every_pair_of_states(db):
    class Obj:
        status = None

    for src, dst in itertools.product(ReportStatus, repeat=2):
        obj = Obj()
        obj.status = src.value
        if dst in TRANSITIONS[src]:
            report_machine.apply(obj, dst)
            assert obj.status == dst.value
        else:
            with pytest.raises(InvalidTransition):
                report_machine.apply(obj, dst)
