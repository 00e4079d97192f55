"""News on a node's page: its operators publish and withdraw; everyone reads."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import PermissionDenied, ValidationError
from marketplace.network import news
from marketplace.network.models import NodeNews
from tests import factories


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(NodeNews))


def test_an_operator_publishes_and_everyone_reads_it_on_the_node_page(client, login_as, net, db):
    login_as(net.harbin_op)
    r = client.post(
        f"/network/nodes/{net.harbin.slug}/news",
        data={"title": "寒地农业技术对接会成果", "body": "对接会促成 5 项合作意向。"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#news")
    client.post("/logout")
    page = client.get(f"/network/nodes/{net.harbin.slug}?lang=en").get_data(as_text=True)
    assert "寒地农业技术对接会成果" in page and "对接会促成 5 项合作意向。" in page
    assert f"/network/nodes/{net.harbin.slug}/news" not in page  # no form for a visitor


def test_only_the_nodes_operators_publish(client, login_as, net, db):
    login_as(net.daqing_op)
    r = client.post(f"/network/nodes/{net.harbin.slug}/news", data={"title": "x", "body": "y"})
    assert r.status_code == 404
    with pytest.raises(PermissionDenied):
        news.publish_news(net.harbin, title="x", body="y", actor=factories.user_with_role("buyer"))
    assert _count(db) == 0
    # The core node's operators act for the nodes below it.
    assert news.publish_news(net.harbin, title="全省路演报名", body="报名开始。", actor=net.core_op).id


def test_a_refused_notice_shows_every_error_in_the_users_language(client, login_as, net, db):
    login_as(net.harbin_op)
    r = client.post(f"/network/nodes/{net.harbin.slug}/news?lang=en", data={"title": "", "body": "x" * 5001})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "This field is required." in page and "At most 5000 characters" in page
    r = client.post(f"/network/nodes/{net.harbin.slug}/news", data={"title": "", "body": ""})
    assert "此项为必填项。" in r.get_data(as_text=True)
    assert _count(db) == 0
    with pytest.raises(ValidationError) as refused:
        news.publish_news(net.harbin, title=" ", body=" ", actor=net.harbin_op)
    assert set(refused.value.fields) == {"title", "body"}


def test_withdrawn_news_is_kept_but_no_longer_shown(client, login_as, net, db):
    item = news.publish_news(net.harbin, title="对接会改期", body="新的时间另行通知。", actor=net.harbin_op)
    db.session.commit()
    login_as(net.daqing_op)
    assert client.post(f"/network/news/{item.id}/withdraw").status_code == 404
    login_as(net.harbin_op)
    client.post(f"/network/news/{item.id}/withdraw")
    db.session.expire_all()
    assert item.withdrawn_at is not None and _count(db) == 1
    assert "对接会改期" not in client.get(f"/network/nodes/{net.harbin.slug}").get_data(as_text=True)
    again = client.post(f"/network/news/{item.id}/withdraw", follow_redirects=True)
    assert "已经撤下" in again.get_data(as_text=True) or "already withdrawn" in again.get_data(as_text=True)


def test_the_news_api(api, net, db):
    r = api(net.harbin_op).post(
        f"/api/v1/nodes/{net.harbin.slug}/news", json={"title": "技术经理人登记", "body": "已满 60 人。"}
    )
    assert r.status_code == 201, r.get_json()
    nid = r.get_json()["id"]
    listed = api().get(f"/api/v1/nodes/{net.harbin.slug}/news").get_json()
    assert [n["id"] for n in listed["items"]] == [nid]
    bad = api(net.harbin_op).post(f"/api/v1/nodes/{net.harbin.slug}/news", json={"title": "", "body": 3})
    assert bad.status_code == 422 and {"title", "body"} <= set(bad.get_json()["error"]["fields"])
    assert api(net.daqing_op).post(f"/api/v1/news/{nid}/withdraw").status_code == 404
    assert api(net.harbin_op).post(f"/api/v1/news/{nid}/withdraw").get_json()["withdrawn"] is True
    assert api(net.harbin_op).post(f"/api/v1/news/{nid}/withdraw").status_code == 409
    assert api().get(f"/api/v1/nodes/{net.harbin.slug}/news").get_json()["items"] == []
    assert api().get("/api/v1/nodes/nowhere/news").status_code == 404
