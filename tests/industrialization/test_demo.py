"""The demo seed of industrialization: confirmed, waiting and returned reports for
all three sources, on registered contracts that link the assets; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.contracts.models import Contract
from marketplace.demo import accounts, industrialization, ip
from marketplace.demo.context import DemoContext
from marketplace.industrialization import services
from marketplace.industrialization.models import IndustrializationReport


def test_demo_seed_covers_the_cases_and_runs_twice(db, app):
    with app.test_request_context("/"):
        ctx = DemoContext(echo=lambda *_: None)
        accounts.seed(ctx)
        ip.seed(ctx)
        industrialization.seed(ctx)
        reports = db.session.scalars(select(IndustrializationReport)).all()
        assert len(reports) == len(industrialization.DEALS)
        assert {r.status for r in reports} == {"confirmed", "pending", "returned"}
        assert {r.decided_as for r in reports if r.status == "confirmed"} == {"seller", "agency"}
        assert {r.contract.seller_org.kind for r in reports} == {
            "university",
            "research_institute",
            "enterprise",
        }
        for report in reports:
            assert report.contract.status == "registered" and report.contract.registration_no
            assert report.asset_id in report.contract.asset_ids
            assert services.evidence_of(report)
        assert services.industrialized_counts() == {"university": 1, "research_institute": 1, "enterprise": 1}
        industrialization.seed(DemoContext(echo=lambda *_: None, orgs=ctx.orgs, users=ctx.users))
        assert db.session.scalar(select(func.count(IndustrializationReport.id))) == len(reports)
        assert db.session.scalar(
            select(func.count(Contract.id)).where(Contract.source_ref.like("demo:ind-%"))
        ) == len(industrialization.DEALS)
