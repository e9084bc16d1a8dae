"""Many issuing nodes, one PostgreSQL ledger: processes issuing at once, and the faults of a shared
server (a process SIGKILLed inside a transaction, the server restarted in ``immediate`` mode, a
connection terminated, a serialization failure). After each, a rerun ends with every learner issued
exactly once, no index held twice, and every credential a process handed out recorded byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

import pg_support
from microcred.ledger.postgres import PostgresLedger
from microcred.ledger.protocol import ReserveRequest

HELPER = Path(__file__).parent / "helpers" / "pg_issue_nodes.py"
ACHIEVEMENT = "https://example.edu/achievements/nodes"
PUBLIC = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()

pytestmark = pytest.mark.slow


def start(dsn: str, rows: int, *extra: str) -> subprocess.Popen:
    """A node writing to temporary files (a pipe nobody reads while waiting would stall it)."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115  # closed by collect()
    proc = subprocess.Popen(
        [sys.executable, str(HELPER), dsn, ACHIEVEMENT, str(rows), *extra], stdout=out, stderr=err
    )
    proc.files = (out, err)  # type: ignore[attr-defined]
    return proc


def collect(proc: subprocess.Popen, emitted: dict[str, bytes], *, timeout: float = 600) -> tuple[int, str]:
    """Wait for a node; add each complete line it wrote (a credential it handed out) to ``emitted``."""
    try:
        proc.wait(timeout=timeout)
    finally:
        proc.kill()
    out, err = (f.seek(0) or f.read() for f in proc.files)  # type: ignore[attr-defined]
    for f in proc.files:  # type: ignore[attr-defined]
        f.close()
    *lines, _tail = out.split(b"\n")
    for line in lines:
        doc = json.loads(line)
        signature = bytes.fromhex(doc.pop("testSignature"))
        PUBLIC.verify(signature, json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
        assert doc["id"] not in emitted, "one credential handed out twice"
        emitted[doc["id"]] = line
    return proc.returncode, err.decode()


def written(raw: psycopg.Connection) -> int:
    """Credential rows in the ledger so far (0 before a node has created it)."""
    try:
        return raw.execute("SELECT COUNT(*) FROM microcred_credentials").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def retries(stderr: str) -> int:
    return sum(int(line.split()[1]) for line in stderr.splitlines() if line.startswith("retries "))


def check(dsn: str, rows: int, emitted: dict[str, bytes], *, complete: bool = True) -> int:
    """The ledger's invariants; the number of credential rows ever written (abandoned included)."""
    with psycopg.connect(dsn) as raw:
        for column in ("revocation", "suspension"):  # every row ever, abandoned reservations included
            dupes = raw.execute(
                f"SELECT {column}_list, {column}_index FROM microcred_credentials WHERE {column}_list "
                f"IS NOT NULL GROUP BY {column}_list, {column}_index HAVING COUNT(*) > 1"
            ).fetchall()
            assert dupes == []
        lists = raw.execute(
            "SELECT l.url, l.used, l.size, (SELECT COUNT(*) FROM microcred_credentials c "
            "WHERE c.revocation_list = l.list_id OR c.suspension_list = l.list_id) "
            "FROM microcred_status_lists l"
        ).fetchall()
        for url, used, size, holders in lists:
            assert used == holders <= size, url
        live = raw.execute(
            "SELECT row_key FROM microcred_credentials WHERE state <> 'abandoned' "
            "GROUP BY achievement_id, row_key HAVING COUNT(*) > 1"
        ).fetchall()
        assert live == []
        issued = raw.execute(
            "SELECT row_key FROM microcred_credentials WHERE state = 'issued' AND achievement_id = %s",
            (ACHIEVEMENT,),
        ).fetchall()
        total = raw.execute("SELECT COUNT(*) FROM microcred_credentials").fetchone()[0]
    if complete:
        assert sorted(r[0] for r in issued) == sorted(f"row-{n}" for n in range(rows))
    with PostgresLedger.open(dsn, create=False) as ledger:
        ledger.check()
        for credential_id, line in emitted.items():
            record = ledger.get(credential_id)
            assert record is not None, f"{credential_id} left a process but is not in the ledger"
            assert record.state == "issued"
            assert record.document_sha256 == hashlib.sha256(line).hexdigest()
            assert ledger.document(credential_id) == line
    return total


def test_four_nodes_issue_20000_at_once_and_a_rerun_issues_nothing(pg_dsn):
    rows, nodes = 20_000, 4
    emitted: dict[str, bytes] = {}
    began = time.monotonic()
    # every node is given the whole cohort, starting a quarter further on: they meet on each other's rows
    procs = [start(pg_dsn, rows, "--start", str(k * rows // nodes)) for k in range(nodes)]
    results = [collect(p, emitted) for p in procs]
    elapsed = time.monotonic() - began
    for code, err in results:
        assert code == 0, err
    assert len(emitted) == rows
    total = check(pg_dsn, rows, emitted)
    with psycopg.connect(pg_dsn) as raw:
        indexes = raw.execute(
            "SELECT COUNT(DISTINCT (revocation_list, revocation_index)) FROM microcred_credentials "
            "WHERE state = 'issued'"
        ).fetchone()[0]
    assert indexes == rows
    print(f"\n4 nodes: {rows} credentials in {elapsed:.1f}s ({rows / elapsed:.0f}/s), {total} rows written, "
          f"{sum(retries(e) for _, e in results)} retried transactions")  # fmt: skip
    # a rerun of all four issues nothing new and writes nothing
    rerun: dict[str, bytes] = {}
    procs = [start(pg_dsn, rows, "--start", str(k * rows // nodes)) for k in range(nodes)]
    for code, err in [collect(p, rerun) for p in procs]:
        assert code == 0, err
    assert rerun == {}
    assert check(pg_dsn, rows, emitted) == total


def test_sigkill_inside_transactions_then_a_rerun(pg_dsn):
    rows = 600
    emitted: dict[str, bytes] = {}
    for die in (
        "reserve:3",
        "record:4",
        "reserve:9",
        "record:11",
    ):  # inside the k-th transaction, before COMMIT
        proc = start(pg_dsn, rows, "--chunk", "16", "--list-size", "256", "--die-in-tx", die)
        code, err = collect(proc, emitted)
        assert code == -signal.SIGKILL, err
        check(pg_dsn, rows, emitted, complete=False)
    for delay in (0.4, 0.9):  # and from outside, at a moment of the test's choosing
        proc = start(pg_dsn, rows, "--chunk", "16", "--list-size", "256")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        collect(proc, emitted)
        check(pg_dsn, rows, emitted, complete=False)
    code, err = collect(start(pg_dsn, rows, "--list-size", "256"), emitted)
    assert code == 0, err
    check(pg_dsn, rows, emitted)
    assert len(emitted) == rows


def test_server_restart_mid_cohort():
    """``pg_ctl restart -m immediate`` while a node issues: it reconnects and carries on; a rerun then
    finds nothing to do. A private cluster: the session's other tests keep theirs."""
    cluster = pg_support.Cluster()
    try:
        cluster.start()
        dsn = pg_support.new_schema(cluster)
        rows = 3000
        emitted: dict[str, bytes] = {}
        proc = start(dsn, rows, "--chunk", "16")
        with psycopg.connect(dsn, autocommit=True) as raw:  # wait until it is well into the cohort
            pg_support.wait_for(lambda: written(raw) >= 400)
        cluster.restart_immediate()
        code, err = collect(proc, emitted)
        assert code == 0, err
        assert retries(err) >= 1  # the restart was felt, and survived
        check(dsn, rows, emitted)
        code, err = collect(start(dsn, rows), emitted)
        assert code == 0, err
        check(dsn, rows, emitted)
        assert len(emitted) == rows
    finally:
        cluster.stop()


def test_terminated_connections_mid_cohort(pg_dsn):
    """``pg_terminate_backend`` on the node's connection, again and again: each time it reconnects."""
    rows = 2000
    emitted: dict[str, bytes] = {}
    proc = start(pg_dsn, rows, "--chunk", "16")
    killed = 0
    with psycopg.connect(pg_dsn, autocommit=True) as raw:
        for target in (300, 700, 1100):
            pg_support.wait_for(lambda t=target: written(raw) >= t or proc.poll() is not None)
            killed += raw.execute(
                "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'microcred' AND pid <> pg_backend_pid()) AS t"
            ).fetchone()[0]
    code, err = collect(proc, emitted)
    assert code == 0, err
    assert killed >= 1 and retries(err) >= 1
    check(pg_dsn, rows, emitted)
    assert len(emitted) == rows


def test_a_serialization_failure_is_retried(pg_dsn):
    """A real 40001 from the server: the ledger runs at REPEATABLE READ (an operator's setting in the
    connection string) and another session changes the status list between its snapshot and its lock."""
    dsn = pg_dsn.replace("options=", "options=-cdefault_transaction_isolation%3Drepeatable%5C%20read%20")
    with PostgresLedger.open(dsn) as ledger, psycopg.connect(pg_dsn, autocommit=True) as other:
        first = ledger.reserve(_req(1))
        assert ledger._db().execute("SHOW transaction_isolation").fetchone()[0] == "repeatable read"
        fired = []

        def meddle(sql: str) -> None:
            if "FROM microcred_status_lists" in sql and "FOR UPDATE" in sql and not fired:
                fired.append(sql)
                other.execute("UPDATE microcred_status_lists SET created_at = created_at")

        ledger._hook = meddle
        second = ledger.reserve(_req(2))
        assert fired and ledger.retries == 1
        ledger.record_signed_many([(first, "one"), (second, "two")])
        assert [r.row_key for r in ledger.credentials()] == ["r1", "r2"]
        assert first.revocation.index != second.revocation.index
        ledger.check()


def test_two_nodes_under_serializable_isolation(pg_dsn):
    """The same cohort by two nodes with every transaction SERIALIZABLE: one credential per row."""
    dsn = pg_dsn.replace("options=", "options=-cdefault_transaction_isolation%3Dserializable%20")
    rows = 400
    emitted: dict[str, bytes] = {}
    procs = [start(dsn, rows, "--chunk", "8", "--start", str(k * 7)) for k in range(2)]
    for code, err in [collect(p, emitted) for p in procs]:
        assert code == 0, err
    check(pg_dsn, rows, emitted)
    assert len(emitted) == rows


def _req(n: int) -> ReserveRequest:
    return ReserveRequest(
        f"urn:uuid:s-{n}",
        achievement_id=ACHIEVEMENT,
        recipient=f"l{n}@example.edu",
        format="di",
        issued_at="2026-05-01T00:00:00Z",
        status_list_base_url="https://example.edu/status",
        row_key=f"r{n}",
    )


def test_revocations_from_any_node_appear_in_the_next_publication(pg_dsn):
    """Node A issues, node B revokes and suspends, node C publishes: C's lists carry B's changes, read
    in one statement per list (no half-applied state), and a change after it shows in the next one."""
    from microcred.keys.material import generate_key
    from microcred.status.bitstring import decode_list, set_indexes
    from microcred.status.publishing import signed_status_lists

    key = generate_key("Ed25519")
    with (
        PostgresLedger.open(pg_dsn) as a,
        PostgresLedger.open(pg_dsn) as b,
        PostgresLedger.open(pg_dsn) as c,
    ):
        issued = []
        for n in range(6):
            request = _req(n)
            r = a.reserve(
                ReserveRequest(**{**request.__dict__, "suspension": True, "issuer": key.controller})
            )
            a.record_signed(r, f"doc {n}")
            issued.append(r)
        b.revoke(issued[1].credential_id, "grade replaced")
        b.suspend(issued[4].credential_id, "under review")

        def published() -> dict[str, list[int]]:
            return {
                p.url: set_indexes(decode_list(p.document["credentialSubject"]["encodedList"]))
                for p in signed_status_lists(c, key)
            }

        first = published()
        rev, sus = issued[1].revocation.list_url, issued[4].suspension.list_url
        assert first[rev] == [issued[1].revocation.index]
        assert first[sus] == [issued[4].suspension.index]
        a.revoke(issued[2].credential_id)  # yet another node, after that publication
        b.reinstate(issued[4].credential_id)
        second = published()
        assert second[rev] == sorted([issued[1].revocation.index, issued[2].revocation.index])
        assert second[sus] == []


def test_a_node_waiting_to_create_the_ledger_sees_the_one_another_node_created(pg_dsn):
    """Two nodes start at once under SERIALIZABLE: the second waits for the schema lock while the
    first creates the tables, then must see them (rows included), not call them foreign."""
    import threading

    from microcred.ledger import postgres_schema

    serializable = pg_dsn.replace("options=", "options=-cdefault_transaction_isolation%3Dserializable%20")
    outcome: list[object] = []
    with psycopg.connect(pg_dsn, autocommit=True) as first:
        first.execute("BEGIN")
        first.execute("SELECT pg_advisory_xact_lock(%s)", (postgres_schema.SCHEMA_LOCK,))

        def second() -> None:
            try:
                with PostgresLedger.open(serializable) as ledger:
                    outcome.append(ledger.lists())
            except Exception as exc:
                outcome.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        with psycopg.connect(pg_dsn, autocommit=True) as watch:
            pg_support.wait_for(
                lambda: (
                    watch.execute(
                        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    ).fetchone()[0]
                    >= 1
                )
            )
        postgres_schema.migrate(first, 0, "2026-05-01T00:00:00Z")
        first.execute("COMMIT")
        thread.join(timeout=60)
    assert outcome == [[]]
