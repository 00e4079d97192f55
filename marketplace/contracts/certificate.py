"""The registration certificate as a PDF (fpdf2 with a CJK font).

Without a font that can write Chinese the PDF cannot be made: `certificate_pdf`
returns None and the page says to print the HTML certificate instead.
"""

from __future__ import annotations

import os

from flask import current_app

from ..core.catalog import industry_label, region_label
from ..core.money import format_wan, format_yuan
from ..core.timeutil import shanghai_date
from ..ledger.checkpoints import certificate_lines as ledger_lines
from .codes import category_label
from .models import Contract

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


def cjk_font_path() -> str | None:
    configured = current_app.config.get("CJK_FONT_PATH") if current_app else None
    for path in (configured, *FONT_CANDIDATES):
        if path and os.path.exists(path):
            return path
    return None


def certificate_lines(contract: Contract) -> list[tuple[str, str]]:
    """The certificate's facts, label and value (in Chinese, as the certificate is issued)."""
    c = contract
    first = c.first_registration
    current = c.current_registration
    lines = [
        ("登记编号", c.registration_no or ""),
        ("合同名称", c.title),
        ("合同类别", category_label(c.category)),
        ("卖方（技术供方）", f"{c.seller_org.name}（{region_label(c.seller_org.region_code)}）"),
        ("买方（技术需方）", c.buyer_display + (f"（{c.buyer_place}）" if c.buyer_place else "")),
        ("所属行业", industry_label(c.industry)),
        ("技术合同成交额", f"{format_yuan(c.turnover_fen)}（{format_wan(c.turnover_fen)}）"),
        ("技术交易额", f"{format_yuan(c.tech_income_fen)}（{format_wan(c.tech_income_fen)}）"),
    ]
    if c.valid_from and c.valid_to:
        lines.append(("合同有效期", f"{c.valid_from.isoformat()} 至 {c.valid_to.isoformat()}"))
    if first is not None:
        lines.append(("登记日期", shanghai_date(first.registered_at).isoformat()))
        lines.append(("登记机构", region_label(first.authority_region)))
    if current is not None and current.seq > 1:
        kind = "变更登记" if current.kind == "amendment" else "注销登记"
        lines.append((kind, f"{current.label_no}（{shanghai_date(current.registered_at).isoformat()}）"))
    lines += ledger_lines(c.registration_no)  # the ledger entry's leaf hash and the latest signed checkpoint
    return lines


def certificate_pdf(contract: Contract) -> bytes | None:
    """The certificate as PDF bytes, or None when no CJK font is installed."""
    font = cjk_font_path()
    if font is None:
        return None
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"技术合同登记证明 {contract.registration_no}")
    pdf.set_creator("Heilongjiang Technology Marketplace")
    pdf.add_font("cjk", "", font)
    pdf.add_page()
    pdf.set_font("cjk", size=20)
    pdf.cell(0, 16, "技术合同登记证明", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 8, "Technology Contract Registration Certificate", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("cjk", size=12)
    for label, value in certificate_lines(contract):
        pdf.set_x(pdf.l_margin)
        pdf.cell(50, 10, label, border=1)
        pdf.multi_cell(0, 10, value or "—", border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(
        0,
        7,
        "本证明依据技术合同认定登记规则出具。技术交易额为合同成交额扣除设备、仪器、零部件、原材料等非技术性费用后的金额。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
