"""Who may see and do what in the docking network (pure predicates over rows
already loaded; `operated_node_ids` is the one query, cached per user object)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import Node, NodeOperator
from .states import NodeLevel, OperatorStatus


def _logged_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def operated_node_ids(user) -> frozenset[int]:
    """The nodes the user is an approved operator of."""
    if not _logged_in(user):
        return frozenset()
    cached = getattr(user, "_network_nodes", None)
    if cached is not None:
        return cached
    ids = frozenset(
        db.session.scalars(
            select(NodeOperator.node_id).where(
                NodeOperator.user_id == user.id, NodeOperator.status == OperatorStatus.APPROVED.value
            )
        )
    )
    user._network_nodes = ids
    return ids


def forget(user) -> None:
    if user is not None and hasattr(user, "_network_nodes"):
        del user._network_nodes


def _ancestors(node: Node) -> list[Node]:
    out, cur = [], node
    while cur is not None:
        out.append(cur)
        cur = cur.parent
    return out


def is_admin(user) -> bool:
    return _logged_in(user) and user.acts_as("admin")


def can_operate(user, node: Node) -> bool:
    """Operators of the node, or of a node above it (the core node oversees all), and admins."""
    if is_admin(user):
        return True
    ids = operated_node_ids(user)
    return any(n.id in ids for n in _ancestors(node))


def is_core_operator(user) -> bool:
    if is_admin(user):
        return True
    ids = operated_node_ids(user)
    if not ids:
        return False
    return bool(
        db.session.scalar(
            select(Node.id).where(Node.id.in_(ids), Node.level == NodeLevel.CORE.value).limit(1)
        )
    )


def can_approve_operator(user, node: Node) -> bool:
    """The node above approves a node's operators; the core node's are approved by an admin."""
    if is_admin(user):
        return True
    if node.parent is None:
        return False
    return can_operate(user, node.parent)


def can_apply_as_operator(user, node: Node) -> bool:
    """People of the node's organization may ask to run it."""
    return _logged_in(user) and user.organization_id == node.org_id


def can_create_node(user) -> bool:
    """Professional nodes are created by the core node."""
    return is_core_operator(user)


def can_verify_manager(user) -> bool:
    return is_core_operator(user)


def can_register_manager(user) -> bool:
    """Staff of a technology transfer institution (an agency) register its managers."""
    return _logged_in(user) and user.acts_as("agency") and user.organization.kind == "agency"


def can_record_brokerage(user, manager) -> bool:
    return can_register_manager(user) and user.organization_id == manager.agency_org_id


def can_link_manager_account(user, manager) -> bool:
    """The manager's institution, or the core node, links a manager to a user account."""
    return can_record_brokerage(user, manager) or can_verify_manager(user)


def can_unlink_manager_account(user, manager) -> bool:
    """Those who link, and the manager themself."""
    return can_link_manager_account(user, manager) or (
        _logged_in(user) and manager.user_id is not None and manager.user_id == user.id
    )


def is_the_manager(user, manager) -> bool:
    return _logged_in(user) and manager.user_id is not None and manager.user_id == user.id
