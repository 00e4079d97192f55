"""The home page and the workbench, as people see them in Chinese and English."""

from __future__ import annotations

import pytest

from .conftest import login, shot
from .flows import REGULATOR, SELLER

pytestmark = pytest.mark.e2e

WORDS = {
    "zh": {"search": "搜索", "newest": "最新技术", "workbench": "工作台", "offers": "待您答复的报价",
           "queue": "待登记的合同"},
    "en": {"search": "Search", "newest": "Newest technologies", "workbench": "Workbench",
           "offers": "Offers waiting for your answer", "queue": "Contracts waiting for registration"},
}  # fmt: skip


def _in(page, lang: str) -> None:
    if lang == "en":
        page.locator("form[action='/lang/en'] button").first.click()
        page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_home_page_searches_and_shows_the_newest_technologies(page_factory, lang):
    w = WORDS[lang]
    page = page_factory("zh-CN" if lang == "zh" else "en-US")
    page.goto("/")
    _in(page, lang)
    newest = page.get_by_role("heading", name=w["newest"])
    assert newest.is_visible()
    assert page.locator("section.card ul.plain-list li").count() >= 2
    if lang == "zh":
        shot(page, "tour-home", full_page=False)
    page.get_by_role("searchbox").fill("石墨烯")
    page.get_by_role("button", name=w["search"], exact=True).first.click()
    page.wait_for_url("**/listings?q=*")
    assert page.locator("ol.result-list li").count() >= 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_seller_lands_on_the_workbench_and_reaches_an_offer_from_it(page_factory, lang):
    w = WORDS[lang]
    page = page_factory("zh-CN" if lang == "zh" else "en-US")
    login(page, SELLER)
    page.wait_for_url("**/workbench")
    if lang == "en":  # for this page only: the switch button would be remembered on the account
        page.goto("/workbench?lang=en")
    assert page.get_by_role("heading", name=w["workbench"]).is_visible()
    tile = page.locator("li.workbench-item[data-key='offers_to_answer']")
    assert w["offers"] in tile.inner_text()
    if lang == "zh":
        shot(page, "tour-workbench", full_page=False)
    tile.locator("a").click()
    page.wait_for_url("**/offers")


def test_a_regulator_sees_the_queue_with_its_overdue_count(page_factory):
    page = page_factory("zh-CN")
    login(page, REGULATOR)
    page.wait_for_url("**/workbench")
    tile = page.locator("li.workbench-item[data-key='registrations_to_decide']")
    assert WORDS["zh"]["queue"] in tile.inner_text()
    tile.locator("a").click()
    page.wait_for_url("**/contracts/queue")
