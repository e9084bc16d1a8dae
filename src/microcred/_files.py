"""Crash-safe file writing: a temp file in the same folder, fsync, rename, fsync the folder.

Every file microcred writes goes through :func:`write_atomic`: key files, baked images, command
output, status lists and a cohort's credential files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final

#: Every temp file starts with this, so a folder can be swept of the ones a killed process left.
TEMP_PREFIX: Final = ".mc-tmp-"

#: **Test-only switch.** When False, nothing is fsynced: not the files written here, not their
#: folders, and the SQLite ledger runs with ``synchronous=OFF``. ``tests/conftest.py`` turns it off for
#: unit tests (fsync is most of their time and proves nothing there); the crash tests run issuing in
#: processes of their own, which keep the default. Never change it outside tests: a crash would then
#: lose credentials that were already handed out.
DURABLE = True


def write_atomic(
    path: Path, data: bytes, *, mode: int = 0o644, fsync: bool = True, sync_dir: bool = True
) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one, never half.

    The temp file is created private (``O_EXCL``, 0600), given ``mode`` and renamed into place.
    ``fsync=False`` skips the file's fsync and ``sync_dir=False`` the folder's, for a caller that makes
    the data durable another way (a cohort writing thousands of files syncs its folder in batches).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync and DURABLE:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if sync_dir:
        sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """fsync a folder, so the renames into it survive a crash (a no-op where folders cannot be opened)."""
    if not DURABLE or os.name == "nt":
        return
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def sync_file(handle_fd: int) -> None:
    """fsync an open file (by descriptor) unless the test-only switch :data:`DURABLE` is off."""
    if DURABLE:
        os.fsync(handle_fd)
