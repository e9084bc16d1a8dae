"""``microcred demo``: a throwaway issuer issues, records, bakes, verifies and revokes a credential."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _time
from .._resources import package_data_dir
from ..baking.badge import default_badge_svg
from ..baking.bake import bake, unbake
from ..fetch import offline_fetch
from ..issuing import issue
from ..keys.files import save_key
from ..keys.material import IssuerKey, generate_key
from ..ledger.protocol import Ledger
from ..model.definition import load_definition
from ..model.learner import Recipient, Result
from ..status.publishing import signed_status_lists
from ..verifying.verify import verify

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

#: The example achievement the demo issues (one of the files in ``examples/``).
DEMO_EXAMPLE = "university-data-science.toml"
_STATUS_BASE = "https://demo-issuer.example/status"


def run_demo(
    *, keep: Path | None = None, echo: Callable[[str], None] = print, now: datetime | None = None
) -> bool:
    """Run the demo in a temp folder (or ``keep``); True when every step behaved as it should."""
    now = now or _time.now().replace(microsecond=0)
    folder = Path(tempfile.mkdtemp(prefix="microcred-demo-")) if keep is None else keep
    folder.mkdir(parents=True, exist_ok=True)
    ok = True
    try:
        echo(f"microcred demo — working in {folder}\n")
        key = generate_key("Ed25519")
        save_key(key, folder / "issuer-key.json")
        echo(f"1. A throwaway issuer key (Ed25519). Issuer id: {key.controller}")

        definition = load_definition(package_data_dir("examples") / DEMO_EXAMPLE)
        learner = Recipient.parse("ada.lovelace@example.org", "Ada Lovelace")
        echo(f"2. Achievement: {definition.achievement.title} ({definition.issuer.name})")

        ledger = Ledger.open(folder / "ledger.sqlite")
        try:
            di = issue(
                definition,
                learner,
                key,
                ledger=ledger,
                status_base_url=_STATUS_BASE,
                now=now,
                build_options={"result": Result("8.5")},
            )
            jwt = issue(
                definition,
                learner,
                key,
                format="jwt",
                ledger=ledger,
                status_base_url=_STATUS_BASE,
                now=now,
                build_options={"result": Result("8.5")},
            )
            (folder / "credential.json").write_text(di.serialize(), encoding="utf-8")
            (folder / "credential.jwt").write_text(jwt.serialize() + "\n", encoding="utf-8")
            echo("3. Issued it twice — a Data Integrity credential (eddsa-rdfc-2022) and a VC-JWT (EdDSA) —")
            echo(f"   and recorded both in the ledger with a revocation index: {di.id}, {jwt.id}")

            badge = bake(
                default_badge_svg(definition.achievement.title, issuer_name=definition.issuer.name).encode(),
                dict(di.credential),
            )
            (folder / "badge.svg").write_bytes(badge)
            assert unbake(badge).credential == di.credential
            echo("4. Baked the signed credential into a badge image: badge.svg")

            resources = _publish_status_lists(ledger, key, folder, now)
            fetch = offline_fetch(resources)
            echo(f"5. Signed the status list and 'published' it (served from {folder.name}/ for this demo)\n")

            report = verify(badge, fetch=fetch, recipient="ada.lovelace@example.org", name="badge.svg")
            echo("6. What an employer sees when verifying badge.svg:\n")
            echo(_indent(report.to_text()))
            ok &= report.verified
            jwt_report = verify(jwt.jwt or "", fetch=fetch, name="credential.jwt")
            echo(f"\n   The VC-JWT: {'verified' if jwt_report.verified else 'NOT verified'}")
            ok &= jwt_report.verified

            ledger.revoke(jwt.id, "demo: issued in error")
            resources = _publish_status_lists(ledger, key, folder, now)
            after = verify(jwt.jwt or "", fetch=offline_fetch(resources), name="credential.jwt")
            status = after.check("status")
            echo(
                f"7. Revoked the VC-JWT in the ledger and republished the list; verifying it again: "
                f"{'verified' if after.verified else 'NOT verified'} — {status.message if status else ''}"
            )
            ok &= (not after.verified) and status is not None and status.details.get("outcome") == "revoked"
        finally:
            ledger.close()
        echo(
            f"\nDemo {'complete: every step behaved as expected' if ok else 'FAILED'}."
            + (f" Files kept in {folder}" if keep else "")
        )
        return bool(ok)
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def _publish_status_lists(ledger: Ledger, key: IssuerKey, folder: Path, now: datetime) -> dict[str, bytes]:

    resources: dict[str, bytes] = {}
    for item in signed_status_lists(ledger, key, now=now):
        data = json.dumps(item.document, indent=2).encode()
        (folder / (item.url.rsplit("/", 1)[-1] + ".json")).write_bytes(data)
        resources[item.url] = data
    return resources


def _indent(text: str) -> str:
    return "\n".join("   " + line if line else "" for line in text.splitlines())
