"""A technology manager's own log-in: the manager's institution or the core node
links the profile to the account the manager logs in with; the manager then sees
the profile and the contracts brokered in the workbench (web and API)."""

from __future__ import annotations

import pytest

from marketplace.core.errors import Conflict, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.network import managers
from marketplace.network.models import TechManager
from tests import factories


def _agency(name="哈工大技术转移中心"):
    org = factories.OrganizationFactory(kind="agency", name=name)
    return org, factories.UserFactory(role="agency", organization=org)


def _manager(agent, cert="HLJ-2026-0101", **kw):
    return managers.register_manager(
        name="王明", certificate_no=cert, level="senior", fields=["new_materials"], actor=agent, **kw
    )


def _member(org):
    user = factories.UserFactory(role="agency", organization=org)
    db.session.flush()
    return user


def test_who_may_link_and_which_accounts(net):
    org, agent = _agency()
    other_org, other_agent = _agency("大庆技术转移中心")
    m = _manager(agent)
    person = _member(org)
    for who in (other_agent, net.harbin_op, net.daqing_op, factories.user_with_role("buyer")):
        with pytest.raises(PermissionDenied):
            managers.link_account(m, person, actor=who)
    with pytest.raises(ValidationError) as err:
        managers.link_account(m, _member(other_org), actor=agent)
    assert set(err.value.fields) == {"user_id"}
    suspended = _member(org)
    suspended.status = "suspended"
    with pytest.raises(ValidationError):
        managers.link_account(m, suspended, actor=agent)
    managers.link_account(m, person, actor=agent)
    assert m.user_id == person.id
    with pytest.raises(Conflict):
        managers.link_account(m, person, actor=agent)
    with pytest.raises(Conflict):  # replaced only after unlinking
        managers.link_account(m, _member(org), actor=net.core_op)
    second = _manager(agent, cert="HLJ-2026-0102")
    with pytest.raises(Conflict):  # one profile per account
        managers.link_account(second, person, actor=agent)
    assert person not in managers.linkable_accounts(second)


def test_the_core_node_links_and_the_manager_unlinks(net):
    org, agent = _agency()
    m = _manager(agent)
    person = _member(org)
    managers.link_account(m, person, actor=net.core_op)
    with pytest.raises(PermissionDenied):
        managers.unlink_account(m, actor=factories.user_with_role("buyer"))
    managers.unlink_account(m, actor=person)
    assert m.user_id is None
    with pytest.raises(Conflict):
        managers.unlink_account(m, actor=agent)


def test_registered_with_the_account(net):
    org, agent = _agency()
    person = _member(org)
    m = _manager(agent, user=person)
    assert m.user_id == person.id
    with pytest.raises(Conflict):
        _manager(agent, cert="HLJ-2026-0103", user=person)
    with pytest.raises(ValidationError):
        _manager(agent, cert="HLJ-2026-0104", user=factories.user_with_role("buyer"))


def test_the_manager_sees_the_pending_profile_others_do_not(net):
    org, agent = _agency()
    person = _member(org)
    m = _manager(agent, user=person)
    outsider = factories.user_with_role("buyer")
    assert managers.visible(person, m) and not managers.visible(outsider, m)


def _contract_for(m, agent):
    from marketplace.ledger.models import ContractTotal

    contract = factories.ContractFactory(agency_org=agent.organization, title="大豆蛋白提取工艺许可")
    db.session.add(
        ContractTotal(
            contract_id=contract.id,
            registration_no="2026230100000009",
            turnover_fen=3_000_000,
            tech_income_fen=0,
            entries=1,
            last_seq=1,
        )
    )
    db.session.flush()
    managers.record_brokerage(m, contract, actor=agent)
    return contract


