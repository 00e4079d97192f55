#!/usr/bin/env python3
"""Check an export of the turnover ledger against a signed checkpoint, offline.

Needs only Python 3.11+ and the ``cryptography`` package: not the platform's
code, nor its database, nor a network.

    python verify_ledger.py --export ledger-entries-all-230000.csv \\
        --checkpoint checkpoint.json --public-key ledger-key.pem \\
        [--older-checkpoint last-month.json ...] [--proof proof.json ...]
    python verify_ledger.py --checkpoint checkpoint.json --public-key ledger-key.pem \\
        --proof proof.json          # a certificate's proof, without an export

What it checks, each reported on its own line (exit status 0 when all hold,
1 when any fails, 2 when the input cannot be read):

1. the checkpoint's Ed25519 signature, over the text
   "<origin>\\n<tree_size>\\n<root_hash>\\n<signed_at>\\n" (the fields are read
   from the checkpoint JSON; its "signed_text" is not trusted);
2. the export's hash chain: each entry's hash is SHA-256 of its prev_hash, a
   newline and its canonical form, and links to the entry before it;
3. the Merkle root (RFC 6962) of the export's first tree_size entries equals
   the checkpoint's root hash: leaf = SHA-256(0x00 || canonical form),
   node = SHA-256(0x01 || left || right);
4. for each older checkpoint: its signature, and that the export's first
   (its tree_size) entries give its root - so the newer tree extends the
   older one (consistency); a rewritten ledger that was signed again fails here;
5. for each inclusion proof (the JSON of GET /api/v1/ledger/entries/{seq}/proof
   or one item of GET /api/v1/ledger/proof): its leaf hash from its
   canonical form, and its audit path up to the checkpoint's root.

The export: a CSV or XLSX from `flask ledger export` (or the dashboard's
download) of the whole ledger - every year, the whole province - since the
root covers every entry from the first. Columns used (others are ignored):
seq, kind, contract_id, registration_no, turnover_delta_fen,
tech_income_delta_fen, contracts_delta, effective_on, recorded_at,
regulator_id, year, seller_region, seller_org_kind, industry, category,
event_key, prev_hash, hash. CSV lines starting with "#" are comments (the
export states the chain's head and the latest checkpoint there); in an XLSX
file the sheet "entries" is read. Without --checkpoint, the checkpoint
printed in the export is used (its public key must still come from you).

The canonical form of an entry is the JSON (keys sorted, no spaces, UTF-8,
non-ASCII as is) of {seq, kind, contract_id, registration_no,
turnover_delta_fen, tech_income_delta_fen, contracts_delta, effective_on
(YYYY-MM-DD), recorded_at (UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ), regulator_id,
event_key, dims: {year, seller_region, seller_org_kind, industry,
category}}, numbers as integers and the rest as strings.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from pathlib import Path

INT_COLUMNS = ("seq", "contract_id", "turnover_delta_fen", "tech_income_delta_fen", "contracts_delta",
               "regulator_id", "year")  # fmt: skip
COLUMNS = ("seq", "kind", "contract_id", "registration_no", "turnover_delta_fen", "tech_income_delta_fen",
           "contracts_delta", "effective_on", "recorded_at", "regulator_id", "year", "seller_region",
           "seller_org_kind", "industry", "category", "event_key", "prev_hash", "hash")  # fmt: skip
GENESIS = "0" * 64


class InputError(Exception):
    pass


# --- Hashes ----------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical(row: dict) -> bytes:
    def integer(name: str) -> int:
        value = str(row[name]).strip()
        try:
            return int(value)
        except ValueError:
            number = float(value)  # a spreadsheet may hold 12.0
            if number != int(number):
                raise
            return int(number)

    recorded = datetime.fromisoformat(str(row["recorded_at"]).strip().replace("Z", "+00:00"))
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=UTC)
    fields = {
        "seq": integer("seq"),
        "kind": str(row["kind"]),
        "contract_id": integer("contract_id"),
        "registration_no": str(row["registration_no"]),
        "turnover_delta_fen": integer("turnover_delta_fen"),
        "tech_income_delta_fen": integer("tech_income_delta_fen"),
        "contracts_delta": integer("contracts_delta"),
        "effective_on": str(row["effective_on"])[:10],
        "recorded_at": recorded.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "regulator_id": integer("regulator_id"),
        "event_key": str(row["event_key"]),
        "dims": {
            "year": integer("year"),
            "seller_region": str(row["seller_region"]),
            "seller_org_kind": str(row["seller_org_kind"]),
            "industry": str(row["industry"]),
            "category": str(row["category"]),
        },
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Tree:
    """A Merkle tree built leaf by leaf, remembering the roots asked for."""

    def __init__(self, sizes):
        self.frontier: list[bytes] = []
        self.size = 0
        self.wanted = set(sizes)
        self.roots: dict[int, bytes] = {0: hashlib.sha256(b"").digest()} if 0 in self.wanted else {}

    def append(self, leaf: bytes) -> None:
        node, index = leaf, self.size
        while index & 1:
            node = node_hash(self.frontier.pop(), node)
            index >>= 1
        self.frontier.append(node)
        self.size += 1
        if self.size in self.wanted:
            root = self.frontier[-1]
            for left in reversed(self.frontier[:-1]):
                root = node_hash(left, root)
            self.roots[self.size] = root


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


# --- Reading ----------------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[dict], dict]:
    text = path.read_text(encoding="utf-8-sig")
    meta, lines = {}, []
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
        elif line.strip():
            lines.append(line)
    return list(csv.DictReader(io.StringIO("\n".join(lines)))), meta


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _column(ref: str) -> int:
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch.upper()) - 64
    return n - 1


def _sheet_rows(book: zipfile.ZipFile, name: str) -> list[list[str]]:
    workbook = ET.fromstring(book.read("xl/workbook.xml"))
    rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    target = None
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        if sheet.get("name") == name:
            target = targets[sheet.get(_REL)]
    if target is None:
        return []
    target = target.lstrip("/")
    path = target if target.startswith("xl/") else "xl/" + target
    shared: list[str] = []
    if "xl/sharedStrings.xml" in book.namelist():
        for si in ET.fromstring(book.read("xl/sharedStrings.xml")).iterfind("m:si", _NS):
            shared.append("".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t")))
    rows = []
    for row in ET.fromstring(book.read(path)).iterfind("m:sheetData/m:row", _NS):
        values: list[str] = []
        for i, cell in enumerate(row.iterfind("m:c", _NS)):
            col = _column(cell.get("r")) if cell.get("r") else i
            kind = cell.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))
            else:
                v = cell.find("m:v", _NS)
                value = "" if v is None or v.text is None else v.text
                if kind == "s":
                    value = shared[int(value)]
            values.extend([""] * (col + 1 - len(values)))
            values[col] = value
        rows.append(values)
    return rows


def read_xlsx(path: Path) -> tuple[list[dict], dict]:
    with zipfile.ZipFile(path) as book:
        rows = _sheet_rows(book, "entries")
        chain = _sheet_rows(book, "chain")
    if not rows:
        raise InputError(f"{path}: no sheet named 'entries'")
    header = rows[0]
    entries = [
        dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in rows[1:] if row
    ]
    meta = {row[0]: (row[1] if len(row) > 1 else "") for row in chain if row}
    return entries, meta


def read_export(path: Path) -> tuple[list[dict], dict]:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    rows, meta = read_xlsx(path) if zipfile.is_zipfile(path) else read_csv(path)
    if rows:
        missing = [c for c in COLUMNS if c not in rows[0]]
        if missing:
            raise InputError(f"{path}: the export lacks the column(s) {', '.join(missing)}")
    return rows, meta


def read_checkpoint(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a JSON checkpoint ({exc})") from None
    if isinstance(data, dict) and "latest" in data and "items" in data:
        data = data["latest"]  # the answer of GET /api/v1/ledger/checkpoints
    if not isinstance(data, dict) or not all(
        k in data for k in ("origin", "tree_size", "root_hash", "signed_at")
    ):
        raise InputError(f"{path}: a checkpoint needs origin, tree_size, root_hash, signed_at and signature")
    return data


def checkpoint_from_meta(meta: dict) -> dict | None:
    if not meta.get("checkpoint_tree_size"):
        return None
    return {
        "id": meta.get("checkpoint_id"),
        "origin": meta.get("checkpoint_origin", ""),
        "tree_size": meta["checkpoint_tree_size"],
        "root_hash": meta.get("checkpoint_root_hash", ""),
        "signed_at": meta.get("checkpoint_signed_at", ""),
        "key_id": meta.get("checkpoint_key_id"),
        "signature": meta.get("checkpoint_signature", ""),
    }


def load_public_key(spec: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    path = Path(spec)
    raw = path.read_bytes() if path.exists() else spec.encode()
    try:
        if b"BEGIN PUBLIC KEY" in raw:
            key = serialization.load_pem_public_key(raw)
        else:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(raw.decode().strip()))
    except ValueError as exc:
        raise InputError(f"{spec}: not an Ed25519 public key (PEM, or 64 hex digits): {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{spec}: not an Ed25519 public key")
    return key


def signature_ok(cp: dict, key) -> bool:
    from cryptography.exceptions import InvalidSignature

    text = f"{cp['origin']}\n{int(cp['tree_size'])}\n{cp['root_hash']}\n{cp['signed_at']}\n".encode()
    try:
        key.verify(bytes.fromhex(str(cp.get("signature", ""))), text)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- The checks --------------------------------------------------------------------------


class Report:
    def __init__(self, out):
        self.out = out
        self.failed = False

    def ok(self, message: str) -> None:
        print(f"OK    {message}", file=self.out)

    def fail(self, message: str) -> None:
        self.failed = True
        print(f"FAIL  {message}", file=self.out)


def _name(cp: dict) -> str:
    ident = f"#{cp['id']} " if cp.get("id") not in (None, "") else ""
    return f"checkpoint {ident}(size {int(cp['tree_size'])}, signed {cp['signed_at']})"


def run(
    export: Path | None, checkpoint: dict | None, key, older: list[dict], proofs: list[dict], out
) -> bool:
    report = Report(out)
    rows, meta = read_export(export) if export is not None else ([], {})
    if checkpoint is None and export is None:
        raise InputError("give --checkpoint (and --export, --proof or both)")
    if checkpoint is None:
        checkpoint = checkpoint_from_meta(meta)
        if checkpoint is None:
            raise InputError("no --checkpoint given and the export states none")
        print(f"using the checkpoint printed in {export.name}", file=out)
    for cp in (checkpoint, *older):
        if signature_ok(cp, key):
            report.ok(f"{_name(cp)}: signature verifies")
        else:
            report.fail(f"{_name(cp)}: the signature does not verify with this public key")

    partial = [
        f"{k} {meta[k]}" for k, whole in (("year", "all"), ("scope", "230000")) if meta.get(k, whole) != whole
    ]
    if partial:
        report.fail(
            f"the export covers only {', '.join(partial)}: export the whole ledger (every year, the whole province)"
        )
        return False
    size = int(checkpoint["tree_size"])
    if export is None:
        _check_proofs(report, proofs, checkpoint)
        return not report.failed
    tree = Tree({size, *(int(cp["tree_size"]) for cp in older)})
    prev, chain_broken = GENESIS, None
    for position, row in enumerate(rows, 1):
        try:
            form = canonical(row)
            seq = int(str(row["seq"]).strip() or 0)
        except (KeyError, ValueError) as exc:
            report.fail(f"row {position} of the export cannot be read: {exc}")
            return False
        if seq != position:
            report.fail(
                f"the export's row {position} is entry {seq}: entries are missing or out of order "
                "(export the whole ledger: every year, the whole province)"
            )
            return False
        if chain_broken is None:
            own = hashlib.sha256(prev.encode("ascii") + b"\n" + form).hexdigest()
            if row["prev_hash"] != prev:
                chain_broken = f"entry {seq} does not link to the entry before it"
            elif row["hash"] != own:
                chain_broken = f"entry {seq} does not match its hash: its content was changed"
            prev = row["hash"]
        tree.append(leaf_hash(form))
    if chain_broken:
        report.fail(f"hash chain: {chain_broken}")
    else:
        report.ok(f"hash chain: {len(rows)} entries link up, head {prev}")

    def root_check(cp: dict, label: str) -> None:
        n = int(cp["tree_size"])
        if n > tree.size:
            report.fail(
                f"{_name(cp)}: the export holds only {tree.size} entries; export the whole ledger again"
            )
        elif tree.roots[n].hex() != str(cp["root_hash"]).lower():
            report.fail(
                f"{_name(cp)}: the first {n} entries of the export give the root {tree.roots[n].hex()}, "
                f"not the signed {cp['root_hash']}: {label}"
            )
        else:
            report.ok(f"{_name(cp)}: the export's first {n} entries give its root {cp['root_hash']}")

    root_check(checkpoint, "the export differs from what was signed")
    for cp in older:
        if int(cp["tree_size"]) > size:
            report.fail(f"{_name(cp)} is larger than the checkpoint it should precede")
            continue
        root_check(
            cp, "the ledger is NOT consistent with this older checkpoint (entries it covers were rewritten)"
        )

    _check_proofs(report, proofs, checkpoint)
    return not report.failed


def _check_proofs(report: Report, proofs: list[dict], checkpoint: dict) -> None:
    size = int(checkpoint["tree_size"])
    for proof in proofs:
        seq = proof.get("seq")
        leaf = leaf_hash(str(proof.get("canonical", "")).encode("utf-8"))
        if leaf.hex() != proof.get("leaf_hash"):
            report.fail(f"inclusion proof of entry {seq}: its leaf hash does not match its canonical form")
            continue
        if int(proof.get("tree_size", -1)) != size:
            report.fail(f"inclusion proof of entry {seq} is for size {proof.get('tree_size')}, not {size}")
            continue
        path = [bytes.fromhex(h) for h in proof.get("audit_path", [])]
        if verify_inclusion(
            leaf, int(proof["leaf_index"]), size, path, bytes.fromhex(checkpoint["root_hash"])
        ):
            report.ok(f"inclusion proof of entry {seq}: leads to the checkpoint's root")
        else:
            report.fail(f"inclusion proof of entry {seq}: does NOT lead to the checkpoint's root")


def _proofs(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["items"] if isinstance(data, dict) and "items" in data else [data]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--export", type=Path, help="CSV or XLSX export of the whole ledger")
    parser.add_argument("--checkpoint", type=Path, help="the signed checkpoint (JSON)")
    parser.add_argument(
        "--public-key", required=True, help="the platform's public key: PEM file or 64 hex digits"
    )
    parser.add_argument("--older-checkpoint", type=Path, action="append", default=[], help="(repeatable)")
    parser.add_argument(
        "--proof", type=Path, action="append", default=[], help="inclusion proof JSON (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        key = load_public_key(args.public_key)
        checkpoint = read_checkpoint(args.checkpoint) if args.checkpoint else None
        older = [read_checkpoint(p) for p in args.older_checkpoint]
        proofs = [item for p in args.proof for item in _proofs(p)]
        ok = run(args.export, checkpoint, key, older, proofs, sys.stdout)
    except (InputError, OSError, ValueError, KeyError, zipfile.BadZipFile, ET.ParseError) as exc:
        print(f"ERROR {exc}", file=sys.stderr)
        return 2
    print("ALL CHECKS PASSED" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
