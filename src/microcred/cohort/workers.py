"""The worker side of a cohort run: what every job shares (sent once per worker process), and a job:
build one learner's credential, add its reserved status, sign it (and bake it)."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import hashlib
import json
import os
import pickle
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from cryptography.hazmat.primitives import serialization

from ..baking.bake import bake
from ..credential.builder import build_credential
from ..errors import MicrocredError
from ..issuing import Format, sign, with_status
from ..keys.algorithms import Algorithm
from ..keys.material import IssuerKey, PrivateKey
from ..model.learner import Evidence, Recipient, Result

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from ..ledger.protocol import Reservation
    from ..model.definition import Definition
    from .rows import CohortRow

# ------------------------------------------------------------------------------------ worker signing


@dataclass
class Shared:
    """What every job of a run shares: the achievement definition, the key (PKCS#8 DER and its ids),
    the badge image to bake, the clock and the cryptosuite. Our own worker processes receive it once,
    through the pool's initializer, and cache it by ``fingerprint``; ``obj`` (the loaded key, for
    in-process and thread executors) is never pickled.
    """

    fingerprint: str
    algorithm: str
    der: bytes
    key_id: str
    controller: str
    definition: Definition | None = None
    bake: bytes | None = None
    obj: IssuerKey | None = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["obj"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def light(self) -> Shared:
        """The same, without its payload: for jobs sent to workers that were given it already."""
        return replace(self, der=b"", definition=None, bake=None, obj=None)


#: fingerprint -> (key, definition, image), in each worker process
_WORKER_CACHE: dict[str, tuple[IssuerKey, Definition, bytes | None]] = {}
_WORKER_LOCK = threading.Lock()


def shared_for(key: IssuerKey, definition: Definition, bake: bytes | None) -> Shared:
    """What the jobs of a run share; the fingerprint names the key, definition and image together."""
    if key.private_key is None:
        raise MicrocredError(
            "the key has no private part; issuing needs the issuer's private key", code="key.public_only"
        )
    der = key.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    digest = hashlib.sha256(der)
    for part in (key.key_id.encode(), key.controller.encode(), pickle.dumps(definition), bake or b""):
        digest.update(hashlib.sha256(part).digest())
    return Shared(digest.hexdigest(), key.algorithm, der, key.key_id, key.controller, definition, bake, key)


def _load_key(shared: Shared) -> IssuerKey:
    private = cast(PrivateKey, serialization.load_der_private_key(shared.der, password=None))
    algorithm = cast(Algorithm, shared.algorithm)
    return IssuerKey(algorithm, private.public_key(), private, shared.key_id, shared.controller)


def worker_context(shared: Shared) -> tuple[IssuerKey, Definition, bytes | None]:
    """(key, definition, image) for a job: the shared object in-process, else this process's cached copy."""
    if shared.obj is not None:
        assert shared.definition is not None
        return shared.obj, shared.definition, shared.bake
    cached = _WORKER_CACHE.get(shared.fingerprint)
    if cached is None:
        if not shared.der:
            raise RuntimeError("a cohort worker process was not initialised with the signing key")
        with _WORKER_LOCK:
            cached = _WORKER_CACHE.get(shared.fingerprint)
            if cached is None:
                assert shared.definition is not None
                cached = _WORKER_CACHE[shared.fingerprint] = (
                    _load_key(shared),
                    shared.definition,
                    shared.bake,
                )
    return cached


#: prctl(2) option: the signal sent to this process when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def _orphan_watch(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the parent died (kill -9): do not linger as an orphan
            os._exit(1)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (``PR_SET_PDEATHSIG``); elsewhere the
    orphan watch thread does it, within half a second."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _drop_inherited_lock(lock: tuple[int, int, int] | None) -> None:
    """Close this worker's copy of the parent's out-dir lock (inherited through fork), so the lock is
    released the moment the parent dies, not when its last worker does."""
    if lock is None:
        return
    fd, dev, ino = lock
    with contextlib.suppress(OSError):
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) == (dev, ino):  # the same open file, not a reused number
            os.close(fd)


