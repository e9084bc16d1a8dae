"""Issuing defaults decided once: each key type signs the same way through issue() and issue_many()."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from microcred import (
    Ledger,
    Recipient,
    definition_from_mapping,
    did_web_document,
    generate_key,
    issue,
    issue_many,
    offline_fetch,
    scan_cohort,
    verify,
)
from microcred.keys.algorithms import SIGNING_DEFAULTS, default_cryptosuite, default_format, jws_algorithm
from microcred.suites import SIGNING_CRYPTOSUITES
from microcred.suites.jwt import read_jwt

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STATUS = "https://issuer.example/status"
DEFINITION = {
    "issuer": {"id": "https://issuer.example", "name": "Issuer", "url": "https://issuer.example"},
    "achievement": {
        "id": "https://issuer.example/achievements/1",
        "title": "Data Literacy",
        "description": "Reads, cleans and explains small data sets.",
    },
}
#: key type -> (format, Data Integrity cryptosuite or JWS alg) it signs with when nothing is asked for
NATURAL = {"Ed25519": ("di", "eddsa-rdfc-2022"), "P-256": ("di", "ecdsa-rdfc-2019"), "RSA": ("jwt", "RS256")}


def _key(algorithm: str) -> Any:
    return generate_key(algorithm, did_web="issuer.example")  # type: ignore[arg-type]


def _fetch(key: Any) -> Any:
    document = json.dumps(did_web_document([key])).encode()
    return offline_fetch({"https://issuer.example/.well-known/did.json": document})


def test_one_table_decides_every_default() -> None:
    assert set(SIGNING_DEFAULTS) == {"Ed25519", "P-256", "P-384", "RSA"}
    for algorithm, (alg, suite) in SIGNING_DEFAULTS.items():
        assert jws_algorithm(algorithm) == alg
        assert default_format(algorithm) == ("di" if suite else "jwt")
        if suite is not None:
            assert default_cryptosuite(algorithm) == suite and suite in SIGNING_CRYPTOSUITES


@pytest.mark.parametrize("algorithm", sorted(NATURAL))
def test_issue_signs_with_the_natural_default_of_each_key_type(algorithm: str) -> None:
    key = _key(algorithm)
    issued = issue(definition_from_mapping(DEFINITION), "did:example:learner", key, now=NOW)
    fmt, how = NATURAL[algorithm]
    assert issued.format == fmt
    if fmt == "di":
        assert issued.credential["proof"]["cryptosuite"] == how
    else:
        assert issued.jwt is not None and read_jwt(issued.jwt).header["alg"] == how
    report = verify(issued.serialize(), fetch=_fetch(key), now=NOW)
    assert report.verified, report.to_text()


def _shape(value: Any) -> Any:
    """The structure of a JSON value: keys and types kept, the values that differ per credential blanked."""
    volatile = {"id", "proofValue", "identityHash", "salt", "statusListIndex", "statusListCredential"}
    if isinstance(value, dict):
        return {k: ("…" if k in volatile else _shape(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


def _delivered(text: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if text.lstrip().startswith("{"):
        return json.loads(text), None
    parts = read_jwt(text.strip())
    payload = {k: v for k, v in parts.payload.items() if k not in ("jti", "iat")}
    return parts.credential, {"header": _shape(parts.header), "claims": sorted(payload)}


@pytest.mark.parametrize("algorithm", sorted(NATURAL))
@pytest.mark.parametrize("with_ledger", [False, True], ids=["plain", "ledger"])
def test_single_and_cohort_issue_give_the_same_credential_shape(
    tmp_path: Path, algorithm: str, with_ledger: bool
) -> None:
    key = _key(algorithm)
    definition = definition_from_mapping(DEFINITION)
    cohort = tmp_path / "cohort.csv"
    with open(cohort, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["email", "name"], ["ada@example.org", "Ada Lovelace"]])
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        options: dict[str, Any] = {"ledger": ledger, "status_base_url": STATUS} if with_ledger else {}
        single = issue(
            definition, Recipient.parse("ada@example.org", "Ada Lovelace"), key, now=NOW, **options
        )
        summary = issue_many(
            definition, scan_cohort(cohort), key, out_dir=tmp_path / "out", workers=1, now=NOW, **options
        )
    assert summary.issued == 1
    (written,) = [p for p in (tmp_path / "out").iterdir() if p.suffix in (".json", ".jwt")]
    assert written.suffix == single.suffix
    one, one_jwt = _delivered(single.serialize())
    many, many_jwt = _delivered(written.read_text(encoding="utf-8"))
    assert _shape(one) == _shape(many)
    assert one_jwt == many_jwt
    assert ("credentialStatus" in one) is with_ledger
