"""The employer view: what a credential says, in the order and words an employer needs.

:func:`employer_view` is pure: a credential (and what verification established about it) in, an
:class:`EmployerView` out, with ``to_dict()`` for programs (the web service renders it) and
``to_text()`` for people. First who, what, from which *verified* web domain (or plainly that the
issuer's identity is not established), the level in words, skills, credit and dates; then description
and criteria; then the EU Annex I details, a missing mandatory one flagged, an unused optional one
left out. No code is shown without its meaning.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import _time
from ..model.elm import nqf_to_eqf
from .inspection import credential_elements

#: What each EQF level means, after the level descriptors (EQF Recommendation 2017/C 189/03, Annex II)
#: and the QF-EHEA cycles for levels 5–8.
EQF_IN_WORDS: dict[int, str] = {
    1: "basic general knowledge and skills for simple tasks",
    2: "basic factual knowledge of a field, working under supervision",
    3: "knowledge of facts, principles and processes in a field of work or study",
    4: "factual and theoretical knowledge in broad contexts (upper-secondary or vocational level)",
    5: "comprehensive, specialised knowledge (short-cycle higher education)",
    6: "advanced knowledge of a field (bachelor's degree level)",
    7: "highly specialised knowledge (master's degree level)",
    8: "knowledge at the most advanced frontier of a field (doctoral level)",
}

#: National frameworks by country, for levels stated as "NQF".
NQF_NAMES: dict[str, str] = {
    "IE": "Irish National Framework of Qualifications",
    "NL": "Dutch Qualifications Framework (NLQF)",
    "DE": "German Qualifications Framework (DQR)",
    "FR": "French National Qualifications Framework",
    "GB": "UK national qualifications framework",
    "ZA": "South African National Qualifications Framework",
    "NZ": "New Zealand Qualifications and Credentials Framework",
    "AU": "Australian Qualifications Framework",
}

#: Country names for the codes a credential carries (ISO 3166-1 alpha-2); others are shown with the code.
COUNTRY_NAMES: dict[str, str] = {
    "AT": "Austria", "AU": "Australia", "BE": "Belgium", "BG": "Bulgaria", "CA": "Canada",
    "CH": "Switzerland", "CY": "Cyprus", "CZ": "Czechia", "DE": "Germany", "DK": "Denmark",
    "EE": "Estonia", "ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom",
    "GR": "Greece", "HR": "Croatia", "HU": "Hungary", "IE": "Ireland", "IS": "Iceland", "IT": "Italy",
    "LI": "Liechtenstein", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta",
    "NL": "Netherlands", "NO": "Norway", "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal",
    "RO": "Romania", "SE": "Sweden", "SI": "Slovenia", "SK": "Slovakia", "US": "United States",
    "ZA": "South Africa",
}  # fmt: skip

#: The UK frameworks by their short names.
UK_FRAMEWORKS: dict[str, str] = {
    "RQF": "Regulated Qualifications Framework (England and Northern Ireland)",
    "CQFW": "Credit and Qualifications Framework for Wales",
    "SCQF": "Scottish Credit and Qualifications Framework (levels 1–12)",
    "FHEQ": "Framework for Higher Education Qualifications (England, Wales and Northern Ireland)",
}

NOT_ESTABLISHED = "the issuer's identity is not established: this key is not tied to any web domain"

#: Annex I mandatory elements shown in the details (learner, title and awarding body are in the summary).
_MANDATORY = (
    ("country", "Country of the awarding body"),
    ("issued", "Date of issue"),
    ("learning_outcomes", "Learning outcomes"),
    ("workload", "Notional workload"),
    ("level", "Level"),
    ("assessment", "Type of assessment"),
    ("participation", "Form of participation"),
    ("quality_assurance", "Quality assurance"),
)
_OPTIONAL = (
    ("prerequisites", "Prerequisites"),
    ("supervision", "Supervision and identity verification"),
    ("grade", "Grade"),
    ("credit", "Credit"),
    ("stackability", "Stacks with"),
    ("evidence", "Evidence"),
)


@dataclass(frozen=True, slots=True)
class Link:
    """Text with the address it points to, if any."""

    text: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Detail:
    """One Annex I element: its label and text, or ``missing`` when a mandatory one is not stated."""

    label: str
    text: str | None
    missing: bool = False


@dataclass(frozen=True)
class EmployerView:
    """What an employer needs to know about one credential, most important first."""

    verified: bool | None
    issuer_domain: str | None
    issuer_identity: str
    learner: str | None
    title: str | None
    achievement_type: str | None
    awarding_body: str | None
    level: str | None
    skills: tuple[Link, ...] = ()
    credit: str | None = None
    counts_toward: tuple[Link, ...] = ()
    issued: str | None = None
    expires: str | None = None
    description: str | None = None
    criteria: str | None = None
    details: tuple[Detail, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the same fields (links as ``{"text", "url"}``)."""
        return asdict(self)

    def summary_text(self) -> str:
        """The summary block: verdict and who, what, level, skills, credit, dates."""
        if self.verified is None:
            verdict = "NOT CHECKED — nothing here has been verified."
        elif self.verified:
            verdict = "VERIFIED — the credential is authentic, unaltered and currently valid."
        else:
            verdict = "NOT VERIFIED — do not rely on this credential."
        lines = [verdict]
        lines.append(f"Who: {self.learner or 'the learner is not named'}")
        kind = f" ({self.achievement_type})" if self.achievement_type else ""
        lines.append(f"What: {self.title or 'no title stated'}{kind}")
        lines.append(f"Awarded by: {self.awarding_body or 'not named'} — {self.issuer_identity}")
        if self.level:
            lines.append(f"Level: {self.level}")
        if self.skills:
            lines.append("Skills:")
            lines += [f"  - {s.text}" + (f" <{s.url}>" if s.url else "") for s in self.skills]
        if self.credit:
            lines.append(f"Credit: {self.credit}")
        for q in self.counts_toward:
            lines.append(f"Counts toward: {q.text}" + (f" <{q.url}>" if q.url else ""))
        lines.append(f"Issued: {self.issued or 'date not stated'}; expires: {self.expires or 'never'}")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """The summary, then description and criteria, then the Annex I details."""
        parts = [self.summary_text()]
        if self.description:
            parts.append(f"About it:\n{_indent(self.description)}\n")
        if self.criteria:
            parts.append(f"What the learner had to do:\n{_indent(self.criteria)}\n")
        if self.details:
            rows = []
            for d in self.details:
                text = "MISSING — the EU standard requires it" if d.missing else d.text or ""
                rows.append(f"  {d.label}:{'' if text.startswith(chr(10)) else ' '}{text}")
            parts.append("Details (EU micro-credential standard elements):\n" + "\n".join(rows) + "\n")
        return "\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.strip().splitlines())


