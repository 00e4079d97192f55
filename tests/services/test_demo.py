"""The demo seed of services: real policies, eight providers of different kinds,
requests in every state, evaluations with reports, start-ups; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.demo import accounts, ip, listings
from marketplace.demo import services as demo
from marketplace.demo.context import DemoContext
from marketplace.services import evaluations, providers
from marketplace.services.models import Evaluation, Policy, ProviderProfile, ServiceRequest, Startup
from marketplace.services.states import RequestStatus


def _counts(db):
    return [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Policy, ProviderProfile, ServiceRequest, Evaluation, Startup)
    ]


def test_demo_seed_covers_every_state_and_runs_twice(db, app):
    with app.test_request_context("/"):
        ctx = DemoContext(echo=lambda *_: None)
        accounts.seed(ctx)
        ip.seed(ctx)
        listings.seed(ctx)
        demo.seed(ctx)
        first = _counts(db)
        assert first[0] == len(demo.POLICIES) and first[1] == 8
        kinds = {p.kind for p in db.session.scalars(select(ProviderProfile))}
        assert kinds == {
            "patent_agency",
            "law_firm",
            "valuation",
            "evaluation",
            "testing",
            "pilot_base",
            "incubator",
            "finance",
        }
        assert {r.status for r in db.session.scalars(select(ServiceRequest))} == {
            s.value for s in RequestStatus
        }
        assert all(p.doc_no or p.caveat_zh for p in db.session.scalars(select(Policy)))
        vat = db.session.scalar(select(Policy).where(Policy.doc_no == "财税〔2016〕36号"))
        assert "以税务机关确认为准" in vat.caveat_zh and "tax authority" in vat.caveat_en
        done = db.session.scalars(select(Evaluation).where(Evaluation.status == "completed")).all()
        assert len(done) >= 2 and all(evaluations.report_of(e) for e in done)
        assert {e.status for e in db.session.scalars(select(Evaluation))} == {
            "completed",
            "requested",
            "declined",
        }
        assert first[4] == len(demo.STARTUPS)
        rated = providers.ratings_for([p.id for p in db.session.scalars(select(ProviderProfile))])
        assert any(r.average for r in rated.values())
        staff = ctx.users["svc_testing_daqing"]
        assert staff.acts_as("provider")
        demo.seed(DemoContext(echo=lambda *_: None, orgs=ctx.orgs, users=ctx.users))
        assert _counts(db) == first
