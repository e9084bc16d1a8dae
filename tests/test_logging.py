"""The library reports on the ``microcred`` logger and never prints."""

from __future__ import annotations

import csv
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

import microcred
from microcred import (
    Ledger,
    definition_from_mapping,
    generate_key,
    issue,
    issue_many,
    offline_fetch,
    scan_cohort,
    signed_status_lists,
    verify,
)
from microcred.errors import FetchError

NOW = datetime(2026, 3, 1, tzinfo=UTC)
STATUS = "https://issuer.example/status"


def _definition(issuer: str) -> microcred.Definition:
    return definition_from_mapping(
        {
            "issuer": {"id": issuer, "name": "Issuer", "url": "https://issuer.example"},
            "achievement": {
                "id": "https://issuer.example/achievements/1",
                "title": "Data Literacy",
                "description": "Reads, cleans and explains small data sets.",
            },
        }
    )


def test_the_package_logger_has_only_a_null_handler_until_the_application_configures_one():
    handlers = logging.getLogger("microcred").handlers
    assert handlers and all(isinstance(h, logging.NullHandler) for h in handlers)


def test_issuing_a_cohort_and_verifying_log_what_happened_and_print_nothing(tmp_path: Path, caplog, capsys):
    key = generate_key("Ed25519")
    definition = _definition(key.controller)
    cohort = tmp_path / "cohort.csv"
    with open(cohort, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["email"], ["a@example.org"], ["b@example.org"]])
    caplog.set_level(logging.DEBUG, logger="microcred")
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        issue_many(
            definition,
            scan_cohort(cohort),
            key,
            out_dir=tmp_path / "out",
            workers=1,
            ledger=ledger,
            status_base_url=STATUS,
            now=NOW,
        )
        issue_many(
            definition,
            scan_cohort(cohort),
            key,
            out_dir=tmp_path / "out",
            workers=1,
            ledger=ledger,
            status_base_url=STATUS,
            now=NOW,
        )
        single = issue(definition, "did:example:learner", key, ledger=ledger, status_base_url=STATUS, now=NOW)
        lists = {p.url: json.dumps(p.document).encode() for p in signed_status_lists(ledger, key, now=NOW)}
    assert verify(single.serialize(), fetch=offline_fetch(lists), now=NOW).verified
    with pytest.raises(FetchError):
        offline_fetch()("https://issuer.example/missing")

    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("microcred.ledger.sqlite", f"created the ledger {tmp_path / 'ledger.db'}") in messages
    runs = [m for name, m in messages if name.startswith("microcred.cohort.") and " issued, " in m]
    assert runs[0].endswith(" s") and ": 2 issued, 0 already issued, 0 failed in " in runs[0]
    assert ": 0 issued, 2 already issued, 0 failed in " in runs[1]
    served = [m for name, m in messages if name == "microcred.fetch"]
    assert any(m.startswith(f"served {STATUS}/revocation-1 from a given resource") for m in served)
    assert any(m.startswith("did not fetch https://issuer.example/missing") for m in served)
    assert any(name == "microcred.status.checking" and "verified" in m for name, m in messages)
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""
