"""Demo data of public trading: a settled bidding session (网络竞价) with several
bids and a premium over its starting price, one running and ending within the next
hours, one announced, and a listing on public notice (挂牌公示) with an answered
objection. Each on a technology of its own (an asset and a published listing made
here), through the services with the clock set back, so every rule holds.

Idempotent: a listing that exists already (by title) is skipped with its session.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..core.timeutil import shanghai_date, utcnow
from ..extensions import db
from ..ip import services as ip_services
from ..ip.models import IpAsset
from ..ip.services import AssetData, OwnerShare
from ..listings.models import Listing
from ..trading import bidding, enrolment, notices, sessions, settlement
from .context import DemoContext
from .ip import patent
from .listings import DemoListing, _seed_listing, transfer

WAN = 10_000 * 100  # fen in 1 万元

# key, seller, owner org, asset (title, title_en, industry, serial), listing title, problem, comparison
ITEMS = {
    "settled": (
        "seller_hit",
        "hit",
        (
            "寒区桥梁除冰融雪自加热沥青",
            "Self-heating de-icing asphalt for cold-region bridges",
            "new_materials",
            5600231,
        ),
        "寒区桥面自融雪沥青混合料技术",
        "东北冬季桥面结冰，撒盐融雪腐蚀钢筋、污染土壤。",
        "-25 ℃ 下桥面 40 分钟内无积冰，比撒盐方案养护费用降低 45%。",
    ),
    "running": (
        "seller_haas",
        "haas",
        (
            "寒地水稻侧深施肥插秧一体机",
            "Side-deep fertilizing rice transplanter for cold regions",
            "agri_machinery",
            5600232,
        ),
        "寒地水稻侧深施肥插秧一体化装备",
        "寒地水稻插秧与施肥分两次作业，肥料利用率低。",
        "一次完成插秧与侧深施肥，氮肥利用率提高 12 个百分点，每亩节本 38 元。",
    ),
    "announced": (
        "seller_mdjmi",
        "mdjmi",
        ("北药刺五加皂苷高效提取工艺", "Efficient extraction of Acanthopanax saponins", "biology", 5600233),
        "刺五加皂苷高效提取与纯化技术",
        "刺五加传统水提工艺得率低、能耗高。",
        "皂苷得率提高 35%，能耗降低 28%，纯度达 90% 以上。",
    ),
    "notice": (
        "seller_qqhru",
        "qqhru",
        ("玉米秸秆打捆离田成套装备", "Corn straw baling and removal equipment", "agri_machinery", 5600234),
        "玉米秸秆高效打捆离田成套装备",
        "秸秆离田效率低，影响春播和黑土地保护。",
        "每小时打捆 12 亩，比现有机型快 40%，捡拾率 93%。",
    ),
}
ITEMS["failed"] = (
    "seller_dqpi", "dqpi", ("低渗透油藏二氧化碳驱油注入工艺", "CO2 flooding injection for low-permeability reservoirs",
    "energy", 5600235), "低渗透油藏二氧化碳驱油注入工艺",
    "低渗透油藏水驱采收率低，注水压力高。", "采收率提高 8 个百分点，同时封存二氧化碳。",
)  # fmt: skip
BUYERS = ("buyer_beidahuang", "buyer_qizhong", "buyer_suihua", "buyer_digital")


def _listing(ctx: DemoContext, key: str, price_wan: int) -> Listing | None:
    """The item's asset and published listing, or None when they exist already."""
    seller_key, org_key, (title, title_en, industry, serial), listing_title, problem, comparison = ITEMS[key]
    seller = ctx.user(seller_key)
    if db.session.scalar(select(Listing.id).where(Listing.title_zh == listing_title)):
        return None
    if db.session.scalar(select(IpAsset.id).where(IpAsset.title_zh == title)) is None:
        ip_services.register_asset(
            AssetData(kind="invention_patent", identifier=patent(2020, 1, serial), title_zh=title, title_en=title_en,
                      industry=industry, legal_status="granted", maturity="small_batch", filed_on=date(2020, 4, 8),
                      granted_on=date(2022, 9, 16), expires_on=date(2040, 4, 7), keywords=[title[:4]],
                      owners=[OwnerShare(ctx.org(org_key).id, 10000)]),
            actor=seller,
        )  # fmt: skip
    _seed_listing(ctx, DemoListing(seller_key, [title], listing_title, None, problem, comparison,
                                   [transfer(price_wan * WAN)], price_fen=price_wan * WAN, agency="agency_hrb"))  # fmt: skip
    return db.session.scalar(select(Listing).where(Listing.title_zh == listing_title))


