"""Demo data of the ledger domain (the plan-target values entered by the
provincial regulator), and the generator of realistic registration events
that the benchmark (bench/bench_ledger.py) loads: 2022 to today, across
cities, industries, source kinds and categories, with amendments and
cancellations."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ..core.timeutil import SHANGHAI, today_shanghai
from ..extensions import db
from .context import DemoContext

# Shares of registered contracts, roughly as in Heilongjiang's statistics:
# Harbin dominates, then Daqing, Qiqihar, Mudanjiang, Jiamusi.
REGION_WEIGHTS = {
    "230100": 60, "230600": 9, "230200": 6, "231000": 5, "230800": 4, "231200": 3,
    "230300": 2, "231100": 2, "230400": 1.5, "230500": 1.5, "230700": 1, "230900": 1,
    "232700": 0.5, "230000": 3.5,
}  # fmt: skip
ORG_KIND_WEIGHTS = {"university": 34, "research_institute": 24, "enterprise": 39, "other": 3}
INDUSTRY_WEIGHTS = {
    "digital": 14, "biology": 9, "ice_snow": 2, "creative_design": 2, "aerospace": 8,
    "new_materials": 11, "high_end_equipment": 12, "agri_machinery": 7, "energy": 10,
    "chemical": 7, "agri_processing": 9, "automobile": 3, "light_industry": 3, "other": 3,
}  # fmt: skip
CATEGORY_WEIGHTS = {
    "development_commissioned": 22, "development_cooperative": 7, "transfer_patent": 6,
    "transfer_patent_application": 1, "transfer_technical_secret": 3, "transfer_other": 2,
    "license_patent": 4, "license_technical_secret": 1, "consulting": 9, "service": 36,
    "service_training": 4, "service_intermediary": 5,
}  # fmt: skip
# Contracts pile up at the end of the year; few are signed around the Spring Festival.
MONTH_WEIGHTS = {
    1: 0.7,
    2: 0.5,
    3: 0.9,
    4: 0.9,
    5: 1.0,
    6: 1.2,
    7: 0.9,
    8: 0.9,
    9: 1.1,
    10: 0.9,
    11: 1.2,
    12: 2.4,
}
YEAR_GROWTH = 1.15
AMEND_RATE = 0.12
CANCEL_RATE = 0.03
MAX_CONTRACT_FEN = 5 * 10**8 * 100  # 5 亿元


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _amount(rng: random.Random) -> int:
    """A contract's turnover in fen: log-normal, median 80 万元, long tail."""
    yuan = math.exp(rng.gauss(math.log(800_000), 1.7))
    return max(10_000_00, min(MAX_CONTRACT_FEN, int(yuan) * 100))


def _income(rng: random.Random, turnover: int, category: str) -> int:
    low = 0.45 if category.startswith("development") else 0.7
    return turnover * int(rng.uniform(low, 1.0) * 1000) // 1000


def _moment(rng: random.Random, day: date) -> datetime:
    """An office-hours moment in Shanghai on `day`, as UTC."""
    seconds = rng.randint(8 * 3600 + 30 * 60, 17 * 3600 + 30 * 60)
    local = datetime.combine(day, time(), tzinfo=SHANGHAI) + timedelta(
        seconds=seconds, microseconds=rng.randint(0, 999_999)
    )
    return local.astimezone(UTC)


def generate_events(
    total: int,
    *,
    start: date = date(2022, 1, 4),
    until: date | None = None,
    seed: int = 2022,
    contract_base: int = 1,
    key_prefix: str = "gen",
) -> Iterator[tuple[datetime, object]]:
    """About ``total`` realistic ledger events in the order they are
    recorded, as (recorded_at, LedgerEvent): registrations spread over the
    days from ``start`` to ``until`` (growing 15 % a year, heavier in
    December), about 12 % of contracts amended and 3 % cancelled later."""
    from ..ledger.services import LedgerEvent

    rng = random.Random(seed)
    until = until or today_shanghai()
    days = [start + timedelta(days=i) for i in range((until - start).days + 1)]
    day_weights = [MONTH_WEIGHTS[d.month] * YEAR_GROWTH ** (d.year - start.year) for d in days]
    registrations = max(1, round(total / (1 + AMEND_RATE + CANCEL_RATE)))
    scale = registrations / sum(day_weights)
    serials: dict[str, int] = {}
    pending: list[tuple[datetime, int, object]] = []
    state: dict[int, list[int]] = {}
    counter = 0
    contract_id = contract_base - 1
    carry = 0.0
    for day, weight in zip(days, day_weights, strict=True):
        carry += weight * scale
        today_n = int(carry)
        carry -= today_n
        batch: list[tuple[datetime, int, object]] = []
        for _ in range(today_n):
            contract_id += 1
            region = _pick(rng, REGION_WEIGHTS)
            category = _pick(rng, CATEGORY_WEIGHTS)
            city = region[2:4]
            prefix = f"{day.year}23{city}{'00' if city == '00' else '01'}"
            serials[prefix] = serials.get(prefix, 0) + 1
            turnover = _amount(rng)
            income = _income(rng, turnover, category)
            event = LedgerEvent(
                kind="registration",
                contract_id=contract_id,
                registration_no=f"{prefix}{serials[prefix]:06d}",
                turnover_delta_fen=turnover,
                tech_income_delta_fen=income,
                effective_on=day,
                seller_region=region,
                seller_org_kind=_pick(rng, ORG_KIND_WEIGHTS),
                industry=_pick(rng, INDUSTRY_WEIGHTS),
                category=category,
                event_key=f"{key_prefix}-{contract_id}-registration",
            )
            counter += 1
            batch.append((_moment(rng, day), counter, event))
            state[contract_id] = [turnover, income]
            later = day
            if rng.random() < AMEND_RATE:
                later = day + timedelta(days=rng.randint(20, 270))
                if later <= until:
                    counter += 1
                    heapq.heappush(pending, (_moment(rng, later), counter, ("amendment", event)))
            if rng.random() < CANCEL_RATE / (1 - AMEND_RATE * 0.5):
                cancel_day = later + timedelta(days=rng.randint(15, 200))
                if cancel_day <= until:
                    counter += 1
                    heapq.heappush(pending, (_moment(rng, cancel_day), counter, ("cancellation", event)))
        while pending and pending[0][0] < datetime.combine(day + timedelta(days=1), time(), tzinfo=SHANGHAI):
            batch.append(heapq.heappop(pending))
        batch.sort(key=lambda item: (item[0], item[1]))
        for moment, _n, item in batch:
            if isinstance(item, LedgerEvent):
                yield moment, item
                continue
            kind, first = item
            totals = state[first.contract_id]
            local_day = moment.astimezone(SHANGHAI).date()
            if kind == "amendment":
                factor = rng.choice((-0.3, -0.15, 0.1, 0.2, 0.4))
                d_turnover = int(totals[0] * factor)
                d_income = max(-totals[1], min(int(totals[1] * factor), totals[0] + d_turnover - totals[1]))
            else:
                d_turnover, d_income = -totals[0], -totals[1]
            totals[0] += d_turnover
            totals[1] += d_income
            yield (
                moment,
                LedgerEvent(
                    kind=kind,
                    contract_id=first.contract_id,
                    registration_no=first.registration_no,
                    turnover_delta_fen=d_turnover,
                    tech_income_delta_fen=d_income,
                    effective_on=local_day,
                    seller_region=first.seller_region,
                    seller_org_kind=first.seller_org_kind,
                    industry=first.industry,
                    category=first.category,
                    event_key=f"{key_prefix}-{first.contract_id}-{kind}",
                ),
            )


