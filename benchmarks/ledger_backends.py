"""The ledger on SQLite and on PostgreSQL: issuing throughput with 1, 2 and 4 processes, status-list
publication time at many recorded credentials, and size per million credentials.

    .venv/bin/python benchmarks/ledger_backends.py                  # ~3 minutes on 2 busy cores
    .venv/bin/python benchmarks/ledger_backends.py --quick          # a smoke run
    .venv/bin/python benchmarks/ledger_backends.py --postgres DSN   # an existing server (else a
                                                                    # throwaway cluster, tests/pg_support.py)

**Issuing.** ``--credentials`` (default 8,000) split between P processes (1, 2, 4), each a "node"
issuing its share through the protocol like a cohort run: ``reserve_many`` of 32, an Ed25519 test
signature each, ``record_signed_many`` of 32. Credentials/s = all credentials / wall time of the
slowest node, into a fresh ledger each time.

**Publication.** A ledger filled by bulk SQL (the schema's own tables, not the API, which would take
too long here) with ``--recorded`` credentials (default 1,000,000) in full lists of 131,072, their
indexes a permutation per list, 1 % revoked; then the time to read every list's bits
(``list_bits``) and to build and sign them all (``signed_status_lists``, eddsa-rdfc-2022).

**Size.** The database's size after the fill (tables and indexes, no documents) per million, plus the
stored size of real signed credentials (the typical example, ~5 KB of JSON) per million, measured on
``--documents`` of them (default 20,000) and scaled.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

LIST = 131_072
BASE = "https://example.edu/status"
ISSUER_DOC = ROOT / "examples" / "university-data-science.toml"


def node(target: str, first: int, count: int) -> None:
    """One issuing process: ``count`` credentials from row ``first``."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from microcred.ledger.protocol import Ledger, ReserveRequest

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    with Ledger.open(target) as ledger:
        for at in range(first, first + count, 32):
            rows = range(at, min(at + 32, first + count))
            requests = [
                ReserveRequest(
                    f"urn:uuid:{uuid.uuid4()}",
                    "https://example.edu/a",
                    f"l{n}@example.edu",
                    "di",
                    "2026-05-01T00:00:00Z",
                    BASE,
                    row_key=f"row-{n}",
                )
                for n in rows
            ]
            reservations = ledger.reserve_many(requests)
            signed = []
            for r in reservations:
                doc = json.dumps({"id": r.credential_id, "credentialStatus": r.credential_status})
                signed.append((r, doc[:-1] + f',"sig":"{key.sign(doc.encode()).hex()}"}}'))
            ledger.record_signed_many(signed)


def issuing(target_for, processes: int, total: int) -> float:
    target = target_for()
    from microcred.ledger.protocol import Ledger

    Ledger.open(target).close()  # created before the clock starts
    share = total // processes
    began = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, __file__, "--node", target, str(k * share), str(share)])
        for k in range(processes)
    ]
    for p in procs:
        if p.wait(timeout=1800):
            raise SystemExit(f"a node failed (exit {p.returncode})")
    return share * processes / (time.perf_counter() - began)


