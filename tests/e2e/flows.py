"""Steps of the browser journeys, shared by the journey tests.

Each step is what a person does on the pages, in Chinese ("zh") or English
("en"), and checks what the person sees. A journey that needs earlier steps as
its starting point runs them itself, with fresh data, so the test files do not
depend on each other's order.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass
from datetime import date

from stdnum.cn import uscc

from .conftest import sent_mail, shot

PASSWORD = "hlj-demo-2025"
DEMO_PASSWORD = "demo-pass-2025"
AGENCY = "yang.fan@demo.hljtech.cn"  # 杨帆, 哈尔滨技术转移中心有限公司
AGENCY_ORG = "哈尔滨技术转移中心有限公司"
BUYER = "wang.fang@demo.hljtech.cn"  # 王芳, 北大荒垦丰种业股份有限公司 (Harbin)
BUYER_ORG = "北大荒垦丰种业股份有限公司"
SELLER = "zhang.wei@demo.hljtech.cn"  # 张伟, 哈尔滨北方工业大学
SELLER_ORG = "哈尔滨北方工业大学"
REGULATOR = "song.bo@demo.hljtech.cn"  # 宋博, 哈尔滨市技术合同登记站
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

_serial = itertools.count(1)
_rng = random.Random()

# What the person reads on the pages, per language.
T = {
    "zh": {
        "sign_up": "注册",
        "name": "您的姓名",
        "email": "电子邮箱",
        "password": "密码",
        "password2": "再次输入密码",
        "role": "您在平台上的角色",
        "org_name": "单位名称",
        "org_kind": "单位类型",
        "uscc": "统一社会信用代码",
        "region": "地区",
        "create_account": "创建账号",
        "accept_terms": "我已阅读并同意用户协议。",
        "accept_privacy": "我已阅读并同意隐私政策。",
        "kind": "资产类型",
        "identifier": "申请号或登记号",
        "asset_title": "中文名称",
        "asset_abstract": "中文摘要",
        "industry": "行业",
        "maturity": "成熟度",
        "legal_status": "法律状态",
        "filed_on": "申请日",
        "save": "保存",
        "asset_saved": "资产已登记",
        "title": "中文标题",
        "abstract": "中文摘要",
        "keywords": "关键词",
        "problem": "解决的问题",
        "comparison": "与现有最佳方案的量化对比",
        "price": "挂牌价格（元）",
        "agency": "居间服务机构",
        "offer_license": "提供许可",
        "license_type": "许可方式",
        "term": "期限（月）",
        "upfront": "入门费（元）",
        "royalty": "提成比例",
        "offer_equity": "提供作价入股",
        "valuation": "知识产权作价（元）",
        "equity_share": "在标的公司中的股权比例",
        "company": "标的公司",
        "save_draft": "保存草稿",
        "submit_review": "提交审核",
        "publish": "发布",
        "published": "已发布",
        "check_wrong": "校验位有误",
        "correct_fields": "请修改标出的字段",
        "income_above": "技术交易额不能大于技术合同成交额",
        "already_accepted": "该报价已被接受",
        "accept": "接受此条件",
        "make_offer": "报价",
        "deal_kind": "交易方式",
        "send_offer": "发出报价",
        "message": "给卖方的留言",
        "edit_terms": "编辑合同条款",
        "category": "合同类别",
        "turnover": "技术合同成交额（元）",
        "income": "技术交易额（元）",
        "valid_from": "有效期自",
        "valid_to": "有效期至",
        "signed_on": "签订日期",
        "due_on": "付款日期",
        "amount": "金额（元）",
        "paid_for": "付款事由",
    },
    "en": {
        "sign_up": "Sign up",
        "name": "Your name",
        "email": "E-mail",
        "password": "Password",
        "password2": "Repeat the password",
        "role": "What you do here",
        "org_name": "Organization name",
        "org_kind": "Kind of organization",
        "uscc": "Unified Social Credit Code",
        "region": "Region",
        "create_account": "Create account",
        "accept_terms": "I have read and accept the user agreement.",
        "accept_privacy": "I have read and accept the privacy policy.",
        "kind": "Kind of asset",
        "identifier": "Application or registration number",
        "asset_title": "Title in Chinese",
        "asset_abstract": "Abstract in Chinese",
        "industry": "Industry",
        "maturity": "Maturity",
        "legal_status": "Legal status",
        "filed_on": "Filing date",
        "save": "Save",
        "asset_saved": "The asset is registered",
        "title": "Title (Chinese)",
        "abstract": "Abstract (Chinese)",
        "keywords": "Keywords",
        "problem": "Problem solved",
        "comparison": "Comparison with today's best solution",
        "price": "Asking price (yuan)",
        "agency": "Brokering agency",
        "offer_license": "Offer a licence",
        "license_type": "Licence type",
        "term": "Term (months)",
        "upfront": "Upfront fee (yuan)",
        "royalty": "Royalty rate",
        "offer_equity": "Offer as equity contribution",
        "valuation": "Valuation of the IP (yuan)",
        "equity_share": "Equity share in the company",
        "company": "Receiving company",
        "save_draft": "Save draft",
        "submit_review": "Submit for review",
        "publish": "Publish",
        "published": "Published",
        "check_wrong": "check character of patent application number",
        "correct_fields": "Please correct the marked fields",
        "income_above": "Technology income cannot be more than the contract turnover",
        "already_accepted": "This offer is already accepted",
        "accept": "Accept these terms",
        "make_offer": "Make an offer",
        "deal_kind": "Deal kind",
        "send_offer": "Send the offer",
        "message": "Message to the seller",
        "edit_terms": "Edit the terms",
        "category": "Category",
        "turnover": "Contract turnover (yuan)",
        "income": "Technology income (yuan)",
        "valid_from": "Valid from",
        "valid_to": "Valid until",
        "signed_on": "Signed on",
        "due_on": "Due on",
        "amount": "Amount (yuan)",
        "paid_for": "What is paid for",
    },
}


def label(page, text: str):
    """The one form field labelled exactly `text` (how a screen reader names it)."""
    return page.get_by_label(text, exact=True)


def open_page(page_factory, lang: str = "zh", **size):
    """A new browser (its own cookies) that accepts the pages' confirmation dialogs
    and, for English, switches with the header's language link."""
    page = page_factory(**size)
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
    return page


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form, in whatever language the page speaks."""
    page.goto("/login")
    page.get_by_label("电子邮箱").or_(page.get_by_label("E-mail")).first.fill(email)
    label(page, "密码").or_(label(page, "Password")).first.fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def flash_text(page) -> str:
    return page.locator(".flashes").inner_text() if page.locator(".flashes").count() else ""


def errors_text(page) -> str:
    return " ".join(page.locator("main .error, main .flash-error").all_inner_texts())


def new_uscc(region: str = "230100", kind_code: str = "12") -> str:
    """A fresh Unified Social Credit Code (12 = public institution such as a university)."""
    serial = f"MB{next(_serial):03d}{_rng.randrange(10**4):04d}"
    body = f"{kind_code}{region}{serial}"
    return body + uscc.calc_check_digit(body)


def patent_check(digits: str) -> str:
    """DOMAIN.md: weights 2,3,4,5,6,7,8,9,2,3,4,5 over the 12 digits, mod 11, 10 is X."""
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    rest = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if rest == 10 else str(rest)


def new_patent_number() -> str:
    """A fresh invention patent application number (kind digit 1), with its check character."""
    digits = f"20241{_rng.randrange(10**7):07d}"
    return f"{digits}.{patent_check(digits)}"


def wrong_check(number: str) -> str:
    good = number[-1]
    return number[:-1] + ("1" if good != "1" else "2")


def token() -> str:
    return f"{next(_serial)}{_rng.choice('ABCDEFGHJKLMNPQRTUWXY')}{_rng.randrange(100, 999)}"


def yuan_text(yuan: int) -> str:
    return f"{yuan:,}.00"


def today() -> date:
    # The pages use Asia/Shanghai dates; the machine runs in UTC or Shanghai: a test
    # close to midnight could see a different day, so dates are never asserted exactly.
    from marketplace.core.timeutil import today_shanghai

    return today_shanghai()


@dataclass
class Seller:
    email: str
    name: str
    org: str


@dataclass
class Listing:
    title: str
    url: str
    seller: Seller
    asset_title: str


def sign_up_university_seller(page, lang: str = "zh", shots: str | None = None) -> Seller:
    """A person of a new university in Harbin signs up as a seller."""
    t = T[lang]
    n = token()
    seller = Seller(
        email=f"seller.{n.lower()}@hrbnu-e2e.edu.cn",
        name="林雪梅" if lang == "zh" else "Lin Xuemei",
        org=f"哈尔滨寒地工程技术学院{n}",
    )
    page.get_by_role("link", name=t["sign_up"]).first.click()
    label(page, t["name"]).fill(seller.name)
    label(page, t["email"]).fill(seller.email)
    label(page, t["password"]).fill(PASSWORD)
    label(page, t["password2"]).fill(PASSWORD)
    label(page, t["role"]).select_option("seller")
    label(page, t["org_name"]).fill(seller.org)
    label(page, t["org_kind"]).select_option("university")
    label(page, t["uscc"]).fill(new_uscc("230100"))
    label(page, t["region"]).select_option("230100")
    label(page, t["accept_terms"]).check()
    label(page, t["accept_privacy"]).check()
    if shots:
        shot(page, f"{shots}-sign-up")
    page.get_by_role("button", name=t["create_account"]).click()
    # Sign-up leads to the log-in page; the e-mailed link confirms the address first.
    page.wait_for_url("**/login")
    confirm_address(page, seller.email)
    log_in(page, seller.email, PASSWORD)
    assert page.get_by_role("link", name=seller.name).is_visible()
    return seller


def confirm_address(page, email: str) -> None:
    """Open the link of the sign-up e-mail the server sent to `email` and confirm."""
    mail = sent_mail(email)[-1]
    link = re.search(r"https?://\S+/register/confirm/\S+", mail["body"]).group(0)
    page.goto(link)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/login")


def register_invention(page, lang: str = "zh", shots: str | None = None) -> tuple[str, str]:
    """The seller registers an invention patent application; returns (title, number)."""
    t = T[lang]
    number = new_patent_number()
    title = f"寒地玉米秸秆低温发酵饲料制备方法{token()}"
    page.goto("/assets/new")
    label(page, t["kind"]).select_option("invention_patent")
    label(page, t["identifier"]).fill(number)
    label(page, t["asset_title"]).fill(title)
    label(page, t["asset_abstract"]).fill(
        "以寒地玉米秸秆为原料，采用耐低温复合菌剂在 5 ℃ 以上发酵，制得适口性好的反刍动物饲料。"
    )
    label(page, t["industry"]).select_option("agri_processing")
    label(page, t["maturity"]).select_option("pilot")
    label(page, t["legal_status"]).select_option("pending")
    label(page, t["filed_on"]).fill("2024-03-18")
    page.get_by_role("button", name=t["save"], exact=True).click()
    assert t["asset_saved"] in flash_text(page), errors_text(page)
    assert page.get_by_role("heading", name=title).is_visible()
    assert number in page.locator("main").inner_text()
    if shots:
        shot(page, f"{shots}-asset")
    return title, number


def list_for_licence_and_equity(
    page, asset_title: str, lang: str = "zh", shots: str | None = None
) -> tuple[str, str]:
    """The seller lists the asset for a non-exclusive licence and an equity deal, with the
    Harbin agency as broker, and submits it for review. Returns (title, url)."""
    t = T[lang]
    title = f"秸秆发酵饲料技术许可及作价入股{token()}"
    page.goto("/listings/new")
    page.get_by_label(asset_title).check()
    label(page, t["title"]).fill(title)
    label(page, t["abstract"]).fill(
        "耐低温复合菌剂发酵寒地玉米秸秆，生产牛羊饲料；已在绥化完成中试，吨成本低于青贮。"
    )
    label(page, t["keywords"]).fill("秸秆, 发酵饲料, 寒地")
    label(page, t["problem"]).fill("寒地冬季气温低，秸秆常规青贮发酵慢、易霉变。")
    label(page, t["comparison"]).fill("5 ℃ 下 7 天完成发酵，常规菌剂需 21 天；粗蛋白提高 3.2 个百分点。")
    label(page, t["price"]).fill("1,500,000")
    label(page, t["agency"]).select_option(label=AGENCY_ORG)
    label(page, t["offer_license"]).check()
    label(page, t["license_type"]).select_option("non_exclusive")
    label(page, t["upfront"]).first.fill("600,000")
    label(page, t["offer_equity"]).check()
    label(page, t["valuation"]).fill("3,000,000")
    label(page, t["equity_share"]).fill("15")
    label(page, t["company"]).fill("黑龙江寒地饲料科技有限公司")
    page.get_by_role("button", name=t["save_draft"]).click()
    assert page.get_by_role("heading", name=title).is_visible(), errors_text(page)
    url = page.url
    page.get_by_role("button", name=t["submit_review"]).click()
    assert page.get_by_role("button", name=t["submit_review"]).count() == 0, errors_text(page)
    if shots:
        shot(page, f"{shots}-listing-submitted")
    return title, url


def agency_publishes(page, listing_title: str, lang: str = "zh", shots: str | None = None) -> None:
    """The brokering agency finds the listing in its review queue and publishes it."""
    t = T[lang]
    page.goto("/listings/review")
    page.get_by_role("link", name=listing_title).click()
    if shots:
        shot(page, f"{shots}-review")
    page.get_by_role("button", name=t["publish"], exact=True).click()
    assert t["published"] in page.locator("main").inner_text()
    assert page.get_by_role("button", name=t["publish"], exact=True).count() == 0


def published_listing(page_factory, lang: str = "zh", shots: str | None = None):
    """Journey 1 as a starting point: a new university seller's listing, published.
    Returns (seller page, Listing)."""
    seller_page = open_page(page_factory, lang)
    seller = sign_up_university_seller(seller_page, lang, shots)
    asset_title, _number = register_invention(seller_page, lang, shots)
    title, url = list_for_licence_and_equity(seller_page, asset_title, lang, shots)
    agency = open_page(page_factory, lang)
    log_in(agency, AGENCY)
    agency_publishes(agency, title, lang, shots)
    for p in (seller_page, agency):
        assert p.external_requests == []
    return seller_page, Listing(title=title, url=url, seller=seller, asset_title=asset_title)


def registration_number(page) -> str:
    found = re.search(r"\b(\d{16})\b", page.locator("main").inner_text())
    assert found, "no registration number on the page"
    return found.group(1)


def parse_wan(text: str) -> int:
    """'1,480.00 万元' -> yuan."""
    found = re.search(r"([\d,]+\.\d{2})\s*万元", text)
    assert found, text
    return round(float(found.group(1).replace(",", "")) * 10000)
