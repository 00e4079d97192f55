"""The operators' queue and follow-ups of matches."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.core.errors import NotFound, PermissionDenied, ValidationError
from marketplace.core.timeutil import today_shanghai, utcnow
from marketplace.extensions import db
from marketplace.network import queue
from marketplace.notifications.models import Notification
from tests import factories

from .factories import DAQING, HARBIN, buyer_in, matching_pair


def _pairs(q):
    return {(v.demand.id, v.listing.id) for v in q.matches}


def test_a_good_match_is_in_its_regions_queue_only(net):
    demand, listing = matching_pair(HARBIN)
    q = queue.node_queue(net.harbin)
    assert (demand.id, listing.id) in _pairs(q)
    assert next(v for v in q.matches if v.demand.id == demand.id).score >= 45
    assert (demand.id, listing.id) not in _pairs(queue.node_queue(net.daqing))
    assert (demand.id, listing.id) in _pairs(queue.node_queue(net.core))


def test_a_match_across_regions_is_in_both(net):
    demand, listing = matching_pair(HARBIN, listing_region=DAQING)
    assert (demand.id, listing.id) in _pairs(queue.node_queue(net.harbin))
    assert (demand.id, listing.id) in _pairs(queue.node_queue(net.daqing))


def test_demand_without_a_good_match(net):
    lonely = factories.DemandFactory(
        buyer=buyer_in(HARBIN),
        title="石墨烯散热膜",
        description="寻找石墨烯散热膜量产技术",
        industry="new_materials",
    )
    q = queue.node_queue(net.harbin)
    assert lonely.id in {d.id for d in q.unmatched_demands}
    assert lonely.id not in {d.id for d in queue.node_queue(net.daqing).unmatched_demands}


def test_follow_up_takes_the_match_out_and_it_is_raised_again_later(net, app):
    demand, listing = matching_pair(HARBIN)
    queue.record_follow_up(
        net.harbin, demand, listing, kind="call", note="电话沟通，买方有兴趣", actor=net.harbin_op
    )
    assert (demand.id, listing.id) not in _pairs(queue.node_queue(net.harbin))
    later = utcnow() + timedelta(days=app.config.get("NETWORK_FOLLOW_UP_DAYS", 14) + 1)
    q = queue.node_queue(net.harbin, now=later)
    view = next(v for v in q.matches if v.demand.id == demand.id)
    assert view.state == "raised"


def test_a_next_step_ahead_keeps_the_match_down(net):
    demand, listing = matching_pair(HARBIN)
    step = today_shanghai() + timedelta(days=30)
    queue.record_follow_up(
        net.harbin,
        demand,
        listing,
        kind="meeting",
        note="约定现场考察",
        next_step_on=step,
        actor=net.harbin_op,
    )
    q = queue.node_queue(net.harbin, now=utcnow() + timedelta(days=20))
    assert next(v for v in q.followed if v.demand.id == demand.id).state == "following"
    q = queue.node_queue(net.harbin, now=utcnow() + timedelta(days=32))
    assert next(v for v in q.matches if v.demand.id == demand.id).state == "raised"


def test_no_interest_closes_the_match(net):
    demand, listing = matching_pair(HARBIN)
    queue.record_follow_up(net.harbin, demand, listing, kind="no_interest", note="", actor=net.harbin_op)
    q = queue.node_queue(net.harbin, now=utcnow() + timedelta(days=90))
    assert next(v for v in q.followed if v.demand.id == demand.id).state == "closed"


def test_push_notifies_buyer_and_seller_with_the_note(net):
    demand, listing = matching_pair(HARBIN)
    queue.record_follow_up(
        net.harbin, demand, listing, kind="pushed", note="建议尽快洽谈", actor=net.harbin_op
    )
    notes = list(db.session.scalars(select(Notification).where(Notification.kind == "network.pushed")))
    assert {n.user_id for n in notes} == {demand.created_by_id, listing.created_by_id}
    assert all(n.params["note"] == "建议尽快洽谈" for n in notes)
    assert all(n.link == f"/network/matches/{demand.id}/{listing.id}" for n in notes)


def test_push_needs_a_note_and_errors_come_together(net):
    demand, listing = matching_pair(HARBIN)
    with pytest.raises(ValidationError) as err:
        queue.record_follow_up(
            net.harbin,
            demand,
            listing,
            kind="pushed",
            note="",
            next_step_on=date(2020, 1, 1),
            actor=net.harbin_op,
        )
    assert set(err.value.fields) == {"note", "next_step_on"}
    with pytest.raises(ValidationError) as err:
        queue.record_follow_up(
            net.harbin, demand, listing, kind="email", note="x" * 2001, actor=net.harbin_op
        )
    assert set(err.value.fields) == {"kind", "note"}


@pytest.mark.parametrize("who,allowed", [("harbin_op", True), ("core_op", True), ("daqing_op", False)])
def test_who_follows_up_harbins_match(net, who, allowed):
    demand, listing = matching_pair(HARBIN)
    actor = getattr(net, who)
    if allowed:
        assert queue.record_follow_up(net.harbin, demand, listing, kind="call", note="", actor=actor).id
    else:
        with pytest.raises(PermissionDenied):
            queue.record_follow_up(net.harbin, demand, listing, kind="call", note="", actor=actor)


def test_daqings_node_cannot_follow_up_a_harbin_pair(net):
    demand, listing = matching_pair(HARBIN)
    with pytest.raises(NotFound):
        queue.record_follow_up(net.daqing, demand, listing, kind="call", note="", actor=net.daqing_op)


def test_stalled_offers(net):
    from marketplace.offers.models import Offer

    demand, listing = matching_pair(HARBIN)
    offer = Offer(
        listing_id=listing.id,
        seller_org_id=listing.org_id,
        buyer_org_id=demand.org_id,
        status="open",
        turn="seller",
        expires_on=today_shanghai() + timedelta(days=30),
    )
    db.session.add(offer)
    db.session.flush()
    offer.updated_at = utcnow() - timedelta(days=15)
    db.session.flush()
    q = queue.node_queue(net.harbin)
    assert offer.id in {o.id for o in q.stalled_offers}
    assert offer.id not in {o.id for o in queue.node_queue(net.daqing).stalled_offers}
    # the offer converts the match
    view = queue.pair_view(demand, listing)
    assert view.state == "converted"


def test_queue_queries_do_not_grow(net, count_queries):
    matching_pair(HARBIN)
    with count_queries() as one:
        queue.node_queue(net.harbin)
    for _ in range(5):
        matching_pair(HARBIN)
    with count_queries() as many:
        queue.node_queue(net.harbin)
    assert many.count <= one.count + 1
