"""The verification report: named checks first, text for people second. No crypto here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..credential.employer import EmployerView, employer_view
from ..credential.inspection import elements_text

if TYPE_CHECKING:
    from collections.abc import Mapping

CheckStatus = Literal["passed", "failed", "warning", "skipped"]

#: Every check a report can hold, in the order they run.
CHECK_IDS: tuple[str, ...] = (
    "parse",
    "context",
    "schema",
    "proof",
    "issuer_key",
    "validity",
    "status",
    "recipient",
    "endorsements",
    "related_resource",
)
#: A report is verified only if none of these was skipped (and nothing failed).
REQUIRED_CHECKS: frozenset[str] = frozenset(
    {"parse", "context", "schema", "proof", "issuer_key", "validity", "status"}
)


@dataclass(frozen=True)
class Check:
    """One named check: its id, outcome, a sentence for people, and details for programs."""

    id: str
    status: CheckStatus
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out: dict[str, Any] = {"id": self.id, "status": self.status, "message": self.message}
        if self.details:
            out["details"] = dict(self.details)
        return out


@dataclass(frozen=True)
class VerificationReport:
    """What verify() found: ``verified`` is true only when no check failed and none required was skipped."""

    checks: tuple[Check, ...]
    format: str | None = None
    source: str | None = None
    credential: Mapping[str, Any] | None = None
    elements: Mapping[str, Any] | None = None
    #: The checks the caller asked for (None: all); the others are reported as skipped.
    requested: frozenset[str] | None = None

    @property
    def verified(self) -> bool:
        """True when no check failed and no required (or requested) check was skipped or missing."""
        seen = {c.id: c for c in self.checks}
        if any(c.status == "failed" for c in self.checks):
            return False
        required = REQUIRED_CHECKS if self.requested is None else REQUIRED_CHECKS & self.requested
        if self.requested is not None and not (self.requested - {"parse"}):
            return False  # nothing but parsing asked for: nothing was verified
        return all(cid in seen and seen[cid].status != "skipped" for cid in required)

    @property
    def warnings(self) -> tuple[Check, ...]:
        """The checks that passed with a warning (conformance departures, endorsements, status)."""
        return tuple(c for c in self.checks if c.status == "warning")

    def check(self, check_id: str) -> Check | None:
        """The check with ``check_id``, or None if it did not run."""
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if c.status == "failed")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: verified, format, source, checks, and the micro-credential elements."""
        return {
            "verified": self.verified,
            "format": self.format,
            "source": self.source,
            "credential_id": (self.credential or {}).get("id") if self.credential else None,
            "checks": [c.to_dict() for c in self.checks],
            "warnings": [f"{c.id}: {c.message}" for c in self.warnings],
            "elements": dict(self.elements) if self.elements is not None else None,
        }

    def summary_line(self) -> str:
        """One line: verdict, source and, when not verified, the first failed check."""
        name = self.source or "credential"
        if self.verified:
            title = (self.elements or {}).get("title")
            if isinstance(title, list):  # several subjects with different titles: all of them
                title = " / ".join(str(t) for t in title)
            return f"VERIFIED      {name}" + (f"  ({title})" if title else "")
        reasons = "; ".join(f"{c.id}: {c.message}" for c in self.failed) or "a required check did not run"
        return f"NOT VERIFIED  {name}  — {reasons}"

    def employer_view(self) -> EmployerView | None:
        """The credential for an employer, with who verification confirmed (None without a credential)."""
        if self.credential is None:
            return None
        key = self.check("issuer_key")
        details = key.details if key is not None and key.status == "passed" else {}
        return employer_view(
            dict(self.credential),
            verified=self.verified,
            key_binding=details.get("binding"),
            key_controller=details.get("controller"),
        )

    def to_text(self) -> str:
        """The report for a person: the verdict first, then what was learned, then each check."""
        lines = []
        if self.verified:
            lines.append("✔ VERIFIED — this credential is authentic, unaltered and currently valid.")
        else:
            lines.append("✘ NOT VERIFIED — do not rely on this credential (reasons below).")
        if self.source:
            lines.append(f"  Source: {self.source}" + (f" ({self.format})" if self.format else ""))
        lines.append("")
        view = self.employer_view()
        if view is not None:
            body: str | None = view.to_text().split("\n", 1)[1]  # its verdict line is the one above
        elif self.elements is not None:
            body = elements_text(dict(self.elements))
        else:
            body = None
        if body is not None and self.verified:
            lines.append(body)
            if view is None:
                lines.append("")
        elif body is not None:  # a tampered title must not read like a signed one
            lines.append("UNVERIFIED CLAIMS — the credential did not verify; none of this can be trusted:")
            lines += [f"  | {line}" if line else "  |" for line in body.splitlines()]
            lines.append("")
        lines.append("Checks:")
        marks = {"passed": "✔", "failed": "✘", "warning": "!", "skipped": "–"}
        for c in self.checks:
            lines.append(f"  {marks[c.status]} {c.id:<13} {c.status:<8} {c.message}")
        return "\n".join(lines)
