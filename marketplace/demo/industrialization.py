"""Demo data of industrialization: reports of production and first sales on
registered transfer and licence contracts, confirmed, waiting and returned,
for achievements of universities, research institutes and enterprises.

The contracts domain's demo contracts name no IP assets (and a registered
contract cannot be edited), so this seeder first adds six registered contracts
of its own through the contracts services, each linking the seller's asset as
a draft is completed (`create_draft_from_deal(assets=...)`, then signed,
submitted and registered). Then the buyers report and the sellers or agencies
decide, through the industrialization services.

Idempotent: contracts carry `source_ref = "demo:ind-NN"` and are skipped when
they exist; a contract that already has reports gets no more.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..contracts import services as contract_services
from ..contracts.models import Contract
from ..core.timeutil import SHANGHAI, today_shanghai
from ..extensions import db
from ..industrialization import services
from ..ip.models import IpAsset
from .context import DemoContext

WAN = 10_000 * 100  # fen in 1 万元

# key, seller org, seller user, buyer org, buyer user, agency (org and user key), asset title,
# category, title, turnover 万元, days ago registered, report (stage, days after registration,
# output 万元, sales 万元, units, jobs, description), outcome (confirmed/pending/returned, by)
DEALS = [
    (
        "ind-01",
        "neau",
        "seller_neau",
        "suihua_soy",
        "buyer_suihua",
        None,
        "大豆分离蛋白低温制备工艺",
        "license_patent",
        "大豆分离蛋白低温制备工艺专利实施许可合同",
        320,
        260,
        (
            "first_sales",
            120,
            1800,
            640,
            2400,
            46,
            "低温分离蛋白生产线于绥化投产，首批2,400吨产品销往山东食品企业。",
        ),
        ("confirmed", "seller"),
    ),
    (
        "ind-02",
        "dqpi",
        "seller_dqpi",
        "qizhong",
        "buyer_qizhong",
        "agency_dq",
        "油田采出水处理技术",
        "license_patent",
        "油田采出水处理技术专利实施许可合同",
        860,
        200,
        (
            "production_started",
            90,
            2600,
            None,
            12,
            18,
            "在大庆采油六厂建成采出水处理示范装置12套并投入运行。",
        ),
        ("confirmed", "agency"),
    ),
    (
        "ind-03",
        "jixi_graphite",
        "seller_jixi",
        "qizhong",
        "buyer_qizhong",
        None,
        "石墨烯负极材料制备方法",
        "license_patent",
        "石墨烯负极材料制备方法专利实施许可合同",
        1500,
        150,
        (
            "first_sales",
            75,
            5200,
            1300,
            800,
            60,
            "石墨烯负极材料生产线在齐齐哈尔投产，首批800吨销往动力电池企业。",
        ),
        ("confirmed", "seller"),
    ),
    (
        "ind-04",
        "neau",
        "seller_neau",
        "yichun_forest",
        "buyer_yichun",
        "agency_hrb",
        "蓝莓花青素高效提取工艺",
        "license_patent",
        "蓝莓花青素高效提取工艺专利实施许可合同",
        260,
        120,
        ("production_started", 40, 900, None, 30, 22, "伊春蓝莓深加工园区花青素提取车间试生产，月产30吨。"),
        ("pending", None),
    ),
    (
        "ind-05",
        "haas",
        "seller_haas",
        "beidahuang",
        "buyer_beidahuang",
        "agency_hrb",
        "寒地黑土保护性耕作技术体系",
        "license_technical_secret",
        "寒地黑土保护性耕作技术秘密使用许可合同",
        180,
        100,
        (
            "production_started",
            30,
            300,
            None,
            5,
            12,
            "在建三江农场示范推广保护性耕作，配套机具5台套投入作业。",
        ),
        ("returned", "seller"),
    ),
    (
        "ind-06",
        "hit",
        "seller_hit",
        "harbin_digital",
        "buyer_digital",
        None,
        "冰城智慧供热调度平台V2.0",
        "transfer_other",
        "冰城智慧供热调度平台软件著作权转让合同",
        420,
        0,  # today: the asset's chain of title starts today in the demo
        ("first_sales", 20, None, 380, 3, 15, "平台在哈尔滨三家供热公司上线运行，首批销售合同金额380万元。"),
        ("pending", None),
    ),
]
RETURN_REASON = "示范面积与作业记录不符，请补充农场出具的作业证明后重新报告。"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


def _pdf(text: str) -> FileStorage:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, text)
    return FileStorage(
        io.BytesIO(bytes(pdf.output())), filename=f"{text}.pdf", content_type="application/pdf"
    )


def _contract(ctx: DemoContext, deal: tuple, asset: IpAsset, today: date) -> Contract:
    (
        key,
        seller_key,
        seller_user,
        buyer_key,
        buyer_user,
        agency_key,
        _asset,
        category,
        title,
        t_wan,
        days_ago,
    ) = deal[:11]
    seller, buyer = ctx.user(seller_user), ctx.user(buyer_user)
    turnover = t_wan * WAN
    registered_on = today - timedelta(days=days_ago)
    start = registered_on - timedelta(days=60)
    deal_kind = "license" if category.startswith("license_") else "transfer"
    contract = contract_services.create_draft_from_deal(
        seller_org=ctx.org(seller_key),
        buyer_org=ctx.org(buyer_key),
        agency_org=ctx.org(agency_key) if agency_key else None,
        assets=[asset],
        deal_terms={"deal_kind": deal_kind, "price_fen": turnover},
        title=title,
        source="offer",
        source_ref=f"demo:{key}",
        actor=buyer,
    )
    first = turnover * 3 // 10
    contract_services.update_contract(
        contract,
        {
            "category": category,
            "subject": f"{asset.title}的实施{'许可' if deal_kind == 'license' else '转让'}",
            "turnover_fen": turnover,
            "tech_income_fen": turnover,
            "valid_from": start,
            "valid_to": start + timedelta(days=365 * 5),
            "milestones": [
                {
                    "due_on": start + timedelta(days=30),
                    "amount_fen": first,
                    "description": "合同生效后首付款",
                },
                {
                    "due_on": start + timedelta(days=180),
                    "amount_fen": turnover - first,
                    "description": "投产后尾款",
                },
            ],
            "cost_lines": [],
            "industry": asset.industry,
            **(
                {"new_investment_fen": turnover * 3, "new_output_fen": turnover * 8}
                if deal_kind == "transfer"
                else {}
            ),
        },
        actor=seller,
    )
    signed_at = _at(start + timedelta(days=5))
    contract_services.sign_contract(contract, actor=seller, now=signed_at)
    contract_services.sign_contract(contract, actor=buyer, now=signed_at + timedelta(hours=2))
    contract_services.attach_signed_document(contract, _pdf(f"signed {key}"), actor=seller)
    contract_services.submit_contract(contract, actor=seller, now=_at(registered_on - timedelta(days=7), 9))
    regulator_key = {"230100": "regulator_harbin", "230600": "regulator_daqing"}.get(
        contract.seller_org.region_code, "regulator"
    )
    contract_services.register_contract(contract, actor=ctx.user(regulator_key), now=_at(registered_on, 14))
    return contract


def seed(ctx: DemoContext) -> None:
    today = today_shanghai()
    existing = {
        c.source_ref: c
        for c in db.session.scalars(select(Contract).where(Contract.source_ref.like("demo:ind-%"))).unique()
    }
    created = reported = 0
    for deal in DEALS:
        key, asset_title = deal[0], deal[6]
        stage, after, out_wan, sales_wan, units, jobs, description = deal[11]
        outcome, decider = deal[12]
        asset = db.session.scalar(select(IpAsset).where(IpAsset.title_zh == asset_title))
        if asset is None:
            ctx.echo(f"industrialization: no demo asset “{asset_title}”, {key} skipped")
            continue
        contract = existing.get(f"demo:{key}")
        if contract is None:
            contract = _contract(ctx, deal, asset, today)
            created += 1
        if services.reports_of_contract(contract):
            continue
        buyer = ctx.user(deal[4])
        achieved_on = min(today, contract.registered_at.date() + timedelta(days=after))
        report = services.report_industrialization(
            contract,
            asset_id=asset.id,
            stage=stage,
            achieved_on=achieved_on,
            output_value_fen=out_wan * WAN if out_wan is not None else None,
            sales_fen=sales_wan * WAN if sales_wan is not None else None,
            units=units,
            jobs=jobs,
            description=description,
            evidence=[_pdf(f"evidence {key}")],
            actor=buyer,
            today=today,
        )
        reported += 1
        decided_at = _at(min(today, achieved_on + timedelta(days=10)), 16)
        actor = ctx.user(deal[5]) if decider == "agency" else ctx.user(deal[2])
        if outcome == "confirmed":
            services.confirm_report(report, actor=actor, now=decided_at)
        elif outcome == "returned":
            services.return_report(report, reason=RETURN_REASON, actor=actor, now=decided_at)
    db.session.flush()
    ctx.echo(f"industrialization: {created} contracts with assets created, {reported} reports filed")
