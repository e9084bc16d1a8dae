"""A compact map from 64-bit digests to numbers, so that a cohort of millions stays small in memory
(duplicate rows while reading, the journal's index on a rerun)."""

from __future__ import annotations

import hashlib
from array import array


class DigestTable:
    """A compact map from 64-bit digests to numbers (a line, a byte offset): open addressing over two
    arrays, 24 to 32 bytes per entry at most (a dict takes over 100), so large cohorts stay small."""

    def __init__(self, size: int = 1024, *, wide: bool = False) -> None:
        self.code = "Q" if wide else "I"
        self.size = size
        self.count = 0
        self.keys = array("Q", bytes(8 * size))
        self.values = array(self.code, bytes(array(self.code).itemsize * size))

    def _slot(self, digest: int) -> int:
        mask = self.size - 1
        i = digest & mask
        while self.keys[i] not in (0, digest):
            i = (i + 1) & mask
        return i

    def get(self, digest: int) -> int | None:
        """The number recorded for ``digest``, or None."""
        i = self._slot(digest or 1)
        return self.values[i] if self.keys[i] else None

    def add(self, digest: int, value: int) -> None:
        """Record ``value`` for ``digest`` unless it has one already."""
        self._set(digest or 1, value, replace=False)

    def put(self, digest: int, value: int) -> None:
        """Record ``value`` for ``digest``, replacing what it had."""
        self._set(digest or 1, value, replace=True)

    def _set(self, digest: int, value: int, *, replace: bool) -> None:  # 0 marks an empty slot
        i = self._slot(digest)
        if self.keys[i]:
            if replace:
                self.values[i] = value
            return
        self.keys[i], self.values[i] = digest, value
        self.count += 1
        if 2 * self.count > self.size:
            keys, values = self.keys, self.values
            self.size *= 2
            self.keys = array("Q", bytes(8 * self.size))
            self.values = array(self.code, bytes(array(self.code).itemsize * self.size))
            for k, v in zip(keys, values, strict=True):
                if k:
                    j = self._slot(k)
                    self.keys[j], self.values[j] = k, v


def digest(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}\0{value}".encode(), digest_size=8).digest(), "big")
