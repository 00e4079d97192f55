"""Demo data of finance: two banks, a guarantee company, an insurer and an investment
fund (demo institutions, marked as such), each with a staff member; IP assets of
their own for the pledges (so no listing or contract of the other demo data is
touched); pledge loans in every state, one repaid and one defaulted with proceeds,
risk shares; interests in the published equity listings and investments. Then the
sale of pledged assets in public trading (a defaulted loan whose patent is in an
announced online bidding, one sold on public notice), a loan naming an evaluation,
and an investor's interest in an incubated start-up (where the services seed made
them).

Everything goes through the finance services. Idempotent: the organizations are
found by their credit codes and the users by e-mail; loans are made only when the
demo banks have none, investments only when the demo fund has none.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from ..accounts import services as accounts
from ..accounts.models import Organization, User
from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..finance import disposals, investments, loans, risk
from ..finance.models import Disposal, Investment, InvestmentInterest, PledgeLoan
from ..ip import services as ip_services
from ..ip.models import IpAsset
from ..ip.services import AssetData, OwnerShare
from ..listings.models import Listing, ListingTerms
from .context import DEMO_PASSWORD, DemoContext, make_uscc
from .ip import patent

WAN = 10_000 * 100  # fen in 1 万元

# key: (name, kind, region, USCC prefix)
INSTITUTIONS = {
    "bank_icbc": ("中国工商银行哈尔滨分行（演示）", "bank", "230100", "91"),
    "bank_hrb": ("哈尔滨银行大庆分行（演示）", "bank", "230600", "91"),
    "guarantor": ("黑龙江省中小企业融资担保有限公司（演示）", "guarantee_company", "230100", "91"),
    "insurer": ("人保财险黑龙江省分公司（演示）", "insurer", "230100", "91"),
    "fund": ("黑龙江省新兴产业投资基金（演示）", "investment_fund", "230100", "91"),
}
# key: (e-mail, name, organization key)
STAFF = {
    "banker_icbc": ("jiang.hua@demo.hljtech.cn", "蒋华", "bank_icbc"),
    "banker_hrb": ("fang.lin@demo.hljtech.cn", "方琳", "bank_hrb"),
    "guarantor_staff": ("shi.lei@demo.hljtech.cn", "石磊", "guarantor"),
    "insurer_staff": ("qin.yue@demo.hljtech.cn", "秦悦", "insurer"),
    "investor": ("lu.chen@demo.hljtech.cn", "陆晨", "fund"),
}
# Assets of the demo for pledging: (serial, title, industry, owners [(org key, bp)])
ASSETS = [
    (710001, "高寒地区风电叶片除冰涂层", "energy", [("hit", 10_000)]),
    (710002, "寒地水稻育秧基质及其制备方法", "biology", [("neau", 10_000)]),
    (710003, "油井套管在线腐蚀监测装置", "high_end_equipment", [("dqpi", 10_000)]),
    (710004, "鳞片石墨球形化整形设备", "new_materials", [("jixi_graphite", 10_000)]),
    (710005, "寒地玉米籽粒低温干燥工艺", "agri_machinery", [("haas", 10_000)]),
    (710006, "碳纤维增强冰球杆成型方法", "ice_snow", [("hit", 6_000), ("heihe_ice", 4_000)]),
    (710007, "石墨烯改性导热硅脂", "new_materials", [("mdjmi", 10_000)]),
    (710008, "大豆低聚糖提取纯化方法", "biology", [("neau", 10_000)]),
    (710009, "抽油机智能调参控制系统", "digital", [("dqpi", 10_000)]),
    (710010, "寒区桥梁混凝土抗冻添加剂", "new_materials", [("hit", 10_000)]),
]
#: Pledged, defaulted and put up for sale: one in an online bidding, one sold on notice.
SALE_ASSETS = [
    (710011, "寒地光伏组件抗覆冰玻璃", "energy", [("hit", 10_000)]),
    (710012, "秸秆生物质颗粒燃料成型机", "agri_machinery", [("haas", 10_000)]),
]
SELLERS = {
    "hit": "seller_hit",
    "neau": "seller_neau",
    "dqpi": "seller_dqpi",
    "jixi_graphite": "seller_jixi",
    "haas": "seller_haas",
    "heihe_ice": "seller_heihe",
    "mdjmi": "seller_mdjmi",
}


def _institutions(ctx: DemoContext) -> int:
    created = 0
    for key, (name, kind, region, prefix) in INSTITUTIONS.items():
        code = make_uscc(prefix, region, f"finance:{key}")
        org = db.session.scalar(select(Organization).where(Organization.uscc == code))
        if org is None:
            org = Organization(
                name=name, kind=kind, region_code=region, uscc=code, status="approved", approved_at=utcnow()
            )
            db.session.add(org)
            created += 1
        ctx.orgs[key] = org
    db.session.flush()
    for key, (email, name, org_key) in STAFF.items():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.register_user(
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role="financier",
                join=ctx.orgs[org_key],
                approved=True,
            )
            created += 1
        ctx.users[key] = user
    db.session.flush()
    return created


def _assets(ctx: DemoContext, rows=ASSETS) -> list[IpAsset]:
    found = []
    for serial, title, industry, owners in rows:
        identifier = patent(2020, 1, serial)
        asset = db.session.scalar(select(IpAsset).where(IpAsset.identifier == identifier))
        if asset is None:
            asset = ip_services.register_asset(
                AssetData(
                    kind="invention_patent",
                    identifier=identifier,
                    title_zh=title,
                    industry=industry,
                    legal_status="granted",
                    maturity="pilot",
                    filed_on=date(2020, 5, 6),
                    granted_on=date(2022, 8, 9),
                    expires_on=date(2040, 5, 5),
                    keywords=[title[:4]],
                    inventors=["课题组"],
                    owners=[OwnerShare(ctx.org(k).id, bp) for k, bp in owners],
                ),
                actor=ctx.user(SELLERS[owners[0][0]]),
            )
        found.append(asset)
    return found


def _loan(ctx, asset, bank_key, amount_wan, term, purpose):
    owner_key = next(o for o in ASSETS + SALE_ASSETS if o[1] == asset.title_zh)[3][0][0]
    return loans.apply_for_loan(
        bank_org_id=ctx.org(bank_key).id,
        asset_ids=[asset.id],
        amount_fen=amount_wan * WAN,
        term_months=term,
        purpose=purpose,
        actor=ctx.user(SELLERS[owner_key]),
    ), ctx.user(SELLERS[owner_key])


def _sign(loan, owner, banker, regno, signed_on):
    loans.approve_loan(
        loan, conditions="年利率3.65%，按季付息，到期还本；质押率不超过评估值的50%。", actor=banker
    )
    loans.sign_loan(loan, actor=owner)
    loans.sign_loan(loan, actor=banker, pledge_registration_no=regno, signed_on=signed_on)


def _loans(ctx: DemoContext, assets: list[IpAsset]) -> int:
    banks = [ctx.org("bank_icbc").id, ctx.org("bank_hrb").id]
    if db.session.scalar(
        select(func.count()).select_from(PledgeLoan).where(PledgeLoan.bank_org_id.in_(banks))
    ):
        return 0
    icbc, hrb = ctx.user("banker_icbc"), ctx.user("banker_hrb")
    a = dict(zip(range(1, 11), assets, strict=True))
    # applied
    _loan(ctx, a[1], "bank_icbc", 800, 12, "风电叶片除冰涂层中试线建设")
    # documents requested
    loan, _owner = _loan(ctx, a[2], "bank_icbc", 300, 12, "育秧基质生产线扩建")
    loans.request_documents(
        loan, request="请补充资产评估机构出具的专利价值评估报告和近两年财务报表。", actor=icbc
    )
    # approved (waiting for signatures)
    loan, _owner = _loan(ctx, a[3], "bank_hrb", 600, 24, "腐蚀监测装置批量生产")
    loans.approve_loan(loan, conditions="年利率3.85%，由省担保公司提供50%担保。", actor=hrb)
    risk.add_risk_share(
        loan, sharer_kind="guarantee_company", sharer_org_id=ctx.org("guarantor").id, share_bp=5000, actor=hrb
    )
    # declined
    loan, _owner = _loan(ctx, a[4], "bank_icbc", 2000, 36, "球形石墨生产线技改")
    loans.decline_loan(
        loan, reason="专利评估值不足以覆盖申请金额，建议降低金额或追加质押物后重新申请。", actor=icbc
    )
    # withdrawn
    loan, owner = _loan(ctx, a[5], "bank_hrb", 200, 12, "干燥设备改造")
    loans.withdraw_loan(loan, actor=owner)
    # applied on a co-owned asset: waiting for the co-owner's consent
    _loan(ctx, a[6], "bank_icbc", 500, 18, "冰球杆生产线建设")
    # signed, with risk shared by the fund and the insurer
    loan, owner = _loan(ctx, a[7], "bank_icbc", 1000, 24, "导热硅脂量产")
    risk.add_risk_share(loan, sharer_kind="risk_fund", share_bp=3000, actor=icbc)
    risk.add_risk_share(
        loan, sharer_kind="insurer", sharer_org_id=ctx.org("insurer").id, share_bp=2000, actor=icbc
    )
    _sign(loan, owner, icbc, "Y2025230000318", date(2025, 6, 18))
    # signed in 2026
    loan, owner = _loan(ctx, a[9], "bank_hrb", 450, 36, "抽油机智能控制系统推广")
    _sign(loan, owner, hrb, "Y2026230000042", date(2026, 3, 12))
    # repaid
    loan, owner = _loan(ctx, a[8], "bank_icbc", 350, 12, "低聚糖提取车间流动资金")
    _sign(loan, owner, icbc, "Y2024230000127", date(2024, 5, 20))
    loans.repay_loan(loan, actor=icbc, repaid_on=date(2025, 5, 15))
    # defaulted, with proceeds of the pledged patent's disposal
    loan, owner = _loan(ctx, a[10], "bank_hrb", 400, 12, "抗冻添加剂生产线")
    risk.add_risk_share(loan, sharer_kind="risk_fund", share_bp=4000, actor=hrb)
    _sign(loan, owner, hrb, "Y2024230000266", date(2024, 9, 2))
    loans.default_loan(
        loan, actor=hrb, defaulted_on=date(2025, 10, 8), note="逾期90天未还本付息。", proceeds_fen=80 * WAN
    )
    loans.record_proceeds(
        loan, amount_fen=120 * WAN, received_on=date(2026, 2, 26), note="质押专利经协议转让所得", actor=hrb
    )
    return 10


def _investments(ctx: DemoContext) -> int:
    fund = ctx.org("fund")
    if db.session.scalar(
        select(func.count()).select_from(Investment).where(Investment.investor_org_id == fund.id)
    ):
        return 0
    investor = ctx.user("investor")
    investments.set_followed_industries(investor, ["new_materials", "aerospace", "agri_machinery"])
    listings = list(
        db.session.scalars(
            select(Listing)
            .join(ListingTerms, ListingTerms.listing_id == Listing.id)
            .where(Listing.status == "published", ListingTerms.deal_kind == "equity")
            .order_by(Listing.id)
        )
    )
    made = 0
    for n, listing in enumerate(listings[:2]):
        interest = investments.express_interest(
            listing, message="我基金关注该项目，拟参与作价入股后的增资，请安排路演。", actor=investor
        )
        seller = db.session.scalar(
            select(User)
            .where(User.organization_id == listing.org_id, User.role == "seller")
            .order_by(User.id)
        )
        terms = listing.terms_for("equity")
        inv = investments.record_investment(
            listing_id=listing.id,
            company=(terms.company if terms and terms.company else f"{listing.title}项目公司"),
            amount_fen=(1500 if n == 0 else 800) * WAN,
            share_bp=1200 if n == 0 else 1000,
            invested_on=date(2025, 11, 20) if n == 0 else date(2026, 4, 8),
            actor=investor,
        )
        made += 1
        if n == 0 and seller is not None:
            investments.post_message(
                interest, body="欢迎贵基金参与，项目资料已发送至贵方邮箱。", actor=seller
            )
            investments.confirm_investment(inv, actor=seller)
    return made


def _sale_listing(ctx: DemoContext, asset: IpAsset, seller: User, price_wan: int) -> Listing:
    """The owner's listing of its pledged patent, offering a transfer, published by the platform."""
    from ..listings import services as listing_services
    from ..listings.services import ListingData
    from .listings import transfer

    listing = listing_services.create_listing(
        ListingData(
            asset_ids=[asset.id],
            title_zh=f"{asset.title_zh}专利权转让（质押处置）",
            abstract_zh=f"因质押贷款违约，经质权银行同意，{asset.title_zh}发明专利权公开转让，价款优先清偿银行债务。",
            keywords=[asset.title_zh[:4], "质押处置"],
            problem="质押专利需通过公开交易变现以清偿贷款。",
            comparison="中试验证良品率达到95%，较同类工艺能耗降低20%。",
            price_fen=price_wan * WAN,
            deal_terms=[transfer(price_wan * WAN)],
        ),
        actor=seller,
    )
    listing_services.submit_listing(listing, actor=seller)
    listing_services.publish_listing(listing, actor=ctx.user("admin"))
    return listing


