"""``StatusOutcome.details`` reads the entry fields directly (issue 15: no deep copy per verify); it must
give exactly what ``dataclasses.asdict`` gives, without the empty fields, for every field."""

from __future__ import annotations

import dataclasses

from microcred.status.checking import EntryOutcome, StatusOutcome


def _reference(outcome: StatusOutcome) -> list[dict[str, object]]:
    return [
        {k: v for k, v in dataclasses.asdict(e).items() if v is not None and v != ""} for e in outcome.entries
    ]


def test_details_hold_every_set_field_and_only_those():
    full = EntryOutcome(
        type="BitstringStatusListEntry",
        status="revoked",
        purpose="revocation",
        list_url="https://issuer.example/status/1",
        index=0,
        reason="the list says so",
        list_issuer="did:web:status.example",
        credential_issuer="did:web:issuer.example",
    )
    bare = EntryOutcome(type="BitstringStatusListEntry", status="valid")
    outcome = StatusOutcome("revoked", entries=(full, bare))
    assert outcome.details == _reference(outcome)
    assert set(outcome.details[0]) == {f.name for f in dataclasses.fields(EntryOutcome)}
    assert outcome.details[0]["index"] == 0  # a zero index is kept: only None and "" are dropped
    assert outcome.details[1] == {"type": "BitstringStatusListEntry", "status": "valid"}
