"""A 405 says which methods the address accepts (RFC 9110: `Allow`), on the web and in the API."""

from __future__ import annotations


def test_api_405_has_allow(client):
    response = client.delete("/api/v1/contracts")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed and "DELETE" not in allowed


def test_web_405_has_allow(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed and "POST" not in allowed