def _disposals(ctx: DemoContext) -> int:
    banks = [ctx.org("bank_icbc").id, ctx.org("bank_hrb").id]
    if db.session.scalar(
        select(func.count())
        .select_from(Disposal)
        .join(PledgeLoan, PledgeLoan.id == Disposal.loan_id)
        .where(PledgeLoan.bank_org_id.in_(banks))
    ):
        return 0
    on_bidding, on_notice = _assets(ctx, SALE_ASSETS)
    hrb, icbc = ctx.user("banker_hrb"), ctx.user("banker_icbc")
    # Defaulted; the bank puts the patent up for online bidding, the owner starts it (announced now).
    loan, owner = _loan(ctx, on_bidding, "bank_hrb", 300, 12, "抗覆冰玻璃生产线流动资金")
    _sign(loan, owner, hrb, "Y2024230000311", date(2024, 10, 15))
    loans.default_loan(loan, actor=hrb, defaulted_on=date(2025, 12, 1), note="逾期120天，经催收未果。")
    disposal = disposals.request_disposal(
        loan,
        mode="bidding",
        price_fen=260 * WAN,
        increment_fen=2 * WAN,
        deposit_fen=26 * WAN,
        duration_hours=48,
        note="按评估值八折起拍，请在平台挂牌后发起网络竞价。",
        actor=hrb,
    )
    listing = _sale_listing(ctx, on_bidding, owner, 260)
    disposals.start_sale(disposal, listing_id=listing.id, actor=owner)
    # Defaulted two months ago; sold on public notice to one buyer: the loan is disposed.
    past = utcnow() - timedelta(days=60)
    loan, owner = _loan(ctx, on_notice, "bank_icbc", 250, 12, "颗粒燃料成型机批量生产")
    _sign(loan, owner, icbc, "Y2024230000288", date(2024, 7, 8))
    loans.default_loan(
        loan, actor=icbc, defaulted_on=shanghai_date(past) - timedelta(days=30), note="逾期未还本付息。"
    )
    disposal = disposals.request_disposal(
        loan, mode="notice", price_fen=180 * WAN, notice_days=15, note="挂牌公示15天。", actor=icbc
    )
    listing = _sale_listing(ctx, on_notice, owner, 180)
    listing.published_at = past - timedelta(days=1)
    from ..trading import notices as trading_notices

    disposals.start_sale(disposal, listing_id=listing.id, actor=owner, now=past)
    trading_notices.accept_listed_price(
        disposal.notice, actor=ctx.user("buyer_beidahuang"), now=past + timedelta(days=3)
    )
    disposals.sync_disposal(disposal, now=past + timedelta(days=17))
    return 2


