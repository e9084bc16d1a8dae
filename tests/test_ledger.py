"""The issuer ledger: allocation, rollover, status changes, and refusing damaged or foreign files.

The tests of the protocol run once per backend (the ``backend`` fixture: SQLite, and PostgreSQL on
the session's throwaway cluster); the file-level ones are SQLite's, the server-level ones PostgreSQL's."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from microcred.errors import LedgerError
from microcred.issuing import reserve_sign_record
from microcred.ledger import postgres_schema
from microcred.ledger.opening import is_postgres, open_ledger
from microcred.ledger.postgres import PostgresLedger
from microcred.ledger.protocol import Ledger, ReserveRequest, canonical_bytes
from microcred.ledger.sqlite import SQLiteLedger
from microcred.ledger.sqlite_schema import APPLICATION_ID, SCHEMA_VERSION
from microcred.status.bitstring import MIN_LIST_BITS, set_indexes, status_entry

BASE = "https://example.edu/status"
ISSUER = "https://example.edu/issuers/1"
WHEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def reserve(ledger: Ledger, n: int, **kwargs):
    args = {
        "achievement_id": "https://example.edu/achievements/py",
        "recipient": f"learner{n}@example.edu",
        "format": "di",
        "issued_at": WHEN,
        "status_list_base_url": BASE,
        "issuer": ISSUER,
    }
    args.update(kwargs)
    return ledger.reserve(ReserveRequest(f"urn:uuid:cred-{n}", **args))


def issue(ledger: Ledger, n: int, **kwargs):
    r = reserve(ledger, n, **kwargs)
    ledger.record_signed(r, f'{{"id": "urn:uuid:cred-{n}"}}')
    return r


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "issued.db"


class Backend:
    """A new ledger of one backend: where it is, opening it (with test knobs), raw SQL on it."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.postgres = is_postgres(target)

    def open(self, **knobs):
        if not knobs:
            return Ledger.open(self.target)
        return (PostgresLedger if self.postgres else SQLiteLedger).open(self.target, **knobs)

    def rows(self, ledger, sql: str):
        """Rows of ``sql`` run on the ledger's own connection (tables named without the prefix)."""
        if self.postgres:
            for table in ("credentials", "status_lists"):
                sql = sql.replace(f" {table} ", f" microcred_{table} ")
            return [tuple(r) for r in ledger._db().execute(sql).fetchall()]
        return ledger._conn.execute(sql).fetchall()


@pytest.fixture
def backend(ledger_target: str) -> Backend:
    return Backend(ledger_target)


@pytest.mark.durable
def test_new_ledger_settings(path):
    with Ledger.open(path) as ledger:
        conn = ledger._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()
    assert [p.name for p in path.parent.iterdir() if "creating" in p.name] == []


def test_reservation_entries_and_default_list_size(backend):
    with backend.open() as ledger:
        r = reserve(ledger, 1, suspension=True)
        index = int(r.revocation_entry["statusListIndex"])
        assert r.revocation_entry == status_entry(f"{BASE}/revocation-1", index, "revocation")
        assert r.suspension_entry is not None
        sindex = int(r.suspension_entry["statusListIndex"])
        assert r.suspension_entry == status_entry(f"{BASE}/suspension-1", sindex, "suspension")
        assert r.credential_status == [r.revocation_entry, r.suspension_entry]
        lists = ledger.lists()
        assert [(x.url, x.purpose, x.size, x.issuer) for x in lists] == [
            (f"{BASE}/revocation-1", "revocation", MIN_LIST_BITS, ISSUER),
            (f"{BASE}/suspension-1", "suspension", MIN_LIST_BITS, ISSUER),
        ]
        assert MIN_LIST_BITS >= 131_072
        single = reserve(ledger, 3)
        assert isinstance(single.credential_status, dict)


def test_record_signed_keeps_the_exact_document(backend):
    with backend.open() as ledger:
        r = reserve(ledger, 1)
        assert ledger.get(r.credential_id).state == "reserved"
        text = '{"id": "urn:uuid:cred-1", "name": "Zoë"}'
        digest = ledger.record_signed(r, text)
        assert digest == hashlib.sha256(text.encode()).hexdigest()
        record = ledger.get(r.credential_id)
        assert (record.state, record.status, record.document_sha256) == ("issued", "active", digest)
        assert ledger.document(r.credential_id) == text.encode()
        assert ledger.record_signed(r, text) == digest  # the same bytes again: harmless
        with pytest.raises(LedgerError) as info:
            ledger.record_signed(r, text + " ")
        assert info.value.code == "ledger.duplicate"
        with pytest.raises(LedgerError):
            ledger.record_signed(999_999, text)


