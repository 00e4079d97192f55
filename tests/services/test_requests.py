"""Service requests: the journey, who may do each step, the rating once, the lists."""

from __future__ import annotations

import pytest

from marketplace.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.services import permissions, providers
from marketplace.services import requests as reqs
from tests import factories
from tests.services.factories import add_service, provider_user, request_in

pytestmark = pytest.mark.usefixtures("db", "in_request")


def test_the_whole_journey_and_the_rating():
    staff, provider = provider_user("testing")
    service = add_service(provider)
    buyer = factories.user_with_role("buyer")
    req = reqs.create_request(
        provider, actor=buyer, title="中试检测", description="正极材料", service_id=service.id
    )
    assert req.status == "requested"
    reqs.quote(req, actor=staff, quote_fen=1_200_000, quote_days=14, note="含报告")
    reqs.quote(req, actor=staff, quote_fen=1_000_000)  # a second quote replaces the first
    assert req.status == "quoted" and req.quote_fen == 1_000_000
    reqs.post_message(req, actor=buyer, body="请尽快")
    reqs.post_message(req, actor=staff, body="好的")
    assert [m.side for m in req.messages] == ["requester", "provider"]
    reqs.accept(req, actor=buyer)
    reqs.complete(req, actor=staff)
    reqs.rate(req, actor=buyer, rating=4, comment="专业、及时")
    assert (req.status, req.rating) == ("completed", 4)
    with pytest.raises(Conflict) as exc:
        reqs.rate(req, actor=buyer, rating=5, comment="再评一次")
    assert exc.value.code == "already_rated"
    rating = providers.ratings_for([provider.id])[provider.id]
    assert (rating.average, rating.ratings, rating.completed) == (4.0, 1, 1)


def test_a_rating_comes_only_from_the_requester_after_completion():
    staff, provider = provider_user()
    buyer = factories.user_with_role("buyer")
    req = request_in(provider, buyer, "accepted")
    with pytest.raises(Conflict):
        reqs.rate(req, actor=buyer, rating=5, comment="早")
    reqs.complete(req, actor=staff)
    for other in (staff, factories.user_with_role("buyer"), factories.user_with_role("admin")):
        with pytest.raises(PermissionDenied):
            reqs.rate(req, actor=other, rating=5, comment="不是我的")
    with pytest.raises(ValidationError) as exc:
        reqs.rate(req, actor=buyer, rating=6, comment="")
    assert set(exc.value.fields) == {"rating", "comment"}
    assert req.rating is None


@pytest.mark.parametrize("step", ["quote", "complete", "decline"])
def test_only_the_provider_quotes_completes_and_declines(step):
    staff, provider = provider_user()
    buyer = factories.user_with_role("buyer")
    req = request_in(provider, buyer, "accepted" if step == "complete" else "requested")
    call = {
        "quote": lambda u: reqs.quote(req, actor=u, quote_fen=100),
        "complete": lambda u: reqs.complete(req, actor=u),
        "decline": lambda u: reqs.decline(req, actor=u, reason="忙"),
    }[step]
    _other_staff, _other = provider_user()
    for user in (
        buyer,
        _other_staff,
        factories.user_with_role("admin"),
        factories.user_with_role("regulator"),
    ):
        with pytest.raises(PermissionDenied):
            call(user)
    call(staff)


def test_only_the_requester_accepts_and_cancels():
    staff, provider = provider_user()
    buyer = factories.user_with_role("buyer")
    colleague = factories.UserFactory(role="buyer", organization=buyer.organization)
    req = request_in(provider, buyer, "quoted")
    for user in (staff, factories.user_with_role("buyer"), factories.user_with_role("admin")):
        with pytest.raises(PermissionDenied):
            reqs.accept(req, actor=user)
    reqs.accept(req, actor=colleague)  # the requesting organization's members act for it
    with pytest.raises(InvalidTransition):
        reqs.cancel(req, actor=buyer)  # too late once accepted