def issuer_domain(binding: str | None, controller: str | None) -> str | None:
    """The web domain a confirmed key binding ties the issuer to (did:web host, https host), else None."""
    if controller is None:
        return None
    if binding == "did:web" and controller.startswith("did:web:"):
        host = unquote(controller[len("did:web:") :].split(":", 1)[0])
        return host.lower() or None
    if binding == "published" and controller.startswith("https://"):
        return (urlsplit(controller).hostname or "").lower() or None
    return None


def _identity(verified: bool | None, binding: str | None, domain: str | None) -> str:
    if verified is False:
        return "not checked: verification failed"
    if verified is None:
        return "not checked"
    if domain:
        return f"confirmed by the web domain {domain}"
    if binding == "trusted":
        return "the key was trusted explicitly by whoever verified it; it is not tied to any web domain"
    return NOT_ESTABLISHED


def _words(type_name: str | None) -> str | None:
    if not type_name:
        return None
    name = type_name.removeprefix("ext:")
    if name == "MicroCredential":
        return "micro-credential"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def _date(value: Any) -> str | None:
    parsed = _time.parse_or_none(value) if isinstance(value, str) else None
    if parsed is None:
        return None
    return f"{parsed.day} {parsed.strftime('%B %Y')}"


def _country(code: str | None) -> str | None:
    if code is None:
        return None
    return COUNTRY_NAMES.get(code, f"country code {code} (ISO 3166-1)")


