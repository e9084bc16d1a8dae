"""The output folder of a cohort run: one file per learner (named from its row key), written crash-safe,
and the lock that keeps two runs out of one folder."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import time
import unicodedata
from typing import TYPE_CHECKING, Final

from .. import _files
from ..errors import MicrocredError

if TYPE_CHECKING:
    from pathlib import Path

#: Held (flock) by a run, so that two runs never write into one ``out_dir`` at once.
LOCK_NAME = ".microcred-cohort.lock"
#: The prefix of every temp file (see :mod:`microcred._files`): a run sweeps the ones a killed run left.
TMP_PREFIX = _files.TEMP_PREFIX
#: Credential files are not fsynced one by one; the folder is, every this many files.
DIR_SYNC_EVERY = 256
#: How long a run waits for the lock when its holder is gone (a killed run whose workers are exiting),
#: and when the recorded holder is still alive, before it refuses.
LOCK_WAIT_ORPHAN_S: Final = 15.0
LOCK_WAIT_LIVE_S: Final = 1.0


# ---------------------------------------------------------------------------------------- file names


@functools.lru_cache(maxsize=1024)
def credential_file_name(row_key: str) -> str:
    """A file stem for a row key: readable, safe in any script and on any file system, unique by hash.

    Letters and digits of every script are kept (NFC); everything else becomes ``_``; the stem is cut to
    at most 80 UTF-8 bytes and followed by 10 hex characters of the key's SHA-256, so two keys that
    differ only in case or punctuation still get different names.
    """
    key = unicodedata.normalize("NFC", row_key)
    for prefix in ("mailto:", "did:"):
        if key.lower().startswith(prefix):
            key = key[len(prefix) :]
    slug = "".join(c if (c.isalnum() or c in "-.@") else "_" for c in key)
    slug = re.sub(r"_+", "_", slug).strip("._-") or "learner"
    raw = slug.encode("utf-8")[:80]
    slug = raw.decode("utf-8", errors="ignore").rstrip("._-") or "learner"
    digest = hashlib.sha256(row_key.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}"


def write_file(path: Path, data: bytes, fsync: bool = True) -> None:
    """Write one file atomically (:func:`microcred._files.write_atomic`), fsynced unless told not to;
    the folder is synced by the caller, in batches (:func:`sync_dir`)."""
    _files.write_atomic(path, data, fsync=fsync, sync_dir=False, special=False)


def write_all(folder: Path, files: list[tuple[str, bytes]]) -> None:
    """:func:`write_file` each (name, data) into ``folder``, without fsync (a ledger holds the bytes)."""
    for name, data in files:
        write_file(folder / name, data, fsync=False)


def sync_dir(path: Path) -> None:
    """fsync the output folder, so the files renamed into it survive a crash."""
    _files.sync_folder(path)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_suffix(image: bytes) -> str:
    return ".png" if image.startswith(b"\x89PNG") else ".svg"


class OutDirLock:
    """The flock held on ``out_dir/.microcred-cohort.lock`` for a run (see :func:`lock_out_dir`)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        info = os.fstat(fd)
        self.identity = (fd, info.st_dev, info.st_ino)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _holder_alive(fd: int) -> tuple[int | None, bool]:
    """The pid recorded in the lock file and whether a process of that pid exists."""
    try:
        pid = int(os.pread(fd, 32, 0).decode("ascii").strip() or "0")
    except (OSError, ValueError):
        return None, True
    if pid <= 0:
        return None, True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return pid, False
    except OSError:
        return pid, True
    return pid, True


def lock_out_dir(out: Path, *, wait_orphan: float = LOCK_WAIT_ORPHAN_S) -> OutDirLock:
    """Hold an exclusive lock on ``out_dir`` for the run: two runs into one folder would trip each other.

    The lock file is opened without following links and must be a regular file of this user. When
    the run that holds it is gone (its pid, recorded in the file, no longer exists: a killed run whose
    workers are still exiting) this waits up to ``wait_orphan`` seconds; a live holder gets a second.
    """
    fd = _files.open_private(out / LOCK_NAME, append=False, read=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks here
        return OutDirLock(fd)
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            pid, alive = _holder_alive(fd)
            waited = time.monotonic() - started
            if waited < (LOCK_WAIT_LIVE_S if alive else wait_orphan):
                time.sleep(0.05)
                continue
            os.close(fd)
            holder = f" (process {pid})" if pid and alive else ""
            raise MicrocredError(
                f"another cohort run{holder} is writing to {out}; wait for it to finish (or stop it) "
                "and rerun",
                code="cohort.busy",
                source=str(out),
            ) from None
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return OutDirLock(fd)
