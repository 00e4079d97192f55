"""Registrations for the last seats at the same moment: the event's row lock
lets exactly `capacity` of them through (PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db as _db
from marketplace.network import events
from marketplace.network.models import DockingEvent, EventRegistration, Node
from tests import factories
from tests.race import committed, lead_of, race, rounds

from .factories import build_net, event

pytestmark = pytest.mark.postgres


def _register(event_id: int, user_id: int):
    def prepare():
        ev = _db.session.get(DockingEvent, event_id)
        user = _db.session.get(User, user_id)
        assert ev.registered >= 0
        return lambda: events.register(ev, actor=user)

    return prepare


def test_two_people_for_the_last_seat(app):
    with rounds(app):
        with committed(app):
            net = build_net()
            node_id, op_id = net.harbin.id, net.harbin_op.id
        for round_no in range(5):
            with committed(app):
                ev = event(_db.session.get(Node, node_id), _db.session.get(User, op_id), capacity=1)
                people = [factories.user_with_role("buyer") for _ in range(2)]
                _db.session.flush()
                ids = (ev.id, [p.id for p in people])
            outcomes = race(app, *(_register(ids[0], uid) for uid in ids[1]), lead=lead_of(round_no))
            assert sorted(outcomes) == ["conflict", "ok"], outcomes
            with app.app_context():
                assert _db.session.get(DockingEvent, ids[0]).registered == 1
                n = _db.session.scalar(
                    select(func.count())
                    .select_from(EventRegistration)
                    .where(EventRegistration.event_id == ids[0])
                )
                assert n == 1
                _db.session.remove()


def test_many_people_for_a_few_seats(app):
    with rounds(app):
        with committed(app):
            net = build_net()
            ev = event(net.harbin, _db.session.get(User, net.harbin_op.id), capacity=3)
            people = [factories.user_with_role("buyer") for _ in range(8)]
            _db.session.flush()
            ev_id, ids = ev.id, [p.id for p in people]
        outcomes = race(app, *(_register(ev_id, uid) for uid in ids))
        assert outcomes.count("ok") == 3 and outcomes.count("conflict") == 5, outcomes
        with app.app_context():
            assert _db.session.get(DockingEvent, ev_id).registered == 3
            _db.session.remove()


def _link(manager_id: int, user_id: int, actor_id: int):
    def prepare():
        from marketplace.network import managers
        from marketplace.network.models import TechManager

        m = _db.session.get(TechManager, manager_id)
        user, actor = _db.session.get(User, user_id), _db.session.get(User, actor_id)
        assert m.user_id is None
        return lambda: managers.link_account(m, user, actor=actor)

    return prepare


def test_one_account_linked_to_two_managers_at_once(app):
    from marketplace.network import managers

    with rounds(app):
        for round_no in range(3):
            with committed(app):
                org = factories.OrganizationFactory(kind="agency")
                agent = factories.UserFactory(role="agency", organization=org)
                person = factories.UserFactory(role="agency", organization=org)
                _db.session.flush()
                ms = [
                    managers.register_manager(
                        name=f"经理人{i}",
                        certificate_no=f"HLJ-RACE-{round_no}{i}",
                        level="junior",
                        fields=["digital"],
                        actor=agent,
                    )
                    for i in range(2)
                ]
                ids = ([m.id for m in ms], person.id, agent.id)
            outcomes = race(app, *(_link(mid, ids[1], ids[2]) for mid in ids[0]), lead=lead_of(round_no))
            assert sorted(outcomes) == ["conflict", "ok"], outcomes
