"""Administration pages: a permission matrix, approvals and suspensions."""

from __future__ import annotations

import pytest

from marketplace.core.models import audit_trail

from ..factories import OrganizationFactory, UserFactory

ROLES = ["seller", "buyer", "agency", "regulator", "admin"]


def admin_endpoints(org_id, user_id):
    return [
        ("get", "/admin/organizations"),
        ("get", "/admin/users"),
        ("post", f"/admin/organizations/{org_id}/approve"),
        ("post", f"/admin/organizations/{org_id}/suspend"),
        ("post", f"/admin/users/{user_id}/approve"),
        ("post", f"/admin/users/{user_id}/suspend"),
    ]


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_admin_pages_permission_matrix(client, db, login_as, role):
    org = OrganizationFactory(kind="agency", pending=True)
    target = UserFactory(pending_member=True)
    if role != "anonymous":
        login_as(role)
    for method, path in admin_endpoints(org.id, target.id):
        response = getattr(client, method)(path)
        if role == "admin":
            assert response.status_code in (200, 302), (method, path)
        elif role == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (method, path)
        else:
            assert response.status_code == 404, (method, path, role)
    if role != "admin":
        assert org.status == "pending" and target.membership == "pending" and target.status == "active"


def test_admin_approves_agency_and_its_members_get_their_powers(client, db, login_as):
    admin = login_as("admin")
    agency_org = OrganizationFactory(kind="agency", pending=True)
    broker = UserFactory(role="agency", organization=agency_org)
    assert broker.acting_role == "member"
    response = client.post(f"/admin/organizations/{agency_org.id}/approve", follow_redirects=True)
    assert response.status_code == 200
    assert agency_org.status == "approved"
    assert broker.acting_role == "agency"
    trail = audit_trail(agency_org)
    assert trail[-1].actor_id == admin.id and trail[-1].to_state == "approved"


def test_admin_suspends_user_who_then_cannot_use_the_site(app, db, login_as):
    client_admin = app.test_client()
    victim = UserFactory()
    admin = UserFactory(role="admin")
    with client_admin.session_transaction() as s:
        s["_user_id"] = str(admin.id)
    client_admin.post(f"/admin/users/{victim.id}/suspend", data={"reason": "Repeated false listings"})
    assert victim.status == "suspended"
    client_victim = app.test_client()
    with client_victim.session_transaction() as s:
        s["_user_id"] = str(victim.id)
    assert client_victim.get("/account").status_code == 302  # treated as logged out


def test_admin_cannot_suspend_themself(client, db, login_as):
    admin = login_as("admin")
    client.post(f"/admin/users/{admin.id}/suspend")
    assert admin.status == "active"


def test_admin_search_finds_by_name_and_code(client, db, login_as):
    login_as("admin")
    org = OrganizationFactory(name="齐齐哈尔搜索测试有限公司", region_code="230200")
    OrganizationFactory(name="别的公司")
    page = client.get("/admin/organizations?q=搜索测试").get_data(as_text=True)
    assert "齐齐哈尔搜索测试有限公司" in page and "别的公司" not in page
    page = client.get(f"/admin/organizations?q={org.uscc}").get_data(as_text=True)
    assert "齐齐哈尔搜索测试有限公司" in page
    page = client.get("/admin/organizations?q=&page=abc&per_page=-1")
    assert page.status_code == 200
