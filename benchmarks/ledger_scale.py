"""The SQLite ledger at scale (issue 15): bulk fill, publication, issue latency by fill level, size.

``python benchmarks/ledger_scale.py [N]`` (default 100,000; the issue's figure is 1,000,000) prints a
JSON object; ``benchmarks/run.py --ledger N`` runs it and puts the figures in its report.

- **Bulk fill**: N credentials through the ledger's own batch API (``reserve_many`` then
  ``record_signed_many``, 10,000 per transaction, the same allocation and document storage as every
  issue), each document a real signed credential of the typical shape with its own id, recipient
  hash, status entry and proof value; then 1 % revoked and 0.1 % suspended (one ``set_status`` each).
  Durability (fsync) is off while filling (it is set-up, not a measured figure) and on for the rest.
- **Publication**: ``signed_status_lists()`` of every list, on a freshly opened ledger, and the
  ``microcred status-list`` command (a fresh process, as the issue measured it), each against the same
  on an empty ledger with one issued credential (the operating system's file cache stays warm: no
  cache is dropped on a shared machine).
- **Issue latency**: ``issue()`` (build, reserve, sign, record: two durable commits) of the typical
  credential, per call, with the newest revocation list at 0 % (an empty ledger), 50 %, 90 %, 99 % and
  99.9 % full, reaching each level through the batch API; p50 and p99 over the samples (fewer at
  99.9 %: a 131,072-entry list then has 131 free entries, half for ``issue()``, half for the ledger's
  part alone: reserve + record with fsync off, the allocation and storage work without the disk).
- **Size**: the file (after a checkpoint) per credential, and per table and index (SQLite ``dbstat``).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

from microcred import _files  # noqa: E402
from microcred.issuing import issue  # noqa: E402
from microcred.keys.files import save_key  # noqa: E402
from microcred.keys.material import IssuerKey, generate_key  # noqa: E402
from microcred.ledger.protocol import ReserveRequest  # noqa: E402
from microcred.ledger.sqlite import SQLiteLedger  # noqa: E402
from microcred.model.definition import load_definition  # noqa: E402
from microcred.status.bitstring import MIN_LIST_BITS  # noqa: E402
from microcred.status.publishing import signed_status_lists  # noqa: E402

EXAMPLE = ROOT / "examples" / "university-data-science.toml"
BASE = "https://www.uni-harderwijk.example/status"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
BATCH = 10_000
LEVELS = (0.5, 0.9, 0.99, 0.999)
SAMPLES = 400


class Template:
    """A real signed credential of the typical shape; :meth:`fill` gives one like it per credential."""

    def __init__(self, key: IssuerKey, workdir: Path) -> None:
        definition = load_definition(EXAMPLE)
        with SQLiteLedger.open(workdir / "template.db", now=lambda: NOW) as ledger:
            issued = issue(
                definition, "template@example.org", key, ledger=ledger, status_base_url=BASE, now=NOW
            )
        self.text = issued.serialize()
        doc = issued.credential
        self.achievement = doc["credentialSubject"]["achievement"]["id"]
        self.issuer = doc["issuer"]["id"] if isinstance(doc["issuer"], dict) else doc["issuer"]
        self.id = doc["id"]
        self.hash = doc["credentialSubject"]["identifier"][0]["identityHash"]
        self.proof = doc["proof"]["proofValue"]
        self.entry_index = doc["credentialStatus"]["statusListIndex"]
        self.entry_id = doc["credentialStatus"]["id"]

    def fill(self, credential_id: str, recipient_hash: str, index: int) -> str:
        proof = "z" + secrets.token_urlsafe(len(self.proof))[: len(self.proof) - 1]  # as incompressible
        return (
            self.text.replace(self.id, credential_id)
            .replace(self.hash, recipient_hash)
            .replace(self.proof, proof)
            .replace(self.entry_id, f"{BASE}/revocation-1#{index}")
            .replace(f'"statusListIndex": "{self.entry_index}"', f'"statusListIndex": "{index}"')
        )


def fill(ledger: SQLiteLedger, template: Template, start: int, count: int) -> None:
    """``count`` credentials through the batch API, ``BATCH`` per transaction."""
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        ids = [f"urn:uuid:{secrets.token_hex(16)}" for _ in range(n)]
        requests = [
            ReserveRequest(
                cid,
                template.achievement,
                f"sha256${secrets.token_hex(32)}",
                "di",
                NOW,
                BASE,
                row_key=cid,
                issuer=template.issuer,
            )
            for cid in ids
        ]
        reservations = ledger.reserve_many(requests)
        docs = [
            template.fill(r.credential_id, q.recipient, r.revocation.index)
            for r, q in zip(reservations, requests, strict=True)
        ]
        ledger.record_signed_many(list(zip(reservations, docs, strict=True)))
        done += n


def publication_s(path: Path, key: IssuerKey, repeat: int = 3) -> dict[str, Any]:
    """Best and median seconds of ``signed_status_lists()`` on a freshly opened ledger."""
    times = []
    lists = 0
    for _ in range(repeat):
        start = time.perf_counter()
        with SQLiteLedger.open(path, create=False) as ledger:
            lists = len(signed_status_lists(ledger, key, now=NOW))
        times.append(time.perf_counter() - start)
    return {"best_s": min(times), "median_s": statistics.median(times), "lists": lists}


def publication_cli_s(path: Path, key_file: Path, out: Path, repeat: int = 3) -> float:
    """Best seconds of ``microcred status-list`` (a fresh process: start-up included, as users run it)."""
    script = Path(sys.executable).with_name("microcred")
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "microcred"]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [*entry, "status-list", "--ledger", str(path), "--key", str(key_file), "-o", str(out)],
            check=True,
            capture_output=True,
        )
        best = min(best, time.perf_counter() - start)
    return best


def ledger_latency(ledger: SQLiteLedger, template: Template, samples: int) -> dict[str, float]:
    """ms of the ledger's part of one issue (reserve, then record a real document), fsync off: the
    allocation and storage work alone, without the disk's sync latency."""
    _files.DURABLE = False
    ledger._conn.execute("PRAGMA synchronous = OFF")
    times = []
    try:
        for _ in range(samples):
            cid = f"urn:uuid:{secrets.token_hex(16)}"
            request = ReserveRequest(
                cid,
                template.achievement,
                f"sha256${secrets.token_hex(32)}",
                "di",
                NOW,
                BASE,
                row_key=cid,
                issuer=template.issuer,
            )
            start = time.perf_counter()
            reservation = ledger.reserve(request)
            ledger.record_signed(
                reservation, template.fill(cid, request.recipient, reservation.revocation.index)
            )
            times.append(time.perf_counter() - start)
    finally:
        _files.DURABLE = True
        ledger._conn.execute("PRAGMA synchronous = FULL")
    times.sort()
    return {
        "ledger_p50_ms": 1000 * times[len(times) // 2],
        "ledger_p99_ms": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def newest_fill(ledger: SQLiteLedger) -> tuple[int, int]:
    newest = [r for r in ledger.lists() if r.purpose == "revocation"][-1]
    return newest.used, newest.size


def issue_latency(ledger: SQLiteLedger, key: IssuerKey, samples: int) -> dict[str, float]:
    definition = load_definition(EXAMPLE)
    times = []
    for i in range(samples):
        start = time.perf_counter()
        issue(
            definition,
            f"learner{secrets.token_hex(6)}@example.org",
            key,
            ledger=ledger,
            status_base_url=BASE,
            now=NOW,
        )
        times.append(time.perf_counter() - start)
        del i
    times.sort()
    return {
        "samples": samples,
        "p50_ms": 1000 * times[len(times) // 2],
        "p99_ms": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def table_sizes(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
    except sqlite3.Error:  # an SQLite built without dbstat
        return {}
    finally:
        conn.close()
    return {name: int(size) for name, size in rows}


def run(n: int, levels: tuple[float, ...] = LEVELS, samples: int = SAMPLES) -> dict[str, Any]:
    key = generate_key("Ed25519")
    results: dict[str, Any] = {"credentials": n, "list_size": MIN_LIST_BITS}
    with tempfile.TemporaryDirectory(prefix="microcred-ledger-") as tmp:
        work = Path(tmp)
        template = Template(key, work)
        results["document_bytes"] = len(template.text.encode())
        # the empty ledger: one credential issued, then publication and issue latency
        empty = work / "empty.db"
        with SQLiteLedger.open(empty) as ledger:
            issue(
                load_definition(EXAMPLE),
                "first@example.org",
                key,
                ledger=ledger,
                status_base_url=BASE,
                now=NOW,
            )
        key_file = work / "key.json"
        save_key(key, key_file)
        results["publication_empty"] = publication_s(empty, key)
        results["publication_empty"]["cli_best_s"] = publication_cli_s(empty, key_file, work / "lists-empty")
        with SQLiteLedger.open(empty) as ledger:
            results["issue_empty"] = {
                **issue_latency(ledger, key, samples),
                **ledger_latency(ledger, template, samples),
            }
        # the big one
        path = work / "big.db"
        _files.DURABLE = False
        start = time.perf_counter()
        with SQLiteLedger.open(path) as ledger:
            fill(ledger, template, 0, n)
            chosen = ledger._conn.execute(  # 1 % at random, without loading every record
                "SELECT credential_id FROM credentials WHERE state = 'issued' ORDER BY random() LIMIT ?",
                (n // 100,),
            ).fetchall()
            for (credential_id,) in chosen:
                ledger.revoke(credential_id, "benchmark")
        results["fill_s"] = time.perf_counter() - start
        _files.DURABLE = True
        with SQLiteLedger.open(path) as ledger:
            ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        results["size_bytes"] = path.stat().st_size
        results["bytes_per_credential"] = results["size_bytes"] / n
        results["tables"] = table_sizes(path)
        results["publication_full"] = publication_s(path, key)
        results["publication_full"]["cli_best_s"] = publication_cli_s(path, key_file, work / "lists-full")
        # issue latency as the newest list fills up
        by_fill: dict[str, Any] = {}
        with SQLiteLedger.open(path) as ledger:
            for level in levels:
                used, size = newest_fill(ledger)
                target = int(size * level)
                if used > target:  # past it already: the next list
                    _files.DURABLE = False
                    fill(ledger, template, n + 10_000_000 + used, size - used)
                    used = 0
                    _files.DURABLE = True
                if target > used:
                    _files.DURABLE = False
                    fill(ledger, template, n + 20_000_000 + int(level * 1e6), target - used)
                    _files.DURABLE = True
                calls = min(samples, (size - target - 1) // 2)  # half by issue(), half by the ledger alone
                by_fill[f"{level:.1%}"] = {
                    "newest_list_used": newest_fill(ledger)[0],
                    **issue_latency(ledger, key, calls),
                    **ledger_latency(ledger, template, calls),
                }
        results["issue_by_fill"] = by_fill
    return results


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(run(n), indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
