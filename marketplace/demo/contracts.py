"""Demo data of the contracts domain: about forty technology contracts between the
demo organizations, in every state, many registered over 2022-2026 through the
real services (so each registration, amendment and cancellation is in the ledger).

Idempotent: each contract carries `source_ref = "demo:<key>"` and is skipped
when it exists.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..contracts import services
from ..contracts.models import Contract
from ..core.timeutil import SHANGHAI, today_shanghai
from ..extensions import db
from .context import DemoContext

WAN = 10_000 * 100  # fen in 1 万元

# Seller organization -> the demo user who acts for it.
SELLER_USERS = {
    "hit": "seller_hit",
    "neau": "seller_neau",
    "qqhru": "seller_qqhru",
    "haas": "seller_haas",
    "dqpi": "seller_dqpi",
    "mdjmi": "seller_mdjmi",
    "jixi_graphite": "seller_jixi",
    "jmsu": None,  # no account yet: its contracts wait for confirmation
}
BUYER_USERS = {
    "beidahuang": "buyer_beidahuang",
    "qizhong": "buyer_qizhong",
    "suihua_soy": "buyer_suihua",
    "heihe_ice": "buyer_heihe",
    "harbin_digital": "buyer_digital",
    "yichun_forest": "buyer_yichun",
    "shenzhen_buyer": "buyer_shenzhen",
}
# The registration authority of each seller's city (others: the province).
AUTHORITY = {"230100": "regulator_harbin", "230600": "regulator_daqing"}

# key, seller, buyer, agency, title, category, industry, turnover 万元, income 万元, state, date, extra
# state: draft / awaiting / signing / signed / submitted / returned / registered / amended /
#        amendment_pending / cancellation_pending / cancelled;
# date: the registration day (or submission day for submitted/returned; None: recent).
CONTRACTS = [
    (
        "c01",
        "neau",
        "beidahuang",
        "agency_hrb",
        "寒地大豆高蛋白品种选育技术转让合同",
        "transfer_other",
        "biology",
        680,
        680,
        "registered",
        "2022-03-15",
        {},
    ),
    (
        "c02",
        "jixi_graphite",
        "qizhong",
        None,
        "石墨烯负极材料专利实施许可合同",
        "license_patent",
        "new_materials",
        1200,
        1050,
        "registered",
        "2022-05-20",
        {},
    ),
    (
        "c03",
        "hit",
        "harbin_digital",
        None,
        "工业视觉缺陷检测软件著作权转让合同",
        "transfer_other",
        "digital",
        260,
        260,
        "registered",
        "2022-07-08",
        {},
    ),
    (
        "c04",
        "dqpi",
        "qizhong",
        "agency_dq",
        "稠油降黏催化剂技术秘密转让合同",
        "transfer_technical_secret",
        "chemical",
        2300,
        1800,
        "registered",
        "2022-09-13",
        {},
    ),
    (
        "c05",
        "haas",
        "suihua_soy",
        None,
        "大豆分离蛋白低温提取工艺技术开发合同",
        "development_commissioned",
        "agri_processing",
        150,
        150,
        "registered",
        "2022-11-02",
        {},
    ),
    (
        "c06",
        "mdjmi",
        "heihe_ice",
        None,
        "高寒环境碳纤维滑雪板材料专利权转让合同",
        "transfer_patent",
        "ice_snow",
        420,
        380,
        "cancelled",
        "2022-12-06",
        {"cancel_on": "2024-03-12"},
    ),
    (
        "c07",
        "qqhru",
        "qizhong",
        None,
        "重型数控机床热误差补偿技术服务合同",
        "service",
        "high_end_equipment",
        95,
        95,
        "registered",
        "2023-02-21",
        {},
    ),
    (
        "c08",
        "hit",
        "beidahuang",
        "agency_hrb",
        "玉米籽粒低损收获装备专利实施许可合同",
        "license_patent",
        "agri_machinery",
        560,
        500,
        "amended",
        "2023-04-11",
        {"amend_on": "2024-06-18", "new_turnover": 760, "new_income": 640},
    ),
    (
        "c09",
        "neau",
        "yichun_forest",
        None,
        "蓝莓花青素稳定化加工技术秘密使用许可合同",
        "license_technical_secret",
        "agri_processing",
        80,
        80,
        "registered",
        "2023-05-23",
        {},
    ),
    (
        "c10",
        "dqpi",
        "shenzhen_buyer",
        "agency_dq",
        "油田采出水膜处理技术咨询合同",
        "consulting",
        "energy",
        45,
        45,
        "registered",
        "2023-06-27",
        {},
    ),
    (
        "c11",
        "jixi_graphite",
        "heihe_ice",
        None,
        "石墨烯电加热膜冰雪装备应用技术开发合同",
        "development_cooperative",
        "ice_snow",
        330,
        300,
        "registered",
        "2023-08-15",
        {},
    ),
    (
        "c12",
        "haas",
        "beidahuang",
        "agency_hrb",
        "寒地水稻抗冷品种龙粳系列植物新品种权转让合同",
        "transfer_other",
        "biology",
        5000,
        4600,
        "registered",
        "2023-10-17",
        {},
    ),
    (
        "c13",
        "hit",
        "qizhong",
        None,
        "航空发动机叶片激光冲击强化专利权转让合同",
        "transfer_patent",
        "aerospace",
        1800,
        1650,
        "registered",
        "2023-12-05",
        {},
    ),
    (
        "c14",
        "mdjmi",
        "qizhong",
        None,
        "碳化硅陶瓷轴承材料技术开发合同",
        "development_commissioned",
        "new_materials",
        210,
        190,
        "registered",
        "2024-01-16",
        {},
    ),
    (
        "c15",
        "qqhru",
        "suihua_soy",
        None,
        "大豆蛋白肽生物酶解技术培训合同",
        "service_training",
        "biology",
        12,
        12,
        "registered",
        "2024-03-05",
        {},
    ),
    (
        "c16",
        "neau",
        "beidahuang",
        None,
        "黑土地保护性耕作机具专利实施许可合同",
        "license_patent",
        "agri_machinery",
        390,
        360,
        "amended",
        "2024-04-09",
        {"amend_on": "2025-02-25", "new_turnover": 320, "new_income": 300},
    ),
    (
        "c17",
        "dqpi",
        "harbin_digital",
        "agency_dq",
        "油气管道泄漏智能监测软件著作权转让合同",
        "transfer_other",
        "digital",
        640,
        640,
        "registered",
        "2024-05-21",
        {},
    ),
    (
        "c18",
        "hit",
        "heihe_ice",
        None,
        "寒区冰雪场馆智能制冷系统技术服务合同",
        "service",
        "ice_snow",
        180,
        150,
        "registered",
        "2024-07-02",
        {},
    ),
    (
        "c19",
        "jixi_graphite",
        "shenzhen_buyer",
        "agency_hrb",
        "鳞片石墨高纯化提纯技术秘密转让合同",
        "transfer_technical_secret",
        "new_materials",
        2600,
        2200,
        "registered",
        "2024-08-20",
        {},
    ),
    (
        "c20",
        "haas",
        "yichun_forest",
        None,
        "林下黑木耳菌种选育技术转让合同",
        "transfer_technical_secret",
        "biology",
        60,
        60,
        "cancelled",
        "2024-09-24",
        {"cancel_on": "2025-05-13"},
    ),
    (
        "c21",
        "hit",
        "harbin_digital",
        "agency_hrb",
        "城市冰雪道路数字孪生平台技术开发合同",
        "development_commissioned",
        "digital",
        850,
        800,
        "registered",
        "2024-11-12",
        {},
    ),
    (
        "c22",
        "mdjmi",
        "beidahuang",
        None,
        "农机耐磨涂层材料专利权转让合同",
        "transfer_patent",
        "agri_machinery",
        270,
        240,
        "registered",
        "2025-01-07",
        {},
    ),
    (
        "c23",
        "qqhru",
        "qizhong",
        "agency_hrb",
        "大型铸锻件无损检测技术咨询合同",
        "consulting",
        "high_end_equipment",
        35,
        35,
        "registered",
        "2025-03-18",
        {},
    ),
    (
        "c24",
        "neau",
        "suihua_soy",
        None,
        "高油酸大豆新品种植物新品种权许可合同",
        "license_technical_secret",
        "biology",
        150,
        150,
        "registered",
        "2025-04-22",
        {},
    ),
    (
        "c25",
        "dqpi",
        "qizhong",
        "agency_dq",
        "二氧化碳驱油封存技术专利实施许可合同",
        "license_patent",
        "energy",
        3200,
        2900,
        "amendment_pending",
        "2025-06-10",
        {"amend_on": None, "new_turnover": 3600, "new_income": 3200},
    ),
    (
        "c26",
        "hit",
        "beidahuang",
        None,
        "智慧农场无人驾驶拖拉机导航技术服务合同",
        "service",
        "agri_machinery",
        120,
        110,
        "registered",
        "2025-08-05",
        {},
    ),
    (
        "c27",
        "jixi_graphite",
        "harbin_digital",
        None,
        "石墨烯导热膜专利实施许可合同",
        "license_patent",
        "new_materials",
        480,
        430,
        "cancellation_pending",
        "2025-09-16",
        {},
    ),
    (
        "c28",
        "haas",
        "beidahuang",
        "agency_hrb",
        "寒地马铃薯脱毒种薯繁育技术中介服务合同",
        "service_intermediary",
        "biology",
        10,
        10,
        "registered",
        "2025-11-11",
        {},
    ),
    (
        "c29",
        "mdjmi",
        "heihe_ice",
        None,
        "冰雪运动头盔抗冲击复合材料技术开发合同",
        "development_cooperative",
        "ice_snow",
        230,
        200,
        "registered",
        "2026-01-20",
        {},
    ),
    (
        "c30",
        "qqhru",
        "suihua_soy",
        None,
        "大豆加工副产物膳食纤维提取技术转让合同",
        "transfer_technical_secret",
        "agri_processing",
        140,
        140,
        "registered",
        "2026-03-10",
        {},
    ),
    (
        "c31",
        "neau",
        "yichun_forest",
        "agency_hrb",
        "北药刺五加有效成分提取技术秘密转让合同",
        "transfer_technical_secret",
        "biology",
        300,
        280,
        "registered",
        "2026-05-19",
        {},
    ),
    (
        "c32",
        "dqpi",
        "harbin_digital",
        "agency_dq",
        "炼化装置能耗优化算法软件著作权许可合同",
        "license_technical_secret",
        "digital",
        220,
        220,
        "registered",
        "2026-07-14",
        {},
    ),
    # waiting for the regulator now (one overdue, one above the expert-review threshold)
    (
        "c33",
        "hit",
        "qizhong",
        "agency_hrb",
        "高精度五轴联动数控系统专利权转让合同",
        "transfer_patent",
        "high_end_equipment",
        900,
        820,
        "submitted",
        None,
        {"days_ago": 60},
    ),
    (
        "c34",
        "jixi_graphite",
        "beidahuang",
        None,
        "石墨烯改性农用地膜技术开发合同",
        "development_commissioned",
        "new_materials",
        680,
        620,
        "submitted",
        None,
        {"days_ago": 3},
    ),
    (
        "c35",
        "dqpi",
        "shenzhen_buyer",
        "agency_dq",
        "页岩油压裂液回收技术秘密转让合同",
        "transfer_technical_secret",
        "energy",
        4200,
        3800,
        "submitted",
        None,
        {"days_ago": 8},
    ),
    (
        "c36",
        "haas",
        "suihua_soy",
        None,
        "大豆根瘤菌剂制备技术许可合同",
        "license_technical_secret",
        "biology",
        75,
        75,
        "returned",
        None,
        {"days_ago": 20, "reasons": ["seals_incomplete", "missing_proofs"]},
    ),
    # being drafted and signed
    (
        "c37",
        "neau",
        "heihe_ice",
        None,
        "寒区冰雪旅游装备设计服务合同",
        "service",
        "creative_design",
        40,
        40,
        "signed",
        None,
        {},
    ),
    (
        "c38",
        "mdjmi",
        "qizhong",
        None,
        "高温合金涡轮盘材料专利实施许可合同",
        "license_patent",
        "aerospace",
        1500,
        1400,
        "signing",
        None,
        {},
    ),
    (
        "c39",
        "hit",
        "beidahuang",
        None,
        "农产品冷链物流温控系统技术开发合同",
        "development_commissioned",
        "digital",
        260,
        260,
        "draft",
        None,
        {},
    ),
    (
        "c40",
        "jmsu",
        "beidahuang",
        "agency_hrb",
        "三江平原水稻侧深施肥机专利权转让合同",
        "transfer_patent",
        "agri_machinery",
        180,
        180,
        "awaiting",
        None,
        {},
    ),
    (
        "c41",
        "qqhru",
        "heihe_ice",
        "agency_hrb",
        "冰雪装备低温焊接工艺技术服务合同",
        "service",
        "ice_snow",
        55,
        55,
        "awaiting",
        None,
        {},
    ),
]


def _pdf_bytes(title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "Signed technology contract (demo scan)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 10, f"Contract reference: {abs(hash(title)) % 10**8:08d}")
    return bytes(pdf.output())


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def _milestones(turnover: int, start: date) -> list[dict]:
    first = turnover * 3 // 10
    return [
        {"due_on": start + timedelta(days=30), "amount_fen": first, "description": "合同生效后首付款"},
        {
            "due_on": start + timedelta(days=180),
            "amount_fen": turnover - first,
            "description": "验收合格后尾款",
        },
    ]


def _costs(turnover: int, income: int) -> list[dict]:
    diff = turnover - income
    if not diff:
        return []
    equipment = diff * 7 // 10
    lines = [{"kind": "equipment", "description": "中试生产设备", "amount_fen": equipment}]
    if diff - equipment:
        lines.append({"kind": "raw_materials", "description": "试验用原材料", "amount_fen": diff - equipment})
    return lines


def seed(ctx: DemoContext) -> None:
    existing = set(db.session.scalars(select(Contract.source_ref).where(Contract.source_ref.like("demo:%"))))
    today = today_shanghai()
    later: list[tuple[date, str, Contract, dict]] = []
    created = 0
    for (
        key,
        seller_key,
        buyer_key,
        agency_key,
        title,
        category,
        industry,
        t_wan,
        i_wan,
        state,
        day,
        extra,
    ) in CONTRACTS:
        if f"demo:{key}" in existing:
            continue
        seller_user = ctx.user(SELLER_USERS[seller_key]) if SELLER_USERS[seller_key] else None
        buyer_user = ctx.user(BUYER_USERS[buyer_key])
        agency_user = ctx.user(agency_key) if agency_key else None
        turnover, income = t_wan * WAN, i_wan * WAN
        if day:
            event_day = date.fromisoformat(day)
        else:
            event_day = today - timedelta(days=extra.get("days_ago", 2))
        start = event_day - timedelta(days=45)
        details = {
            "category": category,
            "industry": industry,
            "subject": f"{title.removesuffix('合同')}所涉技术成果及其实施",
            "turnover_fen": turnover,
            "tech_income_fen": income,
            "valid_from": start,
            "valid_to": start + timedelta(days=365 * 3),
            "milestones": _milestones(turnover, start),
            "cost_lines": _costs(turnover, income),
        }
        if category.startswith("transfer_"):
            details["new_investment_fen"] = turnover * 3
            details["new_output_fen"] = turnover * 8
        deal_kind = "license" if category.startswith("license_") else "transfer"
        if state == "awaiting" or (agency_key and seller_user is None):
            contract = services.record_offline_deal(
                agency_org=ctx.org(agency_key),
                seller_org=ctx.org(seller_key),
                buyer_org=ctx.org(buyer_key),
                title=title,
                deal_terms={"deal_kind": deal_kind, "price_fen": turnover},
                details=details,
                actor=agency_user,
            )
            contract.source_ref = f"demo:{key}"
            created += 1
            continue
        contract = services.create_draft_from_deal(
            seller_org=ctx.org(seller_key),
            buyer_org=ctx.org(buyer_key),
            agency_org=ctx.org(agency_key) if agency_key else None,
            deal_terms={"deal_kind": deal_kind, "price_fen": turnover},
            title=title,
            source="offer",
            source_ref=f"demo:{key}",
            actor=buyer_user,
        )
        services.update_contract(contract, details, actor=seller_user)
        created += 1
        if state == "draft":
            continue
        sign_at = _at(start + timedelta(days=10))
        services.sign_contract(contract, actor=seller_user, now=sign_at)
        if state == "signing":
            continue
        services.sign_contract(contract, actor=buyer_user, now=sign_at + timedelta(hours=3))
        services.attach_signed_document(
            contract,
            FileStorage(
                io.BytesIO(_pdf_bytes(title)), filename=f"{key}-signed.pdf", content_type="application/pdf"
            ),
            actor=seller_user,
        )
        if state == "signed":
            continue
        later.append(
            (event_day, "submit_register", contract, {**extra, "state": state, "seller": seller_user})
        )
    # Registrations, amendments and cancellations in the order they happened.
    events: list[tuple[date, int, str, Contract, dict]] = []
    for event_day, _kind, contract, extra in later:
        events.append((event_day, 0, "register", contract, extra))
        state = extra["state"]
        if state == "amended":
            events.append((date.fromisoformat(extra["amend_on"]), 1, "amend", contract, extra))
        elif state == "amendment_pending":
            events.append((today - timedelta(days=4), 1, "amend", contract, extra))
        elif state == "cancelled":
            events.append((date.fromisoformat(extra["cancel_on"]), 1, "cancel", contract, extra))
        elif state == "cancellation_pending":
            events.append((today - timedelta(days=6), 1, "cancel", contract, extra))
    events.sort(key=lambda e: (e[0], e[1], e[3].id))
    for day, _order, what, contract, extra in events:
        seller_user, state = extra["seller"], extra["state"]
        regulator = ctx.user(AUTHORITY.get(contract.seller_org.region_code, "regulator"))
        if what == "register":
            submit_day = day - timedelta(days=7) if state not in ("submitted", "returned") else day
            services.submit_contract(contract, actor=seller_user, now=_at(submit_day, 9))
            if state == "submitted":
                continue
            if state == "returned":
                services.return_contract(
                    contract,
                    reasons=extra["reasons"],
                    note="合同首页缺少买方公章，请补充后重新提交。",
                    actor=regulator,
                    now=_at(day + timedelta(days=3), 15),
                )
                continue
            services.register_contract(contract, actor=regulator, now=_at(day, 14))
        elif what == "amend":
            new_t, new_i = extra["new_turnover"] * WAN, extra["new_income"] * WAN
            services.request_amendment(
                contract,
                {
                    "turnover_fen": new_t,
                    "tech_income_fen": new_i,
                    "milestones": _milestones(new_t, contract.valid_from),
                    "cost_lines": _costs(new_t, new_i),
                },
                note="双方签订补充协议，调整合同金额。",
                actor=seller_user,
                now=_at(day - timedelta(days=5), 9),
            )
            if state == "amended":
                services.register_contract(contract, actor=regulator, now=_at(day, 14))
        elif what == "cancel":
            services.request_cancellation(
                contract,
                note="受让方经营调整，双方协商一致解除合同。",
                actor=seller_user,
                now=_at(day - timedelta(days=5), 9),
            )
            if state == "cancelled":
                services.register_contract(contract, actor=regulator, now=_at(day, 14))
    db.session.flush()
    ctx.echo(f"contracts: {created} contracts created")
