"""What waits for a node operator, for the workbench (portal.workbench adds these)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from . import managers, nodes, permissions, queue
from .models import TechManager
from .states import ManagerStatus


def items_for(user, *, today: date | None = None) -> list[dict[str, Any]]:
    """A technology manager's own profile (the brokered contracts still to be registered);
    per operated node: the follow-up queue (matches, demands without a match, stalled
    offers); operators to approve; for the core node, managers to verify. Each item is
    the keyword arguments of a portal WorkItem."""
    if not user.is_authenticated:
        return []
    items: list[dict[str, Any]] = []
    own = managers.profiles_of(user)
    if own:
        totals = managers.brokered([m.id for m in own])
        for m in own:
            items.append(
                {
                    "key": f"network_manager_profile_{m.id}",
                    "label": _l(
                        "Your technology manager profile (%(status)s): brokered contracts not registered yet",
                        status=m.status_label,
                    ),
                    "count": totals[m.id]["contracts"] - totals[m.id]["registered"],
                    "url": url_for("network.manager", manager_id=m.id),
                }
            )
    operated = nodes.nodes_of_user(user)
    if not operated:
        return items
    for node in operated:
        q = queue.node_queue(node)
        items.append(
            {
                "key": f"network_queue_{node.slug}",
                "label": _l("Follow-up queue of %(node)s", node=node.display_name),
                "count": q.count,
                "url": url_for("network.node_queue", slug=node.slug),
            }
        )
    requests = nodes.pending_operator_requests(user)
    items.append(
        {
            "key": "network_operators_to_approve",
            "label": _l("Node operators waiting for your approval"),
            "count": len(requests),
            "url": url_for("network.index"),
        }
    )
    if permissions.is_core_operator(user):
        pending = db.session.scalar(
            select(func.count())
            .select_from(TechManager)
            .where(TechManager.status == ManagerStatus.PENDING.value)
        )
        items.append(
            {
                "key": "network_managers_to_verify",
                "label": _l("Technology managers waiting for verification"),
                "count": int(pending or 0),
                "url": url_for("network.managers"),
            }
        )
    return items