def _session(ctx, listing, seller, created, *, start=100, increment=5, days_before=8, reserve=None):
    starts = created + timedelta(days=days_before)
    data = sessions.SessionInput(
        starting_price_fen=start * WAN, increment_fen=increment * WAN, deposit_fen=start * WAN // 10,
        reserve_fen=reserve * WAN if reserve else None, announce_on=shanghai_date(created), starts_at=starts,
        ends_at=starts + timedelta(hours=24), extension_minutes=5,
    )  # fmt: skip
    return sessions.create_session(listing, data, actor=seller, now=created)


def _enrol_all(ctx, session, created, buyers=BUYERS[:3]):
    agency = ctx.user("agency_hrb")
    for key in buyers:
        e = enrolment.enrol(session, actor=ctx.user(key), now=created)
        enrolment.confirm_deposit(e.deposit, actor=agency, now=created)


def seed(ctx: DemoContext) -> None:
    now = utcnow()
    made = []
    listing = _listing(ctx, "settled", 150)
    if listing is not None:
        created = now - timedelta(days=12)
        s = _session(ctx, listing, ctx.user("seller_hit"), created, start=120, increment=5, reserve=130)
        _enrol_all(ctx, s, created)
        at = s.starts_at + timedelta(hours=2)
        for i, (buyer, price) in enumerate([(0, 120), (1, 130), (2, 140), (0, 150), (1, 160), (0, 170)]):
            bidding.place_bid(s, price * WAN, actor=ctx.user(BUYERS[buyer]), now=at + timedelta(hours=3 * i))
        # a bid in the last minutes extends the end
        bidding.place_bid(
            s, 180 * WAN, actor=ctx.user(BUYERS[2]), now=s.effective_ends_at - timedelta(minutes=2)
        )
        settlement.settle(s, now=s.effective_ends_at + timedelta(minutes=1))
        made.append(s)
    listing = _listing(ctx, "running", 80)
    if listing is not None:
        created = now - timedelta(days=8, hours=20)
        s = _session(ctx, listing, ctx.user("seller_haas"), created, start=60, increment=2)
        _enrol_all(ctx, s, created)
        e = enrolment.enrol(s, actor=ctx.user(BUYERS[3]), now=created)  # its deposit not yet confirmed
        e.deposit.payer_reference = "HLJ20261130-0088"
        for i, (buyer, price) in enumerate([(0, 60), (1, 64), (0, 66)]):
            bidding.place_bid(
                s, price * WAN, actor=ctx.user(BUYERS[buyer]), now=s.starts_at + timedelta(hours=i + 1)
            )
        made.append(s)
    listing = _listing(ctx, "announced", 60)
    if listing is not None:
        s = _session(ctx, listing, ctx.user("seller_mdjmi"), now - timedelta(days=1), start=50, increment=1)
        _enrol_all(ctx, s, now - timedelta(hours=6), buyers=BUYERS[:1])
        made.append(s)
    listing = _listing(ctx, "failed", 400)
    if listing is not None:
        # One bid below the secret reserve: the session failed and may run again at most 20 % lower.
        created = now - timedelta(days=20)
        s = _session(ctx, listing, ctx.user("seller_dqpi"), created, start=300, increment=10, reserve=380)
        _enrol_all(ctx, s, created, buyers=BUYERS[1:2])
        bidding.place_bid(s, 300 * WAN, actor=ctx.user(BUYERS[1]), now=s.starts_at + timedelta(hours=5))
        settlement.settle(s, now=s.effective_ends_at + timedelta(minutes=1))
        made.append(s)
    listing = _listing(ctx, "notice", 90)
    if listing is not None:
        started = now - timedelta(days=3)
        n = notices.start_notice(listing, listed_price_fen=90 * WAN, notice_days=15, actor=ctx.user("seller_qqhru"),
                                 now=started)  # fmt: skip
        o = notices.object_to(n, "该装备的核心部件是否已有他人在先申请的专利？请说明权属。",
                              actor=ctx.user("buyer_yichun"), now=started + timedelta(days=1))  # fmt: skip
        notices.answer_objection(o, "核心打捆机构为本校独立研发，已获发明专利授权，经检索无在先权利冲突。",
                                 actor=ctx.user("seller_qqhru"), now=started + timedelta(days=2))  # fmt: skip
        notices.accept_listed_price(n, actor=ctx.user("buyer_beidahuang"), now=started + timedelta(days=2))
    ctx.echo(
        f"trading: {len(made)} bidding sessions and {'a' if listing is not None else 'no'} public notice created"
    )
