"""The search outbox: written with the change, drained after the commit, and
nothing lost when indexing fails after the commit."""

from __future__ import annotations

import pytest

from marketplace.listings import services
from marketplace.search import outbox
from marketplace.search.outbox import SearchOutbox
from marketplace.search.service import get_backend, set_backend
from tests import factories

from .conftest import make_listing


class BrokenBackend:
    """Stands for an index that fails (disk full, killed process) after the commit."""

    def __init__(self, real):
        self.real = real

    def upsert(self, docs):
        raise OSError("disk full")

    def delete(self, ids):
        raise OSError("disk full")

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def broken_index(search_index):
    set_backend(BrokenBackend(search_index))
    yield
    set_backend(search_index)


def test_the_outbox_row_is_written_in_the_same_transaction(db, seller, reviewer, search_index):
    listing = make_listing(seller, submitted=True)
    services.publish_listing(listing, actor=reviewer)
    assert [(r.listing_id, r.op) for r in SearchOutbox.query] == [(listing.id, "upsert")]
    db.session.rollback()  # the publication did not happen: neither did its outbox row
    assert SearchOutbox.query.count() == 0


def test_indexing_failure_after_commit_loses_nothing(api, db, seller, reviewer, search_index, broken_index):
    listing = make_listing(seller, submitted=True)
    r = api(reviewer).post(f"/api/v1/listings/{listing.id}/publish")
    # The publication is committed even though the index write failed after it.
    assert r.status_code == 200 and r.get_json()["status"] == "published"
    assert search_index.count() == 0
    assert [row.listing_id for row in SearchOutbox.query] == [listing.id]
    # The index is back: the next drain indexes it.
    set_backend(search_index)
    result = outbox.drain()
    assert result.upserted == 1 and search_index.count() == 1
    assert SearchOutbox.query.count() == 0
    assert [item["id"] for item in api().get("/api/v1/listings").get_json()["items"]] == [listing.id]


def test_a_crash_before_draining_is_recovered_by_the_drain_command(
    app, db, seller, reviewer, search_index, monkeypatch
):
    # The process "dies" right after the commit, before its after-commit drain runs.
    monkeypatch.setattr(outbox, "drain_after_commit", lambda: None)
    listing = make_listing(seller, submitted=True)
    services.publish_listing(listing, actor=reviewer)
    db.session.commit()
    assert search_index.count() == 0
    result = app.test_cli_runner().invoke(args=["search", "drain"])
    assert result.exit_code == 0, result.output
    assert "1 indexed" in result.output
    assert search_index.count() == 1


def test_drain_follows_the_current_state_not_the_queued_op(
    app, db, seller, reviewer, search_index, publish, monkeypatch
):
    listing = publish(make_listing(seller))
    assert search_index.count() == 1
    monkeypatch.setitem(app.config, "SEARCH_DRAIN_IN_REQUEST", False)  # the drain below does it
    services.withdraw_listing(listing, actor=seller)
    outbox.enqueue(listing.id, outbox.OP_UPSERT)  # a late, stale upsert
    db.session.commit()
    result = outbox.drain()
    assert result.deleted == 1 and search_index.count() == 0


def test_close_listing_removes_it_from_the_index(db, seller, search_index, publish):
    listing = publish(make_listing(seller))
    services.close_listing(listing, reason="合同 2025-001 已签订", actor=None)
    db.session.commit()
    outbox.drain()
    assert listing.status == "closed" and listing.end_reason == "合同 2025-001 已签订"
    assert search_index.count() == 0
    # Safe to repeat.
    services.close_listing(listing, reason="again", actor=None)
    assert listing.end_reason == "合同 2025-001 已签订"


def test_close_listing_refuses_other_states(app, db, seller):
    from marketplace.core.errors import InvalidTransition

    # (A request context: core's locale selector needs one to word the error.)
    with app.test_request_context(), pytest.raises(InvalidTransition):
        services.close_listing(make_listing(seller), reason="x", actor=None)


def test_reindex_command_rebuilds_from_the_database(app, db, seller, search_index):
    published = [make_listing(seller, published=True) for _ in range(3)]
    make_listing(seller)
    outbox.enqueue(published[0].id)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 published listings" in result.output
    assert search_index.count() == 3
    assert SearchOutbox.query.count() == 0


def test_an_interrupted_reindex_keeps_the_old_index(app, db, seller, search_index, publish, monkeypatch):
    first = publish(make_listing(seller))
    make_listing(seller, published=True)
    from marketplace.listings.search_docs import listing_doc
    from marketplace.search import service

    def interrupted():
        yield listing_doc(first)
        raise KeyboardInterrupt

    monkeypatch.setattr(service, "iter_published_docs", lambda batch=1000: interrupted())
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--quiet"])
    assert result.exit_code == 130
    assert search_index.count() == 1  # the previous index, whole


def test_only_one_drain_at_a_time(app, db, search_index):
    from marketplace.search.outbox import IndexLockTimeout, index_lock

    with index_lock():
        import threading

        errors = []

        def other():
            with app.app_context():
                try:
                    with index_lock(timeout=0.2):
                        pass
                except IndexLockTimeout as exc:
                    errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(errors) == 1


def test_a_drain_that_commits_changes_queued_before_it_applies_them_without_waiting_for_itself(
    db, seller, reviewer, search_index, caplog
):
    # As the demo seed does: publish, then drain in the same transaction. The drain's
    # commit runs the drain queued by the publication while the first one holds the
    # lock; that one returns at once and the first applies the row.
    import time

    listing = make_listing(seller, submitted=True)
    services.publish_listing(listing, actor=reviewer)
    started = time.monotonic()
    result = outbox.drain()
    assert time.monotonic() - started < 2.0  # no wait for a lock this thread holds
    assert result.upserted == 1 and search_index.count() == 1
    assert SearchOutbox.query.count() == 0
    assert "search index update failed" not in caplog.text


def test_requests_that_change_nothing_do_not_touch_the_index(client, db, monkeypatch, search_index):
    calls = []
    monkeypatch.setattr(outbox, "drain", lambda **kw: calls.append(kw))
    client.get("/demands")
    assert calls == []


def test_the_backend_is_the_same_object_per_app(app, search_index):
    assert get_backend() is search_index
    factories  # noqa: B018 - imported for fixtures' factories binding
