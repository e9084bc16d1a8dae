"""Test support for cohort issuance: an issuer key + definition in a folder, and generated cohort CSVs."""

from __future__ import annotations

import csv
from pathlib import Path

from microcred.keys.files import save_key
from microcred.keys.material import generate_key

#: Learner names in several scripts (CJK, Arabic, Cyrillic, Devanagari, emoji, combining accents).
NAMES = ["Zoë Ångström", "李小龍", "محمد عبد الله", "Ярослава", "अनुष्का", "José 🎓 Núñez", "Ōtani Shōhei"]

DEFINITION = """\
[issuer]
id = "{issuer_id}"
name = "Example University"
url = "https://example.edu"
country = "NL"

[achievement]
id = "https://example.edu/achievements/data-literacy"
title = "Data Literacy"
description = "Reads, cleans and explains small data sets."
criteria = "Passed the final assessment."
"""


def make_issuer(folder: Path) -> tuple[Path, Path]:
    """A did:key Ed25519 key file and a definition whose issuer is that key's controller."""
    folder.mkdir(parents=True, exist_ok=True)
    key = generate_key("Ed25519")
    key_path = folder / "issuer-key.json"
    save_key(key, key_path)
    definition_path = folder / "achievement.toml"
    definition_path.write_text(DEFINITION.format(issuer_id=key.controller), encoding="utf-8")
    return definition_path, key_path


def write_cohort(path: Path, n: int, *, start: int = 0, grades: bool = True) -> Path:
    """A cohort CSV of ``n`` valid learners (emails, names in many scripts, some grades and evidence)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["email", "name", "grade", "evidence_url"])
        for i in range(start, start + n):
            out.writerow(
                [
                    f"learner{i:06d}@example.org",
                    f"{NAMES[i % len(NAMES)]} {i}",
                    ("A", "B", "C")[i % 3] if grades else "",
                    f"https://example.edu/portfolio/{i}" if i % 4 == 0 else "",
                ]
            )
    return path


def check_credential(path: Path) -> tuple[bool, str]:
    """Verify one issued credential file offline: microcred.verify, status allowed unchecked.

    Returns (verified, a short reason listing the failed checks).
    """
    from microcred.fetch import offline_fetch
    from microcred.verifying.verify import verify

    report = verify(path, fetch=offline_fetch(), allow_unchecked_status=True)
    failed = [f"{c.id}: {c.message}" for c in report.checks if c.status == "failed"]
    return report.verified, "; ".join(failed)


def check_proof(path: Path) -> tuple[bool, str]:
    """Check only the signature of one issued credential file (Data Integrity proof or VC-JWT)."""
    import json

    from microcred.fetch import offline_fetch
    from microcred.keys.dids import resolve_verification_method

    fetch = offline_fetch()

    def resolve(vm: str):
        return resolve_verification_method(vm, fetch=fetch)

    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jwt":
        from microcred.suites.jwt import verify_jwt

        result = verify_jwt(text.strip(), resolve=resolve)
    else:
        from microcred.suites import verify_proof

        result = verify_proof(json.loads(text), resolve=resolve)
    return result.verified, result.reason


class BatchingLedger:
    """A real :class:`~microcred.ledger.Ledger` behind the batch calls cohort issuance uses when a ledger
    offers them (``reserve_many`` / ``record_signed_many``); counts the calls and can fail a batch."""

    def __init__(self, ledger, *, fail_batches: bool = False) -> None:
        self.ledger = ledger
        self.fail_batches = fail_batches
        self.batch_calls = {"reserve_many": 0, "record_signed_many": 0}

    def __getattr__(self, name: str):
        return getattr(self.ledger, name)

    def reserve_many(self, requests):
        self.batch_calls["reserve_many"] += 1
        if self.fail_batches:
            from microcred.errors import LedgerError

            raise LedgerError("a batch failed", code="ledger.test")
        return self.ledger.reserve_many(requests)

    def record_signed_many(self, items):
        self.batch_calls["record_signed_many"] += 1
        if self.fail_batches:
            from microcred.errors import LedgerError

            raise LedgerError("a batch failed", code="ledger.test")
        return self.ledger.record_signed_many(items)
