"""Demo organizations and people: every source kind, several cities, every role."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage

from ..accounts import services
from ..accounts.states import Membership, OrgStatus
from ..core.timeutil import utcnow
from ..extensions import db
from .context import DEMO_PASSWORD, DemoContext, make_uscc

# key: (name, English name, kind, region, USCC prefix, status)
ORGANIZATIONS = {
    "hit": (
        "哈尔滨北方工业大学",
        "Harbin Northern University of Technology",
        "university",
        "230100",
        "12",
        "approved",
    ),
    "neau": (
        "东北寒地农业大学",
        "Northeast Cold-Region Agricultural University",
        "university",
        "230100",
        "12",
        "approved",
    ),
    "qqhru": ("齐齐哈尔嫩江大学", "Qiqihar Nenjiang University", "university", "230200", "12", "approved"),
    "jmsu": ("佳木斯三江大学", "Jiamusi Sanjiang University", "university", "230800", "12", "approved"),
    "haas": (
        "黑龙江省寒地农业科学研究院",
        "Heilongjiang Academy of Cold-Region Agriculture",
        "research_institute",
        "230100",
        "12",
        "approved",
    ),
    "dqpi": (
        "大庆石油化工研究院",
        "Daqing Petrochemical Research Institute",
        "research_institute",
        "230600",
        "12",
        "approved",
    ),
    "mdjmi": (
        "牡丹江新材料研究所",
        "Mudanjiang Institute of New Materials",
        "research_institute",
        "231000",
        "12",
        "approved",
    ),
    "beidahuang": (
        "北大荒垦丰种业股份有限公司",
        "Beidahuang Kenfeng Seed Co., Ltd.",
        "enterprise",
        "230100",
        "91",
        "approved",
    ),
    "qizhong": (
        "齐齐哈尔重型数控装备有限公司",
        "Qiqihar Heavy CNC Equipment Co., Ltd.",
        "enterprise",
        "230200",
        "91",
        "approved",
    ),
    "jixi_graphite": (
        "鸡西石墨烯科技有限公司",
        "Jixi Graphene Technology Co., Ltd.",
        "enterprise",
        "230300",
        "91",
        "approved",
    ),
    "yichun_forest": (
        "伊春森林食品有限公司",
        "Yichun Forest Foods Co., Ltd.",
        "enterprise",
        "230700",
        "91",
        "approved",
    ),
    "suihua_soy": (
        "绥化大豆蛋白有限公司",
        "Suihua Soy Protein Co., Ltd.",
        "enterprise",
        "231200",
        "91",
        "approved",
    ),
    "heihe_ice": (
        "黑河冰雪装备制造有限公司",
        "Heihe Ice and Snow Equipment Co., Ltd.",
        "enterprise",
        "231100",
        "91",
        "approved",
    ),
    "harbin_digital": (
        "哈尔滨冰城数字科技有限公司",
        "Harbin Ice City Digital Technology Co., Ltd.",
        "enterprise",
        "230100",
        "91",
        "approved",
    ),
    "shenzhen_buyer": (
        "深圳前海智造投资有限公司",
        "Shenzhen Qianhai Smart Manufacturing Investment Co., Ltd.",
        "enterprise",
        "000000",
        "91",
        "approved",
    ),
    "agency_hrb": (
        "哈尔滨技术转移中心有限公司",
        "Harbin Technology Transfer Center Co., Ltd.",
        "agency",
        "230100",
        "91",
        "approved",
    ),
    "agency_dq": (
        "大庆科技成果转化服务中心",
        "Daqing Achievement Transformation Service Center",
        "agency",
        "230600",
        "52",
        "approved",
    ),
    "agency_new": (
        "七台河知识产权运营中心",
        "Qitaihe IP Operation Center",
        "agency",
        "230900",
        "52",
        "pending",
    ),
    "reg_province": (
        "黑龙江省技术合同登记处",
        "Heilongjiang Technology Contract Registration Office",
        "regulator",
        "230000",
        "11",
        "approved",
    ),
    "reg_harbin": (
        "哈尔滨市技术合同登记站",
        "Harbin Technology Contract Registration Station",
        "regulator",
        "230100",
        "11",
        "approved",
    ),
    "reg_daqing": (
        "大庆市技术合同登记站",
        "Daqing Technology Contract Registration Station",
        "regulator",
        "230600",
        "11",
        "approved",
    ),
    # A new enterprise seller waiting for approval, its business licence uploaded.
    "coldchain_new": (
        "哈尔滨冰城冷链装备有限公司",
        "Harbin Bingcheng Cold-Chain Equipment Co., Ltd.",
        "enterprise",
        "230100",
        "91",
        "pending",
    ),
    "platform": (
        "黑龙江技术交易平台运营中心",
        "Heilongjiang Technology Marketplace Operations",
        "other",
        "230000",
        "12",
        "approved",
    ),
}

# key: (e-mail, name, role, organization key, membership)
USERS = {
    "admin": ("admin@demo.hljtech.cn", "平台管理员 王晓明", "admin", "platform", "approved"),
    "seller_hit": ("zhang.wei@demo.hljtech.cn", "张伟", "seller", "hit", "approved"),
    "seller_neau": ("li.na@demo.hljtech.cn", "李娜", "seller", "neau", "approved"),
    "seller_qqhru": ("zhao.lei@demo.hljtech.cn", "赵磊", "seller", "qqhru", "approved"),
    "seller_haas": ("chen.jing@demo.hljtech.cn", "陈静", "seller", "haas", "approved"),
    "seller_dqpi": ("liu.yang@demo.hljtech.cn", "刘洋", "seller", "dqpi", "approved"),
    "seller_mdjmi": ("sun.hao@demo.hljtech.cn", "孙浩", "seller", "mdjmi", "approved"),
    "seller_jixi": ("zhou.min@demo.hljtech.cn", "周敏", "seller", "jixi_graphite", "approved"),
    "seller_heihe": ("bai.xue@demo.hljtech.cn", "白雪", "seller", "heihe_ice", "approved"),
    "seller_qizhong": ("han.bing@demo.hljtech.cn", "韩冰", "seller", "qizhong", "approved"),
    "seller_beidahuang": ("qian.yu@demo.hljtech.cn", "钱宇", "seller", "beidahuang", "approved"),
    "buyer_beidahuang": ("wang.fang@demo.hljtech.cn", "王芳", "buyer", "beidahuang", "approved"),
    "buyer_qizhong": ("wu.qiang@demo.hljtech.cn", "吴强", "buyer", "qizhong", "approved"),
    "buyer_suihua": ("zheng.li@demo.hljtech.cn", "郑丽", "buyer", "suihua_soy", "approved"),
    "buyer_heihe": ("ma.jun@demo.hljtech.cn", "马骏", "buyer", "heihe_ice", "approved"),
    "buyer_digital": ("he.xin@demo.hljtech.cn", "何欣", "buyer", "harbin_digital", "approved"),
    "buyer_yichun": ("lin.tao@demo.hljtech.cn", "林涛", "buyer", "yichun_forest", "approved"),
    "buyer_shenzhen": ("guo.peng@demo.hljtech.cn", "郭鹏", "buyer", "shenzhen_buyer", "approved"),
    "buyer_pending": ("xu.yan@demo.hljtech.cn", "徐燕", "buyer", "beidahuang", "pending"),
    "agency_hrb": ("yang.fan@demo.hljtech.cn", "杨帆", "agency", "agency_hrb", "approved"),
    "agency_dq": ("huang.lei@demo.hljtech.cn", "黄磊", "agency", "agency_dq", "approved"),
    "agency_new": ("cao.yu@demo.hljtech.cn", "曹宇", "agency", "agency_new", "approved"),
    "regulator": ("gao.hong@demo.hljtech.cn", "高红", "regulator", "reg_province", "approved"),
    "regulator_harbin": ("song.bo@demo.hljtech.cn", "宋博", "regulator", "reg_harbin", "approved"),
    "regulator_daqing": ("tian.ye@demo.hljtech.cn", "田野", "regulator", "reg_daqing", "approved"),
    "seller_coldchain": ("xie.ming@demo.hljtech.cn", "谢明", "seller", "coldchain_new", "approved"),
}

# Where the demo organizations are paid: (bank and branch, account number). Jiamusi
# Sanjiang University has recorded none, so the payment page shows what a payer is told then.
BANK_ACCOUNTS = {
    "hit": ("中国工商银行哈尔滨南岗支行", "3500 0412 0900 2345 678"),
    "neau": ("中国农业银行哈尔滨香坊支行", "0816 0101 0400 1234 5"),
    "qqhru": ("中国建设银行齐齐哈尔建华支行", "2305 0163 6208 0500 0123"),
    "haas": ("中国银行哈尔滨平房支行", "1689 2345 6789"),
    "dqpi": ("中国工商银行大庆让胡路支行", "0901 0210 0902 4567 890"),
    "mdjmi": ("黑龙江省农村信用社牡丹江东安区联社", "8100 2300 0010 2345 6789"),
    "beidahuang": ("中国农业发展银行黑龙江省分行营业部", "2032 3000 1001 0000 1234 5"),
    "qizhong": ("中国建设银行齐齐哈尔富拉尔基支行", "2305 0163 6208 0500 0456"),
    "jixi_graphite": ("龙江银行鸡西分行", "3101 2001 0000 1234 56"),
    "heihe_ice": ("哈尔滨银行黑河分行", "1270 0120 0000 3456 7"),
    "agency_hrb": ("招商银行哈尔滨分行营业部", "4519 0234 5610 001"),
    "agency_dq": ("交通银行大庆分行", "2380 0012 3018 0102 34567"),
}

LICENCES = ("coldchain_new", "agency_new")

PLACES = {"shenzhen_buyer": "广东省深圳市"}


def org_codes() -> dict[str, str]:
    return {
        key: make_uscc(v[4], v[3] if v[3] != "000000" else "440300", key) for key, v in ORGANIZATIONS.items()
    }


def user_emails() -> dict[str, str]:
    return {key: v[0] for key, v in USERS.items()}


def seed(ctx: DemoContext) -> None:
    codes = org_codes()
    ctx.load(codes, user_emails())
    created = 0
    for key, (name, name_en, kind, region, _prefix, status) in ORGANIZATIONS.items():
        if key in ctx.orgs:
            continue
        from ..accounts.models import Organization

        org = Organization(
            name=name,
            name_en=name_en,
            kind=kind,
            region_code=region,
            uscc=codes[key],
            place=PLACES.get(key),
            status=status,
        )
        if status == OrgStatus.APPROVED.value:
            org.approved_at = utcnow()
        db.session.add(org)
        ctx.orgs[key] = org
        created += 1
    db.session.flush()
    for key, (email, name, role, org_key, membership) in USERS.items():
        if key in ctx.users:
            continue
        user = services.register_user(
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            role=role,
            join=ctx.orgs[org_key],
            approved=True,
        )
        user.membership = membership if membership == Membership.PENDING.value else Membership.APPROVED.value
        ctx.users[key] = user
        created += 1
    db.session.flush()
    ctx.echo(f"accounts: {created} organizations and users created")
    _seed_bank_accounts(ctx)
    _seed_licences(ctx)


def _seed_bank_accounts(ctx: DemoContext) -> None:
    admin = ctx.users["admin"]
    added = 0
    for key, (bank, number) in BANK_ACCOUNTS.items():
        org = ctx.orgs[key]
        if org.bank_accounts:
            continue
        services.add_bank_account(
            org,
            services.BankAccountData(account_name=org.name, bank_name=bank, account_number=number),
            actor=admin,
        )
        added += 1
    ctx.echo(f"accounts: {added} bank accounts recorded")


def _licence_pdf(org_name: str, uscc: str) -> FileStorage:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "Business licence (demo copy)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, f"Unified Social Credit Code: {uscc}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, "Issued by the market regulation administration (demo).")
    return FileStorage(
        io.BytesIO(bytes(pdf.output())), filename=f"licence-{uscc}.pdf", content_type="application/pdf"
    )


def _seed_licences(ctx: DemoContext) -> None:
    for key in LICENCES:
        org = ctx.orgs[key]
        if services.licences_of(org):
            continue
        member = next(u for k, u in ctx.users.items() if u.organization_id == org.id)
        services.upload_licence(org, _licence_pdf(org.name, org.uscc or ""), actor=member)
