"""Docking events: creation, registration within capacity, pitches, outcomes, iCalendar."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core.errors import Conflict, PermissionDenied, ValidationError
from marketplace.core.timeutil import utcnow
from marketplace.network import events
from tests import factories

from .factories import HARBIN, event, seller_in


def _data(**over):
    start = utcnow() + timedelta(days=10)
    data = dict(
        kind="roadshow",
        title="生物医药成果路演",
        description="",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="哈尔滨市松北区科技创新城",
        online_url="",
        capacity=2,
        industries=["biology"],
    )
    data.update(over)
    return data


def test_operator_creates_an_event(net):
    ev = events.create_event(net.harbin, actor=net.harbin_op, **_data())
    assert ev.node_id == net.harbin.id and ev.status == "scheduled" and ev.seats_left == 2


@pytest.mark.parametrize("who", ["daqing_op", "outsider"])
def test_others_cannot_create_harbins_event(net, who):
    actor = factories.user_with_role("buyer") if who == "outsider" else getattr(net, who)
    with pytest.raises(PermissionDenied):
        events.create_event(net.harbin, actor=actor, **_data())


def test_event_fields_all_at_once(net):
    start = utcnow() - timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        events.create_event(
            net.harbin,
            actor=net.harbin_op,
            **_data(
                title="",
                kind="party",
                starts_at=start,
                ends_at=start - timedelta(hours=1),
                place="",
                online_url="ftp://x",
                capacity=0,
                industries=["x"],
            ),
        )
    assert set(err.value.fields) == {
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "online_url",
        "capacity",
        "industries",
    }


def test_registration_respects_capacity(net):
    ev = event(net.harbin, net.harbin_op, capacity=2)
    a, b, c = (factories.user_with_role("buyer") for _ in range(3))
    events.register(ev, actor=a)
    with pytest.raises(Conflict):
        events.register(ev, actor=a)  # once per person
    events.register(ev, actor=b)
    with pytest.raises(Conflict) as err:
        events.register(ev, actor=c)
    assert str(err.value.message) == "活动已满员。"
    assert ev.registered == 2
    events.cancel_registration(ev, actor=a)
    events.register(ev, actor=c)
    assert ev.registered == 2


def test_no_registration_once_held_or_started(net):
    ev = event(net.harbin, net.harbin_op)
    events.set_status(ev, "held", actor=net.harbin_op)
    with pytest.raises(Conflict):
        events.register(ev, actor=factories.user_with_role("buyer"))
    with pytest.raises(Conflict):
        events.set_status(ev, "cancelled", actor=net.harbin_op)


def test_seller_side_pitches_a_published_listing(net):
    ev = event(net.harbin, net.harbin_op)
    seller = seller_in(HARBIN)
    listing = factories.ListingFactory(seller=seller, published=True)
    events.enrol_pitch(ev, listing, actor=seller)
    with pytest.raises(Conflict):
        events.enrol_pitch(ev, listing, actor=seller)
    with pytest.raises(PermissionDenied):
        events.enrol_pitch(ev, listing, actor=factories.user_with_role("seller"))
    draft = factories.ListingFactory(seller=seller)
    with pytest.raises(ValidationError):
        events.enrol_pitch(ev, draft, actor=seller)
    assert [li.id for _p, li in events.pitches_of(ev)] == [listing.id]


def test_outcomes(net):
    ev = event(net.harbin, net.harbin_op)
    with pytest.raises(ValidationError) as err:
        events.record_outcome(ev, kind="intent", note="", actor=net.harbin_op)
    assert set(err.value.fields) == {"note"}
    with pytest.raises(ValidationError) as err:
        events.record_outcome(ev, kind="contract", contract_id=999999, actor=net.harbin_op)
    assert set(err.value.fields) == {"contract_id"}
    with pytest.raises(PermissionDenied):
        events.record_outcome(ev, kind="intent", note="x", actor=net.daqing_op)
    row = events.record_outcome(ev, kind="intent", note="双方签署合作意向书", actor=net.harbin_op)
    assert row.id and events.outcomes_of(ev) == [row]


def test_ics(net):
    ev = event(net.harbin, net.harbin_op, title="寒地农业, 技术; 路演" + "很长" * 40)
    text = events.to_ics([ev], host="example.cn")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert f"UID:event-{ev.id}@example.cn" in text
    assert "SUMMARY:寒地农业\\, 技术\\; 路演" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "DTSTART:" + ev.starts_at.strftime("%Y%m%dT%H%M%SZ") in text