def test_allocation_unique_and_rollover(backend):
    """Lists fill completely (the last indexes are found exactly), indexes are unique, new lists follow."""
    with backend.open(_list_size=256) as ledger:
        for n in range(600):
            issue(ledger, n, suspension=n % 3 == 0)
        records = ledger.credentials()
        lists = {x.url: x for x in ledger.lists()}
    assert len(records) == 600
    rev = Counter((r.revocation_list, r.revocation_index) for r in records)
    assert max(rev.values()) == 1
    sus = Counter((r.suspension_list, r.suspension_index) for r in records if r.suspension_list)
    assert max(sus.values()) == 1 and sum(sus.values()) == 200
    assert [(u, x.used) for u, x in lists.items() if x.purpose == "revocation"] == [
        (f"{BASE}/revocation-1", 256),
        (f"{BASE}/revocation-2", 256),
        (f"{BASE}/revocation-3", 88),
    ]
    full = sorted(r.revocation_index for r in records if r.revocation_list == f"{BASE}/revocation-1")
    assert full == list(range(256))
    assert all(0 <= r.revocation_index < 256 for r in records)


def test_indexes_are_random(backend):
    with backend.open() as ledger:
        indexes = [int(reserve(ledger, n).revocation_entry["statusListIndex"]) for n in range(200)]
    assert len(set(indexes)) == 200
    assert indexes != sorted(indexes)
    # spread over the whole list, not packed at the start (a sequential allocator would give 0..199)
    assert max(indexes) > MIN_LIST_BITS // 2 and min(indexes) < MIN_LIST_BITS // 2


def test_injected_randomness_draws_among_free_indexes_only(path):
    """Each reservation draws once, among the free indexes (the bound shrinks by one each time): a
    draw can never hit a taken index, so there are no retries and no scans, however full the list."""
    bounds: list[int] = []

    def first(n: int) -> int:  # always the first free position
        bounds.append(n)
        return 0

    with SQLiteLedger.open(path, randbelow=first, _list_size=16) as ledger:
        got = [int(reserve(ledger, n).revocation_entry["statusListIndex"]) for n in range(17)]
    # position 0 holds 0, then whatever the last free position held: 15, 14, ... (a Fisher-Yates swap)
    assert got[:16] == [0, *range(15, 0, -1)] and sorted(got[:16]) == list(range(16))
    assert bounds[:16] == list(range(16, 0, -1)) and bounds[16] == 16  # the 17th opened list 2


def test_free_slot_rows_stay_bounded(path):
    """The free-slot table holds at most min(used, free) rows per list, and none once it is full."""
    with SQLiteLedger.open(path, _list_size=64) as ledger:
        for n in range(64):
            reserve(ledger, n)
            used = n + 1
            rows = ledger._conn.execute("SELECT COUNT(*), MAX(pos) FROM free_slots").fetchone()
            assert rows[0] <= min(used, 64 - used)
            assert rows[1] is None or rows[1] < 64 - used


def test_postgres_rejection_sampling_retries_taken_indexes(pg_dsn):
    """PostgreSQL draws candidates and keeps the first free one (SQLite's Fisher-Yates is above)."""
    picks = iter([5, 5, 5, 9, 5, 9, 1])
    with PostgresLedger.open(pg_dsn, randbelow=lambda n: next(picks), _list_size=16) as ledger:
        assert [reserve(ledger, n).revocation_entry["statusListIndex"] for n in range(3)] == ["5", "9", "1"]


def test_bad_list_size_knob(backend):
    for size in (0, 12):
        with pytest.raises(LedgerError):
            backend.open(_list_size=size)


