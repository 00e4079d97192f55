"""Onboarding with trust, in a browser: sign-up needs the consents; a new enterprise
seller waits and is told why and who approves; an administrator sees the queue with
its counts, the organization's details and licence, and approves."""

from __future__ import annotations

import re

import pytest

from .conftest import shot
from .flows import PASSWORD, PDF, T, confirm_address, label, log_in, new_uscc, open_page, token

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.hljtech.cn"

W = {
    "zh": {
        "consent_error": "须同意用户协议才能创建账户",
        "waiting": "正在等待平台管理员审核",
        "who": "平台管理员将审核机构信息及其营业执照",
        "licence": "营业执照",
        "upload": "上传",
        "uploaded": "营业执照已上传",
        "queue": "待审核的机构",
        "approve": "审核通过",
        "approved": "单位已审核通过",
    },
    "en": {
        "consent_error": "Accept the user agreement to create an account",
        "waiting": "is waiting for approval by a platform administrator",
        "who": "A platform administrator checks",
        "licence": "Business licence",
        "upload": "Upload",
        "uploaded": "The business licence is uploaded",
        "queue": "Organizations waiting for approval",
        "approve": "Approve",
        "approved": "The organization is approved",
    },
}


def _sign_up_enterprise_seller(page, lang: str) -> tuple[str, str]:
    t, w = T[lang], W[lang]
    n = token()
    email = f"seller.{n.lower()}@coldchain-e2e.cn"
    org = f"哈尔滨冰雪装备科技有限公司{n}"
    page.get_by_role("link", name=t["sign_up"]).first.click()
    label(page, t["name"]).fill("谢冬梅" if lang == "zh" else "Xie Dongmei")
    label(page, t["email"]).fill(email)
    label(page, t["password"]).fill(PASSWORD)
    label(page, t["password2"]).fill(PASSWORD)
    label(page, t["role"]).select_option("seller")
    label(page, t["org_name"]).fill(org)
    label(page, t["org_kind"]).select_option("enterprise")
    label(page, t["uscc"]).fill(new_uscc("230100", "91"))
    label(page, t["region"]).select_option("230100")
    # Without the consents: refused, and the page says what is missing.
    page.get_by_role("button", name=t["create_account"]).click()
    assert w["consent_error"] in page.locator("main").inner_text()
    assert "/login" not in page.url
    label(page, t["password"]).fill(PASSWORD)
    label(page, t["password2"]).fill(PASSWORD)
    label(page, t["accept_terms"]).check()
    label(page, t["accept_privacy"]).check()
    page.get_by_role("button", name=t["create_account"]).click()
    page.wait_for_url("**/login")
    confirm_address(page, email)
    log_in(page, email, PASSWORD)
    return email, org


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_new_enterprise_seller_waits_and_an_admin_approves(page_factory, lang):
    w = W[lang]
    seller = open_page(page_factory, lang)
    _email, org = _sign_up_enterprise_seller(seller, lang)

    # A blocked action explains what they wait for and who approves.
    seller.goto("/listings/new")
    notice = seller.locator("#waiting-for-approval")
    assert notice.is_visible()
    assert w["waiting"] in notice.inner_text() and w["who"] in notice.inner_text()
    assert org in notice.inner_text()
    shot(seller, f"onboarding-waiting-{lang}")

    # The organization page tells it too, and takes the business licence.
    seller.goto("/account/organization")
    assert seller.locator("#waiting-for-approval").is_visible()
    label(seller, w["licence"]).set_input_files(
        {"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    seller.locator("#business-licence").get_by_role("button", name=w["upload"]).click()
    assert w["uploaded"] in seller.locator(".flashes").inner_text()

    # The administrator: the queue with its counts, the details, the licence; approves.
    admin = open_page(page_factory, lang)
    log_in(admin, ADMIN)
    admin.goto("/admin/")
    heading = admin.get_by_role("heading", name=re.compile(re.escape(w["queue"]) + r" \(\d+\)"))
    assert heading.is_visible()
    waiting = int(re.search(r"\((\d+)\)", heading.inner_text()).group(1))
    assert waiting >= 2  # this one and the demo's pending organizations
    admin.locator("#pending-organizations").get_by_role("link", name=org).click()
    assert admin.get_by_role("heading", name=org, level=1).is_visible()
    licence = admin.locator("#business-licence").get_by_role("link", name="licence.pdf")
    assert licence.is_visible()
    shot(admin, f"onboarding-admin-organization-{lang}")
    download = admin.context.request.get(licence.get_attribute("href"))
    assert download.status == 200 and download.body() == PDF
    admin.get_by_role("button", name=w["approve"], exact=True).click()
    assert w["approved"] in admin.locator(".flashes").inner_text()
    admin.goto("/admin/")
    after = admin.get_by_role("heading", name=re.compile(re.escape(w["queue"]) + r" \(\d+\)"))
    assert int(re.search(r"\((\d+)\)", after.inner_text()).group(1)) == waiting - 1
    assert admin.locator("#pending-organizations").get_by_role("link", name=org).count() == 0

    # The seller's role is in force now: the blocked page opens.
    response = seller.goto("/listings/new")
    assert response.status == 200 and seller.locator("#waiting-for-approval").count() == 0
