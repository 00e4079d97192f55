"""A person signs up, switches language, logs out and in again, as in a browser."""

from __future__ import annotations

import re

import pytest
from stdnum.cn import uscc

from .conftest import login, sent_mail, shot

pytestmark = pytest.mark.e2e


def _code(region: str, serial: str) -> str:
    body = f"91{region}{serial}"
    return body + uscc.calc_check_digit(body)


def test_sign_up_in_chinese_then_english(page_factory):
    page = page_factory()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    shot(page, "home-zh")
    page.get_by_role("link", name="注册").first.click()
    page.get_by_label("您的姓名").fill("赵晓燕")
    page.get_by_label("电子邮箱").fill("zhao.xiaoyan@example.cn")
    page.get_by_label("密码", exact=True).fill("hlj-demo-2025")
    page.get_by_label("再次输入密码").fill("hlj-demo-2025")
    page.get_by_label("单位名称").fill("牡丹江示例新材料有限公司")
    page.get_by_label("统一社会信用代码").fill(_code("231000", "MA1C2D3E4"))
    page.get_by_label("地区").select_option("231000")
    page.get_by_label("我已阅读并同意用户协议。").check()
    page.get_by_label("我已阅读并同意隐私政策。").check()
    # A wrong credit code first: the page says what is wrong, in Chinese.
    good = _code("231000", "MA1C2D3E4")
    page.get_by_label("统一社会信用代码").fill(good[:-1] + ("1" if good[-1] != "1" else "2"))
    page.locator("main form button[type=submit]").click()
    assert page.locator(".error").first.is_visible()
    assert "校验" in page.locator(".error").first.inner_text()
    page.get_by_label("密码", exact=True).fill("hlj-demo-2025")
    page.get_by_label("再次输入密码").fill("hlj-demo-2025")
    page.get_by_label("统一社会信用代码").fill(_code("231000", "MA1C2D3E4"))
    page.locator("main form button[type=submit]").click()
    # Sign-up answers the same whether or not the address is registered: it points
    # to the log-in page, and the account's owner is told by e-mail.
    page.wait_for_url("**/login")
    assert "zhao.xiaoyan@example.cn" in page.locator(".flashes").inner_text()
    # The link in the e-mail confirms the address; then the person logs in.
    (mail,) = sent_mail("zhao.xiaoyan@example.cn")
    link = re.search(r"https?://\S+/register/confirm/\S+", mail["body"]).group(0)
    page.goto(link)
    page.get_by_role("button", name="确认我的邮箱").click()
    page.wait_for_url("**/login")
    login(page, "zhao.xiaoyan@example.cn", "hlj-demo-2025")
    page.goto("/account")
    assert "赵晓燕" in page.content()
    shot(page, "account-zh")

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="My account").is_visible()
    page.get_by_role("button", name="Log out").click()
    login(page, "zhao.xiaoyan@example.cn", "hlj-demo-2025")
    assert page.get_by_role("link", name="赵晓燕").is_visible()
    assert page.external_requests == []


def test_phone_width_menu_is_usable(page_factory):
    page = page_factory(width=390, height=844)
    page.goto("/")
    menu = page.get_by_role("button", name="菜单")
    assert menu.is_visible()
    menu.click()
    assert page.get_by_role("link", name="登录").first.is_visible()
    shot(page, "home-phone")
