"""Deterministic generator of realistic listings for search tests and benchmarks.

``generate(n, seed=...)`` yields :class:`~marketplace.search.backend.ListingDoc`
objects with mixed Chinese/English titles and abstracts about the industries of
Heilongjiang's action plan, every facet value, Heilongjiang region codes and
prices (about one in five negotiable). The same ``n`` and ``seed`` always give
the same documents.

Run ``python -m bench.gen_listings --n 5`` to print a few samples.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from marketplace.search.backend import ListingDoc

INDUSTRIES: tuple[str, ...] = (
    "digital",
    "biology",
    "ice_snow",
    "creative_design",
    "aerospace",
    "new_materials",
    "high_end_equipment",
    "agri_machinery",
    "energy",
    "chemical",
    "agri_processing",
    "automobile",
    "light_industry",
    "other",
)
DEAL_KINDS: tuple[str, ...] = ("license", "transfer", "equity")
IP_KINDS: tuple[str, ...] = (
    "invention_patent",
    "utility_model",
    "design_patent",
    "software_copyright",
    "ic_layout",
    "plant_variety",
    "technical_secret",
    "achievement",
)
SOURCE_KINDS: tuple[str, ...] = ("university", "research_institute", "enterprise", "other")
REGIONS: tuple[str, ...] = (
    "230100",
    "230200",
    "230300",
    "230400",
    "230500",
    "230600",
    "230700",
    "230800",
    "230900",
    "231000",
    "231100",
    "231200",
    "232700",
)
MATURITIES: tuple[str, ...] = ("lab", "pilot", "small_batch", "mass_production")

#: Harbin and Daqing dominate, as in the province's real statistics.
_REGION_WEIGHTS = (30, 8, 4, 3, 3, 12, 3, 6, 2, 7, 3, 5, 2)
_SOURCE_WEIGHTS = (45, 25, 25, 5)
_IP_WEIGHTS = (40, 18, 5, 12, 3, 5, 7, 10)


class Topic(NamedTuple):
    """One technology theme: Chinese and English names plus keywords."""

    zh: str
    en: str
    kw_zh: tuple[str, ...]
    kw_en: tuple[str, ...]


TOPICS: dict[str, tuple[Topic, ...]] = {
    "digital": (
        Topic(
            "工业互联网平台",
            "industrial internet platform",
            ("工业互联网", "边缘计算"),
            ("IIoT", "edge computing"),
        ),
        Topic(
            "农业大数据分析系统",
            "agricultural big data analytics",
            ("大数据", "精准农业"),
            ("big data", "precision farming"),
        ),
        Topic(
            "智能客服语音识别",
            "speech recognition for customer service",
            ("语音识别", "人工智能"),
            ("speech recognition", "AI"),
        ),
        Topic(
            "区块链溯源平台",
            "blockchain traceability platform",
            ("区块链", "溯源"),
            ("blockchain", "traceability"),
        ),
        Topic(
            "遥感影像智能解译",
            "remote sensing image interpretation",
            ("遥感", "深度学习"),
            ("remote sensing", "deep learning"),
        ),
    ),
    "biology": (
        Topic(
            "寒地作物抗寒基因",
            "cold-tolerance genes for cold-region crops",
            ("寒地作物", "基因编辑"),
            ("cold tolerance", "gene editing"),
        ),
        Topic(
            "微生物菌剂发酵",
            "microbial inoculant fermentation",
            ("微生物", "发酵"),
            ("microbial", "fermentation"),
        ),
        Topic("疫苗佐剂制备", "vaccine adjuvant preparation", ("疫苗", "佐剂"), ("vaccine", "adjuvant")),
        Topic(
            "中药材有效成分提取",
            "extraction of active ingredients from herbal medicine",
            ("中药材", "提取"),
            ("herbal medicine", "extraction"),
        ),
        Topic("寒地水稻新品种", "new rice variety for cold regions", ("水稻", "育种"), ("rice", "breeding")),
    ),
    "ice_snow": (
        Topic(
            "冰雪装备智能造雪机",
            "smart snowmaking machine",
            ("冰雪装备", "造雪"),
            ("snowmaking", "ice and snow equipment"),
        ),
        Topic("滑雪板复合材料", "composite materials for skis", ("滑雪板", "复合材料"), ("ski", "composite")),
        Topic(
            "冰雪旅游数字化服务",
            "digital services for ice and snow tourism",
            ("冰雪旅游", "数字化"),
            ("winter tourism", "digital"),
        ),
        Topic(
            "低温防护服装面料",
            "fabric for low-temperature protective clothing",
            ("防寒", "面料"),
            ("cold protection", "fabric"),
        ),
    ),
    "creative_design": (
        Topic(
            "文创产品三维设计",
            "3D design of cultural creative products",
            ("文创", "三维设计"),
            ("cultural products", "3D design"),
        ),
        Topic(
            "工业设计人机交互",
            "human-machine interaction industrial design",
            ("工业设计", "人机交互"),
            ("industrial design", "HMI"),
        ),
        Topic(
            "冰雕灯光艺术系统",
            "lighting art system for ice sculptures",
            ("冰雕", "灯光"),
            ("ice sculpture", "lighting"),
        ),
    ),
    "aerospace": (
        Topic(
            "航空发动机叶片涂层",
            "aero-engine blade coating",
            ("航空发动机", "涂层"),
            ("aero-engine", "coating"),
        ),
        Topic(
            "小卫星姿态控制",
            "small satellite attitude control",
            ("卫星", "姿态控制"),
            ("satellite", "attitude control"),
        ),
        Topic("无人机自主导航", "autonomous UAV navigation", ("无人机", "导航"), ("UAV", "navigation")),
        Topic(
            "航天器热防护材料",
            "thermal protection materials for spacecraft",
            ("热防护", "航天器"),
            ("thermal protection", "spacecraft"),
        ),
    ),
    "new_materials": (
        Topic(
            "石墨烯负极材料",
            "graphene anode material",
            ("石墨烯", "负极材料", "锂电池"),
            ("graphene", "anode", "lithium battery"),
        ),
        Topic(
            "石墨提纯技术",
            "high-purity graphite purification",
            ("石墨", "提纯"),
            ("graphite", "purification"),
        ),
        Topic(
            "碳纤维复合材料", "carbon fiber composite", ("碳纤维", "复合材料"), ("carbon fiber", "composite")
        ),
        Topic("高性能陶瓷涂层", "high-performance ceramic coating", ("陶瓷", "涂层"), ("ceramic", "coating")),
        Topic(
            "可降解生物塑料",
            "biodegradable bioplastic",
            ("可降解", "生物塑料"),
            ("biodegradable", "bioplastic"),
        ),
    ),
    "high_end_equipment": (
        Topic(
            "工业机器人减速器",
            "industrial robot reducer",
            ("工业机器人", "减速器"),
            ("industrial robot", "reducer"),
        ),
        Topic(
            "焊接机器人视觉引导",
            "vision-guided welding robot",
            ("焊接机器人", "机器视觉"),
            ("welding robot", "machine vision"),
        ),
        Topic(
            "数控机床精度补偿",
            "CNC machine tool accuracy compensation",
            ("数控机床", "精度"),
            ("CNC", "accuracy"),
        ),
        Topic(
            "重型燃气轮机密封",
            "heavy-duty gas turbine sealing",
            ("燃气轮机", "密封"),
            ("gas turbine", "sealing"),
        ),
    ),
    "agri_machinery": (
        Topic("大豆精量播种机", "precision soybean seeder", ("大豆", "播种机"), ("soybean", "seeder")),
        Topic("玉米联合收获机", "corn combine harvester", ("玉米", "收获机"), ("corn", "harvester")),
        Topic(
            "农机自动驾驶系统",
            "autonomous driving system for farm machinery",
            ("农机", "自动驾驶"),
            ("farm machinery", "autonomous"),
        ),
        Topic("秸秆打捆机", "straw baler", ("秸秆", "打捆"), ("straw", "baler")),
    ),
    "energy": (
        Topic(
            "风电叶片健康监测",
            "wind turbine blade health monitoring",
            ("风电", "监测"),
            ("wind power", "monitoring"),
        ),
        Topic(
            "油田采出水处理",
            "oilfield produced water treatment",
            ("油田", "水处理"),
            ("oilfield", "water treatment"),
        ),
        Topic(
            "寒区光伏储能",
            "photovoltaic storage for cold regions",
            ("光伏", "储能"),
            ("photovoltaic", "energy storage"),
        ),
        Topic("生物质成型燃料", "biomass pellet fuel", ("生物质", "燃料"), ("biomass", "fuel")),
        Topic(
            "氢燃料电池低温启动",
            "cold start of hydrogen fuel cells",
            ("氢能", "燃料电池"),
            ("hydrogen", "fuel cell"),
        ),
    ),
    "chemical": (
        Topic(
            "石油化工催化剂", "petrochemical catalyst", ("催化剂", "石油化工"), ("catalyst", "petrochemical")
        ),
        Topic(
            "精细化工绿色合成",
            "green synthesis of fine chemicals",
            ("精细化工", "绿色合成"),
            ("fine chemicals", "green synthesis"),
        ),
        Topic("高分子材料改性", "polymer modification", ("高分子", "改性"), ("polymer", "modification")),
        Topic(
            "废水零排放工艺",
            "zero liquid discharge process",
            ("废水", "零排放"),
            ("wastewater", "zero discharge"),
        ),
    ),
    "agri_processing": (
        Topic(
            "大豆蛋白提取",
            "soybean protein extraction",
            ("大豆蛋白", "大豆", "提取"),
            ("soy protein", "soybean", "extraction"),
        ),
        Topic(
            "玉米深加工",
            "deep processing of corn",
            ("玉米", "深加工", "淀粉"),
            ("corn", "starch", "deep processing"),
        ),
        Topic(
            "乳制品低温杀菌",
            "low-temperature pasteurization of dairy",
            ("乳制品", "杀菌"),
            ("dairy", "pasteurization"),
        ),
        Topic(
            "大米副产物综合利用",
            "utilization of rice by-products",
            ("大米", "副产物"),
            ("rice", "by-product"),
        ),
        Topic(
            "黑木耳精深加工", "black fungus processing", ("黑木耳", "加工"), ("black fungus", "processing")
        ),
        Topic("马铃薯全粉加工", "potato flour processing", ("马铃薯", "全粉"), ("potato", "flour")),
    ),
    "automobile": (
        Topic(
            "新能源汽车电池热管理",
            "battery thermal management for EVs",
            ("新能源汽车", "热管理"),
            ("EV", "thermal management"),
        ),
        Topic(
            "汽车轻量化铝合金",
            "lightweight aluminium alloy for vehicles",
            ("轻量化", "铝合金"),
            ("lightweight", "aluminium"),
        ),
        Topic(
            "寒区汽车冷启动",
            "cold start of vehicles in cold regions",
            ("冷启动", "汽车"),
            ("cold start", "vehicle"),
        ),
        Topic(
            "智能网联车载终端",
            "connected vehicle terminal",
            ("智能网联", "车载"),
            ("connected vehicle", "telematics"),
        ),
    ),
    "light_industry": (
        Topic("亚麻纺织工艺", "linen textile process", ("亚麻", "纺织"), ("linen", "textile")),
        Topic(
            "木制家具环保涂装",
            "eco-friendly coating for wooden furniture",
            ("家具", "涂装"),
            ("furniture", "coating"),
        ),
        Topic("纸浆生物漂白", "biological pulp bleaching", ("纸浆", "漂白"), ("pulp", "bleaching")),
    ),
    "other": (
        Topic(
            "环境监测传感器",
            "environmental monitoring sensor",
            ("环境监测", "传感器"),
            ("environmental monitoring", "sensor"),
        ),
        Topic(
            "黑土地保护性耕作",
            "conservation tillage for black soil",
            ("黑土地", "保护性耕作"),
            ("black soil", "conservation tillage"),
        ),
        Topic(
            "医疗康复辅具",
            "medical rehabilitation aids",
            ("康复", "辅具"),
            ("rehabilitation", "assistive device"),
        ),
    ),
}

_ZH_SUFFIX = ("技术", "关键技术", "方法及装置", "工艺", "系统", "成套技术", "新工艺")
_EN_PREFIX = ("Method for", "System for", "Key technology of", "Process of", "Device for", "Novel")
_ZH_ABSTRACT = (
    "本成果涉及{t}，解决了{p}的问题，与现有最佳方案相比{m}提高{a}%，成本降低{b}%。",
    "针对黑龙江{r}企业在{t}方面的需求，研发团队经过{y}年攻关，形成{n}项专利，{m}达到国内领先水平。",
    "该技术采用{k}方法，实现了{t}的规模化应用，已在{c}家企业中试验证，能耗下降{b}%。",
    "项目围绕{t}开展研究，{m}提升{a}%，适用于寒地环境，可在零下{d}摄氏度稳定运行。",
)
_EN_ABSTRACT = (
    "This technology concerns {t}. Compared with the best current solution it improves {m} by {a}% and lowers cost by {b}%.",
    "A {k} approach to {t}, validated in pilot production at {c} companies in Heilongjiang.",
    "The team developed {t} over {y} years; it works reliably at minus {d} degrees Celsius.",
)
_METRICS_ZH = ("效率", "收率", "精度", "产能", "良品率", "使用寿命")
_METRICS_EN = ("efficiency", "yield", "accuracy", "throughput", "quality rate", "service life")
_PROBLEMS = (
    "生产效率低",
    "能耗高",
    "产品附加值低",
    "低温环境下性能下降",
    "依赖进口",
    "环境污染严重",
    "人工成本高",
    "质量稳定性差",
)
_CITIES = ("哈尔滨", "齐齐哈尔", "大庆", "牡丹江", "佳木斯", "绥化", "黑河")
_PRICE_STEPS_FEN = (
    500_000,
    2_000_000,
    5_000_000,
    8_000_000,
    15_000_000,
    30_000_000,
    50_000_000,
    80_000_000,
    150_000_000,
    300_000_000,
    800_000_000,
    2_000_000_000,
)
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


def _make_doc(rng: random.Random, doc_id: int) -> ListingDoc:
    industry = rng.choice(INDUSTRIES)
    topic = rng.choice(TOPICS[industry])
    lang = rng.random()  # < 0.15 Chinese only, > 0.9 English only, else both
    has_zh, has_en = lang < 0.9, lang >= 0.15

    title_zh = abstract_zh = title_en = abstract_en = ""
    fill = {
        "t": topic.zh,
        "p": rng.choice(_PROBLEMS),
        "m": rng.choice(_METRICS_ZH),
        "a": rng.randint(5, 80),
        "b": rng.randint(5, 60),
        "r": rng.choice(_CITIES),
        "y": rng.randint(2, 12),
        "n": rng.randint(1, 15),
        "c": rng.randint(2, 30),
        "d": rng.randint(25, 45),
        "k": rng.choice(topic.kw_zh),
    }
    if has_zh:
        title_zh = topic.zh + rng.choice(_ZH_SUFFIX)
        abstract_zh = "".join(tpl.format(**fill) for tpl in rng.sample(_ZH_ABSTRACT, rng.randint(1, 3)))
    if has_en:
        title_en = f"{rng.choice(_EN_PREFIX)} {topic.en}"
        fill_en = dict(fill, t=topic.en, m=rng.choice(_METRICS_EN), k=rng.choice(topic.kw_en))
        abstract_en = " ".join(tpl.format(**fill_en) for tpl in rng.sample(_EN_ABSTRACT, rng.randint(1, 2)))
    keywords = list(topic.kw_zh if has_zh else ()) + list(topic.kw_en if has_en else ())

    n_deals = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
    n_ip = rng.choices((1, 2), weights=(80, 20))[0]
    price = None if rng.random() < 0.2 else rng.choice(_PRICE_STEPS_FEN) * rng.randint(1, 3)
    published = _EPOCH + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400))
    return ListingDoc(
        id=doc_id,
        title_zh=title_zh,
        title_en=title_en,
        abstract_zh=abstract_zh,
        abstract_en=abstract_en,
        keywords=keywords,
        problem=fill["p"] if has_zh else "",
        industry=industry,
        deal_kinds=sorted(rng.sample(DEAL_KINDS, n_deals)),
        ip_kinds=sorted(rng.choices(IP_KINDS, weights=_IP_WEIGHTS, k=n_ip)),
        source_kind=rng.choices(SOURCE_KINDS, weights=_SOURCE_WEIGHTS)[0],
        region=rng.choices(REGIONS, weights=_REGION_WEIGHTS)[0],
        maturity=rng.choice(MATURITIES),
        price_fen=price,
        published_at=published,
    )


def generate(n: int, seed: int = 20251125, start_id: int = 1) -> Iterator[ListingDoc]:
    """Yield ``n`` listings with ids ``start_id .. start_id + n - 1``."""
    rng = random.Random(seed)
    for i in range(n):
        yield _make_doc(rng, start_id + i)


def main() -> None:
    """Print a few generated listings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20251125)
    args = parser.parse_args()
    for doc in generate(args.n, args.seed):
        print(doc)


if __name__ == "__main__":
    main()
