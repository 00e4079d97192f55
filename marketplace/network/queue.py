"""The follow-up of matches: a node operator's queue and the follow-ups recorded.

The queue of a node shows
- its open demands without a good match (no published listing scoring
  `GOOD_SCORE` or more, listings.matching.score_pair);
- matches (demand, listing) scoring `GOOD_SCORE` or more where the demand or the
  listing belongs to the node and that are *new* (never followed up) or *raised
  again* (the last follow-up is older than NETWORK_FOLLOW_UP_DAYS and no next
  step is ahead of it);
- live offers on the node's listings with no activity for `STALLED_DAYS` days.

Matches are scored in Python over a bounded pool (the newest `DEMAND_POOL` open
demands and `LISTING_POOL` published listings): a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..listings.matching import NOTIFY_THRESHOLD, demand_terms, listing_text, score_pair
from ..listings.models import Demand, Listing
from ..notifications.services import N_, notify
from ..offers.models import Offer
from ..offers.states import LIVE_STATES
from . import permissions, routing
from .models import FollowUp, Node
from .states import FollowUpKind, MatchState

GOOD_SCORE = NOTIFY_THRESHOLD  # 45
STALLED_DAYS = 14
DEMAND_POOL = 200
LISTING_POOL = 300
NOTE_MAX = 2000


def follow_up_days() -> int:
    return int(current_app.config.get("NETWORK_FOLLOW_UP_DAYS", 14))


@dataclass
class PairView:
    demand: Demand
    listing: Listing
    score: int
    state: str
    last: FollowUp | None = None
    offers: list[Offer] = field(default_factory=list)


@dataclass
class Queue:
    node: Node
    unmatched_demands: list[Demand]
    matches: list[PairView]  # new or raised again
    followed: list[PairView]  # being followed up, closed or converted
    stalled_offers: list[Offer]

    @property
    def count(self) -> int:
        return len(self.unmatched_demands) + len(self.matches) + len(self.stalled_offers)


def pair_state(last: FollowUp | None, offers: list[Offer], *, now: datetime, days: int) -> str:
    if offers:
        return MatchState.CONVERTED.value
    if last is None:
        return MatchState.NEW.value
    if last.kind == FollowUpKind.NO_INTEREST.value:
        return MatchState.CLOSED.value
    today = shanghai_date(now)
    if last.next_step_on is not None and last.next_step_on >= today:
        return MatchState.FOLLOWING.value
    if last.created_at <= now - timedelta(days=days):
        return MatchState.RAISED.value
    return MatchState.FOLLOWING.value


def node_queue(node: Node, *, now: datetime | None = None) -> Queue:
    now = now or utcnow()
    days = follow_up_days()
    demands = list(
        db.session.scalars(
            select(Demand)
            .where(Demand.status == "open")
            .order_by(Demand.created_at.desc(), Demand.id.desc())
            .limit(DEMAND_POOL)
        )
    )
    listings = list(
        db.session.scalars(
            select(Listing)
            .where(Listing.status == "published")
            .order_by(Listing.published_at.desc(), Listing.id.desc())
            .limit(LISTING_POOL)
        )
    )
    node_demand_ids = set(
        db.session.scalars(select(Demand.id).where(routing.demand_condition(node), Demand.status == "open"))
    )
    node_listing_ids = set(
        db.session.scalars(
            select(Listing.id).where(routing.listing_condition(node), Listing.status == "published")
        )
    )
    texts = {listing.id: listing_text(listing) for listing in listings}
    pairs: list[tuple[Demand, Listing, int]] = []
    best: dict[int, int] = {}
    for demand in demands:
        in_node = demand.id in node_demand_ids
        terms = demand_terms(demand)
        for listing in listings:
            if listing.org_id == demand.org_id or not (in_node or listing.id in node_listing_ids):
                continue
            score = score_pair(terms, demand.industry, listing, texts[listing.id])
            best[demand.id] = max(best.get(demand.id, 0), score)
            if score >= GOOD_SCORE:
                pairs.append((demand, listing, score))
    demand_ids = {d.id for d, _l2, _s in pairs}
    listing_ids = {li.id for _d, li, _s in pairs}
    last: dict[tuple[int, int], FollowUp] = {}
    if pairs:
        for row in db.session.scalars(
            select(FollowUp)
            .where(FollowUp.demand_id.in_(demand_ids), FollowUp.listing_id.in_(listing_ids))
            .order_by(FollowUp.created_at, FollowUp.id)
        ):
            last[(row.demand_id, row.listing_id)] = row
    offers: dict[tuple[int, int], list[Offer]] = {}
    if pairs:
        buyer_orgs = {d.org_id for d, _l2, _s in pairs}
        for offer in db.session.scalars(
            select(Offer).where(Offer.listing_id.in_(listing_ids), Offer.buyer_org_id.in_(buyer_orgs))
        ):
            offers.setdefault((offer.buyer_org_id, offer.listing_id), []).append(offer)
    open_pairs, followed = [], []
    for demand, listing, score in pairs:
        lf = last.get((demand.id, listing.id))
        of = offers.get((demand.org_id, listing.id), [])
        view = PairView(demand, listing, score, pair_state(lf, of, now=now, days=days), lf, of)
        (open_pairs if view.state in (MatchState.NEW.value, MatchState.RAISED.value) else followed).append(
            view
        )
    open_pairs.sort(key=lambda v: (v.state != MatchState.RAISED.value, -v.score, -v.demand.id))
    followed.sort(key=lambda v: (v.last.created_at if v.last else now), reverse=True)
    unmatched = [d for d in demands if d.id in node_demand_ids and best.get(d.id, 0) < GOOD_SCORE]
    stalled = list(
        db.session.scalars(
            select(Offer)
            .where(
                Offer.status.in_(sorted(LIVE_STATES)),
                Offer.updated_at <= now - timedelta(days=STALLED_DAYS),
                Offer.listing_id.in_(select(Listing.id).where(routing.listing_condition(node))),
            )
            .order_by(Offer.updated_at)
            .limit(100)
        )
    )
    return Queue(node, unmatched, open_pairs, followed, stalled)


def pair_in_node(node: Node, demand: Demand, listing: Listing) -> bool:
    return routing.belongs(node, org=demand.organization, industry=demand.industry) or routing.belongs(
        node, org=listing.organization, industry=listing.industry
    )


def node_for_pair(actor: User, demand: Demand, listing: Listing, slug: str | None = None) -> Node:
    """The node the actor follows the pair up in: the one named, or the first of
    the actor's nodes the pair belongs to (the most specific first)."""
    from . import nodes as node_services

    if slug:
        node = node_services.node_by_slug(slug)
        if not permissions.can_operate(actor, node) or not pair_in_node(node, demand, listing):
            raise NotFound()
        return node
    order = {"professional": 0, "regional": 1, "core": 2}
    for node in sorted(node_services.nodes_of_user(actor), key=lambda n: order.get(n.level, 3)):
        if pair_in_node(node, demand, listing):
            return node
    raise NotFound()


