"""One issuing "node" for the PostgreSQL ledger tests (tests/test_ledger_nodes.py), run as a process.

    python pg_issue_nodes.py LEDGER ACHIEVEMENT ROWS [--start N] [--chunk N] [--list-size N]
                             [--die-in-tx reserve:K | record:K]

Issues rows ``row-0`` … ``row-{ROWS-1}`` of ACHIEVEMENT, starting at row ``--start`` and wrapping
around (nodes given different starts work on different rows first, then meet), in chunks like a
cohort run: reserve the chunk (one transaction), sign each with a fixed test Ed25519 key, record the
chunk (one transaction), and only then write each signed text to stdout as one line. Rows another
node issued are skipped when the ledger says ``ledger.duplicate``; a copy whose reservation another
node took over (``ledger.abandoned``) is dropped. ``--die-in-tx`` SIGKILLs the process inside the
K-th reserve or record transaction, after its writes and before COMMIT. At the end, the number of
retried transactions goes to stderr as ``retries N``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import uuid

from cryptography.hazmat.primitives.asymmetric import ed25519

from microcred.errors import LedgerError
from microcred.ledger.postgres import PostgresLedger
from microcred.ledger.protocol import Reservation, ReserveRequest

SEED = bytes(range(32))
BASE = "https://example.edu/status"
ISSUER = "https://example.edu/issuers/1"


def sign(document: dict, key: ed25519.Ed25519PrivateKey) -> str:
    """A test signature: Ed25519 over the sorted compact JSON; the signed text is one line."""
    payload = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps(
        {**document, "testSignature": key.sign(payload).hex()}, sort_keys=True, separators=(",", ":")
    )


def request(achievement: str, row: int) -> ReserveRequest:
    return ReserveRequest(
        f"urn:uuid:{uuid.uuid4()}",
        achievement_id=achievement,
        recipient=f"learner{row}@example.edu",
        format="di",
        issued_at="2026-05-01T00:00:00Z",
        status_list_base_url=BASE,
        suspension=row % 2 == 0,
        row_key=f"row-{row}",
        issuer=ISSUER,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("ledger")
    parser.add_argument("achievement")
    parser.add_argument("rows", type=int)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=32)
    parser.add_argument("--list-size", type=int, default=131_072)
    parser.add_argument("--die-in-tx", default=None)
    args = parser.parse_args(argv)
    key = ed25519.Ed25519PrivateKey.from_private_bytes(SEED)
    out = sys.stdout.buffer
    order = [(args.start + i) % args.rows for i in range(args.rows)]
    with PostgresLedger.open(args.ledger, _list_size=args.list_size) as ledger:
        if args.die_in_tx:
            phase, number = args.die_in_tx.split(":")
            marker = (
                "INSERT INTO microcred_credentials"
                if phase == "reserve"
                else "INSERT INTO microcred_documents"
            )
            seen = [0]

            def hook(sql: str) -> None:
                if sql.startswith(marker):
                    seen[0] += 1
                    if seen[0] == int(number):
                        os.kill(os.getpid(), signal.SIGKILL)

            ledger._hook = hook
        for at in range(0, len(order), args.chunk):
            rows = order[at : at + args.chunk]
            try:
                reservations = ledger.reserve_many([request(args.achievement, r) for r in rows])
            except LedgerError as exc:
                if exc.code != "ledger.duplicate":
                    raise
                # some rows are issued already (by another node or an earlier run): reserve the rest
                rows = [
                    r
                    for r in rows
                    if (found := ledger.find_by_row_key(args.achievement, f"row-{r}")) is None
                    or found.state != "issued"
                ]
                reservations = []
                for r in rows:
                    try:
                        reservations.append(ledger.reserve(request(args.achievement, r)))
                    except LedgerError as again:
                        if again.code != "ledger.duplicate":
                            raise
            signed: list[tuple[Reservation, str]] = []
            for reservation in reservations:
                unsigned = {
                    "id": reservation.credential_id,
                    "issuer": ISSUER,
                    "achievement": args.achievement,
                    "credentialStatus": reservation.credential_status,
                }
                signed.append((reservation, sign(unsigned, key)))
            try:
                ledger.record_signed_many(signed)
                kept = signed
            except LedgerError as exc:
                if exc.code != "ledger.abandoned":
                    raise
                kept = []
                for reservation, text in signed:  # one by one: drop only the copies taken over
                    try:
                        ledger.record_signed(reservation, text)
                        kept.append((reservation, text))
                    except LedgerError as one:
                        if one.code != "ledger.abandoned":
                            raise
            out.write(b"".join((text + "\n").encode() for _, text in kept))
            out.flush()
        print(f"retries {ledger.retries}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