def _linked(ctx: DemoContext) -> int:
    """A loan naming an evaluation on the platform, and interest in an incubated start-up."""
    from ..services.models import Evaluation, Startup

    made = 0
    fund = ctx.org("fund")
    if not db.session.scalar(
        select(func.count()).select_from(PledgeLoan).where(PledgeLoan.evaluation_id.is_not(None))
    ):
        for evaluation in db.session.scalars(
            select(Evaluation).where(Evaluation.status == "completed").order_by(Evaluation.id)
        ):
            owner_org = evaluation.asset.owners[0].org_id
            seller = db.session.scalar(
                select(User).where(User.organization_id == owner_org, User.role == "seller").order_by(User.id)
            )
            pledged = any(e.kind == "pledge" and not e.is_released for e in evaluation.asset.encumbrances)
            if seller is None or pledged or not seller.has_powers:
                continue
            loans.apply_for_loan(
                bank_org_id=ctx.org("bank_icbc").id,
                asset_ids=[evaluation.asset_id],
                amount_fen=min(max((evaluation.value_low_fen or 0) // 2, 100 * WAN), 5000 * WAN),
                term_months=24,
                purpose="以经评价的专利质押，用于中试放大。",
                evaluation_id=evaluation.id,
                actor=seller,
            )
            made += 1
            break
    startup = db.session.scalar(select(Startup).order_by(Startup.id))
    if startup is not None and not db.session.scalar(
        select(func.count())
        .select_from(InvestmentInterest)
        .where(InvestmentInterest.startup_id.is_not(None), InvestmentInterest.investor_org_id == fund.id)
    ):
        investments.express_startup_interest(
            startup,
            message="我基金关注贵孵化器的该企业，希望了解其融资计划并安排走访。",
            actor=ctx.user("investor"),
        )
        made += 1
    return made


def seed(ctx: DemoContext) -> None:
    created = _institutions(ctx)
    assets = _assets(ctx)
    made = _loans(ctx, assets)
    invested = _investments(ctx)
    sold = _disposals(ctx)
    linked = _linked(ctx)
    ctx.echo(
        f"finance: {created} institutions and staff, {made} pledge loans, {invested} investments, "
        f"{sold} sales of pledged assets, {linked} links to evaluations and start-ups created"
    )