def worker_init(
    shared: Shared | None = None,
    parent: int | None = None,
    lock: tuple[int, int, int] | None = None,
) -> None:
    """Initializer for worker processes: ignore SIGINT (the parent decides when to stop), die with the
    parent (``parent``: its pid), close the inherited out-dir ``lock`` (fd, device, inode), and cache
    what the jobs share."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = parent if parent is not None else os.getppid()
    _drop_inherited_lock(lock)
    _die_with_parent(parent)
    threading.Thread(target=_orphan_watch, args=(parent,), daemon=True, name="microcred-orphan").start()
    if shared is not None and shared.definition is not None:  # with "fork" it arrives as is, key included
        key = shared.obj or _load_key(shared)
        _WORKER_CACHE[shared.fingerprint] = (key, shared.definition, shared.bake)


@dataclass(frozen=True, slots=True)
class SignJob:
    """One learner: the row, the credential id, and the status entry the ledger reserved for it."""

    row: CohortRow
    credential_id: str
    reservation: Reservation | None
    shared: Shared
    format: Format
    cryptosuite: str
    now: datetime
    salt: str | None


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed credential as the bytes to write, and the baked image when asked for."""

    credential_id: str
    data: bytes
    suffix: str
    image: bytes | None


def bake_into(image: bytes, data: bytes, fmt: str) -> bytes:
    """``image`` with the signed credential ``data`` (JSON, or a JWT when ``fmt`` is jwt) baked in."""
    text = data.decode("utf-8")
    return bake(image, text.strip() if fmt == "jwt" else json.loads(text))


def sign_job(job: SignJob) -> Signed:
    """Runs in a worker: build the learner's credential, sign it (and bake it); return the bytes to write."""
    key, definition, badge = worker_context(job.shared)
    credential = build_unsigned(
        definition,
        job.row,
        issuer_id=key.controller,
        now=job.now,
        credential_id=job.credential_id,
        salt=job.salt,
    )
    if job.reservation is not None:
        credential = with_status(credential, job.reservation)
    issued = sign(
        credential,
        key,
        format=job.format,
        cryptosuite=job.cryptosuite,
        created=job.now,
        now=job.now,
    )
    data = issued.serialize().encode("utf-8")
    image = bake_into(badge, data, job.format) if badge is not None else None
    return Signed(issued.id, data, issued.suffix, image)


def sign_jobs(jobs: list[SignJob]) -> list[Signed | Exception]:
    """:func:`sign_job` for each job of a chunk in one call (one round trip to a worker process); a
    row that cannot be signed gives its exception in its place."""
    out: list[Signed | Exception] = []
    for job in jobs:
        try:
            out.append(sign_job(job))
        except Exception as exc:  # that row's failure, reported with its row like a failed future
            out.append(exc)
    return out


def split_future(chunk: cf.Future[list[Signed | Exception]], keys: list[int]) -> dict[int, cf.Future[Signed]]:
    """One future per row (by ``keys``, in job order) for a :func:`sign_jobs` future: each gets its
    row's result or exception, or the chunk's exception, or is cancelled with it."""
    rows: dict[int, cf.Future[Signed]] = {key: cf.Future() for key in keys}

    def done(future: cf.Future[list[Signed | Exception]]) -> None:
        if future.cancelled():
            for row in rows.values():
                row.cancel()
            return
        failure = future.exception()
        results: list[Signed | Exception] = (
            [failure] * len(keys) if failure is not None else future.result()  # type: ignore[list-item]
        )
        for key, result in zip(keys, results, strict=True):
            row = rows[key]
            if not row.set_running_or_notify_cancel():
                continue  # abandoned (a second SIGINT)
            if isinstance(result, BaseException):
                row.set_exception(result)
            else:
                row.set_result(result)

    chunk.add_done_callback(done)
    return rows


class InlineExecutor(cf.Executor):
    """Runs each job at submit time, in this thread (``workers=1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered through the future, like any executor
            future.set_exception(exc)
        return future


# -------------------------------------------------------------------------------------- build glue


def build_unsigned(
    definition: Definition,
    row: CohortRow,
    *,
    issuer_id: str,
    now: datetime,
    credential_id: str,
    salt: str | None,
) -> dict[str, Any]:
    """The unsigned credential for one row, as :func:`microcred.issue` would build it."""
    if row.id_type is not None:
        recipient = Recipient.from_identifier(row.recipient, row.id_type, row.name, salt=salt)
    else:
        recipient = Recipient.parse(row.recipient, row.name, salt=salt)
    evidence: tuple[Evidence, ...] = ()
    if row.evidence_url is not None:
        evidence = (Evidence(id=row.evidence_url, name=row.evidence_name, narrative=row.evidence_narrative),)
    return build_credential(
        definition,
        recipient,
        issuer_id=issuer_id,
        now=now,
        credential_id=credential_id,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        awarded_date=row.awarded_date,
        result=Result(row.grade) if row.grade is not None else None,
        evidence=evidence,
    )
