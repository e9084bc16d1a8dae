"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a server on a unix
socket in that folder only (no TCP), stopped at the end of the session.

The server binaries come from ``$MICROCRED_PG_BIN``, ``pg_config --bindir`` or Debian's
``/usr/lib/postgresql/<version>/bin`` (the newest). PostgreSQL refuses to run as root, so as root the
cluster runs as ``nobody`` (``runuser``), in a folder that user owns. ``$MICROCRED_TEST_POSTGRES``
names an existing server to use instead (a DSN whose user may create schemas). A missing server is a
failure, never a skip. ``fsync=off`` (a killed server process loses nothing the OS was given; an OS
crash is not what these tests make) and ``synchronous_commit`` stays on, so a commit a client saw
survives ``pg_ctl restart -m immediate``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

ENV_DSN = "MICROCRED_TEST_POSTGRES"
DATABASE = "microcred"


def find_bin() -> Path:
    """The folder holding initdb, pg_ctl and postgres."""
    candidates = []
    if os.environ.get("MICROCRED_PG_BIN"):
        candidates.append(Path(os.environ["MICROCRED_PG_BIN"]))
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(out.stdout.strip()))
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    candidates += [Path(p) for p in versions]
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise RuntimeError(
        "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package "
        f"(.ci/run does), set MICROCRED_PG_BIN, or point {ENV_DSN} at a server"
    )


class Cluster:
    """One throwaway cluster: :meth:`start`, :meth:`dsn`, :meth:`restart_immediate`, :meth:`stop`."""

    def __init__(self) -> None:
        self.bin = find_bin()
        self.root = Path(tempfile.mkdtemp(prefix="mcpg"))  # short: a socket path is at most 107 bytes
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.user = "nobody" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user)
        self.running = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, cwd=self.root, check=False, timeout=120
        )
        if check and result.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr or result.stdout}\n{log}")
        return result

    def start(self) -> None:
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
            )
        options = (
            f"-k {self.root} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
            "-c shared_buffers=32MB -c max_connections=60"
        )
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log), "-o", options
        )
        self.running = True
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
                conn.execute(f"CREATE DATABASE {DATABASE}")

    def restart_immediate(self) -> None:
        """``pg_ctl restart -m immediate``: every backend dies at once, WAL replay on start."""
        self._run(
            "pg_ctl",
            "restart",
            "-w",
            "-t",
            "60",
            "-m",
            "immediate",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
        )

    def stop(self) -> None:
        if self.running:
            self._run("pg_ctl", "stop", "-m", "fast", "-D", str(self.data), check=False)
            self.running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, database: str = DATABASE, schema: str | None = None) -> str:
        url = f"postgresql:///{database}?host={quote(str(self.root), safe='')}&user=postgres"
        if schema:
            url += "&options=" + quote(f"-csearch_path={schema}", safe="")
        return url


class External:
    """A server named by ``$MICROCRED_TEST_POSTGRES`` (not restarted by these tests)."""

    def __init__(self, dsn: str) -> None:
        self.base = dsn

    def dsn(self, database: str | None = None, schema: str | None = None) -> str:
        if not schema:
            return self.base
        sep = "&" if "?" in self.base else "?"
        return self.base + sep + "options=" + quote(f"-csearch_path={schema}", safe="")


def new_schema(server: Cluster | External) -> str:
    """A fresh, empty schema on ``server``; the DSN of a ledger living in it."""
    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return server.dsn(schema=name)


def drop_schema(server: Cluster | External, dsn: str) -> None:
    name = dsn.rsplit("search_path%3D", 1)[-1]
    with contextlib.suppress(psycopg.Error), psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def wait_for(predicate, timeout: float = 60.0, step: float = 0.05) -> None:
    """Poll ``predicate`` until true; fail after ``timeout`` seconds (a bounded loop)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(step)
