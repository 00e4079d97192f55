"""Nodes and their operators."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization, User
from ..core.catalog import CITY_CODES, INDUSTRIES, PROVINCE_CODE
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.timeutil import utcnow
from ..extensions import db
from . import permissions
from .models import Node, NodeOperator
from .states import NodeLevel, OperatorStatus, operator_machine

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
CORE_SLUG = "core"


def region_slug(region_code: str) -> str:
    """A regional node's address is its region's code (/network/nodes/230100)."""
    return region_code


def all_nodes() -> list[Node]:
    order = {NodeLevel.CORE.value: 0, NodeLevel.REGIONAL.value: 1, NodeLevel.PROFESSIONAL.value: 2}
    nodes = list(db.session.scalars(select(Node)))
    return sorted(nodes, key=lambda n: (order.get(n.level, 3), n.region_code, n.slug))


def node_by_slug(slug: str) -> Node:
    node = db.session.scalar(select(Node).where(Node.slug == slug))
    if node is None:
        raise NotFound(_l("There is no such node."))
    return node


def core_node() -> Node | None:
    return db.session.scalar(select(Node).where(Node.level == NodeLevel.CORE.value))


def regional_node(region_code: str) -> Node | None:
    return db.session.scalar(
        select(Node).where(Node.level == NodeLevel.REGIONAL.value, Node.region_code == region_code)
    )


def ensure_network(core_org: Organization, regional_orgs: dict[str, Organization]) -> list[Node]:
    """The core node and one regional node per city (idempotent; set-up and demo)."""
    core = core_node()
    if core is None:
        core = Node(
            slug=CORE_SLUG,
            name="黑龙江省技术市场（省级核心节点）",
            name_en="Heilongjiang Technology Market (provincial core node)",
            level=NodeLevel.CORE.value,
            region_code=PROVINCE_CODE,
            org_id=core_org.id,
        )
        db.session.add(core)
        db.session.flush()
    out = [core]
    for code in CITY_CODES:
        node = regional_node(code)
        org = regional_orgs.get(code)
        if node is None and org is not None:
            city = _EN_CITIES.get(code, code)
            node = Node(
                slug=region_slug(code),
                name=f"{_zh_city(code)}技术市场（区域节点）",
                name_en=f"{city} technology market (regional node)",
                level=NodeLevel.REGIONAL.value,
                region_code=code,
                parent_id=core.id,
                org_id=org.id,
            )
            db.session.add(node)
            db.session.flush()
        if node is not None:
            out.append(node)
    return out


_ZH_CITIES = {
    "230100": "哈尔滨",
    "230200": "齐齐哈尔",
    "230300": "鸡西",
    "230400": "鹤岗",
    "230500": "双鸭山",
    "230600": "大庆",
    "230700": "伊春",
    "230800": "佳木斯",
    "230900": "七台河",
    "231000": "牡丹江",
    "231100": "黑河",
    "231200": "绥化",
    "232700": "大兴安岭",
}


_EN_CITIES = {
    "230100": "Harbin",
    "230200": "Qiqihar",
    "230300": "Jixi",
    "230400": "Hegang",
    "230500": "Shuangyashan",
    "230600": "Daqing",
    "230700": "Yichun",
    "230800": "Jiamusi",
    "230900": "Qitaihe",
    "231000": "Mudanjiang",
    "231100": "Heihe",
    "231200": "Suihua",
    "232700": "Da Hinggan Ling",
}


def city_name_en(code: str) -> str:
    return _EN_CITIES.get(code, code)


def _zh_city(code: str) -> str:
    return _ZH_CITIES.get(code, code)


def create_professional_node(
    *,
    slug: str,
    name: str,
    name_en: str | None,
    org: Organization | None,
    institution_org_ids: list[int],
    industries: list[str],
    description: str = "",
    contacts: str = "",
    actor: User,
) -> Node:
    """The core node creates a professional node (a transfer centre, an institute, a park)."""
    if not permissions.can_create_node(actor):
        raise PermissionDenied(_l("Only the core node creates professional nodes."))
    core = core_node()
    errors: dict[str, list] = {}
    slug = (slug or "").strip().lower()
    name = (name or "").strip()
    if not _SLUG.match(slug) or slug.isdigit():
        errors["slug"] = [_l("Use 3 to 40 lower-case letters, digits and hyphens, with at least one letter.")]
    if not name:
        errors["name"] = [_l("Enter the node's name.")]
    elif len(name) > 200:
        errors["name"] = [_l("At most %(n)s characters.", n=200)]
    if name_en and len(name_en) > 200:
        errors["name_en"] = [_l("At most %(n)s characters.", n=200)]
    if org is None:
        errors["org_id"] = [_l("Choose the organization that runs the node.")]
    bad = [i for i in industries or [] if i not in INDUSTRIES]
    if bad:
        errors["industries"] = [_l("Unknown industry.")]
    ids = sorted({int(i) for i in institution_org_ids or []})
    if ids:
        found = set(db.session.scalars(select(Organization.id).where(Organization.id.in_(ids))))
        if found != set(ids):
            errors["institution_org_ids"] = [_l("Unknown organization.")]
    if not ids and not industries and "industries" not in errors:
        errors["industries"] = [
            _l("Name the institutions or the industries whose listings belong to the node.")
        ]
    if len(description or "") > 4000:
        errors["description"] = [_l("At most %(n)s characters.", n=4000)]
    if len(contacts or "") > 1000:
        errors["contacts"] = [_l("At most %(n)s characters.", n=1000)]
    if errors:
        raise ValidationError(fields=errors)
    if core is None:
        raise Conflict(_l("The core node does not exist yet."))
    if db.session.scalar(select(Node.id).where(Node.slug == slug)) is not None:
        raise Conflict(_l("A node with this address already exists."), fields={"slug": [_l("Taken.")]})
    node = Node(
        slug=slug,
        name=name,
        name_en=(name_en or "").strip() or None,
        level=NodeLevel.PROFESSIONAL.value,
        region_code=org.region_code,
        parent_id=core.id,
        org_id=org.id,
        institution_org_ids=ids,
        industries=list(industries or []),
        description=description or "",
        contacts=contacts or "",
    )
    db.session.add(node)
    db.session.flush()
    return node


def apply_as_operator(node: Node, *, actor: User) -> NodeOperator:
    """A person of the node's organization asks to operate it."""
    if not permissions.can_apply_as_operator(actor, node):
        raise PermissionDenied(_l("Only people of the node's organization operate it."))
    row = db.session.scalar(
        select(NodeOperator).where(NodeOperator.node_id == node.id, NodeOperator.user_id == actor.id)
    )
    if row is not None:
        raise Conflict(_l("You have already asked to operate this node."))
    row = NodeOperator(node_id=node.id, user_id=actor.id, status=OperatorStatus.PENDING.value)
    db.session.add(row)
    db.session.flush()
    return row