def level_in_words(level: dict[str, Any]) -> str:
    """``{"framework", "level", "country"}`` as a sentence, with the EQF level's meaning."""
    framework, code = level.get("framework"), level.get("level")
    if framework == "EQF" and isinstance(code, int) and code in EQF_IN_WORDS:
        return f"EQF level {code} of 8 — {EQF_IN_WORDS[code]}"
    if framework == "AQF":
        return f"Australian Qualifications Framework level {code} of 10"
    if framework in UK_FRAMEWORKS:
        return f"{UK_FRAMEWORKS[framework]} level {code}"
    if framework == "NQF":
        country = level.get("country")
        name = NQF_NAMES.get(country or "", f"the national qualifications framework of {_country(country)}")
        text = f"level {code} of the {name}" if not name.startswith("the ") else f"level {code} of {name}"
        eqf = nqf_to_eqf(country or "", code if isinstance(code, int | str) else "")
        if eqf is not None:
            text += f", referenced to EQF level {eqf} — {EQF_IN_WORDS[eqf]}"
        return text[0].upper() + text[1:]
    return f"{framework} level {code}"


def _levels(value: dict[str, Any] | list[dict[str, Any]]) -> str:
    return "; ".join(level_in_words(v) for v in (value if isinstance(value, list) else [value]))


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _workload(w: dict[str, Any]) -> str:
    bits = []
    if "credits" in w:
        bits.append(f"{_number(w['credits'])} {w.get('credit_system', 'credits')} credits")
    if "hours" in w:
        bits.append(f"{_number(w['hours'])} hours of learning")
    return ", ".join(bits)


#: Elements that are lists by nature; any other element given as a list states several values.
_LIST_ELEMENTS = ("learning_outcomes", "prerequisites", "evidence", "level")


def _each(value: Any) -> list[Any]:
    """The values of an element the credential may state several times (several subjects, results)."""
    return value if isinstance(value, list) else [] if value is None else [value]


def _detail_text(name: str, value: Any) -> str:
    if isinstance(value, list) and name not in _LIST_ELEMENTS:
        return "".join(f"\n    - {_detail_text(name, one)}" for one in value)
    if name == "learning_outcomes":
        return "".join(f"\n    - {o if isinstance(o, str) else o['statement']}" for o in value)
    if name == "workload":
        return _workload(value)
    if name == "level":
        return _levels(value)
    if name in ("assessment", "participation"):
        kind = value.get("type")
        shown = {**value, "type": ", ".join(kind)} if isinstance(kind, list) else value
        return " — ".join(str(shown[k]) for k in ("type", "description") if k in shown)
    if name == "quality_assurance":
        bits = [str(value[k]) for k in ("body", "type", "framework", "description") if k in value]
        if "registry_id" in value:
            bits.append(f"registry entry {value['registry_id']}")
        text = "; ".join(bits) + (f" <{value['url']}>" if "url" in value else "")
        return text + (f"; decision: <{value['decision_url']}>" if "decision_url" in value else "")
    if name == "credit":
        return "credit-bearing" if value.get("credit_bearing") else "carries no academic credit"
    if name == "prerequisites":
        return "".join(f"\n    - {p}" for p in value)
    if name == "supervision":
        bits = [value["type"]] if "type" in value else []
        if "identity_checked" in value:
            bits.append("identity checked" if value["identity_checked"] else "identity not checked")
        return "; ".join(bits + ([value["description"]] if "description" in value else []))
    if name == "grade":
        scale = f" on {value['name']}" if value.get("name") else ""
        return f"{value['value']}{scale}" if "value" in value else f"no grade stated{scale}"
    if name == "stackability":
        bits = []
        for key, words in (("built_from", "built from"), ("stacks_into", "stacks into")):
            if value.get(key):
                bits.append(f"{words} " + ", ".join(s.get("name", s.get("id", "?")) for s in value[key]))
        if value.get("integration") == "stand-alone":
            bits.append("a stand-alone micro-credential")
        elif value.get("integration") == "integrated":
            bits.append("part of a larger credential")
        return "; ".join(bits)
    if name == "evidence":
        return "".join(
            "\n    - " + " — ".join(e[k] for k in ("name", "narrative", "description", "id") if k in e)
            for e in value
        )
    if name == "country":
        return _country(value) or ""
    if name == "issued":
        return _date(value) or str(value)
    return str(value)