def test_crashed_reservation_is_reissued_under_a_new_index(backend):
    with backend.open() as ledger:
        stale = reserve(ledger, 1, row_key="row-7")
        found = ledger.find_by_row_key("https://example.edu/achievements/py", "row-7")
        assert found is not None and found.state == "reserved" and found.status == "pending"
        fresh = reserve(ledger, 1, row_key="row-7")  # the rerun: same id and row
        assert fresh.revocation_entry != stale.revocation_entry
        with pytest.raises(LedgerError) as info:
            ledger.record_signed(stale, "late copy")
        assert info.value.code == "ledger.abandoned"
        ledger.record_signed(fresh, "the copy")
        found = ledger.find_by_row_key("https://example.edu/achievements/py", "row-7")
        assert found.state == "issued" and found.revocation_index == int(
            fresh.revocation_entry["statusListIndex"]
        )
        with pytest.raises(LedgerError) as info:
            reserve(ledger, 2, row_key="row-7")
        assert info.value.code == "ledger.duplicate"
        with pytest.raises(LedgerError) as info:
            reserve(ledger, 1)
        assert info.value.code == "ledger.duplicate"
        # the burnt index stays taken: never handed to anyone else
        rows = backend.rows(ledger, "SELECT state FROM credentials ORDER BY seq")
        assert rows == [("abandoned",), ("issued",)]
        assert ledger.list_bits(f"{BASE}/revocation-1") == bytes(MIN_LIST_BITS // 8)
        assert ledger.lists()[0].used == 2
        assert [r.credential_id for r in ledger.credentials()] == ["urn:uuid:cred-1"]
        # another achievement may use the same row key
        issue(ledger, 3, row_key="row-7", achievement_id="https://example.edu/achievements/rust")


def test_revoke_suspend_reinstate(backend):
    moments = iter(datetime(2026, 6, d, tzinfo=UTC) for d in range(1, 28))
    with backend.open(now=lambda: next(moments)) as ledger:
        a = issue(ledger, 1, suspension=True)
        b = issue(ledger, 2)
        sus_url = a.suspension_entry["statusListCredential"]
        a_sus = int(a.suspension_entry["statusListIndex"])
        assert ledger.suspend("urn:uuid:cred-1", "under review").status == "suspended"
        assert set_indexes(ledger.list_bits(sus_url)) == [a_sus]
        assert ledger.reinstate("urn:uuid:cred-1", "review closed").status == "active"
        assert set_indexes(ledger.list_bits(sus_url)) == []
        record = ledger.revoke("urn:uuid:cred-1", "grade replaced")
        assert record.status == "revoked"
        assert [(e.status, e.reason) for e in record.events] == [
            ("suspended", "under review"),
            ("reinstated", "review closed"),
            ("revoked", "grade replaced"),
        ]
        assert [e.at[:10] for e in record.events] == sorted(e.at[:10] for e in record.events)
        rev_url = a.revocation_entry["statusListCredential"]
        assert set_indexes(ledger.list_bits(rev_url)) == [int(a.revocation_entry["statusListIndex"])]
        assert ledger.status("urn:uuid:cred-2").status == "active"
        ledger.revoke("urn:uuid:cred-2")
        assert ledger.status("urn:uuid:cred-2").events[0].reason is None
        assert set_indexes(ledger.list_bits(rev_url)) == sorted(
            int(r.revocation_entry["statusListIndex"]) for r in (a, b)
        )


@pytest.mark.parametrize(
    ("action", "target", "code"),
    [
        ("revoke", "urn:uuid:nope", "ledger.unknown"),
        ("suspend", "urn:uuid:cred-2", "ledger.state"),  # issued without a suspension entry
        ("reinstate", "urn:uuid:cred-1", "ledger.state"),  # not suspended
        ("revoke", "urn:uuid:cred-3", "ledger.not_issued"),  # reserved, never issued
        ("revoke", "urn:uuid:cred-4", "ledger.state"),  # already revoked
        ("suspend", "urn:uuid:cred-4", "ledger.state"),  # revoked
        ("reinstate", "urn:uuid:cred-4", "ledger.state"),  # revocation is for good
    ],
)
def test_status_change_errors(backend, action, target, code):
    with backend.open() as ledger:
        issue(ledger, 1, suspension=True)
        issue(ledger, 2)
        reserve(ledger, 3)
        issue(ledger, 4, suspension=True)
        ledger.revoke("urn:uuid:cred-4")
        with pytest.raises(LedgerError) as info:
            getattr(ledger, action)(target, "why")
        assert info.value.code == code
        assert target in str(info.value)


def test_status_of_unknown_and_lookups(backend):
    with backend.open() as ledger:
        with pytest.raises(LedgerError):
            ledger.status("urn:uuid:nope")
        with pytest.raises(LedgerError):
            ledger.list_bits("https://example.edu/status/none")
        assert ledger.get("urn:uuid:nope") is None and ledger.document("urn:uuid:nope") is None
        reserve(ledger, 1)
        assert ledger.credentials() == [] and len(ledger.credentials(include_reserved=True)) == 1
        assert ledger.status("urn:uuid:cred-1").status == "pending"


def test_issue_helper_adds_status_before_signing(backend):
    seen = {}

    def sign(doc):
        seen.update(doc)
        return '{"signed": true}'

    unsigned = {"id": "urn:uuid:x", "issuer": {"id": ISSUER}, "validFrom": "2026-05-01T00:00:00Z"}
    with backend.open() as ledger:
        text, reservation = reserve_sign_record(
            ledger,
            unsigned,
            sign=sign,
            achievement_id="a",
            recipient="r",
            format="jwt",
            status_list_base_url=BASE,
            suspension=True,
        )
        assert text == '{"signed": true}'
        assert seen["credentialStatus"] == reservation.credential_status
        record = ledger.get("urn:uuid:x")
        assert (record.state, record.format, record.issuer, record.issued_at) == (
            "issued",
            "jwt",
            ISSUER,
            "2026-05-01T00:00:00Z",
        )
        with pytest.raises(LedgerError):
            reserve_sign_record(
                ledger,
                {"issuer": ISSUER},
                sign=sign,
                achievement_id="a",
                recipient="r",
                format="di",
                status_list_base_url=BASE,
            )


def test_reserve_input_errors(backend):
    with backend.open() as ledger:
        for bad in ({"format": "pdf"}, {"recipient": ""}, {"issued_at": datetime(2026, 1, 1)}):
            with pytest.raises(LedgerError):
                reserve(ledger, 1, **bad)
        issue(ledger, 1)
        with pytest.raises(LedgerError) as info:  # the lists under BASE belong to ISSUER
            reserve(ledger, 2, issuer="did:web:someone.else")
        assert info.value.code == "ledger.issuer"


# ---- damaged, foreign, truncated, newer ----------------------------------------------------


def _expect_refusal(path: Path, code: str, words: str) -> None:
    before = path.read_bytes()
    with pytest.raises(LedgerError) as info:
        Ledger.open(path)
    assert info.value.code == code
    assert words in str(info.value) and str(path) in str(info.value)
    assert path.read_bytes() == before  # never touched


def test_refuses_a_text_file(path):
    path.write_text("name,email\nAda,ada@example.edu\n")
    _expect_refusal(path, "ledger.foreign", "not an SQLite database")


def test_refuses_an_empty_file(path):
    path.write_bytes(b"")
    _expect_refusal(path, "ledger.foreign", "empty")


def test_refuses_a_foreign_sqlite_database(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO photos (name) VALUES ('cat.jpg')")
    conn.commit()
    conn.close()
    _expect_refusal(path, "ledger.foreign", "not a microcred ledger")


def _filled(path: Path) -> None:
    with Ledger.open(path) as ledger:
        for n in range(300):
            issue(ledger, n)
        ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_refuses_a_truncated_ledger(path):
    _filled(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _expect_refusal(path, "ledger.damaged", "truncated")
    path.write_bytes(data[:60])
    _expect_refusal(path, "ledger.damaged", "truncated")


def test_refuses_a_newer_schema(path):
    _filled(path)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    _expect_refusal(path, "ledger.too_new", "newer microcred")


def test_corrupted_pages_are_reported(path, tmp_path):
    _filled(path)
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # scribble over every page after the schema
        data[offset + 8 : offset + 200] = b"\xa5" * 192
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError) as info, Ledger.open(path) as ledger:
        ledger.check()
        ledger.credentials()
    assert info.value.code in ("ledger.damaged", "ledger.error")


def test_missing_ledger_without_create(path):
    with pytest.raises(LedgerError) as info:
        Ledger.open(path, create=False)
    assert info.value.code == "ledger.missing" and not path.exists()
    with pytest.raises(LedgerError):
        Ledger.open(path.parent / "no-such-dir" / "x.db")


def test_reopen_keeps_everything(path, tmp_path):
    _filled(path)
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    with Ledger.open(copy, create=False) as ledger:
        ledger.check()
        assert len(ledger.credentials()) == 300


def test_issue_helper_with_objects_and_derived_fields(backend):
    unsigned = {
        "id": "urn:uuid:y",
        "issuer": ISSUER,
        "validFrom": "2026-05-02T00:00:00Z",
        "credentialSubject": {
            "identifier": [{"identityHash": "sha256$abc", "hashed": True}],
            "achievement": {"id": "https://example.edu/achievements/py"},
        },
    }

    class Issued:  # what a signing layer might hand back
        def __init__(self, document):
            self.document = document

    with backend.open() as ledger:
        result, reservation = reserve_sign_record(
            ledger,
            unsigned,
            sign=lambda d: Issued({**d, "proof": {"type": "X"}}),
            document_of=lambda issued: issued.document,
            format="di",
            status_list_base_url=BASE,
        )
        record = ledger.get("urn:uuid:y")
        assert (record.achievement_id, record.recipient) == (
            "https://example.edu/achievements/py",
            "sha256$abc",
        )
        # a JSON object is kept in canonical form: any parsed copy hashes the same
        reordered = dict(reversed(list(result.document.items())))
        assert record.document_sha256 == hashlib.sha256(canonical_bytes(reordered)).hexdigest()
        assert json.loads(ledger.document("urn:uuid:y")) == result.document
        with pytest.raises(LedgerError):
            reserve_sign_record(
                ledger,
                {"id": "urn:uuid:z", "issuer": ISSUER},
                sign=str,
                format="di",
                status_list_base_url=BASE,
            )
        with pytest.raises(LedgerError):
            ledger.record_signed(reservation, 42)  # type: ignore[arg-type]


def test_older_ledgers_are_migrated(path, monkeypatch):
    import microcred.ledger.sqlite_schema as ledger_module

    _filled(path)
    extra = ["CREATE TABLE notes (credential_seq INTEGER REFERENCES credentials (seq), note TEXT)"]
    monkeypatch.setattr(ledger_module, "_MIGRATIONS", [*ledger_module._MIGRATIONS, extra])
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Ledger.open(path, create=False) as ledger:
        assert ledger._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert ledger._conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0
        assert len(ledger.credentials()) == 300


def test_creation_without_hard_links(path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError("hard links are not supported here")

    monkeypatch.setattr("os.link", no_links)
    with Ledger.open(path) as ledger:
        issue(ledger, 1)
    with Ledger.open(path, create=False) as ledger:
        ledger.check()
        assert len(ledger.credentials()) == 1
    assert sorted(p.name for p in path.parent.iterdir() if "creating" in p.name) == []


def test_each_backend_implements_every_operation_of_the_protocol(backend):
    """What a second backend must implement: every method the Ledger protocol declares."""
    import inspect

    from microcred.ledger import protocol

    declared = {
        name
        for name, member in vars(protocol.Ledger).items()
        if (callable(member) and not name.startswith("_")) or name in ("__enter__", "__exit__")
    }
    assert {"reserve_many", "record_signed_many", "find_by_row_key", "set_status", "list_bits"} <= declared
    with backend.open() as ledger:
        expected_type = PostgresLedger if backend.postgres else SQLiteLedger
        assert isinstance(ledger, expected_type) and protocol.Ledger in type(ledger).__mro__
        for name in declared:
            implemented = getattr(type(ledger), name)
            expected = inspect.signature(getattr(protocol.Ledger, name))
            assert list(inspect.signature(implemented).parameters)[: len(expected.parameters)] == list(
                expected.parameters
            ), name


def test_older_ledgers_are_migrated_on_both_backends(backend, monkeypatch):
    """A ledger of the previous schema version is migrated on open, its contents kept."""
    with backend.open() as ledger:
        for n in range(30):
            issue(ledger, n)
    if backend.postgres:
        module, table = postgres_schema, "microcred_notes"
        extra = [f"CREATE TABLE {table} (credential_seq BIGINT REFERENCES microcred_credentials (seq))"]
        version = postgres_schema.SCHEMA_VERSION
    else:
        import microcred.ledger.sqlite_schema as module

        table, version = "notes", SCHEMA_VERSION
        extra = [f"CREATE TABLE {table} (credential_seq INTEGER REFERENCES credentials (seq))"]
    monkeypatch.setattr(module, "_MIGRATIONS", [*module._MIGRATIONS, extra])
    monkeypatch.setattr(module, "SCHEMA_VERSION", version + 1)
    with open_ledger(backend.target, create=False) as ledger:
        assert backend.rows(ledger, f"SELECT COUNT(*) FROM {table}") == [(0,)]
        assert len(ledger.credentials()) == 30
        ledger.check()
    monkeypatch.setattr(module, "SCHEMA_VERSION", version)  # the older microcred meets the newer ledger
    with pytest.raises(LedgerError) as info:
        open_ledger(backend.target, create=False)
    assert info.value.code == "ledger.too_new" and "newer microcred" in str(info.value)


# ---- PostgreSQL: opening a database ----------------------------------------------------------


def test_postgres_ledger_missing_foreign_and_damaged(pg_dsn):
    import psycopg

    with pytest.raises(LedgerError) as info:
        Ledger.open(pg_dsn, create=False)
    assert info.value.code == "ledger.missing"
    with psycopg.connect(pg_dsn, autocommit=True) as raw:  # someone else's table of that name
        raw.execute("CREATE TABLE microcred_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        raw.execute("INSERT INTO microcred_meta VALUES ('format', 'photo-album')")
        with pytest.raises(LedgerError) as info:
            Ledger.open(pg_dsn)
        assert info.value.code == "ledger.foreign"
        assert raw.execute("SELECT to_regclass('microcred_credentials')").fetchone() == (None,)  # untouched
        raw.execute("DROP TABLE microcred_meta")
        with Ledger.open(pg_dsn) as ledger:
            issue(ledger, 1)
        raw.execute("DROP TABLE microcred_meta")
        with pytest.raises(LedgerError) as info:
            Ledger.open(pg_dsn)
        assert info.value.code == "ledger.damaged"


def test_postgres_bookkeeping_check(pg_dsn):
    import psycopg

    with Ledger.open(pg_dsn) as ledger:
        issue(ledger, 1)
        ledger.check()
        with psycopg.connect(pg_dsn, autocommit=True) as raw:
            raw.execute("UPDATE microcred_status_lists SET used = used + 1")
        with pytest.raises(LedgerError) as info:
            ledger.check()
        assert info.value.code == "ledger.damaged" and "used count" in str(info.value)


def test_postgres_unreachable_or_malformed(tmp_path):
    nowhere = f"postgresql:///microcred?host={tmp_path}&connect_timeout=2"
    with pytest.raises(LedgerError) as info:
        Ledger.open(nowhere)
    assert info.value.code == "ledger.unreadable" and "cannot connect" in str(info.value)
    with pytest.raises(LedgerError) as info:
        Ledger.open("postgresql://[bad")
    assert info.value.code == "ledger.unreadable"


def test_postgres_password_is_not_in_messages(pg_dsn, tmp_path):
    secret = "hunter2-very-secret"
    with pytest.raises(LedgerError) as info:
        Ledger.open(f"postgresql://someone:{secret}@/microcred?host={tmp_path}&connect_timeout=2")
    assert secret not in str(info.value)


def test_opener_chooses_the_backend(tmp_path, pg_dsn):
    with open_ledger(f"sqlite:///{tmp_path}/a.db") as ledger:
        assert isinstance(ledger, SQLiteLedger) and ledger.path == tmp_path / "a.db"
    with open_ledger(tmp_path / "b.db") as ledger:
        assert isinstance(ledger, SQLiteLedger)
    with open_ledger(pg_dsn) as ledger:
        assert isinstance(ledger, PostgresLedger)
    assert is_postgres("postgres://u@h/db") and not is_postgres("postgres.db")


def test_the_config_file_names_either_backend(tmp_path, pg_dsn):
    """microcred.toml's ``[issuing] ledger``: a PostgreSQL URL is kept as written, a path is resolved
    against the file's folder; either opens through the one opener."""
    from microcred.config import load_config

    config_file = tmp_path / "microcred.toml"
    config_file.write_text(f'[issuing]\nledger = "{pg_dsn}"\n', encoding="utf-8")
    configured = load_config(config_file).ledger
    assert configured == pg_dsn
    with open_ledger(configured) as ledger:
        assert isinstance(ledger, PostgresLedger)
    config_file.write_text('[issuing]\nledger = "issuer.db"\n', encoding="utf-8")
    configured = load_config(config_file).ledger
    assert configured == tmp_path.resolve() / "issuer.db"
    with open_ledger(configured) as ledger:
        assert isinstance(ledger, SQLiteLedger)
