"""Demo data of the ip domain: about twenty assets of the demo universities, institutes
and enterprises, in every kind and legal status, co-owned, licensed, pledged, verified
and transferred, and co-owned assets with a pending and an applied change of owners.
Safe to run again: an asset found by its number (or title) is skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..core.timeutil import today_shanghai
from ..extensions import db
from ..ip import ownership, services
from ..ip.identifiers import patent_check_char
from ..ip.models import IpAsset
from ..ip.services import AssetData, EncumbranceData, OwnerShare
from .context import DemoContext

# The seller who registers for each organization; others are registered by the admin.
SELLERS = {
    "hit": "seller_hit",
    "neau": "seller_neau",
    "qqhru": "seller_qqhru",
    "haas": "seller_haas",
    "dqpi": "seller_dqpi",
    "mdjmi": "seller_mdjmi",
    "jixi_graphite": "seller_jixi",
}


def patent(year: int, kind_digit: int, serial: int) -> str:
    """A well-formed application number with its computed check character."""
    body = f"{year}{kind_digit}{serial:07d}"
    return f"{body}.{patent_check_char(body)}"


@dataclass
class DemoAsset:
    kind: str
    identifier: str | None
    title_zh: str
    title_en: str
    industry: str
    legal_status: str
    owners: list[tuple[str, int]]
    maturity: str | None = None
    filed_on: date | None = None
    granted_on: date | None = None
    expires_on: date | None = None
    keywords: list[str] = field(default_factory=list)
    inventors: list[str] = field(default_factory=list)
    abstract_zh: str | None = None
    licences: list[dict] = field(default_factory=list)
    pledges: list[dict] = field(default_factory=list)
    verified_by: tuple[str, str, str] | None = None  # (user key, source, note)
    transfer: tuple[list[tuple[str, int]], str] | None = None  # (new owners, contract), effective today
    # A proposed change of owners: (new owners, reason, organizations that accept after the
    # proposer, the first owner); when all the others accept, it applies.
    proposal: tuple[list[tuple[str, int]], str, list[str]] | None = None


ASSETS = [
    DemoAsset(
        "invention_patent",
        patent(2018, 1, 523417),
        "寒地大豆高蛋白品种选育方法",
        "Breeding method for high-protein soybean in cold regions",
        "biology",
        "granted",
        [("neau", 10000)],
        maturity="small_batch",
        filed_on=date(2018, 5, 14),
        granted_on=date(2021, 3, 2),
        expires_on=date(2038, 5, 13),
        keywords=["大豆", "高蛋白", "分子标记育种"],
        inventors=["王立新", "刘敏", "张海峰"],
        abstract_zh="以东北寒地大豆种质为材料，利用分子标记辅助选择，选育蛋白质含量达43%以上的早熟品种。",
        licences=[
            {
                "license_type": "exclusive",
                "counterparty": "北大荒垦丰种业股份有限公司",
                "field_of_use": "大豆种子生产",
                "territory": "黑龙江省",
                "term_start": date(2023, 1, 1),
                "term_end": date(2028, 12, 31),
                "reference": "2022230100000318",
            }
        ],
        verified_by=("agency_hrb", "cnipa_patent_search", "2025年度年费已缴纳，专利权有效。"),
    ),
    DemoAsset(
        "invention_patent",
        patent(2019, 1, 876543),
        "石墨烯负极材料制备方法",
        "Preparation method of graphene anode material",
        "new_materials",
        "granted",
        [("jixi_graphite", 7000), ("hit", 3000)],
        maturity="pilot",
        filed_on=date(2019, 9, 3),
        granted_on=date(2022, 6, 17),
        expires_on=date(2039, 9, 2),
        keywords=["石墨烯", "锂电池负极", "鸡西石墨"],
        inventors=["周敏", "李建国"],
        abstract_zh="以鸡西鳞片石墨为原料，经插层剥离与低温还原制备高首效石墨烯负极材料，首次库伦效率达92%。",
        pledges=[
            {
                "counterparty": "中国建设银行鸡西分行",
                "amount_fen": 800_000_000,
                "term_start": date(2024, 4, 1),
                "term_end": date(2027, 3, 31),
                "reference": "Y2024-230300-0057",
            }
        ],
        verified_by=("agency_hrb", "cnipa_patent_search", "质押登记信息与国家知识产权局公告一致。"),
    ),
    DemoAsset(
        "invention_patent",
        patent(2020, 1, 345678),
        "玉米秸秆生物降解地膜",
        "Biodegradable mulch film from corn straw",
        "new_materials",
        "pending",
        [("neau", 10000)],
        maturity="pilot",
        filed_on=date(2020, 4, 20),
        keywords=["秸秆", "可降解地膜", "白色污染"],
        inventors=["李娜", "赵东"],
        abstract_zh="以玉米秸秆纤维素为基体制备全生物降解地膜，田间90天降解率超过80%。",
    ),
    DemoAsset(
        "utility_model",
        patent(2021, 2, 567890),
        "冰雪装备智能温控系统",
        "Intelligent temperature control system for ice and snow equipment",
        "ice_snow",
        "granted",
        [("hit", 5000), ("heihe_ice", 5000)],
        maturity="small_batch",
        filed_on=date(2021, 10, 8),
        granted_on=date(2022, 4, 26),
        expires_on=date(2031, 10, 7),
        keywords=["冰雪装备", "温控", "物联网"],
        inventors=["张伟", "马骏"],
    ),
    DemoAsset(
        "invention_patent",
        patent(2016, 1, 234567),
        "油田采出水处理技术",
        "Treatment of oilfield produced water",
        "energy",
        "granted",
        [("dqpi", 10000)],
        maturity="mass_production",
        filed_on=date(2016, 7, 11),
        granted_on=date(2019, 2, 15),
        expires_on=date(2036, 7, 10),
        keywords=["采出水", "回注", "油田环保"],
        inventors=["刘洋", "孙立军"],
        abstract_zh="采用旋流气浮与改性纤维球过滤组合工艺，处理后含油量低于5mg/L，满足低渗透油藏回注标准。",
        licences=[
            {
                "license_type": "non_exclusive",
                "counterparty": "大庆油田第三采油厂",
                "field_of_use": "采出水回注",
                "territory": "大庆市",
                "term_start": date(2022, 1, 1),
                "term_end": date(2026, 12, 31),
            },
            {
                "license_type": "non_exclusive",
                "counterparty": "吉林油田公司",
                "field_of_use": "采出水回注",
                "territory": "吉林省",
                "term_start": date(2024, 7, 1),
            },
        ],
        pledges=[
            {
                "counterparty": "龙江银行大庆分行",
                "amount_fen": 300_000_000,
                "term_start": date(2021, 3, 1),
                "term_end": date(2023, 2, 28),
                "released_on": date(2023, 2, 20),
            }
        ],
    ),
    DemoAsset(
        "software_copyright",
        "2023SR0456789",
        "冰城智慧供热调度平台V2.0",
        "Ice City smart heating dispatch platform V2.0",
        "digital",
        "granted",
        [("hit", 10000)],
        maturity="mass_production",
        granted_on=date(2023, 4, 12),
        keywords=["智慧供热", "调度", "节能"],
        inventors=["张伟"],
        verified_by=("agency_hrb", "ccpc", "登记号与中国版权保护中心公告一致。"),
    ),
    DemoAsset(
        "software_copyright",
        "2022SR1234567",
        "寒地作物病虫害识别系统V1.0",
        "Cold-region crop pest recognition system V1.0",
        "digital",
        "granted",
        [("qqhru", 10000)],
        maturity="trl7",
        granted_on=date(2022, 9, 30),
        keywords=["图像识别", "病虫害", "深度学习"],
        inventors=["赵磊", "钱晓雨"],
    ),
    DemoAsset(
        "technical_secret",
        None,
        "稠油降粘剂配方及生产工艺",
        "Formula and process of a heavy-oil viscosity reducer",
        "chemical",
        "granted",
        [("dqpi", 10000)],
        maturity="small_batch",
        keywords=["稠油", "降粘剂", "三次采油"],
        inventors=["刘洋"],
        abstract_zh="降粘率大于95%，适用于50℃下粘度10万mPa·s以内的稠油；配方与工艺参数以技术秘密保护。",
    ),
    DemoAsset(
        "plant_variety",
        "CNA20191004567",
        "寒地早熟高产大豆新品种“黑农豆88”",
        "Early-maturing high-yield soybean variety Heinongdou 88",
        "biology",
        "granted",
        [("haas", 6000), ("beidahuang", 4000)],
        maturity="mass_production",
        filed_on=date(2019, 3, 18),
        granted_on=date(2022, 11, 1),
        expires_on=date(2037, 10, 31),
        keywords=["大豆品种", "早熟", "第四积温带"],
        inventors=["陈静", "王淑芬"],
    ),
    DemoAsset(
        "invention_patent",
        patent(2017, 1, 418275),
        "碳化硅陶瓷复合材料及其制备方法",
        "Silicon carbide ceramic composite and its preparation",
        "new_materials",
        "lapsed",
        [("mdjmi", 10000)],
        maturity="lab",
        filed_on=date(2017, 6, 2),
        granted_on=date(2020, 1, 10),
        expires_on=date(2037, 6, 1),
        keywords=["碳化硅", "陶瓷基复合材料"],
        inventors=["孙浩"],
    ),
    DemoAsset(
        "utility_model",
        patent(2013, 2, 712046),
        "水稻插秧机自动导航装置",
        "Automatic navigation device for rice transplanters",
        "agri_machinery",
        "expired",
        [("jmsu", 10000)],
        maturity="mass_production",
        filed_on=date(2013, 4, 9),
        granted_on=date(2013, 10, 16),
        expires_on=date(2023, 4, 8),
        keywords=["插秧机", "北斗导航"],
        inventors=["高德明"],
    ),
    DemoAsset(
        "design_patent",
        patent(2019, 3, 654321),
        "冰雪运动头盔",
        "Ice and snow sports helmet (design)",
        "creative_design",
        "invalidated",
        [("hit", 10000)],
        filed_on=date(2019, 11, 20),
        granted_on=date(2020, 5, 8),
        expires_on=date(2029, 11, 19),
        keywords=["头盔", "外观设计"],
        inventors=["林晓"],
    ),
    DemoAsset(
        "invention_patent",
        patent(2023, 1, 102938),
        "航空发动机叶片激光熔覆修复方法",
        "Laser cladding repair of aero-engine blades",
        "aerospace",
        "pending",
        [("hit", 10000)],
        maturity="trl5",
        filed_on=date(2023, 2, 27),
        keywords=["激光熔覆", "叶片修复", "航空发动机"],
        inventors=["张伟", "韩冰"],
    ),
    DemoAsset(
        "invention_patent",
        patent(2020, 1, 998877),
        "重型数控机床热误差补偿方法",
        "Thermal error compensation for heavy CNC machine tools",
        "high_end_equipment",
        "granted",
        [("qqhru", 5000), ("qizhong", 5000)],
        maturity="small_batch",
        filed_on=date(2020, 8, 5),
        granted_on=date(2023, 3, 21),
        expires_on=date(2040, 8, 4),
        keywords=["数控机床", "热误差", "精度"],
        inventors=["赵磊", "吴强"],
    ),
    DemoAsset(
        "invention_patent",
        patent(2019, 1, 301122),
        "蓝莓花青素高效提取工艺",
        "Efficient extraction of blueberry anthocyanins",
        "agri_processing",
        "granted",
        [("neau", 10000)],
        maturity="pilot",
        filed_on=date(2019, 7, 30),
        granted_on=date(2021, 12, 3),
        expires_on=date(2039, 7, 29),
        keywords=["蓝莓", "花青素", "伊春"],
        inventors=["李娜"],
        licences=[
            {
                "license_type": "non_exclusive",
                "counterparty": "伊春森林食品有限公司",
                "field_of_use": "食品加工",
                "territory": "伊春市",
                "term_start": date(2024, 1, 1),
                "term_end": date(2027, 12, 31),
            }
        ],
    ),
    DemoAsset(
        "invention_patent",
        patent(2018, 1, 640213),
        "大豆分离蛋白低温制备工艺",
        "Low-temperature preparation of soy protein isolate",
        "agri_processing",
        "granted",
        [("neau", 10000)],
        maturity="mass_production",
        filed_on=date(2018, 10, 22),
        granted_on=date(2020, 9, 4),
        expires_on=date(2038, 10, 21),
        keywords=["大豆蛋白", "低温工艺"],
        inventors=["王立新"],
        transfer=([("neau", 8000), ("suihua_soy", 2000)], "2026230100000812"),
    ),
    DemoAsset(
        "achievement",
        "黑科成登字2022-0156",
        "寒地黑土保护性耕作技术体系",
        "Conservation tillage system for cold-region black soil",
        "agri_machinery",
        "granted",
        [("haas", 10000)],
        maturity="mass_production",
        keywords=["黑土地保护", "保护性耕作", "秸秆还田"],
        inventors=["陈静", "刘志强"],
    ),
    DemoAsset(
        "ic_layout",
        "BS.225512345",
        "低功耗北斗导航射频芯片布图设计",
        "Layout design of a low-power BeiDou RF chip",
        "digital",
        "granted",
        [("hit", 10000)],
        maturity="trl6",
        filed_on=date(2022, 5, 10),
        granted_on=date(2022, 9, 2),
        expires_on=date(2032, 5, 9),
        keywords=["北斗", "射频芯片"],
        inventors=["韩冰"],
    ),
    DemoAsset(
        "utility_model",
        patent(2022, 2, 215634),
        "二氧化碳驱油井筒防腐装置",
        "Wellbore anti-corrosion device for CO2 flooding",
        "energy",
        "granted",
        [("dqpi", 10000)],
        maturity="pilot",
        filed_on=date(2022, 3, 14),
        granted_on=date(2022, 8, 30),
        expires_on=date(2032, 3, 13),
        keywords=["CO2驱油", "防腐", "井筒"],
        inventors=["刘洋", "何平"],
        verified_by=("agency_dq", "cnipa_patent_search", "法律状态：专利权维持。"),
    ),
    DemoAsset(
        "utility_model",
        patent(2023, 2, 890123),
        "石墨烯导热膜叠层结构",
        "Laminated graphene thermal film",
        "new_materials",
        "pending",
        [("mdjmi", 6000), ("jixi_graphite", 4000)],
        maturity="lab",
        filed_on=date(2023, 11, 6),
        keywords=["石墨烯", "导热膜"],
        inventors=["孙浩", "周敏"],
    ),
    DemoAsset(
        "invention_patent",
        patent(2022, 1, 334455),
        "寒地水稻智能灌溉控制方法",
        "Smart irrigation control for cold-region rice",
        "agri_machinery",
        "granted",
        [("hit", 5000), ("haas", 5000)],
        maturity="pilot",
        filed_on=date(2022, 4, 18),
        granted_on=date(2024, 6, 11),
        expires_on=date(2042, 4, 17),
        keywords=["水稻", "智能灌溉", "寒地"],
        inventors=["张伟", "陈静"],
        abstract_zh="根据积温与土壤墒情自动调整灌溉量，已在五常示范田节水 22%。",
        verified_by=("agency_hrb", "cnipa_patent_search", "法律状态：专利权维持。"),
        # Waiting for the academy's answer.
        proposal=(
            [("hit", 6000), ("haas", 4000)],
            "依据双方 2026 年 11 月签订的合作开发补充协议，哈尔滨北方工业大学承担后续中试全部费用，份额调整为 60% : 40%。",
            [],
        ),
    ),
    DemoAsset(
        "utility_model",
        patent(2021, 2, 556677),
        "大豆精量播种排种器",
        "Precision seed meter for soybean",
        "agri_machinery",
        "granted",
        [("neau", 6000), ("qqhru", 4000)],
        maturity="small_batch",
        filed_on=date(2021, 9, 2),
        granted_on=date(2022, 3, 15),
        expires_on=date(2031, 9, 1),
        keywords=["大豆", "精量播种"],
        inventors=["李娜", "赵磊"],
        # Accepted by both universities and applied: a new link of the chain of title.
        proposal=(
            [("neau", 10000)],
            "齐齐哈尔嫩江大学将其 40% 份额转让给东北寒地农业大学（2026 年 10 月双方签署份额转让协议）。",
            ["qqhru"],
        ),
    ),
]


def _exists(item: DemoAsset) -> bool:
    stmt = select(IpAsset.id).where(IpAsset.kind == item.kind)
    if item.identifier:
        stmt = stmt.where(IpAsset.identifier == item.identifier)
    else:
        stmt = stmt.where(IpAsset.title_zh == item.title_zh)
    return db.session.scalar(stmt) is not None


def seed(ctx: DemoContext) -> None:
    admin = ctx.user("admin")
    created = 0
    for item in ASSETS:
        if _exists(item):
            continue
        first_owner = item.owners[0][0]
        actor = ctx.user(SELLERS[first_owner]) if first_owner in SELLERS else admin
        asset = services.register_asset(
            AssetData(
                kind=item.kind,
                identifier=item.identifier,
                title_zh=item.title_zh,
                title_en=item.title_en,
                abstract_zh=item.abstract_zh,
                keywords=item.keywords,
                inventors=item.inventors,
                industry=item.industry,
                maturity=item.maturity,
                legal_status=item.legal_status,
                filed_on=item.filed_on,
                granted_on=item.granted_on,
                expires_on=item.expires_on,
                owners=[OwnerShare(ctx.org(key).id, share) for key, share in item.owners],
            ),
            actor=actor,
        )
        for pledge in item.pledges:
            pledge = dict(pledge)
            released_on = pledge.pop("released_on", None)
            enc = services.add_encumbrance(asset, EncumbranceData(kind="pledge", **pledge), actor=actor)
            if released_on:
                services.release_encumbrance(
                    enc, released_on=released_on, note="贷款已结清，质押登记注销。", actor=actor
                )
        for licence in item.licences:
            services.add_encumbrance(asset, EncumbranceData(kind="license", **licence), actor=actor)
        if item.transfer:
            owners, contract = item.transfer
            services.record_transfer(
                asset,
                [OwnerShare(ctx.org(key).id, share) for key, share in owners],
                contract_ref=contract,
                effective_on=today_shanghai(),
                actor=admin,
            )
        if item.verified_by:
            user_key, source, note = item.verified_by
            services.verify_asset(asset, source=source, note=note, actor=ctx.user(user_key))
        if item.proposal:
            owners, reason, accepting = item.proposal
            proposal = ownership.propose_ownership_change(
                asset,
                [OwnerShare(ctx.org(key).id, share) for key, share in owners],
                reason=reason,
                actor=actor,
            )
            for key in accepting:
                ownership.accept_proposal(proposal, actor=ctx.user(SELLERS[key]))
        created += 1
    ctx.echo(f"ip: {created} assets registered")
