"""Issue 10, class 11: tests for the faults that passed every test before (validity-window edges, a
proof option that is not required, a trusted key that signs for another issuer, a relative IRI left out
of what is signed, a cohort row that gets a file although its ledger record failed), and fast
property tests of the ledger and cohort invariants (benchmarks/mutation.py finds more)."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import microcred.cohort.bookkeeping as bookkeeping
from cohort_support import make_issuer, write_cohort
from microcred import verify
from microcred.cohort.journal import JOURNAL_NAME
from microcred.cohort.rows import scan_cohort
from microcred.cohort.run import issue_many
from microcred.cohort.summary import iter_summary
from microcred.credential.builder import build_credential
from microcred.errors import JsonLdError, LedgerError, ProofError
from microcred.issuing import sign
from microcred.keys.files import load_key
from microcred.keys.material import generate_key
from microcred.ledger.protocol import Ledger
from microcred.model.definition import load_definition
from microcred.model.learner import Recipient
from microcred.suites.data_integrity import sign_proof

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STATUS = "https://example.edu/status"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("issuer")
    definition_path, key_path = make_issuer(folder)
    return load_definition(definition_path), load_key(key_path)


def unsigned(definition: Any, issuer_id: str, **options: Any) -> dict[str, Any]:
    return build_credential(
        definition,
        Recipient.parse("did:example:ann"),
        issuer_id=issuer_id,
        now=NOW,
        credential_id="urn:uuid:11111111-1111-4111-8111-111111111111",
        **options,
    )


def status_of(report: Any, check: str) -> str:
    return next(c.status for c in report.checks if c.id == check)


# -------------------------------------------------------------------------- validity window


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(seconds=-1), "failed"),  # a second before validFrom: not yet valid
        (timedelta(0), "passed"),  # at validFrom: valid (the window is closed at its start)
        (timedelta(days=30) - timedelta(seconds=1), "passed"),  # a second before validUntil
        (timedelta(days=30), "failed"),  # at validUntil: expired (open at its end)
        (timedelta(days=30, seconds=1), "failed"),
    ],
    ids=["before-start", "at-start", "before-end", "at-end", "after-end"],
)
def test_the_validity_window_edges(issuer, offset: timedelta, expected: str) -> None:
    definition, key = issuer
    credential = unsigned(definition, key.controller, valid_from=NOW, valid_until=NOW + timedelta(days=30))
    signed = json.loads(sign(credential, key, format="di", now=NOW, created=NOW).serialize())
    report = verify(signed, now=NOW + offset)
    assert status_of(report, "validity") == expected
    assert status_of(report, "proof") == "passed"
    assert report.verified is (expected == "passed")


# ------------------------------------------------------------------------------ proof options


@pytest.mark.parametrize("purpose", ["authentication", "capabilityInvocation", None])
def test_a_proof_made_for_another_purpose_fails(issuer, purpose: str | None) -> None:
    definition, key = issuer
    signed = sign_proof(
        unsigned(definition, key.controller), key, proof_purpose=purpose or "authentication", created=NOW
    )
    if purpose is None:  # no proofPurpose at all
        del signed["proof"]["proofPurpose"]
    report = verify(signed, now=NOW)
    assert status_of(report, "proof") == "failed"
    assert not report.verified
    message = next(c.message for c in report.checks if c.id == "proof")
    assert "proofPurpose" in message


def test_the_same_proof_for_assertion_passes(issuer) -> None:
    definition, key = issuer
    signed = sign_proof(unsigned(definition, key.controller), key, created=NOW)
    report = verify(signed, now=NOW)
    assert report.verified, [(c.id, c.message) for c in report.checks if c.status == "failed"]


def test_a_cryptosuite_outside_the_allow_list_fails(issuer) -> None:
    definition, key = issuer
    signed = sign_proof(unsigned(definition, key.controller), key, created=NOW)
    report = verify(signed, now=NOW, cryptosuites=["ecdsa-rdfc-2019"])
    assert status_of(report, "proof") == "failed" and not report.verified


# ---------------------------------------------------------------------------------- key binding


def test_a_trusted_key_cannot_sign_for_another_issuer(issuer) -> None:
    definition, _ = issuer
    other = generate_key("Ed25519", issuer_url="https://other.example")
    forged = sign_proof(unsigned(definition, "https://victim.example/issuer"), other, created=NOW)
    report = verify(forged, now=NOW, trusted_keys=[other])
    assert status_of(report, "proof") == "passed"  # the signature itself is fine ...
    assert status_of(report, "issuer_key") == "failed"  # ... but the key is not the issuer's
    assert not report.verified
    own = sign_proof(unsigned(definition, "https://other.example"), other, created=NOW)
    assert verify(own, now=NOW, trusted_keys=[other]).verified  # the same key for its own issuer


# ------------------------------------------------------------------------------- relative IRIs


def test_a_relative_iri_is_refused_when_signing(issuer) -> None:
    definition, key = issuer
    credential = unsigned(definition, key.controller)
    credential["evidence"] = [{"id": "relative/evidence", "type": ["Evidence"]}]
    with pytest.raises(JsonLdError, match="left out of what is signed"):
        sign(credential, key, format="di", now=NOW, created=NOW)
    with pytest.raises(JsonLdError):
        sign_proof(credential, key, created=NOW)


def test_a_relative_iri_added_after_signing_does_not_verify(issuer) -> None:
    definition, key = issuer
    signed = json.loads(sign(unsigned(definition, key.controller), key, format="di", now=NOW).serialize())
    signed["evidence"] = [{"id": "relative/evidence", "type": ["Evidence"]}]
    assert not verify(signed, now=NOW).verified


# ------------------------------------------------ a cohort row whose ledger record failed: no file


def test_a_row_whose_record_fails_gets_no_file(
    issuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition, key = issuer
    real = bookkeeping.record
    refused: list[str] = []

    def record(ledger: Ledger, items: list[Any]) -> list[Any]:
        outcomes = real(ledger, items[:1] + items[2:]) if len(items) > 1 else real(ledger, items)
        if len(items) > 1:
            refused.append(items[1][0].credential_id)
            outcomes.insert(1, LedgerError("the ledger refused this one", code="ledger.test"))
        return outcomes

    monkeypatch.setattr(bookkeeping, "record", record)
    out = tmp_path / "out"
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        summary = issue_many(
            definition,
            scan_cohort(write_cohort(tmp_path / "c.csv", 5)),
            key,
            out_dir=out,
            ledger=ledger,
            status_base_url=STATUS,
            workers=1,
            on_error="skip",
        )
        issued = {r.credential_id for r in ledger.credentials() if r.state == "issued"}
    assert (summary.issued, summary.failed) == (4, 1)
    files = {json.loads(p.read_bytes())["id"] for p in out.glob("*.json")}
    assert files == issued and refused[0] not in files  # no file the ledger does not know
    failed = [r for r in iter_summary(out) if r.status == "failed"]
    assert [r.error_code for r in failed] == ["ledger.test"] and failed[0].file is None
    journal = (out / JOURNAL_NAME).read_text(encoding="utf-8")
    assert refused[0] not in journal


# ------------------------------------------------------------- invariants, as property tests


class FlakyExecutor(cf.Executor):
    """Runs each job inline, failing the jobs whose (1-based) number is in ``fail``."""

    def __init__(self, fail: set[int]) -> None:
        self.fail, self.n = fail, 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        self.n += 1
        future: cf.Future[Any] = cf.Future()
        if self.n in self.fail:
            future.set_exception(ProofError("injected signing failure", code="proof.test"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def check_invariants(out: Path, ledger: Ledger | None, rows: int) -> None:
    """What must hold after any run: every file is one the ledger (or the journal) knows with the same
    bytes; no row is issued twice; every issued row of the summary names a file that is there."""
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".json"}
    ids = [json.loads(data)["id"] for data in files.values()]
    assert len(ids) == len(set(ids))
    if ledger is not None:
        issued = [r for r in ledger.credentials() if r.state == "issued"]
        assert len({r.row_key for r in issued}) == len(issued) <= rows  # each row at most once
        by_id = {r.credential_id: r.document_sha256 for r in issued}
        for data in files.values():
            credential_id = json.loads(data)["id"]
            assert by_id.get(credential_id) == hashlib.sha256(data).hexdigest()
    lines = [json.loads(line) for line in (out / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if line["f"] in files:
            continue
        raise AssertionError(f"the journal names {line['f']}, which is not there")
    for result in iter_summary(out):
        if result.status in ("issued", "skipped-existing"):
            assert result.file in files
        else:
            assert result.file is None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.integers(min_value=1, max_value=6),
    fail=st.sets(st.integers(min_value=1, max_value=6), max_size=3),
    with_ledger=st.booleans(),
)
def test_cohort_and_ledger_invariants_hold_through_failures_and_reruns(
    issuer, tmp_path_factory: pytest.TempPathFactory, rows: int, fail: set[int], with_ledger: bool
) -> None:
    definition, key = issuer
    tmp = tmp_path_factory.mktemp("inv")
    cohort = write_cohort(tmp / "c.csv", rows)
    out = tmp / "out"
    ledger = Ledger.open(tmp / "ledger.db") if with_ledger else None
    try:
        first = issue_many(
            definition,
            scan_cohort(cohort),
            key,
            out_dir=out,
            ledger=ledger,
            status_base_url=STATUS,
            executor=FlakyExecutor(fail),
            on_error="skip",
        )
        assert first.issued + first.failed == rows
        check_invariants(out, ledger, rows)
        second = issue_many(
            definition,
            scan_cohort(cohort),
            key,
            out_dir=out,
            ledger=ledger,
            status_base_url=STATUS,
            executor=FlakyExecutor(set()),
        )
        assert (second.issued, second.skipped_existing, second.failed) == (first.failed, first.issued, 0)
        check_invariants(out, ledger, rows)
        assert len([p for p in out.iterdir() if p.suffix == ".json"]) == rows
    finally:
        if ledger is not None:
            ledger.close()


# ------------------------------------------------------- a rerun when a baked image went missing


@pytest.mark.parametrize("with_ledger", [False, True], ids=["journal", "ledger"])
def test_a_rerun_restores_a_missing_baked_image(issuer, tmp_path: Path, with_ledger: bool) -> None:
    definition, key = issuer
    cohort = write_cohort(tmp_path / "c.csv", 3)
    out = tmp_path / "out"
    ledger = Ledger.open(tmp_path / "ledger.db") if with_ledger else None
    try:

        def again() -> Any:
            return issue_many(
                definition,
                scan_cohort(cohort),
                key,
                out_dir=out,
                ledger=ledger,
                status_base_url=STATUS,
                workers=1,
                bake="default",
            )

        assert again().issued == 3
        assert (again().issued, again().skipped_existing) == (0, 3)
        lost = sorted(out.glob("*.svg"))[0]
        lost.unlink()
        third = again()
        # with a ledger the image is baked again from the recorded credential; without, the row is reissued
        assert (third.issued, third.skipped_existing) == ((0, 3) if with_ledger else (1, 2))
        assert len(list(out.glob("*.svg"))) == 3 and len(list(out.glob("*.json"))) == 3
        images = {r.image for r in iter_summary(out)}
        assert all(image is not None and (out / image).is_file() for image in images)
    finally:
        if ledger is not None:
            ledger.close()
