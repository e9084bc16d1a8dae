#!/bin/sh
# Makes ledger-v1.db: a ledger written by microcred at commit f69ef91 (ledger schema 1, the release
# before issue 15), kept as test data for the schema-2 migration (tests/test_ledger_migration.py).
# Run from a checkout of f69ef91 with its venv active:  sh make.sh   (writes into a temp folder)
set -eu
out=$(pwd)
work=$(mktemp -d)
cd "$work"
root=$(python -c 'import microcred, pathlib; print(pathlib.Path(microcred.__file__).parents[2])')
microcred keygen -o key.json
ach="$root/examples/university-data-science.toml"
when=2026-05-01T09:30:00Z
microcred issue --key key.json --achievement "$ach" --cohort "$root/examples/cohort.csv" --out-dir di \
  --ledger l.db --status-url https://uni.example/status --suspendable --created $when --workers 1
microcred issue --key key.json --achievement "$root/examples/online-course-badge.toml" --cohort "$root/examples/cohort.csv" \
  --out-dir jwt --format jwt --ledger l.db --status-url https://uni.example/status --created $when --workers 1
microcred issue --key key.json --achievement "$ach" --recipient solo@example.org --ledger l.db \
  --status-url https://uni.example/status --created $when -o solo.json
python - <<'PY'
import json, pathlib
from microcred.ledger.protocol import Ledger, ReserveRequest
with Ledger.open("l.db", create=False) as ledger:
    ids = [r.credential_id for r in ledger.credentials()]
    ledger.revoke(ids[0], "plagiarism")
    ledger.suspend(ids[1], "under review")
    ledger.suspend(ids[2], "under review")
    ledger.reinstate(ids[2], "cleared")
    ledger.revoke(ids[7])
    req = ReserveRequest("urn:uuid:never-signed", "https://uni.example/ach/x", "x@example.org", "di",
                         "2026-05-01T09:30:00Z", "https://uni.example/status", suspension=True, row_key="r1")
    ledger.reserve(req)   # a run that died before signing: reserved
    ledger.reserve(req)   # its rerun: the first reservation abandoned, a second one reserved
PY
cp l.db "$out/ledger-v1.db"
rm -rf "$work"
