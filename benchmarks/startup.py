"""Command-line start-up against a bare interpreter (issue 15).

``python benchmarks/startup.py`` prints a JSON object: the wall time of ``python -c pass``,
``microcred --version``, ``microcred --help`` and ``microcred verify`` of one typical credential
(offline: a did:key issuer, no status entry), each the best of several fresh processes, taken in
turns so that load from other work falls on all of them alike; and each as a multiple of the bare
interpreter. ``benchmarks/run.py`` includes these figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "university-data-science.toml"


def _entry() -> list[str]:
    """The ``microcred`` console script of this interpreter's environment, else ``python -m``."""
    script = Path(sys.executable).with_name("microcred")
    return [str(script)] if script.exists() else [sys.executable, "-m", "microcred"]


def run(rounds: int = 15) -> dict[str, Any]:
    from microcred.issuing import issue
    from microcred.keys.material import generate_key
    from microcred.model.definition import load_definition

    with tempfile.TemporaryDirectory(prefix="microcred-startup-") as tmp:
        credential = Path(tmp) / "credential.json"
        issued = issue(load_definition(EXAMPLE), "learner@example.org", generate_key("Ed25519"))
        credential.write_text(issued.serialize(), encoding="utf-8")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "microcred --version": [*_entry(), "--version"],
            "microcred --help": [*_entry(), "--help"],
            "microcred verify (one file)": [*_entry(), "verify", str(credential)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, argv in commands.items():
                start = time.perf_counter()
                done = subprocess.run(argv, capture_output=True, check=False, cwd=tmp)
                times[name].append(time.perf_counter() - start)
                if done.returncode != 0:
                    raise RuntimeError(f"{name} failed: {done.stderr.decode()[-500:]}")
    bare = min(times["python -c pass"])
    return {
        name: {"best_ms": 1000 * min(values), "times_bare": min(values) / bare}
        for name, values in times.items()
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
