"""The demo seed of the network: 14 nodes with operators, two professional nodes,
events past and upcoming, follow-ups, managers, the two plan periods; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.demo import accounts, network
from marketplace.demo.context import DemoContext
from marketplace.network import periods, permissions
from marketplace.network.models import (
    DockingEvent,
    EventPitch,
    FollowUp,
    Node,
    NodeOperator,
    OfficialTurnover,
    TechManager,
)
from tests import factories

from .factories import matching_pair


def _counts(db):
    return [
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Node, NodeOperator, DockingEvent, EventPitch, FollowUp, TechManager, OfficialTurnover)
    ]


def test_demo_seed_covers_the_cases_and_runs_twice(db, app):
    with app.test_request_context("/"):
        ctx = DemoContext(echo=lambda *_: None)
        accounts.seed(ctx)
        for _ in range(6):
            matching_pair("230100")
        factories.ListingFactory(
            seller=factories.UserFactory(role="seller", organization=ctx.orgs["hit"]), published=True
        )
        network.seed(ctx)
        levels = db.session.execute(select(Node.level, func.count()).group_by(Node.level)).all()
        assert dict(levels) == {"core": 1, "regional": 13, "professional": 2}
        for node in db.session.scalars(select(Node)):
            assert any(
                o.status == "approved"
                for o in db.session.scalars(select(NodeOperator).where(NodeOperator.node_id == node.id))
            )
        assert (
            db.session.scalar(
                select(func.count()).select_from(NodeOperator).where(NodeOperator.status == "pending")
            )
            == 1
        )
        assert {e.status for e in db.session.scalars(select(DockingEvent))} == {
            "held",
            "scheduled",
            "cancelled",
        }
        assert {f.kind for f in db.session.scalars(select(FollowUp))} == {
            "call",
            "meeting",
            "no_interest",
            "pushed",
            "intent",
        }
        assert {m.status for m in db.session.scalars(select(TechManager))} == {
            "verified",
            "pending",
            "rejected",
        }
        linked = db.session.scalar(select(TechManager).where(TechManager.user_id.is_not(None)))
        assert linked is not None and linked.name == "杨帆" and linked.verified
        nxt = periods.period_progress(periods.get_period("2026-2030"))
        assert {"registered_managers", "docking_events", "registered_contracts"} <= {
            t["code"] for t in nxt["targets"]
        }
        assert [p.slug for p in periods.all_periods()] == ["2022-2025", "2026-2030"]
        assert permissions.is_core_operator(ctx.users["node_core"])
        before = _counts(db)
        network.seed(DemoContext(echo=lambda *_: None, orgs=ctx.orgs, users=ctx.users))
        assert _counts(db) == before