# --- The demo seed ----------------------------------------------------------------

TARGET_VALUES = [
    # (target, value, measured_on, source)
    (
        "high_tech_enterprises",
        3605,
        date(2022, 12, 31),
        "黑龙江省科学技术厅《2022年全省高新技术企业认定情况通报》",
    ),
    (
        "high_tech_enterprises",
        4315,
        date(2023, 12, 31),
        "黑龙江省科学技术厅《2023年全省高新技术企业认定情况通报》",
    ),
    (
        "high_tech_enterprises",
        4993,
        date(2024, 12, 31),
        "黑龙江省科学技术厅《2024年全省高新技术企业认定情况通报》",
    ),
    ("specialized_smes", 2168, date(2024, 12, 31), "黑龙江省工业和信息化厅 专精特新中小企业名单（2024年）"),
    ("innovation_platforms", 96, date(2024, 12, 31), "黑龙江省科学技术厅 省级创新平台统计（2024年）"),
    ("transfer_institutions", 82, date(2024, 12, 31), "黑龙江省技术转移机构备案统计（2024年）"),
    ("industrialization_bases", 7, date(2024, 6, 30), "黑龙江省科技成果产业化基地认定通知（2024年）"),
    ("incubated_startups", 1460, date(2024, 12, 31), "黑龙江省科技企业孵化器年度统计（2024年）"),
    (
        "hightech_investment_share",
        1020,
        date(2024, 12, 31),
        "黑龙江省统计局《2024年国民经济和社会发展统计公报》",
    ),
    ("new_product_share", 1870, date(2024, 12, 31), "黑龙江省统计局 规模以上工业企业新产品统计（2024年）"),
]


def _regulator_for(ctx: DemoContext, region: str):
    by_city = {"230100": "regulator_harbin", "230600": "regulator_daqing"}
    key = by_city.get(region, "regulator")
    return ctx.users.get(key) or ctx.user("regulator")


def seed(ctx: DemoContext) -> None:
    """The entered plan-target values (idempotent).

    The ledger's entries come from the contracts seeder, which registers real
    demo contracts through the registration service; `generate_events` above
    serves the benchmark's synthetic ledgers.
    """
    from ..ledger.models import TargetValue
    from ..ledger.services import record_target_value

    if "regulator" not in ctx.users:
        ctx.echo("ledger: no demo regulator, skipped")
        return
    if not db.session.scalar(select(func.count()).select_from(TargetValue)):
        for target, value, measured_on, source in TARGET_VALUES:
            record_target_value(
                target, value=value, measured_on=measured_on, source=source, actor=ctx.user("regulator")
            )
        ctx.echo(f"ledger: {len(TARGET_VALUES)} target values entered")


def seed_checkpoints(ctx: DemoContext) -> None:
    """Two signed checkpoints of the Merkle tree, once: over the first half of
    the demo entries (as at that entry's time) and over all of them. Signed
    with the development key (instance/ledger-signing-key.pem, generated when
    LEDGER_SIGNING_KEY_FILE is not set)."""
    from ..ledger import checkpoints, merkle
    from ..ledger.models import LedgerCheckpoint, LedgerEntry

    if db.session.scalar(select(func.count()).select_from(LedgerCheckpoint)):
        return
    size, _frontier = merkle.tree_head()
    if not size:
        return
    try:
        key = checkpoints.load_signing_key()
    except checkpoints.SigningKeyError as exc:
        ctx.echo(f"ledger: no checkpoint signed ({exc})")
        return
    half = max(1, size // 2)
    at = db.session.scalar(select(LedgerEntry.recorded_at).where(LedgerEntry.seq == half))
    checkpoints.create_checkpoint(key=key, tree_size=half, signed_at=at)
    checkpoints.create_checkpoint(key=key)
    ctx.echo(f"ledger: checkpoints signed at {half} and {size} entries")
    db.session.flush()
