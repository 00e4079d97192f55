"""The registration certificate as a PDF (fpdf2 with a CJK font).

Without a font that can write Chinese the PDF cannot be made: `certificate_pdf`
returns None and the page says to print the HTML certificate instead.

Noto Sans CJK comes as a collection (.ttc) of regional faces whose first face is
the Japanese one, and fpdf2 always takes the first: the Simplified Chinese face
("Noto Sans CJK SC") is taken out of the collection once, into the instance
folder, and that file is embedded. The certificate carries a QR code of its
public check page (/verify/<registration_no>).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import segno
from flask import current_app, url_for
from flask_babel import force_locale

from ..core.catalog import authority_name, industry_label, region_label
from ..core.money import format_wan, format_yuan
from ..core.timeutil import shanghai_date
from ..ledger.checkpoints import certificate_lines as ledger_lines
from .codes import category_label
from .models import Contract

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


#: The face of a collection to embed: Simplified Chinese.
SC_FAMILY = "Noto Sans CJK SC"


def cjk_font_path() -> str | None:
    configured = current_app.config.get("CJK_FONT_PATH") if current_app else None
    for path in (configured, *FONT_CANDIDATES):
        if path and os.path.exists(path):
            return simplified_chinese_face(path) if path.lower().endswith(".ttc") else path
    return None


def simplified_chinese_face(collection: str) -> str:
    """The collection's Simplified Chinese face as a font file of its own (made once,
    in the instance folder); the collection itself when it has no such face."""
    target = Path(current_app.instance_path) / "fonts" / (Path(collection).stem + "-SC.otf")
    if target.exists():
        return str(target)
    from fontTools.ttLib import TTCollection

    with TTCollection(collection, lazy=True) as fonts:
        for font in fonts:
            if font["name"].getBestFamilyName() == SC_FAMILY:
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    partial = target.with_suffix(f".{os.getpid()}.part")
                    font.save(str(partial))
                    partial.replace(target)  # whole or not at all, if two requests race
                except OSError:
                    # The instance folder is not writable: the collection's first face
                    # still writes Chinese, if in its Japanese forms.
                    current_app.logger.warning("Cannot write %s; using %s as it is", target, collection)
                    return collection
                return str(target)
    return collection


def verify_url(registration_no: str) -> str:
    """The public check page of the certificate, as an absolute address for its QR code."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    path = url_for("portal.verify_certificate", registration_no=registration_no)
    return (
        base.rstrip("/") + path
        if base
        else url_for("portal.verify_certificate", registration_no=registration_no, _external=True)
    )


def qr_png(registration_no: str) -> bytes:
    out = io.BytesIO()
    segno.make(verify_url(registration_no), error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def qr_svg_data_uri(registration_no: str) -> str:
    return segno.make(verify_url(registration_no), error="m").svg_data_uri(scale=4, border=2)


def certificate_lines(contract: Contract) -> list[tuple[str, str]]:
    """The certificate's facts, label and value (in Chinese, as the certificate is issued)."""
    with force_locale("zh_Hans"):
        return _lines(contract)


def _lines(contract: Contract) -> list[tuple[str, str]]:
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
        lines.append(("登记机构", authority_name(first.authority_region)))
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
    pdf.ln(6)
    if contract.registration_no:
        top = pdf.get_y()
        pdf.image(io.BytesIO(qr_png(contract.registration_no)), x=pdf.l_margin, y=top, w=30, h=30)
        pdf.set_xy(pdf.l_margin + 34, top + 4)
        pdf.set_font("cjk", size=10)
        pdf.multi_cell(
            0,
            6,
            f"扫码或访问以下网址查验本证明：\n{verify_url(contract.registration_no)}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_y(top + 34)
    pdf.set_font("cjk", size=10)
    pdf.multi_cell(
        0,
        7,
        "本证明依据技术合同认定登记规则出具。技术交易额为合同成交额扣除设备、仪器、零部件、原材料等非技术性费用后的金额。",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
