"""Crash-safe file writing: a temp file in the same folder, fsync, rename, fsync the folder.

Every file microcred writes goes through :func:`write_atomic`: key files, baked images, command
output, status lists and a cohort's credential files.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Final

from .errors import MicrocredError

#: Every temp file starts with this, so a folder can be swept of the ones a killed process left.
TEMP_PREFIX: Final = ".mc-tmp-"

#: **Test-only switch.** When False, nothing is fsynced: not the files written here, not their
#: folders, and the SQLite ledger runs with ``synchronous=OFF``. ``tests/conftest.py`` turns it off for
#: unit tests (fsync is most of their time and proves nothing there); the crash tests run issuing in
#: processes of their own, which keep the default. Never change it outside tests: a crash would then
#: lose credentials that were already handed out.
DURABLE = True


#: Flags that keep an open from following a symbolic link or blocking on a FIFO (0 where unknown).
NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
NONBLOCK: Final = getattr(os, "O_NONBLOCK", 0)
CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)


def write_atomic(
    path: Path,
    data: bytes,
    *,
    mode: int = 0o644,
    fsync: bool = True,
    sync_dir: bool = True,
    special: bool = True,
) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one, never half.

    The temp file is created private (``O_EXCL``, 0600), given ``mode`` and renamed into place.
    ``fsync=False`` skips the file's fsync and ``sync_dir=False`` the folder's, for a caller that makes
    the data durable another way (a cohort writing thousands of files syncs its folder in batches).
    Only a regular file (or a symbolic link, which is replaced, never followed) is replaced: an
    existing device or FIFO (``-o /dev/null``) is written to as it is when ``special`` is true, and
    refused otherwise; a folder is refused.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        if stat.S_ISDIR(info.st_mode) or not special:
            raise MicrocredError(
                f"{path} exists and is not a regular file (a {_kind(info.st_mode)}); "
                "refusing to replace it: choose another path",
                code="output.not_regular",
                source=str(path),
            )
        _write_special(path, data)
        return
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


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "folder"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def _write_special(path: Path, data: bytes) -> None:
    """Write to an existing device or FIFO in place (never unlinked, never replaced)."""
    fd = os.open(path, os.O_WRONLY | NOFOLLOW | CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def open_private(path: Path, *, append: bool = True, read: bool = False) -> int:
    """Open (creating it 0600 if absent) a file of our own in a folder others may write to.

    Never follows a symbolic link (``O_NOFOLLOW``) and refuses anything that is not a regular file
    owned by this user: a link planted there cannot send the writes elsewhere. Returns the descriptor.
    """
    flags = (os.O_RDWR if read else os.O_WRONLY) | os.O_CREAT | NOFOLLOW | NONBLOCK | CLOEXEC
    if append:
        flags |= os.O_APPEND
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        what = {errno.ELOOP: "a symbolic link", errno.ENXIO: "a FIFO", errno.EISDIR: "a folder"}
        if exc.errno in what:
            raise _refuse(path, what[exc.errno]) from None
        raise
    try:
        check_own_regular(fd, path)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_own_regular(fd: int, path: Path) -> None:
    """Raise unless the open file ``fd`` is a regular file owned by this user (where owners exist)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, f"a {_kind(info.st_mode)}")
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        raise _refuse(path, f"owned by another user (uid {info.st_uid})")


def _refuse(path: Path, what: str) -> MicrocredError:
    return MicrocredError(
        f"{path} is {what}, not a regular file of this user; refusing to write through it "
        "(remove it, or use another output folder)",
        code="output.unsafe_path",
        source=str(path),
    )


def read_regular(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not followed if a link, never blocking on a
    FIFO), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW | NONBLOCK | CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)


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
