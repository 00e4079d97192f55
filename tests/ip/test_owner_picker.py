"""The owner rows of the asset form choose organizations by name, with a name search
when the list is long; "Find" narrows the list and saves nothing (issue 19, point 2)."""

from __future__ import annotations

from marketplace.ip.models import IpAsset
from marketplace.ip.views import LONG_OWNER_LIST

from ..factories import OrganizationFactory


def test_a_long_owner_list_gets_a_name_search(client, login_as, db):
    user = login_as("seller")
    for n in range(LONG_OWNER_LIST):
        OrganizationFactory(kind="university", name=f"黑龙江测试大学{n}")
    db.session.flush()
    page = client.get("/assets/new?lang=en").get_data(as_text=True)
    assert 'name="owners_q"' in page and "黑龙江测试大学12" in page
    before = db.session.query(IpAsset).count()
    r = client.post(
        "/assets/new?lang=en",
        data={"owners_q": "测试大学12", "find": "owners", "owners-0-org_id": str(user.organization_id)},
    )
    text = r.get_data(as_text=True)
    rows = text[text.index('id="owner-rows"') :]
    assert r.status_code == 200 and "黑龙江测试大学12" in rows and "黑龙江测试大学13" not in rows
    assert user.organization.name in rows  # the chosen owner stays
    assert db.session.query(IpAsset).count() == before