def record_follow_up(
    node: Node,
    demand: Demand,
    listing: Listing,
    *,
    kind: str,
    note: str,
    next_step_on: date | None = None,
    actor: User,
    now: datetime | None = None,
) -> FollowUp:
    """Record what the operator did about a match; `pushed` notifies the buyer and
    the sellers with the operator's note."""
    if not permissions.can_operate(actor, node):
        raise PermissionDenied(_l("Only the node's operators follow up its matches."))
    if not pair_in_node(node, demand, listing):
        raise NotFound()
    now = now or utcnow()
    errors: dict[str, list] = {}
    if kind not in {k.value for k in FollowUpKind}:
        errors["kind"] = [_l("Choose what was done.")]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_l("At most %(n)s characters.", n=NOTE_MAX)]
    elif kind == FollowUpKind.PUSHED.value and not note:
        errors["note"] = [_l("Write the note the buyer and the seller will read.")]
    if next_step_on is not None and next_step_on < shanghai_date(now):
        errors["next_step_on"] = [_l("The next step cannot be in the past.")]
    if listing.status != "published" and kind == FollowUpKind.PUSHED.value:
        errors["kind"] = [_l("Only a published listing can be pushed.")]
    if errors:
        raise ValidationError(fields=errors)
    # One follow-up of a demand at a time: its row decides the order.
    db.session.scalar(select(Demand.id).where(Demand.id == demand.id).with_for_update())
    score = score_pair(demand_terms(demand), demand.industry, listing)
    row = FollowUp(
        node_id=node.id,
        demand_id=demand.id,
        listing_id=listing.id,
        kind=kind,
        note=note,
        next_step_on=next_step_on,
        score=score,
        actor_id=actor.id,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    if kind == FollowUpKind.PUSHED.value:
        _push(node, demand, listing, note)
    return row


def _recipients(demand: Demand, listing: Listing) -> list[User]:
    users: list[User] = []
    if demand.created_by is not None and demand.created_by.is_active:
        users.append(demand.created_by)
    if listing.created_by is not None and listing.created_by.is_active:
        users.append(listing.created_by)
    else:
        users += list(
            db.session.scalars(
                select(User).where(
                    User.organization_id == listing.org_id, User.role == "seller", User.status == "active"
                )
            )
        )
    return users


def _push(node: Node, demand: Demand, listing: Listing, note: str) -> None:
    for user in _recipients(demand, listing):
        notify(
            user,
            "network.pushed",
            N_("%(node)s recommends a match: %(demand)s and %(listing)s. %(note)s"),
            params={"node": node.name, "demand": demand.title, "listing": listing.title, "note": note},
            link=current_app.url_map.bind("localhost").build(
                "network.match", {"demand_id": demand.id, "listing_id": listing.id}
            ),
        )


def follow_ups_of(demand: Demand, listing: Listing) -> list[FollowUp]:
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.demand_id == demand.id, FollowUp.listing_id == listing.id)
            .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
        )
    )


def pair_view(demand: Demand, listing: Listing, *, now: datetime | None = None) -> PairView:
    now = now or utcnow()
    history = follow_ups_of(demand, listing)
    offers = list(
        db.session.scalars(
            select(Offer).where(Offer.listing_id == listing.id, Offer.buyer_org_id == demand.org_id)
        )
    )
    score = score_pair(demand_terms(demand), demand.industry, listing)
    last = history[0] if history else None
    return PairView(
        demand, listing, score, pair_state(last, offers, now=now, days=follow_up_days()), last, offers
    )