def test_wrong_states_are_refused():
    staff, provider = provider_user()
    buyer = factories.user_with_role("buyer")
    req = request_in(provider, buyer, "requested")
    with pytest.raises(InvalidTransition):
        reqs.accept(req, actor=buyer)  # nothing quoted
    with pytest.raises(InvalidTransition):
        reqs.complete(req, actor=staff)
    reqs.cancel(req, actor=buyer, reason="不再需要")
    with pytest.raises(InvalidTransition):
        reqs.quote(req, actor=staff, quote_fen=1)


def test_bad_input_of_a_request_and_a_quote():
    staff, provider = provider_user()
    other_staff, other = provider_user()
    foreign = add_service(other)
    buyer = factories.user_with_role("buyer")
    with pytest.raises(ValidationError) as exc:
        reqs.create_request(provider, actor=buyer, title=" ", description="", service_id=foreign.id)
    assert set(exc.value.fields) == {"title", "description", "service_id"}
    req = request_in(provider, buyer)
    with pytest.raises(ValidationError) as exc:
        reqs.quote(req, actor=staff, quote_fen=-1, quote_days=0)
    assert set(exc.value.fields) == {"quote_fen", "quote_days"}
    assert req.status == "requested"


def test_who_may_request():
    staff, provider = provider_user()
    assert not permissions.can_request(staff, provider)  # not from itself
    assert not permissions.can_request(factories.user_with_role("admin"), provider)
    assert permissions.can_request(factories.user_with_role("seller"), provider)
    pending = factories.UserFactory(role="buyer", pending_member=True)
    assert not permissions.can_request(pending, provider)
    with pytest.raises(PermissionDenied):
        reqs.create_request(provider, actor=staff, title="x", description="y")


def test_a_provider_sees_only_the_requests_to_it():
    staff_a, a = provider_user()
    staff_b, b = provider_user()
    buyer = factories.user_with_role("buyer")
    to_a, to_b = request_in(a, buyer), request_in(b, buyer)
    seen = lambda user, box="all": set(db.session.scalars(reqs.visible_to(user, box=box)))  # noqa: E731
    assert seen(staff_a) == {to_a} and seen(staff_b) == {to_b}
    assert seen(buyer) == {to_a, to_b} and seen(buyer, "received") == set()
    assert seen(staff_a, "received") == {to_a}
    assert seen(factories.user_with_role("buyer")) == set()
    assert seen(factories.user_with_role("regulator")) == set()
    assert {to_a, to_b} <= seen(factories.user_with_role("admin"))
    assert not permissions.can_view_request(staff_b, to_a)
    assert not permissions.can_view_request(factories.user_with_role("seller"), to_a)
    assert permissions.can_view_request(factories.user_with_role("admin"), to_a)
    with pytest.raises(NotFound):
        reqs.get_visible(to_a.id, staff_b)


def test_profile_and_services_checks():
    staff, provider = provider_user("patent_agency")
    with pytest.raises(ValidationError) as exc:
        providers.add_service(
            provider, actor=staff, name_zh="", price_low_fen=500, price_high_fen=100, turnaround_days=0
        )
    assert set(exc.value.fields) == {"name_zh", "price_high_fen", "turnaround_days"}
    with pytest.raises(PermissionDenied):
        providers.add_service(provider, actor=factories.user_with_role("seller"), name_zh="x")
    saved = providers.save_profile(staff, kind="law_firm", description_zh="知识产权诉讼")
    assert saved.id == provider.id and saved.kind == "law_firm"
    with pytest.raises(ValidationError):
        providers.save_profile(staff, kind="finance", description_zh="x")  # not a finance organization
    with pytest.raises(PermissionDenied):
        providers.save_profile(factories.user_with_role("seller"), kind="testing", description_zh="x")


def test_the_catalogue_filters_and_hides_unapproved_providers():
    _s1, lab = provider_user("testing", region="230600")
    _s2, agency = provider_user("patent_agency")
    _s3, pending = provider_user("testing")
    pending.organization.status = "pending"
    db.session.flush()
    found = lambda **kw: set(db.session.scalars(providers.catalogue_stmt(**kw)))  # noqa: E731
    assert lab in found(kind="testing") and pending not in found(kind="testing")
    assert agency not in found(kind="testing")
    assert lab in found(region="230600") and agency not in found(region="230600")
    assert lab in found(region="230000")
