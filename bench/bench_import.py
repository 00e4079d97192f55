"""`flask contracts import` at scale: N generated rows of contracts registered offline.

Usage::

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_import \\
        python -m bench.bench_import --rows 100000

Creates the schema in a database of its own (dropped and made again), one
seller organization per city and a few buyers, writes a CSV of --rows rows (valid
registration numbers of each city's authority, registered on days of 2023-2025,
amounts from 10,000 to 5,000,000 yuan), and imports it through the command line
as an operator would (`flask contracts import FILE`), timing it. Then it imports
the same file again (every row is skipped) and verifies the ledger: the hash
chain, the summaries against the entries, the Merkle tree. Prints the figures.
Not a test.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_import"
CITIES = ["230100", "230200", "230300", "230400", "230500", "230600", "230700", "230800", "230900",
          "231000", "231100", "231200", "232700"]  # fmt: skip
CATEGORIES = ["transfer_patent", "license_patent", "transfer_technical_secret", "development_commissioned",
              "service", "consulting", "license_software_copyright"]  # fmt: skip
INDUSTRIES = ["digital", "biology", "new_materials", "agri_processing", "chemical", "high_end_equipment"]
TITLES = ["寒地大豆高蛋白品种选育技术", "石墨烯负极材料制备工艺", "稠油降黏催化剂", "玉米秸秆发酵饲料",
          "智慧供热调度平台", "冰雪装备低温材料", "蓝莓冻干工艺", "北药人参提取工艺"]  # fmt: skip


def _env(url: str, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=url, INSTANCE_PATH=str(folder), SEARCH_INDEX_DIR=str(folder / "search"),
               MARKETPLACE_ENV="development")  # fmt: skip
    return env


def prepare(url: str, folder: Path, rows: int, path: Path) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from stdnum.cn import uscc as stdnum_uscc

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    env = _env(url, folder)
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def uscc(region: str, n: int) -> str:
        body = f"12{region}{n:09d}"
        return body + stdnum_uscc.calc_check_digit(body)

    engine = create_engine(url)
    sellers: dict[str, str] = {}
    with engine.begin() as conn:
        for i, city in enumerate(CITIES):
            sellers[city] = uscc(city, 100 + i)
            conn.execute(
                text("INSERT INTO organizations (name, kind, uscc, region_code, status, created_at, updated_at) "
                     "VALUES (:n, 'university', :u, :r, 'approved', now(), now())"),
                {"n": f"基准大学{i}", "u": sellers[city], "r": city},
            )  # fmt: skip
        buyers = [uscc("230100", 900 + i) for i in range(5)]
        for i, code in enumerate(buyers):
            conn.execute(
                text("INSERT INTO organizations (name, kind, uscc, region_code, status, created_at, updated_at) "
                     "VALUES (:n, 'enterprise', :u, '230100', 'approved', now(), now())"),
                {"n": f"基准企业{i}", "u": code},
            )  # fmt: skip
    engine.dispose()
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "users", "create", "bench-admin@example.cn", "--role", "admin",
         "--org", "基准平台运营方", "--org-kind", "other", "--region", "230000", "--uscc", uscc("230000", 1),
         "--password", "bench-Pass-2026!"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    rng = random.Random(20261201)
    serials: dict[tuple[int, str], int] = {}
    start = date(2023, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["registration_no", "registered_on", "title", "category", "industry", "seller_uscc",
                         "turnover_yuan", "tech_income_yuan", "buyer_uscc", "buyer_name", "buyer_place"])  # fmt: skip
        days = sorted(start + timedelta(days=rng.randrange(3 * 365)) for _ in range(rows))
        for day in days:
            city = rng.choice(CITIES)
            key = (day.year, city)
            serials[key] = serials.get(key, 0) + 1
            number = f"{day.year}23{city[2:4]}01{serials[key]:06d}"
            turnover = rng.randrange(10_000, 5_000_000)
            income = turnover - rng.randrange(0, turnover // 5 + 1)
            writer.writerow([number, day.isoformat(), f"{rng.choice(TITLES)}合同", rng.choice(CATEGORIES),
                             rng.choice(INDUSTRIES), sellers[city], turnover, income, rng.choice(buyers), "",
                             ""])  # fmt: skip


def run_import(url: str, folder: Path, path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "contracts", "import", str(path), "--locale", "en"],
        cwd=ROOT, env=_env(url, folder), capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def verify(url: str, folder: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "ledger", "verify", "--summaries"],
        cwd=ROOT, env=_env(url, folder), capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the ledger does not verify:\n{done.stdout}\n{done.stderr}")
    print("  " + done.stdout.strip().replace("\n", "\n  "))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("The benchmark runs on PostgreSQL: set BENCH_DATABASE_URL.")
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    path = folder / "contracts.csv"
    prepare(url, folder, args.rows, path)
    print(f"{args.rows:,} rows in {path}")
    first, said = run_import(url, folder, path)
    print(f"import: {first:.1f} s ({args.rows / first:,.0f} rows/s): {said}")
    again, said = run_import(url, folder, path)
    print(f"the same file again: {again:.1f} s: {said}")
    seconds = verify(url, folder)
    print(f"verify: {seconds:.1f} s")


if __name__ == "__main__":
    main()
