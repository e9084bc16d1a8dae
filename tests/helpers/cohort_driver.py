"""Run one cohort issuance as its own process, for tests that interrupt it (tests/test_cohort_interrupt.py).

    python cohort_driver.py DEFINITION KEY COHORT.csv OUT_DIR LEDGER [WORKERS]

Calls :func:`microcred.cli._cohort.run_cohort_command` exactly as ``microcred issue --cohort`` does and exits
with its code (0 done, 130 interrupted).
"""

from __future__ import annotations

import sys

from microcred.cli._cohort import run_cohort_command

STATUS_BASE_URL = "https://example.edu/status"


def main(argv: list[str]) -> int:
    definition, key, cohort, out_dir, ledger = argv[:5]
    workers = int(argv[5]) if len(argv) > 5 else 2
    return run_cohort_command(
        definition, cohort, key, out_dir, ledger_path=ledger, status_base_url=STATUS_BASE_URL, workers=workers
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