def fill_sqlite(path: Path, recorded: int) -> None:
    from microcred.ledger.protocol import Ledger

    Ledger.open(path).close()
    lists = (recorded + LIST - 1) // LIST
    db = sqlite3.connect(path)
    with db:
        for n in range(lists):
            used = min(LIST, recorded - n * LIST)
            db.execute(
                "INSERT INTO status_lists (list_id, url, base_url, purpose, seq, size, used, issuer, "
                "created_at) VALUES (?, ?, ?, 'revocation', ?, ?, ?, NULL, '2026-05-01T00:00:00Z')",
                (n + 1, f"{BASE}/revocation-{n + 1}", BASE, n + 1, LIST, used),
            )
        db.execute(
            "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < ?) "
            "INSERT INTO credentials (credential_id, achievement_id, recipient, format, issued_at, row_key, "
            "state, reserved_at, recorded_at, revocation_list, revocation_index, document_sha256, revoked) "
            "SELECT 'urn:c:' || n, 'https://example.edu/a', 'l' || n, 'di', '2026-05-01T00:00:00Z', "
            "'row-' || n, 'issued', '2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z', n / ? + 1, "
            "((n % ?) * 48271 + 17) % ?, 'x', n % 100 = 0 FROM s",
            (recorded, LIST, LIST, LIST),
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def fill_postgres(dsn: str, recorded: int) -> None:
    import psycopg

    from microcred.ledger.protocol import Ledger

    Ledger.open(dsn).close()
    with psycopg.connect(dsn) as db:
        db.execute(
            "INSERT INTO microcred_status_lists (url, base_url, purpose, seq, size, used, created_at) "
            "SELECT %s || '/revocation-' || (k + 1), %s, 'revocation', k + 1, %s, LEAST(%s, %s - k * %s), "
            "'2026-05-01T00:00:00Z' FROM generate_series(0, (%s + %s - 1) / %s - 1) AS k",
            (BASE, BASE, LIST, LIST, recorded, LIST, recorded, LIST, LIST),
        )
        db.execute(
            "INSERT INTO microcred_credentials (credential_id, achievement_id, recipient, format, issued_at, "
            "row_key, state, reserved_at, recorded_at, revocation_list, revocation_index, document_sha256, "
            "revoked) SELECT 'urn:c:' || n, 'https://example.edu/a', 'l' || n, 'di', '2026-05-01T00:00:00Z', "
            "'row-' || n, 'issued', '2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z', "
            "(SELECT list_id FROM microcred_status_lists WHERE seq = n / %s + 1), "
            "((n %% %s)::bigint * 48271 + 17) %% %s, 'x', n %% 100 = 0 FROM generate_series(0, %s - 1) AS n",
            (LIST, LIST, LIST, recorded),
        )
        db.execute("ANALYZE")


def publication(target: str) -> tuple[float, float]:
    from microcred.keys.material import generate_key
    from microcred.ledger.protocol import Ledger
    from microcred.status.publishing import signed_status_lists

    key = generate_key("Ed25519")
    with Ledger.open(target, create=False) as ledger:
        began = time.perf_counter()
        for record in ledger.lists():
            ledger.list_bits(record.url)
        bits = time.perf_counter() - began
        began = time.perf_counter()
        published = signed_status_lists(ledger, key)
        signed = time.perf_counter() - began
    assert published
    return bits, signed


def sizes_postgres(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as db:
        row = db.execute(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace s ON s.oid = "
            "c.relnamespace WHERE c.relkind = 'r' AND s.nspname = current_schema() "
            "AND c.relname LIKE 'microcred%%'"
        ).fetchone()
    return int(row[0])


def stored_size(target: str, postgres: bool) -> int:
    """Bytes the ledger takes: the SQLite file (checkpointed), or every ``microcred_`` relation."""
    if postgres:
        return sizes_postgres(target)
    db = sqlite3.connect(target)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return os.path.getsize(target)


def document_bytes(target_for, count: int, postgres: bool) -> float:
    """Stored bytes per signed typical credential's document, over ``count`` of them: the size of a
    ledger holding them minus one holding the same records with a 2-byte document (whatever the schema)."""
    from microcred.issuing import issue
    from microcred.keys.material import generate_key
    from microcred.ledger.protocol import Ledger, ReserveRequest
    from microcred.model.definition import load_definition

    definition = load_definition(ISSUER_DOC)
    key = generate_key("Ed25519")
    text = json.dumps(issue(definition, "ada@example.org", key).credential)
    sizes = []
    for real in (True, False):
        target = target_for()
        with Ledger.open(target) as ledger:
            for at in range(0, count, 100):
                reqs = [
                    ReserveRequest(f"urn:uuid:{uuid.uuid4()}", "a", "r", "di", "2026-05-01T00:00:00Z", BASE)
                    for _ in range(min(100, count - at))
                ]
                reservations = ledger.reserve_many(reqs)
                ledger.record_signed_many(
                    [
                        (r, text.replace("urn:uuid:", r.credential_id + "#", 1) if real else "{}")
                        for r in reservations
                    ]
                )
        sizes.append(stored_size(target, postgres))
    return (sizes[0] - sizes[1]) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--credentials", type=int, default=8000)
    parser.add_argument("--recorded", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    if args.quick:
        args.credentials, args.recorded, args.documents = 200, 20_000, 200
    import pg_support

    cluster = None
    if args.postgres:
        server = pg_support.External(args.postgres)
    else:
        cluster = server = pg_support.Cluster()
        cluster.start()
    work = Path(tempfile.mkdtemp(prefix="mcbench"))
    try:
        pg = lambda: pg_support.new_schema(server)  # noqa: E731
        lite = lambda: str(work / f"{uuid.uuid4().hex}.db")  # noqa: E731
        print(f"issuing {args.credentials} credentials (credentials/s, wall time of all nodes)")
        print("| processes | SQLite | PostgreSQL |\n|---:|---:|---:|")
        for processes in (1, 2, 4):
            s, p = issuing(lite, processes, args.credentials), issuing(pg, processes, args.credentials)
            print(f"| {processes} | {s:.0f} | {p:.0f} |", flush=True)
        print(f"\npublication at {args.recorded:,} recorded credentials (1 % revoked)")
        print(
            "| backend | fill (s) | list_bits, all lists (s) | signed_status_lists (s) "
            "| MB per million, no documents |"
        )
        print("|---|---:|---:|---:|---:|")
        for name in ("SQLite", "PostgreSQL"):
            target = lite() if name == "SQLite" else pg()
            began = time.perf_counter()
            if name == "SQLite":
                fill_sqlite(Path(target), args.recorded)
            else:
                fill_postgres(target, args.recorded)
            fill = time.perf_counter() - began
            bits, signed = publication(target)
            size = os.path.getsize(target) if name == "SQLite" else sizes_postgres(target)
            per_million = size / args.recorded * 1e6 / 2**20
            print(f"| {name} | {fill:.1f} | {bits:.2f} | {signed:.2f} | {per_million:.0f} |", flush=True)
            if name == "SQLite":
                os.unlink(target)
        print(f"\nsigned typical credentials stored ({args.documents:,} measured; MB per million)")
        s_doc = document_bytes(lite, args.documents, False)
        p_doc = document_bytes(pg, args.documents, True)
        print(
            f"SQLite {s_doc * 1e6 / 2**20:.0f} MB (uncompressed), "
            f"PostgreSQL {p_doc * 1e6 / 2**20:.0f} MB (TOAST)"
        )
    finally:
        if cluster is not None:
            cluster.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--node":
        node(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
