"""What the employer page shows: a verification report turned into a verdict, plain-language
elements and an explanation of every check. No HTML here, so the page and the tests share it.

This is the server's own adapter over :class:`~microcred.verifying.report.VerificationReport` and
:func:`~microcred.credential.inspection.credential_elements`; the page renders only a :class:`PageView`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..credential.inspection import ELEMENT_LABELS, elements_text

if TYPE_CHECKING:
    from ..verifying.report import Check, VerificationReport

Verdict = Literal["verified", "not_verified", "revoked", "suspended", "expired", "status_unknown"]

#: The banner for each verdict: a headline and one sentence saying what it means for the reader.
VERDICTS: dict[Verdict, tuple[str, str]] = {
    "verified": (
        "Verified",
        "The signature is valid, nothing was changed after signing, and the credential is currently "
        "valid. Who stands behind the signing key is said below, under the awarding body.",
    ),
    "not_verified": (
        "Not verified",
        "This credential failed a check: do not rely on anything it says. The failing check is named below.",
    ),
    "revoked": (
        "Revoked",
        "The awarding body has withdrawn this credential. It was genuine, but it no longer counts.",
    ),
    "suspended": (
        "Suspended",
        "The awarding body has suspended this credential for now. Ask the holder or the awarding body why.",
    ),
    "expired": (
        "Expired",
        "This credential was genuine but its validity period has ended.",
    ),
    "status_unknown": (
        "Could not check status",
        "The signature is valid, but the awarding body's revocation list could not be read, so it may "
        "have been revoked. Try again later.",
    ),
}

#: What each check asks, in words an employer understands.
CHECK_EXPLANATIONS: dict[str, tuple[str, str]] = {
    "parse": ("Readable", "It is a Verifiable Credential (W3C) in a format we can read."),
    "context": (
        "Vocabulary",
        "Every term it uses has one agreed meaning, so what is shown is what was signed.",
    ),
    "schema": ("Structure", "It has the shape an Open Badges 3.0 credential must have."),
    "proof": (
        "Signature",
        "The digital signature matches the content: nothing was changed after it was signed.",
    ),
    "issuer_key": (
        "Awarding body's key",
        "The key that signed it belongs to the awarding body the credential names.",
    ),
    "validity": ("Dates", "Today falls within the period in which the credential is valid."),
    "status": (
        "Revocation",
        "The awarding body's published list says it has not been revoked or suspended.",
    ),
    "recipient": ("Recipient", "It was issued to the person you asked about."),
    "endorsements": (
        "Endorsements",
        "Any endorsements inside it (third parties vouching for it) are themselves genuine.",
    ),
}

_STATUS_WORDS = {"passed": "Passed", "failed": "Failed", "warning": "Warning", "skipped": "Not checked"}
_AUTHENTICITY = ("parse", "context", "schema", "proof", "issuer_key", "recipient", "endorsements")


@dataclass(frozen=True)
class CheckView:
    """One check: its id, a short name, what it asks, the outcome in words, and what was found."""

    id: str
    name: str
    question: str
    status: str
    outcome: str
    finding: str


@dataclass(frozen=True)
class ElementView:
    """One element of the credential: its label and its value in plain text."""

    name: str
    label: str
    text: str


@dataclass(frozen=True)
class PageView:
    """Everything the result page shows."""

    verdict: Verdict
    headline: str
    meaning: str
    verified: bool
    source: str | None
    format: str | None
    elements: tuple[ElementView, ...]
    checks: tuple[CheckView, ...]

    @property
    def failing(self) -> tuple[CheckView, ...]:
        """The checks that failed, in the order they ran."""
        return tuple(c for c in self.checks if c.status == "failed")


def verdict_of(report: VerificationReport) -> Verdict:
    """The banner for ``report``: a forgery is "not verified" whatever its status list says."""
    if report.verified:
        return "verified"
    failed = {c.id: c for c in report.failed}
    if any(cid in failed for cid in _AUTHENTICITY) or not failed:
        return "not_verified"
    status = failed.get("status")
    outcome = _detail(status, "outcome")
    if outcome in ("revoked", "suspended"):
        return "revoked" if outcome == "revoked" else "suspended"
    validity = failed.get("validity")
    if validity is not None:
        return "expired" if _detail(validity, "reason") == "expired" else "not_verified"
    if status is not None:
        return "status_unknown"
    return "not_verified"


def _detail(check: Check | None, key: str) -> Any:
    return None if check is None else check.details.get(key)


def _element_views(elements: dict[str, Any] | None) -> tuple[ElementView, ...]:
    """Every element in report order, worded as the command line words it ("Not stated" when absent)."""
    if elements is None:
        return ()
    lines = elements_text(elements).splitlines()
    by_label = {label: name for name, label in ELEMENT_LABELS.items()}
    out: list[ElementView] = []
    current: tuple[str, str, list[str]] | None = None
    for line in lines:
        label, sep, rest = line.partition(":")
        if sep and label in by_label and not line.startswith(" "):
            if current is not None:
                out.append(ElementView(current[0], current[1], "\n".join(current[2]).strip()))
            current = (by_label[label], label, [rest.strip()] if rest.strip() else [])
        elif current is not None and line.strip():
            current[2].append(line.strip())
    if current is not None:
        out.append(ElementView(current[0], current[1], "\n".join(current[2]).strip()))
    return tuple(out)


def _lines(text: str | None) -> str:
    return "\n".join(line.strip() for line in (text or "").strip().splitlines() if line.strip())


def _links(links: Any) -> str:
    return "\n".join(f"- {link.text}" + (f" <{link.url}>" if link.url else "") for link in links)


def _employer_element_views(view: Any) -> tuple[ElementView, ...]:
    """Rows from the library's employer view (``report.employer_view()``): who, what, from whom (and
    whether a web domain confirms it), level in words, skills, credit, dates, then the EU Annex I details."""
    by_label = {label: name for name, label in ELEMENT_LABELS.items()}
    kind = f" ({view.achievement_type})" if view.achievement_type else ""
    rows: list[tuple[str, str, str | None]] = [
        ("learner", "Who", view.learner or "the learner is not named"),
        (
            "title",
            "What",
            (view.title or "no title stated") + kind,
        ),
        ("awarding_body", "Awarded by", f"{view.awarding_body or 'not named'} — {view.issuer_identity}"),
        ("level", "Level", view.level),
        ("skills", "Skills", _links(view.skills) or None),
        ("credit", "Credit", view.credit),
        ("counts_toward", "Counts toward", _links(view.counts_toward) or None),
        (
            "dates",
            "Issued and expires",
            f"issued {view.issued or 'on a date not stated'}; expires {view.expires or 'never'}",
        ),
        ("description", "About it", view.description),
        ("criteria", "What the learner had to do", view.criteria),
    ]
    for detail in view.details:
        text = "MISSING — the EU micro-credential standard requires it" if detail.missing else detail.text
        rows.append((by_label.get(detail.label, detail.label.lower().replace(" ", "_")), detail.label, text))
    return tuple(ElementView(name, label, _lines(text)) for name, label, text in rows if text)


def page_view(report: VerificationReport) -> PageView:
    """The result page's content for ``report`` (the library's employer view where it has one)."""
    verdict = verdict_of(report)
    headline, meaning = VERDICTS[verdict]
    employer = getattr(report, "employer_view", None)  # the library's own view, where it has one
    view = employer() if callable(employer) else None
    if view is not None:
        elements = _employer_element_views(view)
    else:
        elements = _element_views(dict(report.elements) if report.elements is not None else None)
    checks = []
    for check in report.checks:
        name, question = CHECK_EXPLANATIONS.get(check.id, (check.id, ""))
        checks.append(
            CheckView(check.id, name, question, check.status, _STATUS_WORDS[check.status], check.message)
        )
    return PageView(
        verdict=verdict,
        headline=headline,
        meaning=meaning,
        verified=report.verified,
        source=report.source,
        format=report.format,
        elements=elements,
        checks=tuple(checks),
    )
