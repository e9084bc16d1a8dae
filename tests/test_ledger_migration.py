"""Schema 2 (issue 15): a ledger written by the release before it (tests/vectors/ledger-v1, made by its
make.sh at f69ef91) is migrated on open, keeping every credential, document byte, status and event;
documents are stored compressed apart from the rows; publication reads a covering partial index; the
free-slot arrays of the migrated lists hold exactly the indexes never taken."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from microcred.errors import LedgerError
from microcred.ledger import sqlite_allocation
from microcred.ledger.protocol import Ledger, ReserveRequest
from microcred.ledger.sqlite import SQLiteLedger
from microcred.ledger.sqlite_schema import SCHEMA_VERSION

V1 = Path(__file__).parent / "vectors" / "ledger-v1" / "ledger-v1.db"


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    shutil.copy(V1, path)
    return path


def snapshot_v1(path: Path) -> dict:
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        rows = raw.execute(
            "SELECT credential_id, state, revoked, suspended, document_sha256, document, revocation_index, "
            "suspension_index FROM credentials ORDER BY seq"
        ).fetchall()
        events = raw.execute("SELECT credential_seq, status, at, reason FROM status_events").fetchall()
        lists = raw.execute("SELECT list_id, url, purpose, size FROM status_lists").fetchall()
        taken = {
            url: {
                r[0]
                for r in raw.execute(
                    f"SELECT {p}_index FROM credentials WHERE {p}_list = ?",
                    (list_id,),
                )
            }
            for list_id, url, purpose, _ in lists
            for p in ["revocation" if purpose == "revocation" else "suspension"]
        }
    finally:
        raw.close()
    return {"rows": rows, "events": events, "lists": lists, "taken": taken}


def test_the_previous_release_ledger_is_migrated_losslessly(v1):
    before = snapshot_v1(v1)
    issued = [r for r in before["rows"] if r[1] == "issued"]
    assert len(issued) == 13 and {r[1] for r in before["rows"]} == {"issued", "reserved", "abandoned"}
    with Ledger.open(v1, create=False) as ledger:
        ledger.check()
        conn = ledger._conn  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        columns = {r[1] for r in conn.execute("PRAGMA table_info(credentials)")}
        assert "document" not in columns and {"revoked", "suspended", "document_sha256"} <= columns
        # every document comes back byte for byte, and matches its recorded hash
        for credential_id, _, revoked, suspended, sha, document, rev_index, _sus in issued:
            data = ledger.document(credential_id)
            assert data == bytes(document) and hashlib.sha256(data).hexdigest() == sha
            record = ledger.get(credential_id)
            assert record is not None and record.revocation_index == rev_index
            expected = "revoked" if revoked else "suspended" if suspended else "active"
            assert ledger.status(credential_id).status == expected
        assert ledger.document("urn:uuid:never-signed") is None
        assert ledger.get("urn:uuid:never-signed").state == "reserved"  # type: ignore[union-attr]
        history = ledger.status(issued[2][0]).events
        assert [(e.status, e.reason) for e in history] == [
            ("suspended", "under review"),
            ("reinstated", "cleared"),
        ]
        # the documents are stored compressed: the Data Integrity ones at well under a fifth
        raw_di = sum(len(r[5]) for r in issued if r[5].startswith(b"{"))
        packed_di = conn.execute(
            "SELECT SUM(LENGTH(body)) FROM documents WHERE seq IN "
            "(SELECT seq FROM credentials WHERE format = 'di' AND state = 'issued')"
        ).fetchone()[0]
        dictionaries = conn.execute("SELECT SUM(LENGTH(content)) FROM dictionaries").fetchone()[0]
        assert packed_di * 5 < raw_di and dictionaries < raw_di
        # the published bits are those of the old rows
        for _list_id, url, purpose, size in before["lists"]:
            want = bytearray(size // 8)
            flag = 2 if purpose == "revocation" else 3
            at = 6 if purpose == "revocation" else 7
            for r in issued:
                if r[flag] and r[at] is not None:
                    want[r[at] >> 3] |= 0x80 >> (r[at] & 7)
            assert ledger.list_bits(url) == bytes(want)
        plan = " ".join(
            str(r[-1])
            for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT revocation_index FROM credentials INDEXED BY credentials_revoked "
                "WHERE revocation_list = 1 AND state = 'issued' AND revoked = 1"
            )
        )
        assert "COVERING INDEX credentials_revoked" in plan
        # each list's free-slot array holds exactly the indexes never taken
        for list_id, url, _purpose, size in before["lists"]:
            moved = dict(conn.execute("SELECT pos, slot FROM free_slots WHERE list_id = ?", (list_id,)))
            free = size - len(before["taken"][url])
            assert max(moved, default=-1) < free
            pool = {moved.get(pos, pos) for pos in range(free)}
            assert pool == set(range(size)) - before["taken"][url]


def test_issuing_goes_on_after_the_migration(v1):
    before = snapshot_v1(v1)
    with SQLiteLedger.open(v1, create=False) as ledger:
        request = ReserveRequest(
            "urn:uuid:never-signed",
            "https://uni.example/ach/x",
            "x@example.org",
            "di",
            "2026-05-01T09:30:00Z",
            "https://uni.example/status",
            suspension=True,
            row_key="r1",
        )
        reservation = ledger.reserve(request)  # the rerun of the interrupted row: a fresh index
        assert reservation.revocation.index not in before["taken"]["https://uni.example/status/revocation-1"]
        ledger.record_signed(reservation, '{"id": "urn:uuid:never-signed"}')
        assert ledger.document("urn:uuid:never-signed") == b'{"id": "urn:uuid:never-signed"}'
        rows = ledger.credentials(include_reserved=True)
        slots = [(r.revocation_list, r.revocation_index) for r in rows]
        assert len(slots) == len(set(slots))
        ledger.check()


def test_a_failed_migration_leaves_the_old_file_intact(v1, monkeypatch):
    original = V1.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sqlite_allocation, "build_free_slots", broken)
    with pytest.raises(OSError):
        Ledger.open(v1, create=False)
    raw = sqlite3.connect(v1)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
        assert raw.execute("SELECT COUNT(document) FROM credentials").fetchone()[0] == 13
        assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'documents'").fetchall() == []
    finally:
        raw.close()
    monkeypatch.undo()
    with Ledger.open(v1, create=False) as ledger:  # the next open migrates it
        assert len(ledger.credentials()) == 13
    assert V1.read_bytes() == original  # the test data itself is untouched


def test_a_damaged_document_is_reported(tmp_path):
    path = tmp_path / "l.db"
    with SQLiteLedger.open(path) as ledger:
        r = ledger.reserve(
            ReserveRequest(
                "urn:uuid:a",
                "https://x.example/a",
                "a@x.example",
                "di",
                "2026-01-01T00:00:00Z",
                "https://x.example/s",
            )
        )
        ledger.record_signed(r, '{"id": "urn:uuid:a", "pad": "' + "x" * 500 + '"}')
        ledger._conn.execute("UPDATE documents SET body = X'00112233'")
        with pytest.raises(LedgerError) as info:
            ledger.document("urn:uuid:a")
        assert info.value.code == "ledger.damaged"


def test_a_rolled_back_dictionary_is_not_reused(tmp_path):
    """A batch that wrote an achievement's first document (and so its dictionary) and then failed
    leaves no cached dictionary behind: another process may take that dictionary's row id."""
    path = tmp_path / "l.db"

    def request(n: int, achievement: str) -> ReserveRequest:
        return ReserveRequest(
            f"urn:uuid:{n}",
            achievement,
            f"r{n}@x.example",
            "di",
            "2026-01-01T00:00:00Z",
            "https://x.example/s",
        )

    def document(n: int, achievement: str) -> str:
        return json.dumps(
            {"id": f"urn:uuid:{n}", "achievement": achievement, "text": "words " * 200 + str(n)}
        )

    first, other = "https://x.example/a", "https://x.example/b"
    with SQLiteLedger.open(path) as one, SQLiteLedger.open(path) as two:
        good = one.reserve(request(1, first))
        stale = one.reserve(request(2, first))
        one.reserve(request(2, first))  # a rerun abandons reservation 2
        with pytest.raises(LedgerError):  # the batch fails on the abandoned one: all rolled back
            one.record_signed_many([(good, document(1, first)), (stale, document(2, first))])
        theirs = two.reserve(request(3, other))
        two.record_signed(theirs, document(3, other))  # takes the dictionary row id the rollback freed
        one.record_signed(good, document(1, first))
        for n, achievement in ((1, first), (3, other)):
            assert one.document(f"urn:uuid:{n}") == document(n, achievement).encode()
            assert two.document(f"urn:uuid:{n}") == document(n, achievement).encode()


def test_check_finds_inconsistent_free_slot_bookkeeping(tmp_path):
    with SQLiteLedger.open(tmp_path / "l.db", _list_size=64) as ledger:
        for n in range(10):
            ledger.reserve(
                ReserveRequest(
                    f"urn:uuid:{n}",
                    "https://x.example/a",
                    "a@x.example",
                    "di",
                    "2026-01-01T00:00:00Z",
                    "https://x.example/s",
                )
            )
        ledger.check()
        ledger._conn.execute("INSERT OR REPLACE INTO free_slots (list_id, pos, slot) VALUES (1, 60, 3)")
        with pytest.raises(LedgerError) as info:  # position 60 is past the 54 still free
            ledger.check()
        assert info.value.code == "ledger.damaged" and "free-slot" in info.value.message
