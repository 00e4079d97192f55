"""The demo seed of the ip domain: realistic, complete and idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.demo import accounts, ip
from marketplace.demo.context import DemoContext
from marketplace.ip.identifiers import validate_identifier
from marketplace.ip.models import IpAsset, OwnershipProposal


def test_demo_seed_covers_the_cases_and_runs_twice(db):
    ctx = DemoContext(echo=lambda *_: None)
    accounts.seed(ctx)
    ip.seed(ctx)
    assets = db.session.scalars(select(IpAsset)).all()
    assert len(assets) == len(ip.ASSETS) >= 20
    assert {a.legal_status for a in assets} == {"pending", "granted", "lapsed", "expired", "invalidated"}
    assert {a.kind for a in assets} >= {
        "invention_patent",
        "utility_model",
        "design_patent",
        "software_copyright",
        "ic_layout",
        "plant_variety",
        "technical_secret",
        "achievement",
    }
    for asset in assets:
        if asset.identifier:
            assert validate_identifier(asset.kind, asset.identifier) == asset.identifier
        assert sum(o.share_bp for o in asset.owners) == 10000
    assert any(len(a.owners) > 1 for a in assets)
    assert any(e.kind == "pledge" and not e.is_released for a in assets for e in a.encumbrances)
    assert any(e.kind == "pledge" and e.is_released for a in assets for e in a.encumbrances)
    assert any(e.license_type == "exclusive" for a in assets for e in a.encumbrances)
    assert any(a.is_verified for a in assets) and any(not a.is_verified for a in assets)
    assert any(len(a.title_events) == 2 for a in assets)
    # Shared ownership: a change waiting for an owner's answer, and one applied as a new link.
    proposals = db.session.scalars(select(OwnershipProposal)).all()
    assert {p.status for p in proposals} == {"proposed", "accepted"}
    applied = next(p for p in proposals if p.status == "accepted")
    assert [t.kind for t in applied.asset.title_events] == ["registration", "ownership_change"]
    assert len(applied.asset.title_events[0].owners) == 2 and len(applied.asset.owners) == 1
    pending = next(p for p in proposals if p.status == "proposed")
    assert len(pending.asset.owners) == 2 and pending.awaiting_org_ids
    ip.seed(DemoContext(echo=lambda *_: None, orgs=ctx.orgs, users=ctx.users))
    assert db.session.scalar(select(func.count(IpAsset.id))) == len(assets)
    assert db.session.scalar(select(func.count(OwnershipProposal.id))) == len(proposals)
