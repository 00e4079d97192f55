"""What waits for a provider's staff and for requesters, for the portal's workbench:
(key, label, count, url) tuples the portal turns into its work items."""

from __future__ import annotations

from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from . import evaluations, requests
from .models import Evaluation, ServiceRequest
from .states import EvaluationStatus, RequestStatus


def _count(stmt) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def items_for(user, today: date | None = None) -> list[tuple]:
    items: list[tuple] = []
    if not getattr(user, "is_authenticated", False) or not user.has_powers or user.is_admin:
        return items
    if user.acts_as("provider", "financier"):
        received = requests.visible_to(user, box="received")
        items.append(
            (
                "service_requests_to_quote",
                _l("Service requests waiting for your quote"),
                _count(received.where(ServiceRequest.status == RequestStatus.REQUESTED.value)),
                url_for("services.request_index", box="received", status=RequestStatus.REQUESTED.value),
            )
        )
        items.append(
            (
                "service_requests_to_complete",
                _l("Accepted services to deliver"),
                _count(received.where(ServiceRequest.status == RequestStatus.ACCEPTED.value)),
                url_for("services.request_index", box="received", status=RequestStatus.ACCEPTED.value),
            )
        )
        items.append(
            (
                "evaluations_to_record",
                _l("Evaluations waiting for your result"),
                _count(
                    evaluations.visible_to(user, box="received").where(
                        Evaluation.status == EvaluationStatus.REQUESTED.value
                    )
                ),
                url_for("services.evaluation_index", box="received"),
            )
        )
    sent = requests.visible_to(user, box="sent")
    quoted = _count(sent.where(ServiceRequest.status == RequestStatus.QUOTED.value))
    to_rate = _count(
        sent.where(ServiceRequest.status == RequestStatus.COMPLETED.value, ServiceRequest.rating.is_(None))
    )
    if quoted:
        items.append(
            (
                "service_quotes_to_answer",
                _l("Service quotes waiting for your answer"),
                quoted,
                url_for("services.request_index", box="sent", status=RequestStatus.QUOTED.value),
            )
        )
    if to_rate:
        items.append(
            (
                "services_to_rate",
                _l("Completed services to rate"),
                to_rate,
                url_for("services.request_index", box="sent", status=RequestStatus.COMPLETED.value),
            )
        )
    return items
