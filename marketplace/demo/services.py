"""Demo data of policies, service providers, requests, evaluations and start-ups.

Policies are real documents with their real titles, issuers and dates; the
summaries are ours; what we could not confirm says so (a number "to confirm",
a statement "to confirm with the tax authority"). Providers are eight
organizations of different kinds (invented names, real cities), with their
staff, services, requests in every state, ratings, evaluations with reports
and incubated start-ups. Everything goes through the services.

Idempotent: policies by title, providers by USCC, requests by title, evaluations
by asset and body, start-ups by USCC.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ..accounts import services as accounts
from ..accounts.models import Organization
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..ip.models import AssetOwner, IpAsset
from ..listings.models import Listing, ListingAsset
from ..services import evaluations, incubation, policies, providers
from ..services import requests as reqs
from ..services.models import Evaluation, Policy, ServiceRequest, Startup
from .context import DEMO_PASSWORD, DemoContext, make_uscc

WAN = 10_000 * 100

TAX_CAVEAT_ZH = (
    "自2026年1月1日起施行的《中华人民共和国增值税法》本身未将技术转让列入免税项目，"
    "本通知附件中的免税规定是否继续适用，以税务机关确认为准。"
)
TAX_CAVEAT_EN = (
    "The VAT Law in force since 2026-01-01 does not itself list technology transfer among its exemptions; "
    "whether this notice's exemption still applies is to confirm with the tax authority."
)
TRANSFER_AND_LICENCE = [
    "transfer_patent",
    "transfer_patent_application",
    "transfer_technical_secret",
    "transfer_other",
    "license_patent",
    "license_technical_secret",
    "license_software_copyright",
    "license_ic_layout",
    "license_plant_variety",
]

POLICIES = [
    {
        "level": "national",
        "region_code": "000000",
        "issuer": "全国人民代表大会常务委员会",
        "issuer_en": "Standing Committee of the National People's Congress",
        "doc_no": "中华人民共和国主席令第三十二号",
        "issued_on": date(2015, 8, 29),
        "effective_on": date(2015, 10, 1),
        "topics": ["ownership", "incentives"],
        "title_zh": "中华人民共和国促进科技成果转化法（2015年修正）",
        "title_en": "Law of the People's Republic of China on Promoting the Transformation of Scientific and "
        "Technological Achievements (2015 revision)",
        "summary_zh": "规定科技成果转化的方式（自行投资、转让、许可、作价投资等），国家设立的研究开发机构和高等院校"
        "对其持有的科技成果可以自主决定转让、许可或者作价投资，并对完成、转化成果的人员给予奖励和报酬。",
        "summary_en": "Sets out how achievements are transformed (own investment, transfer, licence, equity "
        "contribution); state-funded research institutes and universities decide on their own "
        "achievements, and reward the people who made and transformed them.",
        "source_url": "https://www.npc.gov.cn/",
    },
    {
        "level": "provincial",
        "region_code": "230000",
        "issuer": "黑龙江省人民政府办公厅",
        "issuer_en": "General Office of the Heilongjiang Provincial People's Government",
        "doc_no": None,
        "issued_on": date(2022, 1, 1),
        "topics": ["incentives", "platform", "finance"],
        "regions": ["230000"],
        "title_zh": "黑龙江省科技成果产业化行动方案（2022—2025年）",
        "title_en": "Heilongjiang action plan for the industrialization of scientific and technological "
        "achievements (2022-2025)",
        "summary_zh": "到2025年：技术合同登记成交额累计2000亿元，科技成果产业化1200项（高校600项、科研院所300项、"
        "企业300项），孵化科技型创业企业2000家；建设汇聚需求、成果、政策、投资、服务等要素的线上线下"
        "技术交易网络平台。",
        "summary_en": "By 2025: 200 billion yuan of registered technology-contract turnover in total, 1,200 "
        "achievements industrialized (600 universities, 300 institutes, 300 enterprises), 2,000 "
        "start-ups incubated; an online and offline trading platform gathering demand, achievements, "
        "policies, investment and services.",
        "caveat_zh": "发文日期和文号待核实。",
        "caveat_en": "The date of issue and the document number are to confirm.",
    },
    {
        "level": "national",
        "region_code": "000000",
        "issuer": "科学技术部",
        "issuer_en": "Ministry of Science and Technology",
        "doc_no": None,
        "issued_on": date(2026, 1, 23),
        "topics": ["registration"],
        "title_zh": "技术合同认定登记管理办法（2026年）",
        "title_en": "Rules on the recognition and registration of technology contracts (2026)",
        "summary_zh": "技术合同由卖方向所在地登记机构申请认定登记；登记机构审查是否属于技术合同、类别及成交额和"
        "技术交易额，予以登记或不予登记并说明理由。",
        "summary_en": "The seller side applies to the registration authority of its region; the authority checks "
        "that it is a technology contract, its category and the turnover and technology income, "
        "and registers it or returns it with reasons.",
        "caveat_zh": "正式标题、发文机关和文号待核实。",
        "caveat_en": "The exact title, issuer and document number are to confirm.",
    },
    {
        "level": "national",
        "region_code": "000000",
        "issuer": "财政部 国家税务总局",
        "issuer_en": "Ministry of Finance; State Taxation Administration",
        "doc_no": "财税〔2016〕36号",
        "issued_on": date(2016, 3, 23),
        "effective_on": date(2016, 5, 1),
        "topics": ["tax", "registration"],
        "contract_categories": TRANSFER_AND_LICENCE + ["development_commissioned", "development_cooperative"],
        "needs_registration": True,
        "title_zh": "财政部 国家税务总局关于全面推开营业税改征增值税试点的通知",
        "title_en": "Notice on fully launching the pilot of replacing business tax with VAT",
        "summary_zh": "附件3规定：纳税人提供技术转让、技术开发和与之相关的技术咨询、技术服务免征增值税；"
        "试点纳税人须持技术转让、开发的书面合同，到纳税人所在地省级科技主管部门进行认定。",
        "summary_en": "Annex 3: technology transfer, technology development and the consulting and services tied "
        "to them are exempt from VAT; the written contract is recognised by the provincial "
        "science and technology department.",
        "caveat_zh": TAX_CAVEAT_ZH,
        "caveat_en": TAX_CAVEAT_EN,
        "source_url": "https://www.chinatax.gov.cn/",
    },
    {
        "level": "national",
        "region_code": "000000",
        "issuer": "国务院",
        "issuer_en": "State Council",
        "doc_no": "中华人民共和国国务院令第512号",
        "issued_on": date(2007, 12, 6),
        "effective_on": date(2008, 1, 1),
        "topics": ["tax"],
        "contract_categories": TRANSFER_AND_LICENCE,
        "needs_registration": True,
        "title_zh": "中华人民共和国企业所得税法实施条例（第九十条 技术转让所得）",
        "title_en": "Regulation on the Enterprise Income Tax Law (article 90: technology-transfer income)",
        "summary_zh": "一个纳税年度内，居民企业技术转让所得不超过500万元的部分，免征企业所得税；超过500万元的部分，"
        "减半征收企业所得税。",
        "summary_en": "In a tax year, a resident enterprise's technology-transfer income up to 5 million yuan is "
        "exempt from enterprise income tax; the part above 5 million yuan is taxed at half.",
        "caveat_zh": "享受条件（如技术合同登记、许可年限）以税务机关确认为准。",
        "caveat_en": "The conditions (registration of the contract, licence term) are to confirm with the tax "
        "authority.",
    },
    {
        "level": "national",
        "region_code": "000000",
        "issuer": "全国人民代表大会常务委员会",
        "issuer_en": "Standing Committee of the National People's Congress",
        "doc_no": None,
        "issued_on": date(2024, 12, 25),
        "effective_on": date(2026, 1, 1),
        "topics": ["tax"],
        "title_zh": "中华人民共和国增值税法",
        "title_en": "Value-Added Tax Law of the People's Republic of China",
        "summary_zh": "自2026年1月1日起施行；法律本身列举的免税项目中未包含技术转让。",
        "summary_en": "In force since 2026-01-01; the exemptions the law itself lists do not include technology "
        "transfer.",
        "caveat_zh": "对技术转让、技术开发的增值税处理以税务机关确认为准。",
        "caveat_en": "The VAT treatment of technology transfer and development is to confirm with the tax "
        "authority.",
    },
]

# key: (name, English name, org kind, region, provider kind, description, qualifications,
#       [(service, price low 万元, high 万元, days)], staff (e-mail, name))
PROVIDERS = {
    "patent_songhua": (
        "哈尔滨松花江专利代理事务所",
        "Harbin Songhua River Patent Agency",
        "service_provider",
        "230100",
        "patent_agency",
        "发明专利申请、PCT国际申请、专利无效与复审代理。",
        "国家知识产权局批准设立的专利代理机构，执业专利代理师12名。",
        [("发明专利申请代理", 0.6, 1.2, 30), ("专利无效宣告请求代理", 2, 5, 90)],
        ("liang.chen@demo.hljtech.cn", "梁辰"),
    ),
    "law_bingcheng": (
        "黑龙江冰城律师事务所",
        "Heilongjiang Bingcheng Law Firm",
        "service_provider",
        "230100",
        "law_firm",
        "技术合同审查、知识产权许可与转让谈判、侵权诉讼。",
        "黑龙江省司法厅核准执业。",
        [("技术合同法律审查", 0.5, 2, 7), ("知识产权侵权诉讼", 10, 50, 180)],
        ("qin.lan@demo.hljtech.cn", "秦岚"),
    ),
    "valuation_longxin": (
        "黑龙江龙信资产评估有限公司",
        "Heilongjiang Longxin Asset Appraisal",
        "service_provider",
        "230100",
        "valuation",
        "专利、技术秘密价值评估，作价入股与质押融资评估。",
        "财政部门备案的资产评估机构。",
        [("专利价值评估", 1, 5, 20), ("作价入股评估", 3, 10, 30)],
        ("feng.rui@demo.hljtech.cn", "冯睿"),
    ),
    "eval_hanqu": (
        "黑龙江寒区科技成果评价中心",
        "Heilongjiang Cold-Region Achievement Evaluation Centre",
        "service_provider",
        "230100",
        "evaluation",
        "依据 GB/T 22900 开展科技成果评价，出具技术就绪度、创新程度与价值区间意见。",
        "具有科技成果评价专家库，覆盖新材料、农业、装备等领域。",
        [("科技成果评价（技术就绪度）", 2, 6, 45)],
        ("du.wen@demo.hljtech.cn", "杜文"),
    ),
    "testing_daqing": (
        "大庆石化产品检验检测中心",
        "Daqing Petrochemical Testing Centre",
        "service_provider",
        "230600",
        "testing",
        "石化产品、催化剂与高分子材料性能检测。",
        "CMA、CNAS 资质。",
        [("催化剂性能检测", 0.8, 3, 10), ("高分子材料老化试验", 1, 4, 30)],
        ("jiang.tao@demo.hljtech.cn", "姜涛"),
    ),
    "pilot_qiqihar": (
        "齐齐哈尔重型装备中试基地",
        "Qiqihar Heavy Equipment Pilot Base",
        "service_provider",
        "230200",
        "pilot_base",
        "大型铸锻件、农机装备的中试放大与工艺验证。",
        "省级中试基地，拥有万吨级压机与试验线。",
        [("中试放大验证", 20, 80, 90), ("工艺验证试制", 5, 20, 45)],
        ("lu.feng@demo.hljtech.cn", "陆峰"),
    ),
    "incubator_songbei": (
        "哈尔滨松北科技企业孵化器",
        "Harbin Songbei Technology Incubator",
        "service_provider",
        "230100",
        "incubator",
        "为科技型初创企业提供场地、创业辅导与投融资对接。",
        "国家级科技企业孵化器。",
        [("入孵服务（年）", 0.5, 2, 365), ("创业辅导", 0, 0.5, 30)],
        ("tang.li@demo.hljtech.cn", "唐丽"),
    ),
    "bank_kechuang": (
        "龙江银行哈尔滨科技支行",
        "Longjiang Bank Harbin Science and Technology Branch",
        "bank",
        "230100",
        "finance",
        "知识产权质押贷款、科技型企业信用贷款。",
        "银行业金融机构。",
        [("知识产权质押贷款", None, None, 20)],
        ("xia.yun@demo.hljtech.cn", "夏云"),
    ),
}

# (title, provider key, requester user key, final state, quote 万元, rating, comment)
REQUESTS = [
    (
        "石墨烯负极材料专利申请代理",
        "patent_songhua",
        "seller_jixi",
        "completed",
        1.0,
        5,
        "撰写专业，答复及时。",
    ),
    ("大豆蛋白工艺许可合同审查", "law_bingcheng", "seller_neau", "completed", 1.5, 4, "意见清楚，按期交付。"),
    ("催化剂专利作价入股评估", "valuation_longxin", "seller_dqpi", "accepted", 6.0, None, None),
    ("新型催化剂寿命检测", "testing_daqing", "buyer_qizhong", "quoted", 2.5, None, None),
    ("农机关键部件中试", "pilot_qiqihar", "buyer_beidahuang", "requested", None, None, None),
    ("冰雪装备专利无效请求", "patent_songhua", "buyer_heihe", "declined", None, None, None),
    ("数字孪生软件著作权登记", "patent_songhua", "buyer_digital", "cancelled", None, None, None),
    ("耐寒高分子材料老化试验", "testing_daqing", "seller_mdjmi", "completed", 3.0, 3, "结果可靠，周期略长。"),
]

# (asset owner user key, outcome, trl, novelty, maturity, value 万元 low, high)
EVALUATIONS = [
    ("seller_hit", "completed", 6, "domestic_leading", "pilot", 300, 500),
    ("seller_haas", "completed", 7, "international_advanced", "small_batch", 800, 1200),
    ("seller_dqpi", "completed", 5, "domestic_advanced", "pilot", 150, 300),
    ("seller_mdjmi", "requested", None, None, None, None, None),
    ("seller_qqhru", "declined", None, None, None, None, None),
]

STARTUPS = [
    ("哈尔滨冰晶智能科技有限公司", date(2023, 3, 15), "digital"),
    ("哈尔滨寒地生物科技有限公司", date(2022, 9, 1), "biology"),
    ("哈尔滨雪域装备有限公司", date(2024, 4, 20), "ice_snow"),
    ("哈尔滨石墨新材科技有限公司", date(2023, 11, 8), "new_materials"),
    ("哈尔滨星链航天科技有限公司", date(2025, 2, 27), "aerospace"),
]


def _pdf(title: str) -> FileStorage:
    body = f"%PDF-1.4\n% {title}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return FileStorage(
        stream=io.BytesIO(body.encode()), filename="评价报告.pdf", content_type="application/pdf"
    )


def _fen(wan):
    return None if wan is None else int(round(wan * WAN))


def seed(ctx: DemoContext) -> None:
    admin = ctx.user("admin")
    added = 0
    for data in POLICIES:
        if db.session.scalar(select(Policy.id).where(Policy.title_zh == data["title_zh"])) is None:
            policies.create_policy(dict(data), actor=admin)
            added += 1
    profiles = _seed_providers(ctx)
    made = _seed_requests(ctx, profiles)
    evals = _seed_evaluations(ctx, profiles["eval_hanqu"])
    starts = _seed_startups(ctx, profiles["incubator_songbei"])
    ctx.echo(f"services: {added} policies, {made} requests, {evals} evaluations, {starts} start-ups added")


def _seed_providers(ctx: DemoContext) -> dict:
    profiles = {}
    for key, (
        name,
        name_en,
        kind,
        region,
        pkind,
        desc,
        quals,
        services,
        (email, person),
    ) in PROVIDERS.items():
        code = make_uscc("91", region, "svc-" + key)
        org = db.session.scalar(select(Organization).where(Organization.uscc == code))
        if org is None:
            org = Organization(
                name=name,
                name_en=name_en,
                kind=kind,
                region_code=region,
                uscc=code,
                status="approved",
                approved_at=utcnow(),
            )
            db.session.add(org)
            db.session.flush()
        ctx.orgs["svc_" + key] = org
        user = next((u for u in org.members if u.email == email), None)
        if user is None:
            user = accounts.register_user(
                email=email,
                name=person,
                password=DEMO_PASSWORD,
                role="financier" if kind == "bank" else "provider",
                join=org,
                approved=True,
            )
            db.session.flush()
        ctx.users["svc_" + key] = user
        profile = providers.profile_of_org(org.id)
        if profile is None:
            profile = providers.save_profile(
                user, kind=pkind, description_zh=desc, qualifications=quals, contact=f"{person} {email}"
            )
            for sname, low, high, days in services:
                providers.add_service(
                    profile,
                    actor=user,
                    name_zh=sname,
                    price_low_fen=_fen(low),
                    price_high_fen=_fen(high),
                    turnaround_days=days,
                )
        profiles[key] = profile
    return profiles


def _seed_requests(ctx: DemoContext, profiles: dict) -> int:
    made = 0
    for title, pkey, ukey, state, quote_wan, rating, comment in REQUESTS:
        if ukey not in ctx.users:
            continue
        provider, staff, requester = profiles[pkey], ctx.users["svc_" + pkey], ctx.users[ukey]
        if db.session.scalar(select(ServiceRequest.id).where(ServiceRequest.title == title)) is not None:
            continue
        services = providers.active_services(provider)
        req = reqs.create_request(
            provider,
            actor=requester,
            title=title,
            description=f"{title}：请报价并说明周期。",
            service_id=services[0].id if services else None,
        )
        reqs.post_message(req, actor=requester, body="附件材料稍后补充，请先评估可行性。")
        if state == "declined":
            reqs.decline(req, actor=staff, reason="该事项与本所已代理的案件存在利益冲突。")
        elif state == "cancelled":
            reqs.cancel(req, actor=requester, reason="已由本单位自行办理。")
        elif state != "requested":
            reqs.quote(req, actor=staff, quote_fen=_fen(quote_wan), quote_days=30, note="含正式报告一份。")
            if state in ("accepted", "completed"):
                reqs.accept(req, actor=requester)
            if state == "completed":
                reqs.complete(req, actor=staff)
                if rating:
                    reqs.rate(req, actor=requester, rating=rating, comment=comment)
        made += 1
    return made


def _listed_asset(org_id: int) -> IpAsset | None:
    """An asset of the organization, one in a published listing first."""
    owned = select(AssetOwner.asset_id).where(AssetOwner.org_id == org_id)
    listed = (
        select(IpAsset)
        .join(ListingAsset, ListingAsset.asset_id == IpAsset.id)
        .join(Listing, Listing.id == ListingAsset.listing_id)
        .where(IpAsset.id.in_(owned), Listing.status == "published")
        .order_by(IpAsset.id)
    )
    return (
        db.session.scalars(listed).first()
        or db.session.scalars(select(IpAsset).where(IpAsset.id.in_(owned)).order_by(IpAsset.id)).first()
    )


def _seed_evaluations(ctx: DemoContext, body) -> int:
    staff = ctx.users["svc_eval_hanqu"]
    made = 0
    today = today_shanghai()
    for n, (ukey, outcome, trl, novelty, maturity, low, high) in enumerate(EVALUATIONS):
        seller = ctx.users.get(ukey)
        asset = _listed_asset(seller.organization_id) if seller else None
        if asset is None:
            continue
        exists = db.session.scalar(
            select(func.count())
            .select_from(Evaluation)
            .where(Evaluation.asset_id == asset.id, Evaluation.provider_id == body.id)
        )
        if exists:
            continue
        e = evaluations.ask(
            asset, body, actor=seller, note="拟用于挂牌与质押融资，请评价技术就绪度与价值区间。"
        )
        if outcome == "completed":
            evaluations.record_result(
                e,
                actor=staff,
                trl=trl,
                novelty=novelty,
                maturity=maturity,
                value_low_fen=_fen(low),
                value_high_fen=_fen(high),
                evaluated_on=today - timedelta(days=20 + 10 * n),
                opinion="经专家组现场考察与资料审查，成果已完成相应阶段验证。",
                report=_pdf(asset.title),
            )
        elif outcome == "declined":
            evaluations.decline(e, actor=staff, reason="该成果所属领域暂无本中心的评价专家。")
        made += 1
    return made


def _seed_startups(ctx: DemoContext, incubator) -> int:
    staff = ctx.users["svc_incubator_songbei"]
    made = 0
    for name, founded, field in STARTUPS:
        code = make_uscc("91", "230100", "startup-" + name)
        if db.session.scalar(select(Startup.id).where(Startup.uscc == code)) is not None:
            continue
        incubation.record_startup(
            incubator, actor=staff, name=name, uscc=code, founded_on=founded, field=field
        )
        made += 1
    return made