def _learner(value: Any) -> str | None:
    if isinstance(value, list):  # several subjects
        names = [n for n in (_learner(v) for v in value) if n]
        return "several learners: " + "; ".join(names) if names else None
    if not value:
        return None
    if value.get("name"):
        return str(value["name"])
    if any(i.get("hashed") for i in value.get("identities", [])):
        return "a learner identified by a hashed email address (check it against the address you were given)"
    return str(value["id"]) if value.get("id") else None


def employer_view(
    credential: dict[str, Any],
    *,
    verified: bool | None = None,
    key_binding: str | None = None,
    key_controller: str | None = None,
) -> EmployerView:
    """The employer view of ``credential``; ``verified`` and the issuer key's confirmed ``key_binding`` and
    ``key_controller`` come from verification (None: nothing was checked)."""
    e = credential_elements(credential)
    achievement = _achievement(credential)
    domain = issuer_domain(key_binding, key_controller) if verified else None
    skills = tuple(
        Link(o, None) if isinstance(o, str) else Link(o["statement"], o.get("url"))
        for o in e.get("learning_outcomes") or []
    )
    credit_bits = [_workload(w) for w in _each(e.get("workload"))]
    credits = _each(e.get("credit"))
    if any(c.get("credit_bearing") is False for c in credits):
        credit_bits.append("carries no academic credit")
    for c in credits:
        if "credits_earned" in c:  # partial credit, e.g. after recognition of prior learning
            credit_bits.append(f"this learner earned {_number(c['credits_earned'])} of them")
    counts = tuple(
        Link(
            q.get("name", q.get("id", "a qualification"))
            + (f" ({_number(q['credits'])} {q.get('credit_system', 'credits')})" if "credits" in q else ""),
            q.get("url") or q.get("id"),
        )
        for c in credits
        for q in c.get("counts_toward", [])
    )
    details = []
    for name, label in _MANDATORY:
        value = e.get(name)
        if value is None:
            details.append(Detail(label, None, missing=True))
        else:
            details.append(Detail(label, _detail_text(name, value)))
    for name, label in _OPTIONAL:
        value = e.get(name)
        if value is not None:
            details.append(Detail(label, _detail_text(name, value)))
    criteria = achievement.get("criteria")
    return EmployerView(
        verified=verified,
        issuer_domain=domain,
        issuer_identity=_identity(verified, key_binding, domain),
        learner=_learner(e.get("learner")),
        title="; ".join(_each(e.get("title"))) or None,
        achievement_type=_words(_text(achievement.get("achievementType"))),
        awarding_body=(e.get("awarding_body") or {}).get("name"),
        level=_levels(e["level"]) if e.get("level") else None,
        skills=skills,
        credit="; ".join(credit_bits) or None,
        counts_toward=counts,
        issued=_date(e.get("issued")),
        expires=_date(e.get("expires")),
        description=achievement.get("description")
        if isinstance(achievement.get("description"), str)
        else None,
        criteria=_text(criteria.get("narrative")) if isinstance(criteria, dict) else None,
        details=tuple(details),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _achievement(credential: dict[str, Any]) -> dict[str, Any]:
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return achievement if isinstance(achievement, dict) else {}