def test_api_link_me_and_unlink(api, net):
    org, agent = _agency()
    m = _manager(agent)
    managers.decide_manager(m, verify=True, actor=net.core_op)
    contract = _contract_for(m, agent)
    person = _member(org)
    url = f"/api/v1/managers/{m.id}/account"
    assert api(person).get("/api/v1/managers/me").get_json()["items"] == []
    assert api().post(url, json={"user_id": person.id}).status_code == 401
    assert api(factories.user_with_role("buyer")).post(url, json={"user_id": person.id}).status_code == 403
    assert api(agent).post(url, json={}).status_code == 422
    assert api(agent).post(url, json={"email": "nobody@example.cn"}).status_code == 422
    stranger = factories.user_with_role("buyer")
    assert api(agent).post(url, json={"user_id": stranger.id}).status_code == 422
    resp = api(agent).post(url, json={"email": person.email.upper()})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["account"]["user_id"] == person.id
    assert api(agent).post(url, json={"user_id": person.id}).status_code == 409
    public = api().get(f"/api/v1/managers/{m.id}").get_json()
    assert public["has_account"] is True and "account" not in public
    mine = api(person).get("/api/v1/managers/me").get_json()["items"]
    assert [p["id"] for p in mine] == [m.id]
    assert mine[0]["contracts"][0]["id"] == contract.id and mine[0]["turnover_fen"] == 3_000_000
    items = {i["key"]: i for i in api(person).get("/api/v1/workbench").get_json()["items"]}
    assert items[f"network_manager_profile_{m.id}"]["count"] == 0  # the one brokered is registered
    unregistered = factories.ContractFactory(agency_org=agent.organization)
    managers.record_brokerage(m, unregistered, actor=agent)
    items = {i["key"]: i for i in api(person).get("/api/v1/workbench").get_json()["items"]}
    assert items[f"network_manager_profile_{m.id}"]["count"] == 1
    assert f"/network/managers/{m.id}" in items[f"network_manager_profile_{m.id}"]["url"]
    assert f"network_manager_profile_{m.id}" not in {
        i["key"] for i in api(agent).get("/api/v1/workbench").get_json()["items"]
    }
    assert api(stranger).delete(url).status_code == 403
    assert api(person).delete(url).status_code == 200
    assert api(person).delete(url).status_code == 409
    assert api(person).get("/api/v1/managers/me").get_json()["items"] == []
    assert db.session.get(TechManager, m.id).user_id is None


def test_api_register_with_account(api, net):
    org, agent = _agency()
    person = _member(org)
    body = {"name": "李华", "certificate_no": "HLJ-2026-0201", "level": "junior", "fields": ["digital"]}
    assert api(agent).post("/api/v1/managers", json={**body, "user_id": 10**9}).status_code == 422
    resp = api(agent).post("/api/v1/managers", json={**body, "user_id": person.id})
    assert resp.status_code == 201 and resp.get_json()["account"]["user_id"] == person.id
    mine = api(person).get("/api/v1/managers/me").get_json()["items"]
    assert mine[0]["status"] == "pending"


def test_web_link_profile_and_workbench(client, login_as, net):
    org, agent = _agency()
    m = _manager(agent)
    person = _member(org)
    _member(factories.OrganizationFactory(kind="agency"))
    login_as(factories.user_with_role("buyer"))
    assert client.post(f"/network/managers/{m.id}/account", data={"user_id": person.id}).status_code == 404
    login_as(agent)
    page = client.get(f"/network/managers/{m.id}").get_data(as_text=True)
    assert 'id="manager-account"' in page and person.email in page  # the accounts to choose from
    assert client.post(f"/network/managers/{m.id}/account", data={"user_id": 10**9}).status_code == 422
    assert client.post(f"/network/managers/{m.id}/account", data={"user_id": person.id}).status_code == 302
    assert db.session.get(TechManager, m.id).user_id == person.id
    managers.decide_manager(m, verify=True, actor=net.core_op)
    login_as(factories.user_with_role("buyer"))
    public = client.get(f"/network/managers/{m.id}").get_data(as_text=True)
    assert person.email not in public and 'id="manager-account"' not in public
    login_as(person)
    page = client.get(f"/network/managers/{m.id}").get_data(as_text=True)
    assert 'id="manager-is-me"' in page and person.email in page
    bench = client.get("/workbench").get_data(as_text=True)
    assert f'data-key="network_manager_profile_{m.id}"' in bench
    assert client.post(f"/network/managers/{m.id}/account/unlink").status_code == 302
    assert db.session.get(TechManager, m.id).user_id is None
    assert f"network_manager_profile_{m.id}" not in client.get("/workbench").get_data(as_text=True)
    assert 'id="manager-is-me"' not in client.get(f"/network/managers/{m.id}").get_data(as_text=True)


def test_web_the_manager_sees_the_pending_profile(client, login_as, net):
    org, agent = _agency()
    manager_org = factories.OrganizationFactory(kind="agency")
    m = _manager(agent)
    person = factories.UserFactory(role="agency", organization=org)
    db.session.flush()
    managers.link_account(m, person, actor=agent)
    login_as(factories.UserFactory(role="agency", organization=manager_org))
    assert client.get(f"/network/managers/{m.id}").status_code == 404  # pending: not public
    login_as(person)
    assert 'id="manager-is-me"' in client.get(f"/network/managers/{m.id}").get_data(as_text=True)


def test_web_register_with_account(client, login_as, net):
    org, agent = _agency()
    person = _member(org)
    login_as(agent)
    page = client.get("/network/managers/new").get_data(as_text=True)
    assert person.email in page
    resp = client.post(
        "/network/managers/new",
        data={
            "name": "赵丽",
            "certificate_no": "HLJ-2026-0301",
            "level": "intermediate",
            "fields": ["digital"],
            "account": str(person.id),
        },
    )
    assert resp.status_code == 302
    m = db.session.query(TechManager).filter_by(certificate_no="HLJ-2026-0301").one()
    assert m.user_id == person.id
