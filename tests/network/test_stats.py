"""Node statistics by month and the regional comparison."""

from __future__ import annotations

from marketplace.core.timeutil import today_shanghai
from marketplace.network import queue, stats

from .factories import DAQING, HARBIN, event, matching_pair


def test_monthly_figures_of_a_node(net):
    demand, listing = matching_pair(HARBIN)
    matching_pair(DAQING)
    queue.record_follow_up(net.harbin, demand, listing, kind="call", note="", actor=net.harbin_op)
    queue.record_follow_up(net.harbin, demand, listing, kind="meeting", note="", actor=net.harbin_op)
    event(net.harbin, net.harbin_op, days=0)
    rows = stats.node_monthly(net.harbin)
    assert len(rows) == 12
    month = today_shanghai().strftime("%Y-%m")
    assert rows[-1]["month"] == month
    now = rows[-1]
    assert (now["listings"], now["demands"], now["follow_ups"], now["matches"]) == (1, 1, 2, 1)
    core_now = stats.node_monthly(net.core)[-1]
    assert (core_now["listings"], core_now["demands"], core_now["follow_ups"]) == (2, 2, 2)
    assert stats.node_monthly(net.daqing)[-1]["follow_ups"] == 0


def test_regional_comparison(net):
    matching_pair(HARBIN)
    matching_pair(HARBIN)
    matching_pair(DAQING)
    rows = {r["region"]: r for r in stats.regional_comparison()}
    assert len(rows) == 13
    assert rows[HARBIN]["listings"] == 2 and rows[DAQING]["listings"] == 1
    assert rows[HARBIN]["node"].slug == "230100"
    assert rows["231000"]["node"] is None  # no Mudanjiang node in this network


def test_node_page_queries_do_not_grow(client, net, count_queries):
    matching_pair(HARBIN)
    event(net.harbin, net.harbin_op)
    client.get("/network/nodes/230100")
    with count_queries() as one:
        client.get("/network/nodes/230100")
    for _ in range(5):
        matching_pair(HARBIN)
        event(net.harbin, net.harbin_op)
    with count_queries() as many:
        client.get("/network/nodes/230100")
    assert many.count == one.count
