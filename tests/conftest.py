"""Fixtures every test module may use: issuer keys, a definition, the packaged examples, a fresh
ledger, an offline fetch, and the durability switch.

**Durability.** Unit tests run with ``microcred._files.DURABLE`` off (a documented, test-only
switch): no fsync of files or folders, SQLite ``synchronous=OFF``. fsync is most of a unit test's
time and proves nothing there. A test marked ``@pytest.mark.durable`` keeps full durability; the
crash tests (``test_ledger_crash.py``, ``test_cohort_interrupt.py``) issue in processes of their
own, which always run with the default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import pg_support
from microcred import _files
from microcred.fetch import Fetcher, offline_fetch
from microcred.keys.material import IssuerKey, generate_key
from microcred.ledger.protocol import Ledger
from microcred.model.definition import Definition, load_definition

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def _fsync_only_where_it_is_tested(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("durable") is None:
        monkeypatch.setattr(_files, "DURABLE", False)


@pytest.fixture(scope="session")
def ed25519_key() -> IssuerKey:
    """An Ed25519 issuer key that is its own did:key."""
    return generate_key("Ed25519")


@pytest.fixture(scope="session")
def p256_key() -> IssuerKey:
    """A P-256 issuer key that is its own did:key."""
    return generate_key("P-256")


@pytest.fixture(scope="session")
def rsa_key() -> IssuerKey:
    """An RSA issuer key of did:web:issuer.example (RSA has no did:key)."""
    return generate_key("RSA", did_web="issuer.example")


@pytest.fixture(scope="session")
def example_definition() -> Definition:
    """The credit-bearing university micro-credential of examples/ (what the demo issues)."""
    return load_definition(EXAMPLES / "university-data-science.toml")


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A new, empty SQLite ledger in the test's folder."""
    with Ledger.open(tmp_path / "ledger.db") as opened:
        yield opened


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg_support.Cluster | pg_support.External]:
    """The PostgreSQL server of this test session: ``$MICROCRED_TEST_POSTGRES``, or a throwaway
    cluster started here and stopped at the end (tests/pg_support.py). No server is a failure."""
    if os.environ.get(pg_support.ENV_DSN):
        yield pg_support.External(os.environ[pg_support.ENV_DSN])
        return
    cluster = pg_support.Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_dsn(pg_server: pg_support.Cluster | pg_support.External) -> Iterator[str]:
    """The connection URL of a new, empty PostgreSQL ledger (a schema of its own)."""
    dsn = pg_support.new_schema(pg_server)
    yield dsn
    pg_support.drop_schema(pg_server, dsn)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new ledger goes, once per backend: an SQLite file path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.db")
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture
def no_network() -> Fetcher:
    """A fetch that never touches the network and answers nothing (extend with ``with_resources``)."""
    return offline_fetch()