def decide_operator(row: NodeOperator, *, approve: bool, actor: User) -> NodeOperator:
    """The node above approves (or revokes) an operator."""
    if not permissions.can_approve_operator(actor, row.node):
        raise PermissionDenied(_l("Only the node above approves a node's operators."))
    target = OperatorStatus.APPROVED if approve else OperatorStatus.REVOKED
    operator_machine.transition(row, target, message=_l("This request was already decided."))
    row.decided_at = utcnow()
    row.decided_by_id = actor.id
    db.session.flush()
    permissions.forget(row.user)
    return row


def add_operator(node: Node, user: User, *, decided_by: User | None = None) -> NodeOperator:
    """An approved operator at once (set-up commands and the demo)."""
    row = db.session.scalar(
        select(NodeOperator).where(NodeOperator.node_id == node.id, NodeOperator.user_id == user.id)
    )
    if row is None:
        row = NodeOperator(
            node_id=node.id,
            user_id=user.id,
            status=OperatorStatus.APPROVED.value,
            decided_at=utcnow(),
            decided_by_id=decided_by.id if decided_by else None,
        )
        db.session.add(row)
        db.session.flush()
    permissions.forget(user)
    return row


def operators_of(node: Node, *, status: str | None = None) -> list[NodeOperator]:
    stmt = select(NodeOperator).where(NodeOperator.node_id == node.id)
    if status:
        stmt = stmt.where(NodeOperator.status == status)
    return list(db.session.scalars(stmt.order_by(NodeOperator.requested_at)))


def pending_operator_requests(user: User) -> list[NodeOperator]:
    """Requests the user may decide (operators of the node above, admins)."""
    rows = db.session.scalars(select(NodeOperator).where(NodeOperator.status == OperatorStatus.PENDING.value))
    return [r for r in rows if permissions.can_approve_operator(user, r.node)]


def nodes_of_user(user: User) -> list[Node]:
    ids = permissions.operated_node_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(select(Node).where(Node.id.in_(ids)).order_by(Node.id)))
