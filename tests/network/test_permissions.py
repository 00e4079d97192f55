"""Each node role against each object of Harbin's node: what the pages answer.

Roles: the core node's operator, Harbin's, Daqing's, a seller and a buyer of
Harbin, the provincial regulator, an admin and an anonymous visitor."""

from __future__ import annotations

import pytest

from tests import factories

from .factories import HARBIN, event, matching_pair

ROLES = ["core_op", "harbin_op", "daqing_op", "seller", "buyer", "regulator", "admin", "anonymous"]

# (what, expected status per role)
MATRIX = {
    "queue": {"core_op": 200, "harbin_op": 200, "admin": 200},
    "match": {"core_op": 200, "harbin_op": 200, "admin": 200, "seller": 200, "buyer": 200},
    "new_event": {"core_op": 200, "harbin_op": 200, "admin": 200},
    "new_node": {"core_op": 200, "admin": 200},
    "node_page": dict.fromkeys(ROLES, 200),
    "event_page": dict.fromkeys(ROLES, 200),
}


@pytest.fixture
def world(net, login_as, client):
    demand, listing = matching_pair(HARBIN)
    ev = event(net.harbin, net.harbin_op)
    people = {
        "core_op": net.core_op,
        "harbin_op": net.harbin_op,
        "daqing_op": net.daqing_op,
        "seller": listing.created_by,
        "buyer": demand.created_by,
        "regulator": factories.user_with_role("regulator"),
        "admin": factories.user_with_role("admin"),
    }
    urls = {
        "queue": "/network/nodes/230100/queue",
        "match": f"/network/matches/{demand.id}/{listing.id}",
        "new_event": "/network/nodes/230100/events/new",
        "new_node": "/network/nodes/new",
        "node_page": "/network/nodes/230100",
        "event_page": f"/network/events/{ev.id}",
    }
    return people, urls


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what", list(MATRIX))
def test_matrix(client, login_as, world, role, what):
    people, urls = world
    if role != "anonymous":
        login_as(people[role])
    expected = MATRIX[what].get(role, 302 if role == "anonymous" else 404)
    assert client.get(urls[what]).status_code == expected, (what, role)


@pytest.mark.parametrize("role", ROLES)
def test_follow_up_post(client, login_as, world, role):
    people, urls = world
    if role != "anonymous":
        login_as(people[role])
    status = client.post(urls["match"], data={"kind": "call", "note": "x"}).status_code
    if role in ("core_op", "harbin_op", "admin"):
        assert status == 302
    elif role == "anonymous":
        assert status == 302  # to the log-in page
    else:
        assert status == 404


@pytest.mark.parametrize("role", ROLES)
def test_api_queue(api, world, role):
    people, _urls = world
    caller = api(people[role]) if role != "anonymous" else api()
    status = caller.get("/api/v1/nodes/230100/queue").status_code
    assert status == {"core_op": 200, "harbin_op": 200, "admin": 200, "anonymous": 401}.get(role, 404)
