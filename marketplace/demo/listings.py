"""Demo listings and demands: Chinese and English (some bilingual), every state,
every deal kind, two agencies, a bundle; then the search index is brought up to
date so that `make run` shows results at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..ip.models import IpAsset
from ..listings import services
from ..listings.models import Demand, Listing
from ..listings.services import DemandData, ListingData, TermsData
from .context import DemoContext

WAN = 1_000_000  # fen in 1 万元


def lic(license_type="non_exclusive", field_of_use="", territory="", months=None, upfront=None, royalty=None):
    return TermsData(
        "license",
        license_type=license_type,
        field_of_use=field_of_use,
        territory=territory,
        term_months=months,
        upfront_fen=upfront,
        royalty_bp=royalty,
    )


def transfer(price=None):
    return TermsData("transfer", price_fen=price)


def equity(valuation=None, share_bp=None, company=None):
    return TermsData("equity", valuation_fen=valuation, equity_share_bp=share_bp, company=company)


@dataclass
class DemoListing:
    seller: str  # user key
    assets: list[str]  # asset titles (Chinese)
    title_zh: str | None
    title_en: str | None
    problem: str
    comparison: str
    terms: list[TermsData]
    price_fen: int | None = None
    abstract_zh: str | None = None
    abstract_en: str | None = None
    keywords: list[str] = field(default_factory=list)
    agency: str | None = None  # organization key
    state: str = "published"  # draft, submitted, returned, published, withdrawn, closed
    reviewer: str = "agency_hrb"  # user key
    note: str | None = None  # return reason or closing reason
    age_days: int = 0


LISTINGS = [
    DemoListing(
        "seller_neau",
        ["大豆分离蛋白低温制备工艺"],
        "大豆分离蛋白低温酶法提取工艺",
        "Low-temperature enzymatic extraction of soy protein isolate",
        "传统碱溶酸沉法提取大豆分离蛋白得率低、废水量大，蛋白变性影响凝胶性。",
        "蛋白提取率 92%，比碱溶酸沉法的 78% 高 14 个百分点；每吨产品废水减少 35%。",
        [lic(months=60, upfront=80 * WAN, royalty=300)],
        price_fen=260 * WAN,
        abstract_zh="以低温脱脂豆粕为原料，采用复合酶辅助提取与膜分离浓缩，生产凝胶性好的大豆分离蛋白，已在绥化建成千吨级生产线。",
        abstract_en="Enzyme-assisted extraction and membrane concentration of soy protein isolate from "
        "low-temperature defatted soybean meal; a 1,000-tonne line runs in Suihua.",
        keywords=["大豆", "分离蛋白", "深加工", "酶法提取"],
        agency="agency_hrb",
        age_days=3,
    ),
    DemoListing(
        "seller_neau",
        ["寒地大豆高蛋白品种选育方法"],
        "寒地高蛋白大豆分子标记育种技术",
        "Marker-assisted breeding of high-protein soybean for cold regions",
        "寒地早熟大豆蛋白含量普遍低于 40%，加工企业原料蛋白不足。",
        "选育品种蛋白含量 43.5%，比主栽品种高 3.2 个百分点，生育期 115 天。",
        [
            lic(
                field_of_use="大豆育种研究与品种测试",
                territory="吉林省、内蒙古自治区",
                months=60,
                upfront=50 * WAN,
            )
        ],
        price_fen=None,
        abstract_zh="基于东北寒地大豆种质资源，建立分子标记辅助选择体系，缩短育种周期 2 年。",
        keywords=["大豆", "高蛋白", "分子育种"],
        agency="agency_hrb",
        age_days=20,
    ),
    DemoListing(
        "seller_jixi",
        ["石墨烯负极材料制备方法"],
        "高首效石墨烯锂电负极材料",
        "High first-cycle-efficiency graphene anode material for lithium-ion batteries",
        "Graphite anodes of fast-charging batteries lose capacity and first-cycle efficiency.",
        "First-cycle coulombic efficiency 92 % vs. 85 % for commercial graphite; 30 % more capacity at 2C.",
        [
            lic(
                field_of_use="动力电池与储能电池",
                territory="中国大陆",
                months=96,
                upfront=300 * WAN,
                royalty=250,
            )
        ],
        price_fen=None,
        abstract_zh="以鸡西鳞片石墨为原料，经插层剥离与低温还原制备石墨烯负极材料。",
        abstract_en="Graphene anode material made from Jixi flake graphite by intercalation, exfoliation "
        "and low-temperature reduction; pilot line of 50 tonnes a year.",
        keywords=["石墨烯", "graphene", "anode", "锂电池负极"],
        agency="agency_hrb",
        age_days=5,
    ),
    DemoListing(
        "seller_neau",
        ["玉米秸秆生物降解地膜"],
        "玉米秸秆全生物降解地膜",
        None,
        "聚乙烯地膜残留造成白色污染，黑土地耕层质量下降。",
        "田间 90 天降解率超过 80%，成本比 PBAT 降解膜低 25%。",
        [transfer(180 * WAN)],
        price_fen=180 * WAN,
        abstract_zh="以玉米秸秆纤维素为基体，复合淀粉与生物基增塑剂，吹膜成型。",
        keywords=["秸秆", "可降解地膜", "白色污染"],
        agency="agency_dq",
        reviewer="agency_dq",
        age_days=12,
    ),
    DemoListing(
        "seller_hit",
        ["冰雪装备智能温控系统"],
        "冰雪装备智能温控系统",
        "Smart temperature control for ice and snow equipment",
        "造雪机与压雪车在零下 30 ℃ 启动困难，能耗高。",
        "低温启动时间从 25 分钟缩短到 6 分钟，能耗降低 18%。",
        [
            lic(
                "sole",
                field_of_use="冰雪装备制造",
                territory="黑龙江省",
                months=36,
                upfront=60 * WAN,
                royalty=400,
            )
        ],
        price_fen=120 * WAN,
        keywords=["冰雪装备", "温控", "造雪机"],
        agency="agency_hrb",
        age_days=9,
    ),
    DemoListing(
        "seller_dqpi",
        ["油田采出水处理技术"],
        "油田采出水高效处理回注技术",
        None,
        "高含水期油田采出水含油量高，回注水质不达标导致地层堵塞。",
        "处理后含油量低于 5 mg/L（现有工艺 15 mg/L），药剂成本下降 22%。",
        [
            lic(
                field_of_use="油田采出水处理",
                territory="新疆、陕西",
                months=60,
                upfront=150 * WAN,
                royalty=200,
            )
        ],
        price_fen=None,
        keywords=["采出水", "回注", "油田"],
        agency="agency_dq",
        reviewer="agency_dq",
        age_days=30,
    ),
    DemoListing(
        "seller_hit",
        ["冰城智慧供热调度平台V2.0"],
        "冰城智慧供热调度平台",
        "Smart district-heating dispatch platform",
        "Heating companies dispatch by experience; buildings are overheated while others are cold.",
        "Saves 12 % of heat per season in a 3-million-square-metre network in Harbin.",
        [lic(months=24, upfront=30 * WAN), transfer(400 * WAN)],
        price_fen=400 * WAN,
        abstract_en="Load forecasting and valve optimisation for district heating; runs in Harbin since 2023.",
        abstract_zh="基于负荷预测与阀门优化的供热调度软件，已在哈尔滨运行两个采暖季。",
        keywords=["智慧供热", "digital twin", "供热调度"],
        age_days=7,
    ),
    DemoListing(
        "seller_qqhru",
        ["寒地作物病虫害识别系统V1.0"],
        "寒地作物病虫害智能识别系统",
        None,
        "基层农技人员少，病虫害识别不及时造成减产。",
        "识别准确率 94.6%，比人工普查快 20 倍，覆盖 38 种常见病虫害。",
        [lic(months=12, upfront=8 * WAN)],
        price_fen=8 * WAN,
        keywords=["病虫害", "图像识别", "人工智能"],
        age_days=15,
    ),
    DemoListing(
        "seller_dqpi",
        ["稠油降粘剂配方及生产工艺"],
        "稠油降粘剂配方及生产工艺",
        "Viscosity reducer for heavy oil",
        "稠油开采需蒸汽吞吐，能耗高、成本高。",
        "降粘率 98.5%，吨油开采成本降低 120 元。",
        [
            lic(
                "exclusive",
                field_of_use="稠油开采",
                territory="大庆油田",
                months=60,
                upfront=500 * WAN,
                royalty=150,
            )
        ],
        price_fen=None,
        keywords=["稠油", "降粘剂", "化工"],
        agency="agency_dq",
        reviewer="agency_dq",
        age_days=40,
    ),
    DemoListing(
        "seller_haas",
        ["寒地早熟高产大豆新品种“黑农豆88”"],
        "寒地早熟高产大豆新品种黑农豆88",
        "Early-maturing high-yield soybean variety Heinongdou 88",
        "第四积温带缺少早熟高产大豆品种。",
        "亩产 230 公斤，比对照品种增产 11.8%，生育期 110 天。",
        [
            lic(
                field_of_use="种子生产经营",
                territory="黑龙江省第四、五积温带",
                months=60,
                upfront=100 * WAN,
                royalty=500,
            )
        ],
        price_fen=None,
        keywords=["大豆", "品种", "早熟"],
        agency="agency_hrb",
        age_days=2,
    ),
    DemoListing(
        "seller_hit",
        ["航空发动机叶片激光熔覆修复方法"],
        "航空发动机叶片激光熔覆修复",
        "Laser cladding repair of aero-engine blades",
        "Worn turbine blades are scrapped; new blades are imported and costly.",
        "Repair costs 35 % of a new blade; fatigue life 96 % of a new blade in bench tests.",
        [equity(2000 * WAN, 2000, "哈尔滨北方航修科技有限公司（筹）")],
        price_fen=2000 * WAN,
        keywords=["航空发动机", "激光熔覆", "叶片修复"],
        agency="agency_hrb",
        age_days=18,
    ),
    DemoListing(
        "seller_qqhru",
        ["重型数控机床热误差补偿方法"],
        "重型数控机床热误差实时补偿技术",
        None,
        "重型机床连续加工时热变形导致精度下降。",
        "加工精度从 0.05 mm 提高到 0.012 mm，热机时间减少 70%。",
        [
            lic(
                "exclusive",
                field_of_use="重型数控机床",
                territory="东北三省",
                months=48,
                upfront=200 * WAN,
                royalty=300,
            )
        ],
        price_fen=None,
        keywords=["数控机床", "热误差", "高端装备"],
        age_days=25,
    ),
    DemoListing(
        "seller_neau",
        ["蓝莓花青素高效提取工艺"],
        "蓝莓花青素高效提取工艺",
        "Efficient extraction of blueberry anthocyanins",
        "大兴安岭野生蓝莓深加工以果汁为主，附加值低。",
        "花青素得率 2.8%，比乙醇浸提法高 40%，纯度达 25%。",
        [lic(field_of_use="保健食品", territory="中国大陆", months=60, upfront=40 * WAN, royalty=300)],
        price_fen=90 * WAN,
        keywords=["蓝莓", "花青素", "提取"],
        agency="agency_hrb",
        age_days=11,
    ),
    DemoListing(
        "seller_haas",
        ["寒地黑土保护性耕作技术体系"],
        "寒地黑土保护性耕作技术体系",
        "Conservation tillage for black soil in cold regions",
        "黑土层变薄，风蚀水蚀严重。",
        "连续 5 年应用后耕层有机质提高 0.3 个百分点，亩均节本 45 元。",
        [lic(months=36, upfront=20 * WAN), equity(800 * WAN, 1500, "黑龙江黑土农业服务有限公司")],
        price_fen=None,
        keywords=["黑土地", "保护性耕作", "农机"],
        age_days=6,
    ),
    DemoListing(
        "seller_hit",
        ["低功耗北斗导航射频芯片布图设计"],
        None,
        "Low-power BeiDou navigation RF chip layout",
        "Imported GNSS RF front-ends drain batteries in agricultural sensors.",
        "Power draw 9 mW vs. 22 mW for the usual imported front-end; cold start at -40 °C.",
        [transfer(500 * WAN)],
        price_fen=500 * WAN,
        abstract_en="A BeiDou B1I/B1C RF front-end layout in 55 nm CMOS for agricultural and cold-region sensors.",
        keywords=["BeiDou", "RF chip", "北斗"],
        age_days=4,
    ),
    DemoListing(
        "seller_dqpi",
        ["二氧化碳驱油井筒防腐装置"],
        "二氧化碳驱油井筒防腐装置",
        None,
        "CO₂ 驱油井筒腐蚀严重，修井频繁。",
        "井筒腐蚀速率从 0.8 mm/a 降到 0.07 mm/a，修井周期延长 3 倍。",
        [transfer(150 * WAN), lic(months=36, upfront=30 * WAN)],
        price_fen=150 * WAN,
        keywords=["二氧化碳驱油", "防腐", "CCUS"],
        agency="agency_dq",
        reviewer="agency_dq",
        age_days=22,
    ),
    DemoListing(
        "seller_mdjmi",
        ["石墨烯导热膜叠层结构"],
        "石墨烯导热膜叠层结构",
        "Laminated graphene thermal film",
        "Phones and 5G base stations overheat; copper foil is heavy.",
        "In-plane thermal conductivity 1,500 W/(m·K), 4 times copper foil, at 1/5 of the weight.",
        [lic(months=36, upfront=60 * WAN, royalty=200)],
        price_fen=None,
        keywords=["石墨烯", "导热膜", "graphene"],
        age_days=8,
    ),
    DemoListing(
        "seller_dqpi",
        ["油田采出水处理技术", "二氧化碳驱油井筒防腐装置"],
        "油田绿色开采技术包（采出水处理＋井筒防腐）",
        "Green oilfield technology bundle",
        "老油田同时面临采出水处理与井筒腐蚀两大难题。",
        "两项技术组合应用，吨油综合成本降低 38 元，回注达标率 99%。",
        [lic(field_of_use="油田开发", territory="中国大陆", months=60, upfront=250 * WAN, royalty=200)],
        price_fen=None,
        keywords=["油田", "技术包", "绿色开采"],
        agency="agency_dq",
        reviewer="agency_dq",
        age_days=1,
    ),
    # -- other states ---------------------------------------------------------
    DemoListing(
        "seller_hit",
        ["冰雪装备智能温控系统"],
        None,
        "Ice and snow equipment temperature control (equity)",
        "",
        "",
        [equity(600 * WAN, 1200, "黑河冰雪科技有限公司")],
        state="draft",
    ),
    DemoListing(
        "seller_qqhru",
        ["寒地作物病虫害识别系统V1.0"],
        "寒地作物病虫害识别系统著作权转让",
        None,
        "",
        "",
        [transfer(60 * WAN)],
        price_fen=60 * WAN,
        state="draft",
    ),
    DemoListing(
        "seller_mdjmi",
        ["石墨烯导热膜叠层结构"],
        "石墨烯导热膜作价入股",
        None,
        "手机散热",
        "导热系数 1500 W/(m·K)",
        [equity(900 * WAN, 2500, "牡丹江烯材科技有限公司（筹）")],
        state="draft",
    ),
    DemoListing(
        "seller_haas",
        ["寒地早熟高产大豆新品种“黑农豆88”"],
        "黑农豆88 吉林省排他许可",
        None,
        "吉林东部缺少早熟大豆品种。",
        "在吉林延边试种亩产 215 公斤，比当地品种高 9%。",
        [lic("sole", field_of_use="种子生产经营", territory="吉林省", months=48, upfront=60 * WAN)],
        agency="agency_hrb",
        state="submitted",
    ),
    DemoListing(
        "seller_dqpi",
        ["稠油降粘剂配方及生产工艺"],
        "稠油降粘剂新疆地区普通许可",
        None,
        "新疆稠油区块开采成本高。",
        "降粘率 98%，比蒸汽吞吐节能 60%。",
        [lic(field_of_use="稠油开采", territory="新疆维吾尔自治区", months=36, upfront=120 * WAN)],
        agency="agency_dq",
        state="submitted",
    ),
    DemoListing(
        "seller_neau",
        ["玉米秸秆生物降解地膜"],
        "玉米秸秆降解地膜普通许可",
        "Corn-straw biodegradable mulch film licence",
        "地膜残留污染。",
        "90 天降解率 80% 以上。",
        [lic(months=36, upfront=30 * WAN)],
        state="submitted",
    ),
    DemoListing(
        "seller_hit",
        ["冰城智慧供热调度平台V2.0"],
        "智慧供热平台作价入股",
        None,
        "供热企业数字化转型。",
        "节能 12%。",
        [equity(1200 * WAN, 3000, "哈尔滨冰城热力科技有限公司")],
        agency="agency_hrb",
        state="returned",
        note="估值 1200 万元缺少评估报告，请补充资产评估机构出具的评估报告后再提交。",
    ),
    DemoListing(
        "seller_jixi",
        ["石墨烯负极材料制备方法"],
        "石墨烯负极储能领域普通许可",
        "Non-exclusive licence of graphene anodes for energy storage",
        "储能电池循环寿命不足。",
        "循环 3000 次容量保持率 90%。",
        [lic(field_of_use="储能电池", territory="中国大陆", months=60, upfront=500 * WAN)],
        agency="agency_hrb",
        state="returned",
        # A pledged patent cannot be licensed exclusively (ip.deals); a licence needs the pledgee's consent.
        note="该专利已质押，许可须经质权人同意，请补充质权人同意函后再提交。",
    ),
    DemoListing(
        "seller_neau",
        ["寒地大豆高蛋白品种选育方法"],
        "寒地高蛋白大豆育种技术转让（已撤回）",
        None,
        "寒地大豆蛋白含量低。",
        "蛋白含量 43%。",
        [lic(field_of_use="育种研究", territory="辽宁省", months=24, upfront=20 * WAN)],
        agency="agency_hrb",
        state="withdrawn",
        age_days=60,
    ),
    DemoListing(
        "seller_qqhru",
        ["重型数控机床热误差补偿方法"],
        "数控机床热误差补偿软件许可",
        None,
        "机床热变形。",
        "精度提高 4 倍。",
        [lic(months=12, upfront=10 * WAN)],
        state="withdrawn",
    ),
    DemoListing(
        "seller_haas",
        ["寒地黑土保护性耕作技术体系"],
        "黑土保护性耕作技术绥化示范区许可",
        None,
        "绥化黑土退化。",
        "有机质年均提高 0.06 个百分点。",
        [lic(field_of_use="农业技术服务", territory="绥化市", months=36, upfront=15 * WAN)],
        agency="agency_hrb",
        state="closed",
        note="技术许可合同已签订并登记（2025230100000123）。",
        age_days=90,
    ),
    DemoListing(
        "seller_dqpi",
        ["油田采出水处理技术"],
        "油田采出水处理技术大庆区块许可",
        None,
        "大庆老区采出水处理。",
        "含油量低于 5 mg/L。",
        [lic(field_of_use="油田采出水处理", territory="大庆市", months=60, upfront=200 * WAN)],
        agency="agency_dq",
        reviewer="agency_dq",
        state="closed",
        note="技术许可合同已签订（2024230600000045）。",
        age_days=200,
    ),
]


@dataclass
class DemoDemand:
    buyer: str
    title: str
    description: str
    industry: str
    budget_fen: int | None
    deadline_days: int | None
    state: str = "open"


DEMANDS = [
    DemoDemand(
        "buyer_suihua",
        "寻求大豆深加工提取工艺",
        "希望提高大豆分离蛋白提取率，减少废水排放，年处理豆粕 2 万吨。",
        "agri_processing",
        300 * WAN,
        120,
    ),
    DemoDemand(
        "buyer_heihe",
        "求购寒地农机智能控制技术",
        "拖拉机与播种机在零下 30 ℃ 下的自动驾驶与作业控制，需适应黑土地保护性耕作。",
        "agri_machinery",
        200 * WAN,
        90,
    ),
    DemoDemand(
        "buyer_shenzhen",
        "Graphene anode supplier",
        "We need a graphene anode material for fast-charging lithium-ion battery cells, 200 tonnes a year.",
        "new_materials",
        None,
        60,
    ),
    DemoDemand(
        "buyer_beidahuang",
        "寻求寒地高蛋白大豆新品种",
        "第四积温带早熟高蛋白大豆品种，蛋白含量 42% 以上。",
        "biology",
        150 * WAN,
        180,
    ),
    DemoDemand(
        "buyer_yichun",
        "蓝莓深加工花青素提取技术",
        "伊春野生蓝莓鲜果深加工，提取花青素用于保健食品。",
        "agri_processing",
        80 * WAN,
        150,
    ),
    DemoDemand(
        "buyer_qizhong",
        "重型机床精度保持技术",
        "大型龙门铣床连续加工精度下降，需要热误差补偿方案。",
        "high_end_equipment",
        400 * WAN,
        100,
    ),
    DemoDemand(
        "buyer_digital",
        "供热系统数字化调度软件",
        "为 500 万平方米供热面积建设智慧调度平台。",
        "digital",
        250 * WAN,
        75,
    ),
    DemoDemand(
        "buyer_heihe",
        "造雪机低温启动改造",
        "现有造雪机在零下 25 ℃ 以下启动困难，求温控改造技术。",
        "ice_snow",
        50 * WAN,
        45,
    ),
    DemoDemand(
        "buyer_shenzhen",
        "Low-power GNSS chip for farm sensors",
        "BeiDou-capable RF front-end under 10 mW for soil sensors in cold regions.",
        "digital",
        600 * WAN,
        200,
    ),
    DemoDemand(
        "buyer_suihua",
        "秸秆综合利用技术",
        "玉米秸秆制备可降解材料，年消纳秸秆 5 万吨。",
        "new_materials",
        100 * WAN,
        30,
    ),
    DemoDemand(
        "buyer_beidahuang",
        "Drone-based crop disease detection",
        "Image recognition of soybean and corn diseases from drone flights.",
        "digital",
        None,
        None,
    ),
    DemoDemand(
        "buyer_qizhong",
        "数控系统国产化替代",
        "五轴联动数控系统国产化，已找到合作方。",
        "high_end_equipment",
        800 * WAN,
        None,
        state="closed",
    ),
]


def _asset(title: str) -> IpAsset:
    asset = db.session.scalar(select(IpAsset).where(IpAsset.title_zh == title))
    if asset is None:
        raise LookupError(f"demo asset missing: {title}")
    return asset


def _exists_listing(org_id: int, item: DemoListing) -> bool:
    stmt = select(Listing.id).where(Listing.org_id == org_id)
    if item.title_zh:
        stmt = stmt.where(Listing.title_zh == item.title_zh)
    else:
        stmt = stmt.where(Listing.title_en == item.title_en)
    return db.session.scalar(stmt) is not None


def _seed_listing(ctx: DemoContext, item: DemoListing) -> None:
    seller = ctx.user(item.seller)
    listing = services.create_listing(
        ListingData(
            asset_ids=[_asset(title).id for title in item.assets],
            title_zh=item.title_zh,
            title_en=item.title_en,
            abstract_zh=item.abstract_zh,
            abstract_en=item.abstract_en,
            keywords=item.keywords,
            problem=item.problem,
            comparison=item.comparison,
            price_fen=item.price_fen,
            deal_terms=item.terms,
            agency_org_id=ctx.org(item.agency).id if item.agency else None,
        ),
        actor=seller,
    )
    if item.state != "draft":
        # The co-owners of a shared asset consent to its transfer or exclusive licence.
        for org in services.missing_consent_orgs(listing):
            co_seller = next(iter(services.consent_sellers([org.id])), None)
            if co_seller is None:
                raise LookupError(f"demo co-owner without a seller: {org.name}")
            services.give_consent(listing, actor=co_seller)
    if item.state == "draft":
        return
    if item.state == "withdrawn" and item.age_days == 0:
        services.withdraw_listing(listing, actor=seller)
        return
    services.submit_listing(listing, actor=seller)
    if item.state == "submitted":
        return
    reviewer = ctx.user(item.reviewer)
    if item.state == "returned":
        services.return_listing(listing, reason=item.note or "", actor=reviewer)
        return
    services.publish_listing(listing, actor=reviewer)
    listing.published_at = utcnow() - timedelta(days=item.age_days)
    if item.state == "withdrawn":
        services.withdraw_listing(listing, actor=seller)
    elif item.state == "closed":
        services.close_listing(listing, reason=item.note or "", actor=ctx.user("admin"))


def seed(ctx: DemoContext) -> None:
    from ..search.outbox import drain

    created = 0
    for item in LISTINGS:
        if _exists_listing(ctx.user(item.seller).organization_id, item):
            continue
        _seed_listing(ctx, item)
        created += 1
    db.session.flush()
    # Bring the index up to date before demands look for matches in it. The
    # drain commits, like the seed command does at its end.
    drain()
    demands = 0
    for item in DEMANDS:
        buyer = ctx.user(item.buyer)
        if db.session.scalar(
            select(Demand.id).where(Demand.org_id == buyer.organization_id, Demand.title == item.title)
        ):
            continue
        deadline = today_shanghai() + timedelta(days=item.deadline_days) if item.deadline_days else None
        demand = services.create_demand(
            DemandData(item.title, item.description, item.industry, item.budget_fen, deadline), actor=buyer
        )
        if item.state == "closed":
            services.close_demand(demand, actor=buyer)
        demands += 1
    ctx.echo(f"listings: {created} listings and {demands} demands created; search index up to date")
