"""Issue a cohort into a ledger, as a separate process that tests kill (tests/test_ledger_crash.py).

    python ledger_issue_loop.py LEDGER ROWS LIST_SIZE ACHIEVEMENT [--die-at PHASE:N]

For each cohort row not yet issued: reserve (commit), add the status entries, sign with a fixed test
Ed25519 key, record the signed text (commit), and only then write it to stdout as one line.
``--die-at PHASE:N`` makes the process SIGKILL itself at PHASE (``reserved``, ``signed``, ``recorded``,
``half-written``) of its N-th issuance, to hit each window for sure; tests also kill it from outside.
Rows another process is issuing at the same moment are skipped when the ledger says so.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import uuid

from cryptography.hazmat.primitives.asymmetric import ed25519

from microcred.errors import LedgerError
from microcred.ledger.protocol import ReserveRequest
from microcred.ledger.sqlite import SQLiteLedger

SEED = bytes(range(32))
BASE = "https://example.edu/status"
ISSUER = "https://example.edu/issuers/1"


def sign(document: dict, key: ed25519.Ed25519PrivateKey) -> str:
    """A test signature: Ed25519 over the sorted compact JSON; the signed text is one line."""
    payload = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps(
        {**document, "testSignature": key.sign(payload).hex()}, sort_keys=True, separators=(",", ":")
    )


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    ledger_path, rows, list_size, achievement = argv[0], int(argv[1]), int(argv[2]), argv[3]
    die_phase, die_at = None, -1
    if len(argv) > 5 and argv[4] == "--die-at":
        die_phase, number = argv[5].split(":")
        die_at = int(number)
    key = ed25519.Ed25519PrivateKey.from_private_bytes(SEED)
    out = sys.stdout.buffer
    issued = 0
    with SQLiteLedger.open(ledger_path, _list_size=list_size) as ledger:
        for row in range(rows):
            row_key = f"row-{row}"
            found = ledger.find_by_row_key(achievement, row_key)
            if found is not None and found.state == "issued":
                continue
            credential_id = f"urn:uuid:{uuid.uuid4()}"
            try:
                reservation = ledger.reserve(
                    ReserveRequest(
                        credential_id,
                        achievement_id=achievement,
                        recipient=f"learner{row}@example.edu",
                        format="di",
                        issued_at="2026-05-01T00:00:00Z",
                        status_list_base_url=BASE,
                        suspension=row % 2 == 0,
                        row_key=row_key,
                        issuer=ISSUER,
                    )
                )
            except LedgerError as exc:
                if exc.code == "ledger.duplicate":  # another process issued this row meanwhile
                    continue
                raise
            if die_phase == "reserved" and issued == die_at:
                die()
            unsigned = {
                "id": credential_id,
                "issuer": ISSUER,
                "achievement": achievement,
                "row": row_key,
                "credentialStatus": reservation.credential_status,
            }
            text = sign(unsigned, key)
            if die_phase == "signed" and issued == die_at:
                die()
            try:
                ledger.record_signed(reservation, text)
            except LedgerError as exc:
                if exc.code == "ledger.abandoned":  # another process took this row over: drop our copy
                    continue
                raise
            if die_phase == "recorded" and issued == die_at:
                die()
            line = (text + "\n").encode()
            if die_phase == "half-written" and issued == die_at:
                out.write(line[: len(line) // 2])
                out.flush()
                die()
            out.write(line)
            out.flush()
            issued += 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
