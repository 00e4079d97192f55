"""Demo data of the docking network: the provincial core node and the 13 regional
nodes with their operators, two professional nodes, events past and upcoming with
pitches, registrations and outcomes, follow-ups in every state, technology
managers, and the plan period 2026-2030 with the province's official turnover.
Idempotent: each part is looked up before it is added."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..accounts import services as account_services
from ..accounts.models import Organization, OrgStatus, User
from ..contracts.models import Contract
from ..core.catalog import CITY_CODES
from ..core.money import FEN_PER_YI
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..listings.models import Listing
from ..network import managers, news, nodes, periods, queue
from ..network.models import (
    DockingEvent,
    EventOutcome,
    EventPitch,
    EventRegistration,
    FollowUp,
    ManagerBrokerage,
    Node,
    NodeNews,
    OfficialTurnover,
    PlanPeriod,
    TechManager,
)
from .context import DEMO_PASSWORD, DemoContext, make_uscc

CITY_ZH = {
    "230100": "哈尔滨市",
    "230200": "齐齐哈尔市",
    "230300": "鸡西市",
    "230400": "鹤岗市",
    "230500": "双鸭山市",
    "230600": "大庆市",
    "230700": "伊春市",
    "230800": "佳木斯市",
    "230900": "七台河市",
    "231000": "牡丹江市",
    "231100": "黑河市",
    "231200": "绥化市",
    "232700": "大兴安岭地区",
}
OPERATOR_NAMES = [
    "孟庆华", "于海洋", "邵丽娟", "付国强", "姜雪梅", "邹志刚", "潘晓东",
    "常春燕", "蔡立新", "罗文博", "谭海燕", "贾志勇", "崔明月", "董建平",
]  # fmt: skip


def _org(name: str, name_en: str, region: str, key: str) -> Organization:
    code = make_uscc("52", region if region != "230000" else "230000", key)
    org = db.session.scalar(select(Organization).where(Organization.uscc == code))
    if org is None:
        org = Organization(
            name=name, name_en=name_en, kind="agency", region_code=region, uscc=code,
            status=OrgStatus.APPROVED.value, approved_at=utcnow(),
        )  # fmt: skip
        db.session.add(org)
        db.session.flush()
    return org


def _user(email: str, name: str, role: str, org: Organization) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = account_services.register_user(
            email=email, name=name, password=DEMO_PASSWORD, role=role, join=org, approved=True
        )
        db.session.flush()
    return user


def _seed_nodes(ctx: DemoContext) -> dict[str, Node]:
    core_org = _org("黑龙江省技术市场", "Heilongjiang Technology Market", "230000", "node-core")
    city_orgs = {
        code: _org(
            f"{CITY_ZH[code]}技术市场", f"{nodes.city_name_en(code)} Technology Market", code, f"node-{code}"
        )
        for code in CITY_CODES
    }
    built = nodes.ensure_network(core_org, city_orgs)
    admin = ctx.users.get("admin")
    for n, node in enumerate(built):
        email = f"node.{node.slug}@demo.hljtech.cn"
        op = _user(email, OPERATOR_NAMES[n], "agency", node.organization)
        nodes.add_operator(node, op, decided_by=admin)
        if node.slug == nodes.CORE_SLUG:
            ctx.users["node_core"] = op
            node.contacts = "哈尔滨市南岗区汉水路 xxx 号 · 0451-8xxxxxxx"
            node.description = (
                "全省技术市场的核心节点：汇聚成果与需求，统筹区域节点和专业节点的深度挖掘与精准对接。"
            )
        elif node.region_code in ("230100", "230600"):
            ctx.users[f"node_{node.region_code}"] = op
    by_slug = {n.slug: n for n in built}
    # A waiting operator request for Daqing's node, for the core node to decide.
    waiting = _user("node.230600.new@demo.hljtech.cn", "吕思远", "agency", by_slug["230600"].organization)
    if not nodes.operators_of(by_slug["230600"], status="pending") and waiting.id not in {
        o.user_id for o in nodes.operators_of(by_slug["230600"])
    }:
        nodes.apply_as_operator(by_slug["230600"], actor=waiting)
    core_op = ctx.users["node_core"]
    pro = [
        ("hit-ttc", "哈尔滨北方工业大学技术转移中心", "HNUT Technology Transfer Centre", "hit", ["new_materials", "aerospace"],
         "zhou.ttc@demo.hljtech.cn", "周晓光"),
        ("haas-agri", "寒地农业产业技术研究院（专业节点）", "Cold-Region Agriculture Industry Institute (professional node)",
         "haas", ["agri_processing", "biology"], "wei.agri@demo.hljtech.cn", "魏春生"),
    ]  # fmt: skip
    for slug, name, name_en, org_key, industries, email, person in pro:
        org = ctx.orgs[org_key]
        node = db.session.scalar(select(Node).where(Node.slug == slug))
        if node is None:
            node = nodes.create_professional_node(
                slug=slug, name=name, name_en=name_en, org=org, institution_org_ids=[org.id], industries=industries,
                description=f"{org.name}的专业节点：跟进本机构及相关产业的成果与需求。", contacts="0451-8xxxxxxx",
                actor=core_op,
            )  # fmt: skip
        op = _user(email, person, "seller", org)
        nodes.add_operator(node, op, decided_by=core_op)
        by_slug[slug] = node
    return by_slug


EVENTS = [
    # (key, node slug, kind, title, days from now, hours, place, online, capacity, industries, status)
    ("ev1", "core", "roadshow", "2026 黑龙江省科技成果转化路演（新材料专场）", -60, 4, "哈尔滨国际会展中心", None, 200, ["new_materials"], "held"),
    ("ev2", "230100", "docking", "哈尔滨寒地农业技术供需对接会", -20, 3, "哈尔滨市松北区科技创新城", None, 80, ["agri_processing", "biology"], "held"),
    ("ev3", "230600", "docking", "大庆石化产业技术对接会", -10, 3, "大庆高新区服务中心", None, 60, ["chemical", "energy"], "cancelled"),
    ("ev4", "core", "roadshow", "龙江科技成果线上路演（数字经济）", 7, 2, None, "https://meeting.example.cn/hlj-digital", 300, ["digital"], "scheduled"),
    ("ev5", "230100", "docking", "冰雪装备与冰雪经济技术对接会", 14, 3, "哈尔滨市道里区冰雪大世界会议中心", "https://meeting.example.cn/ice", 3, ["ice_snow"], "scheduled"),
    ("ev6", "hit-ttc", "roadshow", "北方工大专利成果路演", 21, 2, "哈尔滨北方工业大学科学园", None, 100, ["new_materials", "aerospace"], "scheduled"),
]  # fmt: skip


def _seed_events(ctx: DemoContext, by_slug: dict[str, Node]) -> int:
    added = 0
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    published = list(
        db.session.scalars(select(Listing).where(Listing.status == "published").order_by(Listing.id))
    )
    buyers = [u for k, u in ctx.users.items() if k.startswith("buyer_") and k != "buyer_pending"]
    for _key, slug, kind, title, days, hours, place, online, capacity, industries, status in EVENTS:
        node = by_slug[slug]
        ev = db.session.scalar(
            select(DockingEvent).where(DockingEvent.node_id == node.id, DockingEvent.title == title)
        )
        if ev is not None:
            continue
        start = now + timedelta(days=days)
        op = nodes.operators_of(node, status="approved")[0].user
        ev = DockingEvent(
            node_id=node.id, kind=kind, title=title, description=f"{node.name}主办。", starts_at=start,
            ends_at=start + timedelta(hours=hours), place=place, online_url=online, capacity=capacity,
            industries=industries, status=status, created_by_id=op.id,
        )  # fmt: skip
        db.session.add(ev)
        db.session.flush()
        pitchable = [li for li in published if li.industry in industries] or published[:2]
        for listing in pitchable[:3]:
            db.session.add(
                EventPitch(
                    event_id=ev.id, listing_id=listing.id, enrolled_by_id=listing.created_by_id or op.id
                )
            )
        attendees = buyers[: min(len(buyers), capacity if capacity < 5 else 5)]
        for user in attendees:
            db.session.add(EventRegistration(event_id=ev.id, user_id=user.id))
        ev.registered = len(attendees)
        if status == "held":
            db.session.add(
                EventOutcome(
                    event_id=ev.id,
                    kind="intent",
                    listing_id=pitchable[0].id if pitchable else None,
                    note="北大荒垦丰种业与卖方现场签署合作意向书。",
                    recorded_by_id=op.id,
                )  # fmt: skip
            )
            contract = db.session.scalar(
                select(Contract).where(Contract.status == "registered").order_by(Contract.id)
            )
            if contract is not None:
                db.session.add(
                    EventOutcome(
                        event_id=ev.id,
                        kind="contract",
                        contract_id=contract.id,
                        note="路演后签订并登记的合同。",
                        recorded_by_id=op.id,
                    )  # fmt: skip
                )
        added += 1
    db.session.flush()
    return added


def _seed_follow_ups(ctx: DemoContext, by_slug: dict[str, Node]) -> int:
    if db.session.scalar(select(FollowUp.id).limit(1)) is not None:
        return 0
    core = by_slug["core"]
    op = ctx.users["node_core"]
    pairs = queue.node_queue(core).matches
    now = utcnow()
    plan = [
        # (kind, days ago, next step in days, note) -> the state it leaves the match in
        ("call", 2, None, "电话联系买方技术负责人，对方希望看到中试数据。"),  # following
        ("meeting", 5, 20, "约定下月到卖方实验室现场考察。"),  # following, next step ahead
        ("call", 30, None, "已联系卖方，尚无下文。"),  # raised again
        ("no_interest", 8, None, "买方已有替代方案，暂不考虑。"),  # closed
        ("pushed", 1, None, "该成果与贵单位需求高度匹配，建议尽快洽谈。"),  # following, notified
        ("intent", 3, 14, "双方口头达成许可意向，待起草合同。"),  # following
    ]
    added = 0
    for (kind, ago, step, note), view in zip(plan, pairs, strict=False):
        row = queue.record_follow_up(
            core, view.demand, view.listing, kind=kind, note=note,
            next_step_on=today_shanghai() + timedelta(days=step) if step else None, actor=op,
        )  # fmt: skip
        row.created_at = now - timedelta(days=ago)
        added += 1
    db.session.flush()
    return added


MANAGERS = [
    # (certificate, name, level, agency key, fields, status)
    ("HLJ-JSJL-2023-0018", "杨帆", "senior", "agency_hrb", ["new_materials", "high_end_equipment"], "verified"),
    ("HLJ-JSJL-2024-0102", "于佳琪", "intermediate", "agency_hrb", ["agri_processing", "biology"], "verified"),
    ("HLJ-JSJL-2024-0233", "黄磊", "intermediate", "agency_dq", ["chemical", "energy"], "verified"),
    ("HLJ-JSJL-2025-0311", "韩雪", "junior", "agency_dq", ["digital"], "pending"),
    ("HLJ-JSJL-2025-0320", "冯凯", "junior", "agency_hrb", ["other"], "rejected"),
]  # fmt: skip


def _seed_managers(ctx: DemoContext) -> int:
    added = 0
    core_op = ctx.users["node_core"]
    for cert, name, level, agency_key, fields, status in MANAGERS:
        if db.session.scalar(select(TechManager.id).where(TechManager.certificate_no == cert)) is not None:
            continue
        agent = ctx.users[agency_key]
        m = managers.register_manager(
            name=name, certificate_no=cert, level=level, fields=fields,
            bio=f"{agent.organization.name}技术经理人，专注{len(fields)}个领域的成果转化。", actor=agent,
        )  # fmt: skip
        if status != "pending":
            managers.decide_manager(m, verify=status == "verified", actor=core_op)
        if status == "verified":
            for contract in db.session.scalars(
                select(Contract)
                .where(Contract.agency_org_id == agent.organization_id)
                .order_by(Contract.id)
                .limit(2)
            ):
                if db.session.get(ManagerBrokerage, (m.id, contract.id)) is None:
                    db.session.add(
                        ManagerBrokerage(manager_id=m.id, contract_id=contract.id, recorded_by_id=agent.id)
                    )
        added += 1
    db.session.flush()
    # 杨帆 (the Harbin institution's demo account) is also its registered manager: the
    # profile is linked to that account and shows in the workbench.
    yang = db.session.scalar(select(TechManager).where(TechManager.certificate_no == MANAGERS[0][0]))
    agent = ctx.users[MANAGERS[0][3]]
    if yang is not None and yang.user_id is None and not managers.profiles_of(agent):
        managers.link_account(yang, agent, actor=agent)
    return added


#: The province's official registered technology-contract turnover (亿元), demo figures.
OFFICIAL_YI = {2022: 363, 2023: 503, 2024: 614, 2025: 702}


def _seed_periods(ctx: DemoContext) -> int:
    reg = ctx.users["regulator"]
    added = 0
    if db.session.scalar(select(PlanPeriod.id).where(PlanPeriod.slug == "2026-2030")) is None:
        path = dict(zip(range(2026, 2031), (650, 720, 800, 880, 950), strict=True))
        periods.create_period(
            slug="2026-2030", title="黑龙江省科技成果转化“十五五”行动方案（2026-2030年）",
            title_en="Heilongjiang plan for the transformation of achievements, 2026-2030",
            first_year=2026, last_year=2030, turnover_target_fen=4000 * FEN_PER_YI,
            yearly_path={y: v * FEN_PER_YI for y, v in path.items()},
            targets={
                "transfer_institutions": 150, "high_tech_enterprises": 8000, "incubated_startups": 3000,
                "registered_managers": 300, "registered_contracts": 20000, "docking_events": 1200,
                "hightech_investment_share": 1300,
            },
            source="黑龙江省科学技术厅 2026 年发布（演示数据）", actor=reg,
        )  # fmt: skip
        added += 1
    have = set(db.session.scalars(select(OfficialTurnover.year)))
    for year, yi in OFFICIAL_YI.items():
        if year not in have:
            periods.record_official_turnover(
                year=year,
                turnover_fen=yi * FEN_PER_YI,
                source=f"黑龙江省科技厅 {year + 1} 年统计公报（演示数据）",
                actor=reg,
            )
            added += 1
    return added


NEWS = [
    # (node slug, operator key, headline, text)
    ("core", "node_core", "2026 年全省科技成果转化路演第二季开始报名",
     "新材料、数字经济、生物医药三个专场，高校院所和企业可在各专场页面登记路演成果，报名截止前由省技术市场统一遴选。"),
    ("core", "node_core", "技术经理人登记：省级登记已满 60 人",
     "已核验的技术经理人公开展示其促成的合同和登记成交额；尚未登记的技术转移机构可在“技术经理人”页面为本机构人员登记。"),
    ("230100", "node_230100", "哈尔滨寒地农业技术供需对接会成果",
     "对接会促成 5 项合作意向，其中 2 项已进入报价协商；后续跟进情况将在本节点的跟进队列中记录。"),
    ("230600", "node_230600", "大庆石化产业技术对接会改期",
     "原定的对接会因场地原因取消，新的时间确定后将在本页发布，已报名的企业无需重新报名。"),
]  # fmt: skip


def _seed_news(ctx: DemoContext, by_slug: dict[str, Node]) -> int:
    created = 0
    for slug, user_key, title, text in NEWS:
        node = by_slug[slug]
        if db.session.scalar(select(NodeNews.id).where(NodeNews.node_id == node.id, NodeNews.title == title)):
            continue
        news.publish_news(node, title=title, body=text, actor=ctx.users[user_key])
        created += 1
    return created


def seed(ctx: DemoContext) -> None:
    by_slug = _seed_nodes(ctx)
    notices = _seed_news(ctx, by_slug)
    events = _seed_events(ctx, by_slug)
    follow_ups = _seed_follow_ups(ctx, by_slug)
    people = _seed_managers(ctx)
    plans = _seed_periods(ctx)
    ctx.echo(
        f"network: {len(by_slug)} nodes, {notices} news, {events} events, {follow_ups} follow-ups, "
        f"{people} managers, {plans} plan figures created"
    )
