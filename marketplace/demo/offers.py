"""Demo negotiations: offers in every state (open, countered over two or three
versions, accepted into a contract draft, rejected, withdrawn, expired), an
anonymous buyer, agencies brokering under mandates, message threads in Chinese.
Safe to run again: a mandate is found by its parties and side, an offer by its
listing and buyer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from ..core.errors import DomainError
from ..core.timeutil import today_shanghai
from ..extensions import db
from ..listings.models import Listing
from ..offers import services
from ..offers.models import Mandate, Offer, OfferVersion
from ..offers.services import TermsInput
from .context import DemoContext

WAN = 1_000_000  # fen in 1 万元

# (client user key, agency user key, commission bp, days valid, final status)
MANDATES = [
    ("buyer_beidahuang", "agency_hrb", 300, 365, "active"),
    ("seller_dqpi", "agency_dq", 500, 730, "active"),
    ("seller_neau", "agency_hrb", 400, 365, "active"),
    ("buyer_qizhong", "agency_dq", 350, 365, "proposed"),
    ("buyer_suihua", "agency_hrb", 250, 180, "revoked"),
]


@dataclass
class Step:
    """One move after the offer: counter (with terms), accept, reject, withdraw, reveal, say."""

    action: str
    actor: str  # user key
    terms: dict | None = None
    text: str | None = None


@dataclass
class DemoOffer:
    listing: str  # the listing's Chinese (or English) title
    buyer: str  # user key of the buyer
    terms: dict
    by: str | None = None  # an agency user key making it for the buyer
    anonymous: bool = False
    message: str | None = None
    expires_in: int = 30
    steps: list[Step] = field(default_factory=list)
    aged: int = 0  # expired this many days ago (the expiry date moved into the past)


def _lic(upfront_wan: int, royalty_bp: int | None = None, license_type="non_exclusive", field_of_use="",
         territory="黑龙江省", months=60) -> dict:  # fmt: skip
    return {"deal_kind": "license", "license_type": license_type, "field_of_use": field_of_use,
            "territory": territory, "term_months": months, "upfront_fen": upfront_wan * WAN,
            "royalty_bp": royalty_bp}  # fmt: skip


OFFERS = [
    DemoOffer(
        "大豆分离蛋白低温酶法提取工艺",
        "buyer_suihua",
        _lic(80, 300, field_of_use="大豆蛋白食品加工", territory="绥化市"),
        message="贵单位好！我公司年处理大豆 20 万吨，希望在绥化基地使用该工艺，请问能否提供中试数据？",
        steps=[
            Step("say", "seller_neau", text="您好，中试报告已整理好，见附件说明。提取率稳定在 92% 左右。"),
            Step("say", "buyer_suihua", text="收到，我们技术部正在评估，下周给出正式答复。"),
        ],
    ),
    DemoOffer(
        "寒地高蛋白大豆分子标记育种技术",
        "buyer_beidahuang",
        _lic(150, 200, field_of_use="大豆新品种选育", territory="黑龙江省"),
        by="agency_hrb",
        message="受北大荒垦丰种业委托，现就该育种技术提出许可报价。",
        steps=[
            Step(
                "counter", "seller_neau", _lic(220, 300, field_of_use="大豆新品种选育", territory="黑龙江省")
            ),
            Step(
                "counter", "agency_hrb", _lic(180, 250, field_of_use="大豆新品种选育", territory="黑龙江省")
            ),
            Step("say", "agency_hrb", text="客户可接受 5 年期限，请贵方考虑入门费 180 万元的方案。"),
        ],
    ),
    DemoOffer(
        "高首效石墨烯锂电负极材料",
        "buyer_shenzhen",
        _lic(300, 150, field_of_use="动力电池负极", territory="中国"),
        anonymous=True,
        message="我方为电池材料领域投资企业，暂不公开名称，希望了解量产稳定性。",
        steps=[
            Step("counter", "seller_jixi", _lic(380, 200, field_of_use="动力电池负极", territory="中国")),
            Step("say", "seller_jixi", text="首次库伦效率 93.5%，已完成 10 吨级中试，欢迎来鸡西实地考察。"),
        ],
    ),
    DemoOffer(
        "玉米秸秆全生物降解地膜",
        "buyer_beidahuang",
        {"deal_kind": "transfer", "price_fen": 260 * WAN},
        message="我公司拟受让该技术用于垦区地膜生产。",
        steps=[
            Step("counter", "seller_neau", {"deal_kind": "transfer", "price_fen": 320 * WAN}),
            Step("counter", "buyer_beidahuang", {"deal_kind": "transfer", "price_fen": 300 * WAN}),
            Step("accept", "seller_neau"),
            Step("say", "seller_neau", text="感谢信任，合同草稿已生成，请贵方法务核对条款。"),
        ],
    ),
    DemoOffer(
        "冰城智慧供热调度平台",
        "buyer_digital",
        _lic(60, None, field_of_use="城市集中供热", territory="哈尔滨市", months=36),
        steps=[Step("accept", "seller_hit")],
    ),
    DemoOffer(
        "油田采出水高效处理回注技术",
        "buyer_qizhong",
        _lic(20, 100, field_of_use="机械加工废水处理", territory="齐齐哈尔市", months=24),
        message="想了解该技术能否用于机械加工废水。",
        steps=[
            Step("say", "agency_dq", text="该技术针对油田采出水，机械加工废水成分不同，恐难直接适用。"),
            Step("reject", "agency_dq"),
        ],
    ),
    DemoOffer(
        "寒地作物病虫害智能识别系统",
        "buyer_heihe",
        _lic(15, None, field_of_use="边境农场病虫害监测", territory="黑河市", months=12),
        steps=[Step("withdraw", "buyer_heihe")],
    ),
    DemoOffer(
        "寒地早熟高产大豆新品种黑农豆88",
        "buyer_yichun",
        _lic(40, 150, field_of_use="大豆种植推广", territory="伊春市", months=36),
        message="林区大豆种植面积有限，报价供参考。",
        expires_in=5,
        aged=12,
    ),
    DemoOffer(
        "二氧化碳驱油井筒防腐装置",
        "buyer_qizhong",
        {"deal_kind": "transfer", "price_fen": 450 * WAN},
        steps=[
            Step("counter", "agency_dq", {"deal_kind": "transfer", "price_fen": 560 * WAN}),
            Step("say", "agency_dq", text="受大庆石油化工研究院委托答复：转让价 560 万元，含现场技术指导。"),
        ],
    ),
]


def _listing(title: str) -> Listing | None:
    return db.session.scalar(
        select(Listing).where((Listing.title_zh == title) | (Listing.title_en == title)).order_by(Listing.id)
    )


def _seed_mandates(ctx: DemoContext) -> int:
    created = 0
    today = today_shanghai()
    for client_key, agency_key, bp, days, status in MANDATES:
        client, agency = ctx.user(client_key), ctx.user(agency_key)
        side = "seller" if client.role == "seller" else "buyer"
        if db.session.scalar(
            select(Mandate.id).where(
                Mandate.client_org_id == client.organization_id,
                Mandate.agency_org_id == agency.organization_id,
                Mandate.side == side,
            )
        ):
            continue
        mandate = services.propose_mandate(
            agency_org_id=agency.organization_id,
            commission_bp=bp,
            valid_from=today - timedelta(days=30),
            valid_to=today + timedelta(days=days),
            scope="黑龙江省内技术许可与转让项目",
            actor=client,
        )
        if status in ("active", "revoked"):
            services.accept_mandate(mandate, actor=agency)
        if status == "revoked":
            services.revoke_mandate(mandate, actor=client)
        created += 1
    return created


def _run(step: Step, offer: Offer, ctx: DemoContext) -> None:
    actor = ctx.user(step.actor)
    if step.action == "counter":
        services.counter_offer(offer, TermsInput.from_dict(step.terms or {}), actor=actor)
    elif step.action == "accept":
        services.accept_offer(offer, actor=actor)
    elif step.action == "reject":
        services.reject_offer(offer, actor=actor)
    elif step.action == "withdraw":
        services.withdraw_offer(offer, actor=actor)
    elif step.action == "reveal":
        services.reveal_buyer(offer, actor=actor)
    elif step.action == "say":
        services.post_message(offer, step.text, actor=actor)


def _seed_offer(item: DemoOffer, ctx: DemoContext) -> bool:
    listing = _listing(item.listing)
    buyer = ctx.user(item.buyer)
    if listing is None:
        ctx.echo(f"offers: listing {item.listing} not found; skipped")
        return False
    if db.session.scalar(
        select(Offer.id).where(Offer.listing_id == listing.id, Offer.buyer_org_id == buyer.organization_id)
    ):
        return False
    actor = ctx.user(item.by) if item.by else buyer
    savepoint = db.session.begin_nested()
    try:
        offer = services.make_offer(
            listing,
            TermsInput.from_dict(item.terms),
            expires_on=today_shanghai() + timedelta(days=item.expires_in),
            anonymous=item.anonymous,
            message=item.message,
            client_org_id=buyer.organization_id if item.by else None,
            actor=actor,
        )
        for step in item.steps:
            _run(step, offer, ctx)
        if item.aged:
            past = today_shanghai() - timedelta(days=item.aged)
            offer.expires_on = past
            # The first version carried the same date; versions are otherwise never rewritten.
            db.session.execute(
                update(OfferVersion).where(OfferVersion.offer_id == offer.id).values(expires_on=past)
            )
            db.session.flush()
            services.expire_if_due(offer)
        savepoint.commit()
    except DomainError as exc:
        savepoint.rollback()
        ctx.echo(f"offers: {item.listing}: {exc.message}; skipped")
        return False
    return True


def seed(ctx: DemoContext) -> None:
    mandates = _seed_mandates(ctx)
    db.session.flush()
    offers = sum(1 for item in OFFERS if _seed_offer(item, ctx))
    db.session.flush()
    ctx.echo(f"offers: {mandates} mandates and {offers} negotiations created")
