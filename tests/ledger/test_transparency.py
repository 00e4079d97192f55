"""Signed checkpoints, proofs over the API, the monitor and the offline verifier,
and what they say after a rewrite that keeps the hash chain valid."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from marketplace.ledger import checkpoints, merkle, services
from marketplace.ledger.chain import GENESIS_HASH, entry_hash
from marketplace.ledger.models import LedgerCheckpoint, LedgerEntry

from ..conftest import ON_POSTGRES
from ..factories import user_with_role

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_ledger.py"


# --- Checkpoints -------------------------------------------------------------------------


def test_checkpoint_signs_size_and_root_and_verifies(ledger):
    first, second = ledger["first"], ledger["second"]
    assert (first.tree_size, second.tree_size) == (4, 7)
    assert second.root_hash == merkle.stored_root(7).hex()
    assert checkpoints.verify_signature(first) and checkpoints.verify_signature(second)
    forged = LedgerCheckpoint(
        origin=second.origin,
        tree_size=second.tree_size,
        root_hash=first.root_hash,
        signed_at=second.signed_at,
        key_id=second.key_id,
        public_key=second.public_key,
        signature=second.signature,
    )
    assert not checkpoints.verify_signature(forged)
    text_ = checkpoints.signed_text(second.origin, 7, second.root_hash, second.signed_at).decode()
    assert text_ == f"{second.origin}\n7\n{second.root_hash}\n{checkpoints.format_time(second.signed_at)}\n"


def test_checkpoints_are_append_only(db, ledger):
    for statement in (
        f"UPDATE ledger_checkpoints SET tree_size = 5 WHERE id = {ledger['first'].id}",
        f"DELETE FROM ledger_checkpoints WHERE id = {ledger['first'].id}",
        "UPDATE ledger_merkle_nodes SET idx = idx + 100 WHERE level = 0 AND idx = 0",
        "DELETE FROM ledger_merkle_nodes",
    ):
        with pytest.raises(DatabaseError) as info:
            with db.session.begin_nested():
                db.session.execute(text(statement))
        assert "append-only" in str(info.value)


def test_production_without_a_key_file_is_a_clear_error(app, monkeypatch, db, in_request):
    monkeypatch.delitem(app.config, "LEDGER_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("LEDGER_SIGNING_KEY_FILE", raising=False)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    monkeypatch.setitem(app.config, "TESTING", False)
    with pytest.raises(checkpoints.SigningKeyError, match="LEDGER_SIGNING_KEY_FILE is not set"):
        checkpoints.create_checkpoint()
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", "/nonexistent/key.pem")
    with pytest.raises(checkpoints.SigningKeyError, match="does not exist"):
        checkpoints.load_signing_key()


def test_cli_keygen_checkpoint_and_missing_key(app, db, tmp_path, monkeypatch):
    runner = app.test_cli_runner()
    key = tmp_path / "k.pem"
    result = runner.invoke(args=["ledger", "keygen", "--output", str(key)])
    assert result.exit_code == 0, result.output
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    assert runner.invoke(args=["ledger", "keygen", "--output", str(key)]).exit_code != 0  # never overwritten
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", str(key))
    result = runner.invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["tree_size"] == 0 and body["root_hash"] == merkle.EMPTY_ROOT.hex()
    monkeypatch.setitem(app.config, "LEDGER_SIGNING_KEY_FILE", str(tmp_path / "missing.pem"))
    result = runner.invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 2 and "does not exist" in result.output


# --- The API -------------------------------------------------------------------------------


def test_checkpoints_are_public_with_the_key(api, ledger):
    body = api().get("/api/v1/ledger/checkpoints").get_json()
    assert body["total"] == 2 and body["tree_size"] == 7
    assert [cp["tree_size"] for cp in body["items"]] == [7, 4]
    assert body["latest"]["id"] == ledger["second"].id
    (key,) = body["public_keys"]
    assert key["public_key_hex"] == ledger["second"].public_key and "BEGIN PUBLIC KEY" in key["pem"]


def test_inclusion_proof_verifies_against_the_signed_checkpoint(api, ledger):
    entry = ledger["entries"][2]
    body = api(user_with_role("regulator")).get(f"/api/v1/ledger/entries/{entry.seq}/proof?size=4").get_json()
    cp = ledger["first"]
    assert body["tree_size"] == 4 and body["checkpoint"]["id"] == cp.id
    assert checkpoints.verify_signature(cp)
    leaf = merkle.leaf_hash(body["canonical"].encode())
    assert leaf.hex() == body["leaf_hash"] == merkle.entry_leaf_hash(services.entry_fields(entry)).hex()
    path = [bytes.fromhex(h) for h in body["audit_path"]]
    assert merkle.verify_inclusion(leaf, entry.seq - 1, 4, path, bytes.fromhex(cp.root_hash))
    assert body["entry"]["hash"] == entry.hash
    # Default size: the latest checkpoint.
    default = api(user_with_role("regulator")).get(f"/api/v1/ledger/entries/{entry.seq}/proof").get_json()
    assert default["tree_size"] == 7 and default["root_hash"] == ledger["second"].root_hash


def test_who_may_ask_for_an_entry_proof(api, ledger):
    harbin, daqing = ledger["entries"][0], ledger["entries"][1]
    city = api(user_with_role("regulator", region="230100"))
    assert city.get(f"/api/v1/ledger/entries/{harbin.seq}/proof").status_code == 200
    assert city.get(f"/api/v1/ledger/entries/{daqing.seq}/proof").status_code == 404
    assert api(user_with_role("admin")).get(f"/api/v1/ledger/entries/{daqing.seq}/proof").status_code == 200
    assert api(user_with_role("buyer")).get(f"/api/v1/ledger/entries/{harbin.seq}/proof").status_code == 403
    assert api().get(f"/api/v1/ledger/entries/{harbin.seq}/proof").status_code == 401
    province = api(user_with_role("regulator"))
    assert province.get("/api/v1/ledger/entries/999/proof").status_code == 404
    for bad in ("size=abc", "size=2", "size=8"):  # entry 3 is not in a tree of 2; the tree has 7
        response = province.get(f"/api/v1/ledger/entries/3/proof?{bad}")
        assert response.status_code == 422 and response.get_json()["error"]["fields"]["size"], bad


def test_public_proof_by_registration_number_needs_the_certificates_leaf_hash(api, ledger):
    first = ledger["entries"][0]  # registered, then amended (entry 6)
    regno = first.registration_no
    assert api().get(f"/api/v1/ledger/proof?registration_no={regno}").status_code == 404
    wrong = "0" * 64
    assert api().get(f"/api/v1/ledger/proof?registration_no={regno}&leaf_hash={wrong}").status_code == 404
    leaf = merkle.entry_leaf_hash(services.entry_fields(ledger["entries"][5])).hex()
    body = api().get(f"/api/v1/ledger/proof?registration_no={regno}&leaf_hash={leaf}").get_json()
    assert [p["seq"] for p in body["items"]] == [1, 6] and body["tree_size"] == 7
    root = bytes.fromhex(ledger["second"].root_hash)
    for proof in body["items"]:
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        assert merkle.verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], 7, path, root)
    assert (
        api(user_with_role("regulator", region="230100"))
        .get(f"/api/v1/ledger/proof?registration_no={regno}")
        .status_code
        == 200
    )
    assert (
        api(user_with_role("regulator", region="230600"))
        .get(f"/api/v1/ledger/proof?registration_no={regno}")
        .status_code
        == 404
    )
    assert api().get("/api/v1/ledger/proof").status_code == 422


def test_consistency_proof_between_the_two_checkpoints(api, ledger):
    first, second = ledger["first"], ledger["second"]
    body = api().get("/api/v1/ledger/consistency?from=4&to=7").get_json()
    assert (body["from_root"], body["to_root"]) == (first.root_hash, second.root_hash)
    assert body["from_checkpoint"]["id"] == first.id and body["to_checkpoint"]["id"] == second.id
    proof = [bytes.fromhex(h) for h in body["proof"]]
    assert merkle.verify_consistency(
        4, 7, bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash), proof
    )
    for bad in ("from=5&to=4", "from=1&to=8", "to=3", "from=x"):
        assert api().get(f"/api/v1/ledger/consistency?{bad}").status_code == 422, bad
    assert api().get("/api/v1/ledger/consistency?from=2").get_json()["to"] == 7


def test_checkpoints_page_in_both_languages(client, ledger):
    html = client.get("/ledger/checkpoints").get_data(as_text=True)
    assert "签名检查点" in html and ledger["second"].root_hash in html and "BEGIN PUBLIC KEY" in html
    html = client.get("/ledger/checkpoints?lang=en").get_data(as_text=True)
    assert "Signed checkpoints" in html and ledger["first"].root_hash in html


# --- Monitoring and the offline verifier -----------------------------------------------------


def _disable_guard(db) -> None:
    if ON_POSTGRES:
        db.session.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only"))
    else:
        db.session.execute(text("DROP TRIGGER ledger_entries_no_update"))


def _rewrite_keeping_the_chain_valid(db, seq: int) -> None:
    """What someone with superuser access could do: change an entry's amount,
    recompute every later hash and the head, so the chain verifies, and
    rebuild the stored Merkle tree from the rewritten entries."""
    _disable_guard(db)
    db.session.execute(
        text("UPDATE ledger_entries SET turnover_delta_fen = turnover_delta_fen + 100 WHERE seq = :s"),
        {"s": seq},
    )
    db.session.expire_all()
    prev = GENESIS_HASH
    for entry in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)):
        own = entry_hash(prev, services.entry_fields(entry))
        db.session.execute(
            text("UPDATE ledger_entries SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": prev, "h": own, "s": entry.seq},
        )
        prev = own
    db.session.execute(text("UPDATE ledger_head SET hash = :h"), {"h": prev})
    if ON_POSTGRES:
        db.session.execute(
            text("ALTER TABLE ledger_merkle_nodes DISABLE TRIGGER ledger_merkle_nodes_append_only")
        )
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS ledger_merkle_nodes_no_delete"))
    db.session.execute(text("DELETE FROM ledger_merkle_nodes"))
    db.session.execute(text("UPDATE ledger_head SET tree_size = 0, tree_frontier = NULL"))
    merkle.catch_up(db.session)
    db.session.expire_all()


def test_monitor_holds_then_names_the_checkpoint_a_chain_preserving_rewrite_breaks(
    app, db, ledger, in_request
):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "verify", "--against-checkpoints"])
    assert result.exit_code == 0, result.output
    assert "consistent with all 2 checkpoint(s)" in result.output
    _rewrite_keeping_the_chain_valid(db, 3)
    assert services.verify_ledger().ok  # the hash chain alone does not notice
    check = checkpoints.check_against_checkpoints()
    assert not check.ok and check.broken_id == ledger["first"].id and check.reason == "root"
    result = runner.invoke(args=["ledger", "verify", "--against-checkpoints"])
    assert result.exit_code == 1
    assert f"checkpoint {ledger['first'].id} (size 4)" in result.output


def test_monitor_names_the_later_checkpoint_when_only_its_entries_were_rewritten(db, ledger, in_request):
    _rewrite_keeping_the_chain_valid(db, 6)
    check = checkpoints.check_against_checkpoints()
    assert not check.ok and check.checkpoints == 1 and check.broken_id == ledger["second"].id


def _export_csv(app, path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["ledger", "export", "--format", "csv", "--output", str(path)])
    assert result.exit_code == 0, result.output


def _json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VERIFIER), *map(str, args)], capture_output=True, text=True, timeout=60
    )


def test_offline_verifier_passes_on_a_true_export_and_fails_on_an_edited_one(app, db, ledger, tmp_path, api):
    export = tmp_path / "ledger.csv"
    _export_csv(app, export)
    pub = ledger["second"].public_key
    cp = _json(tmp_path / "cp.json", checkpoints.checkpoint_json(ledger["second"]))
    old = _json(tmp_path / "old.json", checkpoints.checkpoint_json(ledger["first"]))
    proof = _json(
        tmp_path / "proof.json",
        api(user_with_role("regulator")).get("/api/v1/ledger/entries/5/proof?size=7").get_json(),
    )
    done = _verify("--export", export, "--checkpoint", cp, "--public-key", pub, "--older-checkpoint", old,
                   "--proof", proof)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ALL CHECKS PASSED" in done.stdout and "inclusion proof of entry 5" in done.stdout
    # The checkpoint printed in the export itself, and a PEM key file.
    pem = tmp_path / "key.pem"
    pem.write_text(checkpoints.public_key_pem(pub))
    done = _verify("--export", export, "--public-key", pem)
    assert done.returncode == 0 and "using the checkpoint printed in" in done.stdout, done.stdout

    # An edited amount: the root no longer matches (and the chain says where).
    lines = export.read_text(encoding="utf-8-sig").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("seq,"))
    rows = list(csv.reader(lines[header + 2 : header + 3]))  # the export's second entry
    rows[0][4] = str(int(rows[0][4]) + 100)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(rows[0])
    lines[header + 2] = out.getvalue()
    edited = tmp_path / "edited.csv"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _verify("--export", edited, "--checkpoint", cp, "--public-key", pub)
    assert done.returncode == 1
    assert "FAIL  hash chain: entry 2 does not match its hash" in done.stdout
    assert "FAIL  checkpoint" in done.stdout and "not the signed" in done.stdout

    # A forged signature and a wrong key.
    forged = dict(checkpoints.checkpoint_json(ledger["second"]), tree_size=6)
    done = _verify(
        "--export", export, "--checkpoint", _json(tmp_path / "f.json", forged), "--public-key", pub
    )
    assert done.returncode == 1 and "signature does not verify" in done.stdout
    assert _verify("--export", export, "--checkpoint", cp, "--public-key", "00" * 32).returncode == 1


def test_offline_verifier_reads_xlsx_and_refuses_a_partial_export(app, db, ledger, tmp_path):
    book = tmp_path / "ledger.xlsx"
    result = app.test_cli_runner().invoke(
        args=["ledger", "export", "--format", "xlsx", "--output", str(book)]
    )
    assert result.exit_code == 0, result.output
    pub = ledger["second"].public_key
    cp = _json(tmp_path / "cp.json", checkpoints.checkpoint_json(ledger["second"]))
    done = _verify("--export", book, "--checkpoint", cp, "--public-key", pub)
    assert done.returncode == 0, done.stdout + done.stderr
    year = ledger["entries"][0].year
    partial = tmp_path / "partial.csv"
    result = app.test_cli_runner().invoke(
        args=["ledger", "export", "--format", "csv", "--year", str(year + 1), "--output", str(partial)]
    )
    assert result.exit_code == 0
    done = _verify("--export", partial, "--checkpoint", cp, "--public-key", pub)
    assert done.returncode == 1 and "export the whole ledger" in done.stdout, done.stdout


def test_after_a_rewrite_the_verifier_says_the_older_checkpoint_is_not_consistent(
    app, db, ledger, tmp_path, in_request
):
    old = _json(tmp_path / "old.json", checkpoints.checkpoint_json(ledger["first"]))
    _rewrite_keeping_the_chain_valid(db, 2)
    # The rewritten tree is signed: that checkpoint's signature is genuine.
    resigned = checkpoints.create_checkpoint()
    assert resigned.tree_size == 7 and resigned.root_hash != ledger["second"].root_hash
    export = tmp_path / "rewritten.csv"
    _export_csv(app, export)
    cp = _json(tmp_path / "cp.json", checkpoints.checkpoint_json(resigned))
    done = _verify("--export", export, "--checkpoint", cp, "--older-checkpoint", old, "--public-key",
                   resigned.public_key)  # fmt: skip
    assert done.returncode == 1
    assert "hash chain: 7 entries link up" in done.stdout  # the chain alone looks fine
    assert f"OK    checkpoint #{resigned.id} (size 7" in done.stdout  # and so does the new checkpoint
    assert "NOT consistent with this older checkpoint" in done.stdout
    assert f"checkpoint #{ledger['first'].id} (size 4" in done.stdout


def test_certificate_prints_the_entry_and_the_latest_checkpoint(db, ledger, in_request):
    entry = ledger["entries"][5]
    lines = dict(checkpoints.certificate_lines(entry.registration_no))
    assert lines["账本条目（序号 / 叶哈希）"].startswith(f"{entry.seq} / ")
    assert ledger["second"].root_hash in lines["最新签名检查点"]
    assert checkpoints.certificate_lines("2099230100999999") == []


def test_exports_print_the_latest_checkpoint(client, login_as, ledger):
    login_as("regulator")
    body = client.get("/ledger/export?format=csv&what=entries").get_data(as_text=True)
    meta = dict(line[2:].split(": ", 1) for line in body.splitlines() if line.startswith("# "))
    assert meta["checkpoint_root_hash"] == ledger["second"].root_hash
    assert meta["checkpoint_tree_size"] == "7" and meta["checkpoint_signature"] == ledger["second"].signature


def test_a_certificate_holder_checks_the_proof_offline_without_an_export(api, ledger, tmp_path):
    entry = ledger["entries"][5]
    leaf = merkle.entry_leaf_hash(services.entry_fields(entry)).hex()
    body = (
        api().get(f"/api/v1/ledger/proof?registration_no={entry.registration_no}&leaf_hash={leaf}").get_json()
    )
    cp = _json(tmp_path / "cp.json", api().get("/api/v1/ledger/checkpoints").get_json())  # the whole answer
    proof = _json(tmp_path / "proof.json", body)
    done = _verify("--checkpoint", cp, "--proof", proof, "--public-key", ledger["second"].public_key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "inclusion proof of entry 1" in done.stdout and "inclusion proof of entry 6" in done.stdout
    body["items"][1]["canonical"] = body["items"][1]["canonical"].replace(
        '"kind":"amendment"', '"kind":"registration"'
    )
    body["items"][1]["leaf_hash"] = merkle.leaf_hash(body["items"][1]["canonical"].encode()).hex()
    done = _verify(
        "--checkpoint", cp, "--proof", _json(proof, body), "--public-key", ledger["second"].public_key
    )
    assert done.returncode == 1 and "inclusion proof of entry 6: does NOT lead" in done.stdout


def test_the_verifier_needs_nothing_of_the_platform() -> None:
    source = VERIFIER.read_text(encoding="utf-8")
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    imports |= {
        line.split()[1]
        for line in source.splitlines()
        if line.strip().startswith(("from cryptography", "import "))
    }
    assert not any(name.startswith("marketplace") for name in imports)
    third_party = {name.split(".")[0] for name in imports} - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party <= {"cryptography"}, third_party


def test_cli_checkpoint_first_extends_a_tree_left_behind_by_a_bulk_load(app, db, ledger):
    root = ledger["second"].root_hash
    if ON_POSTGRES:
        db.session.execute(
            text("ALTER TABLE ledger_merkle_nodes DISABLE TRIGGER ledger_merkle_nodes_append_only")
        )
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS ledger_merkle_nodes_no_delete"))
    db.session.execute(text("DELETE FROM ledger_merkle_nodes"))
    db.session.execute(text("UPDATE ledger_head SET tree_size = 0, tree_frontier = NULL"))
    result = app.test_cli_runner().invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["tree_size"], body["root_hash"]) == (7, root)
