"""Shared ownership: the owners of a co-owned asset change only with every owner's agreement.

A change of the owners of an asset with more than one owner organization is an
`OwnershipProposal` (states in ``states.PROPOSAL_MACHINE``: proposed -> accepted,
rejected or withdrawn). Proposing counts as the proposing organization's
acceptance; each other current owner organization accepts or rejects through
one of its sellers; one rejection ends it. An admin or an approved agency may
instead decide it (accept or reject) with evidence attached (a court judgment,
a signed agreement...). When every current owner has accepted, or on an
accepting decision, the new owners apply (``services.apply_owners``): a new
link of the chain of title, the verification cleared, the change audited with
old and new owners and shares, and the ``ownership_changed`` signal, on which
listings withdraws the listings of organizations that lost their share.

Every decision takes the asset's row lock, then the proposal's (always in that
order), and re-reads the state and the answers before deciding.

Services add and flush, never commit; they raise domain errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization, User
from ..core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from ..core.models import record_audit
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..notifications.services import N_, notify
from ..storage.uploads import Attachment, save_upload
from . import permissions, states
from .deals import DealCheck, DealExcluded, DealTerms, current_encumbrances, evaluate
from .models import IpAsset, OwnershipProposal, OwnershipVote
from .owners import (
    OwnerShare,
    apply_owners,
    clean_owners,
    is_co_owned,
    lock_asset,
    owner_snapshot_of,
    owners_snapshot,
)

__all__ = [
    "accept_proposal",
    "decide_proposal",
    "open_proposal",
    "proposals_of",
    "propose_ownership_change",
    "reject_proposal",
    "withdraw_proposal",
]

MAX_TEXT = 2000
#: What keeps the owners from changing at all: a pledge in force (the pledgee's right),
#: or a transfer or equity deal committed on the platform and not closed.
BLOCKING_CODES = frozenset({"pledged", "transfer_committed"})

Status = states.ProposalStatus


# --- queries ---------------------------------------------------------------------------------


def proposals_of(asset: IpAsset) -> list[OwnershipProposal]:
    """The asset's proposals, newest first."""
    return list(
        db.session.scalars(
            select(OwnershipProposal)
            .where(OwnershipProposal.asset_id == asset.id)
            .order_by(OwnershipProposal.created_at.desc(), OwnershipProposal.id.desc())
        )
    )


def open_proposal(asset: IpAsset) -> OwnershipProposal | None:
    return db.session.scalar(
        select(OwnershipProposal).where(
            OwnershipProposal.asset_id == asset.id, OwnershipProposal.status == Status.PROPOSED.value
        )
    )


def evidence_of(proposal: OwnershipProposal) -> Attachment | None:
    return db.session.get(Attachment, proposal.evidence_id) if proposal.evidence_id else None


# --- rules -----------------------------------------------------------------------------------


def _blocking(asset: IpAsset) -> list:
    check = evaluate(
        asset,
        DealTerms("transfer"),
        on=today_shanghai(),
        encumbrances=current_encumbrances(asset),
        check_status=False,
    )
    return [r for r in check.reasons if r.code in BLOCKING_CODES]


