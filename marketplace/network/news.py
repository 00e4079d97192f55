"""News a node publishes on its page: written by its operators, shown newest first,
withdrawn (kept, no longer shown) rather than deleted or edited."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..accounts.models import User
from ..core.errors import Conflict, FieldChecks, PermissionDenied, ValidationError
from ..core.models import record_audit
from ..core.timeutil import utcnow
from ..extensions import db
from . import permissions
from .models import Node, NodeNews

TITLE_MAX = 200
BODY_MAX = 5000


def check_text(name: str, value: str | None, limit: int) -> str:
    """The text of a field, stripped; refused when empty or longer than `limit`."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(fields={name: [_l("This field is required.")]})
    if len(text) > limit:
        message = _l(
            "At most %(max)d characters (this has %(length)d); shorten it.", max=limit, length=len(text)
        )
        raise ValidationError(fields={name: [message]})
    return text


def publish_news(node: Node, *, title: str | None, body: str | None, actor: User) -> NodeNews:
    """An operator of the node (or of a node above it) publishes a notice on its page."""
    if not permissions.can_operate(actor, node):
        raise PermissionDenied(_l("Only the node's operators publish its news."))
    checks = FieldChecks()
    clean_title = checks.run(lambda: check_text("title", title, TITLE_MAX))
    clean_body = checks.run(lambda: check_text("body", body, BODY_MAX))
    checks.raise_if_any()
    news = NodeNews(node_id=node.id, title=clean_title, body=clean_body, author_id=actor.id)
    db.session.add(news)
    db.session.flush()
    record_audit("network.news_published", news, actor=actor, data={"node": node.slug})
    return news


def withdraw_news(news: NodeNews, *, actor: User) -> NodeNews:
    """Take a notice off the page (it is kept); decided under the notice's row lock."""
    locked = db.session.scalar(select(NodeNews).where(NodeNews.id == news.id).with_for_update())
    if locked is None:
        raise Conflict(_l("This notice no longer exists."))
    if not permissions.can_operate(actor, locked.node):
        raise PermissionDenied(_l("Only the node's operators publish its news."))
    if locked.withdrawn_at is not None:
        raise Conflict(_l("This notice was already withdrawn."), code="already_withdrawn")
    locked.withdrawn_at = utcnow()
    record_audit("network.news_withdrawn", locked, actor=actor, data={"node": locked.node.slug})
    return locked


def news_of(node: Node) -> Select:
    """The node's notices in force, newest first."""
    return (
        select(NodeNews)
        .where(NodeNews.node_id == node.id, NodeNews.withdrawn_at.is_(None))
        .order_by(NodeNews.published_at.desc(), NodeNews.id.desc())
    )
