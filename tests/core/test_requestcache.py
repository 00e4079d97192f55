"""A read-only request computes a repeated answer once, and never keeps it past a write."""

from __future__ import annotations

from sqlalchemy import text

from marketplace.core.requestcache import per_request
from marketplace.extensions import db

calls: list[int] = []


@per_request
def _answer(n: int) -> int:
    calls.append(n)
    return db.session.scalar(text("SELECT count(*) FROM organizations")) + n


def test_a_get_computes_once_per_argument(app, db):
    calls.clear()
    with app.test_request_context("/", method="GET"):
        assert _answer(1) == _answer(1)
        _answer(2)
    assert calls == [1, 2]
    with app.test_request_context("/", method="GET"):
        _answer(1)  # a new request asks again
    assert calls == [1, 2, 1]


def test_a_write_ends_what_was_kept(app, db):
    from tests import factories

    calls.clear()
    with app.test_request_context("/", method="GET"):
        before = _answer(0)
        factories.OrganizationFactory()
        db.session.flush()
        assert _answer(0) == before + 1
        db.session.execute(text("UPDATE organizations SET place = place"))
        _answer(0)
    assert calls == [0, 0, 0]


def test_a_writing_request_and_a_command_compute_every_time(app, db):
    calls.clear()
    with app.test_request_context("/", method="POST"):
        _answer(1)
        _answer(1)
    with app.app_context():
        _answer(1)
    assert calls == [1, 1, 1]