def _clean_text(value: str | None, name: str, errors: dict[str, list[Any]], *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text and required:
        errors.setdefault(name, []).append(_l("Say why."))
    elif len(text) > MAX_TEXT:
        errors.setdefault(name, []).append(_l("At most %(max)s characters.", max=MAX_TEXT))
    return text or None


def _shares(snapshot: Sequence[dict]) -> dict[int, int]:
    return {o["org_id"]: o["share_bp"] for o in snapshot}


def _lock(proposal: OwnershipProposal) -> None:
    """The asset's row lock, then the proposal's; re-read both, with the answers given so far."""
    asset = proposal.asset
    lock_asset(asset)
    db.session.refresh(asset)
    db.session.refresh(proposal, with_for_update={"of": OwnershipProposal})
    db.session.expire(proposal, ["votes"])


def _require_open(proposal: OwnershipProposal) -> None:
    if not proposal.is_open:
        raise InvalidTransition(
            _l("This proposal is already closed: %(status)s.", status=proposal.status_label),
            code="proposal_closed",
        )


def _transition(proposal: OwnershipProposal, target: Status, *, actor, basis: str | None, note=None) -> None:
    src, dst = states.PROPOSAL_MACHINE.apply(proposal, target)
    proposal.decided_at = utcnow()
    proposal.decided_by_id = actor.id
    proposal.decision_basis = basis
    proposal.decision_note = note
    record_audit(
        f"ip.ownership_{dst.value}",
        proposal,
        actor=actor,
        from_state=src.value,
        to_state=dst.value,
        data={"basis": basis, "note": note, "evidence_id": proposal.evidence_id},
    )
    record_audit(
        f"ip.ownership_{dst.value}",
        proposal.asset,
        actor=actor,
        data={"proposal_id": proposal.id, "basis": basis, "evidence_id": proposal.evidence_id},
    )


# --- proposing -------------------------------------------------------------------------------


def propose_ownership_change(
    asset: IpAsset, new_owners: Sequence[OwnerShare], *, reason: str | None, actor: User
) -> OwnershipProposal:
    """A seller of one current owner proposes new owners (and shares) for a co-owned asset.

    The proposing organization's acceptance is recorded with the proposal. Raises
    Conflict when the asset is not co-owned, a proposal is already open, or a pledge or
    a committed transfer keeps the owners from changing.
    """
    lock_asset(asset)
    db.session.refresh(asset)
    if not permissions.can_edit_asset(actor, asset):
        raise PermissionDenied()
    if not is_co_owned(asset):
        raise Conflict(
            _l(
                "This asset has a single owner, who changes its owners by editing the asset; proposals "
                "are for assets with several owners."
            ),
            code="not_co_owned",
        )
    errors: dict[str, list[Any]] = {}
    reason = _clean_text(reason, "reason", errors, required=True)
    cleaned = clean_owners(list(new_owners), actor, errors, actor_must_own=False)
    if cleaned and {o.id: s for o, s in cleaned} == {o.org_id: o.share_bp for o in asset.owners}:
        errors.setdefault("owners", []).append(_l("These are already the owners."))
    if errors:
        raise ValidationError(fields=errors)
    blocking = _blocking(asset)
    if blocking:
        raise DealExcluded(DealCheck(reasons=blocking))
    if open_proposal(asset) is not None:
        raise _already_open()
    proposal = OwnershipProposal(
        asset_id=asset.id,
        asset=asset,
        status=Status.PROPOSED.value,
        reason=reason,
        proposed_by_id=actor.id,
        proposer_org_id=actor.organization_id,
        current_owners=owners_snapshot(asset),
        new_owners=owner_snapshot_of(cleaned),
    )
    db.session.add(proposal)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a concurrent proposal won the unique index
        raise _already_open() from None
    db.session.add(
        OwnershipVote(
            proposal_id=proposal.id,
            org_id=actor.organization_id,
            user_id=actor.id,
            decision=states.VoteDecision.ACCEPT.value,
        )
    )
    record_audit(
        "ip.ownership_proposed",
        proposal,
        actor=actor,
        to_state=proposal.status,
        data={
            "asset_id": asset.id,
            "from": proposal.current_owners,
            "to": proposal.new_owners,
            "reason": reason,
        },
    )
    record_audit(
        "ip.ownership_proposed",
        asset,
        actor=actor,
        data={"proposal_id": proposal.id, "from": proposal.current_owners, "to": proposal.new_owners},
    )
    db.session.flush()
    db.session.expire(proposal, ["votes"])
    _notify(
        proposal,
        org_ids=[i for i in proposal.current_org_ids + proposal.new_org_ids if i != actor.organization_id],
        kind="ip.ownership_proposed",
        message_id=N_(
            "%(org)s proposes a change of the owners of %(title)s: every owner's answer is needed."
        ),
        actor=actor,
    )
    return proposal


def _already_open() -> Conflict:
    return Conflict(
        _l("A proposal to change this asset's owners is already open: answer or withdraw it first."),
        code="proposal_open",
    )


# --- answering -------------------------------------------------------------------------------


def accept_proposal(
    proposal: OwnershipProposal, *, actor: User, note: str | None = None
) -> OwnershipProposal:
    """A seller of a current owner accepts for its organization; the last acceptance applies."""
    _lock(proposal)
    _require_open(proposal)
    org_id = _answering_org(actor, proposal)
    errors: dict[str, list[Any]] = {}
    note = _clean_text(note, "note", errors, required=False)
    if errors:
        raise ValidationError(fields=errors)
    if proposal.accepted_org_ids | {org_id} >= set(proposal.current_org_ids):
        _check_applicable(proposal)  # refuse before recording anything
    _vote(proposal, org_id, states.VoteDecision.ACCEPT, actor=actor, note=note)
    if proposal.accepted_org_ids >= set(proposal.current_org_ids):
        _apply(proposal, actor=actor, basis=states.DecisionBasis.OWNERS.value, note=None)
    return proposal


def reject_proposal(
    proposal: OwnershipProposal, *, actor: User, note: str | None = None
) -> OwnershipProposal:
    """A seller of a current owner refuses for its organization: the proposal ends, nothing changes."""
    _lock(proposal)
    _require_open(proposal)
    org_id = _answering_org(actor, proposal)
    errors: dict[str, list[Any]] = {}
    note = _clean_text(note, "note", errors, required=False)
    if errors:
        raise ValidationError(fields=errors)
    _vote(proposal, org_id, states.VoteDecision.REJECT, actor=actor, note=note)
    _transition(proposal, Status.REJECTED, actor=actor, basis=states.DecisionBasis.OWNERS.value, note=note)
    _notify_outcome(proposal, actor, N_("The proposed change of the owners of %(title)s was rejected."))
    db.session.flush()
    return proposal


def withdraw_proposal(proposal: OwnershipProposal, *, actor: User) -> OwnershipProposal:
    """The proposing organization takes its open proposal back."""
    _lock(proposal)
    _require_open(proposal)
    if not permissions.can_withdraw_proposal(actor, proposal):
        raise PermissionDenied(_l("Only the organization that proposed the change can withdraw it."))
    _transition(proposal, Status.WITHDRAWN, actor=actor, basis=None)
    _notify_outcome(proposal, actor, N_("The proposed change of the owners of %(title)s was withdrawn."))
    db.session.flush()
    return proposal


def decide_proposal(
    proposal: OwnershipProposal,
    *,
    decision: str | None,
    note: str | None,
    evidence: FileStorage | None,
    actor: User,
) -> OwnershipProposal:
    """An admin or an approved agency decides an open proposal, with the evidence attached
    (a court judgment, the owners' signed agreement...) and a note saying why."""
    _lock(proposal)
    _require_open(proposal)
    if not permissions.can_decide_proposal(actor, proposal):
        raise PermissionDenied(_l("Only an administrator or an approved agency decides a proposal."))
    errors: dict[str, list[Any]] = {}
    if decision not in (states.VoteDecision.ACCEPT.value, states.VoteDecision.REJECT.value):
        errors["decision"] = [_l("Choose to accept or to reject the proposal.")]
    note = _clean_text(note, "note", errors, required=True)
    if errors:
        raise ValidationError(fields=errors)
    if decision == states.VoteDecision.ACCEPT.value:
        _check_applicable(proposal)
    attachment = save_upload(evidence, subject=proposal, actor=actor, purpose="evidence", field="evidence")
    proposal.evidence_id = attachment.id
    basis = states.DecisionBasis.ADMIN.value if actor.is_admin else states.DecisionBasis.AGENCY.value
    if decision == states.VoteDecision.ACCEPT.value:
        _apply(proposal, actor=actor, basis=basis, note=note)
    else:
        _transition(proposal, Status.REJECTED, actor=actor, basis=basis, note=note)
        _notify_outcome(proposal, actor, N_("The proposed change of the owners of %(title)s was rejected."))
    db.session.flush()
    return proposal


def _answering_org(actor: User, proposal: OwnershipProposal) -> int:
    org_id = permissions.answering_org_id(actor, proposal)
    if org_id is not None:
        return org_id
    if actor.acts_as("seller") and actor.organization_id in proposal.current_org_ids:
        raise Conflict(_l("Your organization has already answered this proposal."), code="already_answered")
    raise PermissionDenied(_l("Only the current owners answer this proposal."))


def _vote(proposal: OwnershipProposal, org_id: int, decision: states.VoteDecision, *, actor, note) -> None:
    vote = OwnershipVote(
        proposal_id=proposal.id, org_id=org_id, user_id=actor.id, decision=decision.value, note=note
    )
    db.session.add(vote)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same organization answered at the same moment
        raise Conflict(
            _l("Your organization has already answered this proposal."), code="already_answered"
        ) from None
    record_audit(
        f"ip.ownership_vote_{decision.value}",
        proposal,
        actor=actor,
        data={"org_id": org_id, "note": note},
    )
    db.session.expire(proposal, ["votes"])


def _check_applicable(proposal: OwnershipProposal) -> list[tuple[Organization, int]]:
    """The proposal can still apply: the owners are those it was made for, nothing keeps
    them from changing, and the new owners are still valid. Returns them cleaned."""
    asset = proposal.asset
    if {o.org_id: o.share_bp for o in asset.owners} != _shares(proposal.current_owners):
        raise Conflict(
            _l(
                "The owners of this asset changed since the proposal was made: it can no longer apply. "
                "Withdraw or reject it, and propose again."
            ),
            code="proposal_stale",
        )
    blocking = _blocking(asset)
    if blocking:
        raise DealExcluded(DealCheck(reasons=blocking))
    errors: dict[str, list[Any]] = {}
    cleaned = clean_owners(
        [OwnerShare(o["org_id"], o["share_bp"]) for o in proposal.new_owners],
        None,
        errors,
        actor_must_own=False,
    )
    if errors:
        messages = [str(m) for ms in errors.values() for m in ms]
        raise Conflict(
            _l("The proposed owners are no longer valid: %(why)s", why=" ".join(messages)),
            code="proposal_invalid",
        )
    return cleaned


def _apply(proposal: OwnershipProposal, *, actor: User, basis: str, note: str | None) -> None:
    cleaned = _check_applicable(proposal)
    _transition(proposal, Status.ACCEPTED, actor=actor, basis=basis, note=note)
    change = apply_owners(proposal.asset, cleaned, actor=actor, cause="proposal", proposal_id=proposal.id)
    record_audit(
        "ip.ownership_applied",
        proposal,
        actor=actor,
        data={**change, "basis": basis, "evidence_id": proposal.evidence_id},
    )
    _notify_outcome(proposal, actor, N_("The change of the owners of %(title)s was accepted and applied."))
    lost = proposal.losing_org_ids
    if lost:
        _notify(
            proposal,
            org_ids=lost,
            kind="ip.ownership_lost",
            message_id=N_(
                "Your organization no longer owns %(title)s: its listings that offered it are withdrawn."
            ),
            actor=actor,
        )
    db.session.flush()


# --- notifications ---------------------------------------------------------------------------


def _members(org_ids: Sequence[int]) -> list[User]:
    if not org_ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organization_id.in_(list(org_ids)),
                User.role == "seller",
                User.status == "active",
                User.membership == "approved",
            )
            .order_by(User.id)
        )
    )


def _link(proposal: OwnershipProposal) -> str:
    return current_app.url_map.bind("localhost").build("ip.proposal_detail", {"proposal_id": proposal.id})


def _notify(
    proposal: OwnershipProposal, *, org_ids: Sequence[int], kind: str, message_id: str, actor
) -> None:
    org = db.session.get(Organization, proposal.proposer_org_id)
    params = {"title": proposal.asset.title, "org": org.name if org else ""}
    seen: set[int] = set()
    for user in _members(sorted(set(org_ids))):
        if user.id in seen or (actor is not None and user.id == actor.id):
            continue
        seen.add(user.id)
        notify(user, kind, message_id, params=params, link=_link(proposal))


def _notify_outcome(proposal: OwnershipProposal, actor, message_id: str) -> None:
    _notify(
        proposal,
        org_ids=proposal.current_org_ids + proposal.new_org_ids,
        kind=f"ip.ownership_{proposal.status}",
        message_id=message_id,
        actor=actor,
    )
