"""JSON Schema validation: the 1EdTech Open Badges 3.0 schemas and microcred's extension schema.

Schemas are packaged and never fetched. Each compiled validator has its own ``referencing.Registry``
keyed explicitly by the URLs we know the schema under (the 1EdTech achievement and endorsement schemas once
shared one ``$id``, so a registry keyed by ``$id`` alone could pick the wrong one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._resources import package_data_dir
from ..errors import SchemaValidationError
from ..jsonld.loader import EXTENSION_SCHEMAS

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Resource

# The reference validator (jsonschema, referencing) is imported when first needed: a credential the
# jsonschema-rs accelerator finds valid never loads it.

_HERE = Path(__file__).resolve().parent
_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/schema/"

#: Published URL of the 1EdTech AchievementCredential schema (what ``credentialSchema`` names).
OB_ACHIEVEMENT_SCHEMA_URL = _PREFIX + "json/ob_v3p0_achievementcredential_schema.json"
#: Published URL of the 1EdTech EndorsementCredential schema.
ENDORSEMENT_SCHEMA_URL = _PREFIX + "json/ob_v3p0_endorsementcredential_schema.json"

# name -> (file, every URL that names it). Short names are what SchemaIssue.schema reports.
_SCHEMAS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "1edtech-achievementcredential": (
        _HERE / "jsonschemas" / "achievementcredential.json",
        (
            OB_ACHIEVEMENT_SCHEMA_URL,
            _PREFIX + "json/ob_v3p0_achievementcredential-jsonschema1.json",
            _PREFIX + "achievementcredential.json",
        ),
    ),
    "1edtech-endorsementcredential": (
        _HERE / "jsonschemas" / "endorsementcredential.json",
        (
            ENDORSEMENT_SCHEMA_URL,
            _PREFIX + "json/ob_v3p0_endorsementcredential-jsonschema1.json",
            _PREFIX + "endorsementcredential.json",
        ),
    ),
}


def _extension_schema_file(name: str = "microcred-schema-v1.json") -> Path:
    return package_data_dir("schemas") / name


#: Extension context URL -> the short name of the schema that checks its terms.
_EXTENSION_SCHEMA_NAMES: dict[str, str] = {}
for _context_url, (_schema_url, _file) in EXTENSION_SCHEMAS.items():
    _name = "microcred-" + _file.removeprefix("microcred-schema-").removesuffix(".json")
    _SCHEMAS[_name] = (_extension_schema_file(_file), (_schema_url,))
    _EXTENSION_SCHEMA_NAMES[_context_url] = _name
_URL_TO_NAME = {url: name for name, (_, urls) in _SCHEMAS.items() for url in urls}


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One schema violation: where (``credentialSubject.achievement.name``), what, and which schema."""

    path: str
    message: str
    schema: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} ({self.schema})"


def _no_fetch(uri: str) -> Resource[Any]:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs keyword


_PROOF_ARRAY = {"type": "array", "items": {"$ref": "#/$defs/Proof"}}
_STATUS_ONE = {"$ref": "#/$defs/CredentialStatus"}


def _allow_single_proof(node: Any) -> int:
    """Let ``proof`` and ``credentialStatus`` be one object or an array, as VC Data Model 2.0 allows.

    The packaged 1EdTech build requires ``proof`` to be an array, which rejects every credential signed
    with one proof (the 1EdTech validator's own fixtures among them), and ``credentialStatus`` to be one
    object, which rejects a credential with both a revocation and a suspension entry (Bitstring Status
    List's own example). Returns the number of places changed.
    """
    changed = 0
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and props.get("proof") == _PROOF_ARRAY:
            props["proof"] = {"oneOf": [{"$ref": "#/$defs/Proof"}, _PROOF_ARRAY]}
            changed += 1
        if isinstance(props, dict) and props.get("credentialStatus") == _STATUS_ONE:
            props["credentialStatus"] = {
                "oneOf": [_STATUS_ONE, {"type": "array", "minItems": 1, "items": _STATUS_ONE}]
            }
            changed += 1
        changed += sum(_allow_single_proof(v) for v in node.values())
    elif isinstance(node, list):
        changed += sum(_allow_single_proof(v) for v in node)
    return changed


def _contents(name: str) -> dict[str, Any]:
    path, _urls = _SCHEMAS[name]
    contents: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if name.startswith("1edtech-"):
        _allow_single_proof(contents)
    return contents


@cache
def _fast_validator(name: str) -> Any | None:
    """A jsonschema-rs validator for schema ``name``, or None when it is not installed or refuses the schema.

    It only ever short-cuts the *valid* case: it checks formats (which the reference validator checks
    only for some), never fetches, and anything it finds invalid is judged again by the reference
    ``jsonschema`` validator, which also words the errors. So it can make a check faster, never laxer
    than jsonschema-rs itself (the differential tests hold the two together).
    """
    try:
        import jsonschema_rs
    except ImportError:  # an optional accelerator: the pure-Python path is the reference
        return None
    try:
        return jsonschema_rs.validator_for(_contents(name), validate_formats=True, offline=True)
    except Exception:  # a schema it cannot compile: use the reference path only
        return None


@cache
def _validator(name: str) -> Validator:
    from jsonschema import Draft201909Validator, Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT201909, DRAFT202012

    _path_unused, urls = _SCHEMAS[name]
    contents = _contents(name)
    is_2020 = "2020-12" in str(contents.get("$schema", ""))
    spec = DRAFT202012 if is_2020 else DRAFT201909
    resource = Resource.from_contents(contents, default_specification=spec)
    keys = {*urls}
    if isinstance(contents.get("$id"), str):
        keys.add(contents["$id"])
    registry: Registry[Any] = Registry(retrieve=_no_fetch).with_resources(  # type: ignore[call-arg]
        (key, resource) for key in sorted(keys)
    )
    cls = Draft202012Validator if is_2020 else Draft201909Validator
    return cls(contents, registry=registry, format_checker=cls.FORMAT_CHECKER)


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(credential)"


def _short(value: Any, limit: int = 60) -> str:
    """A value on one short line: JSON, cut in the middle of nothing but long strings and containers."""
    if isinstance(value, dict):
        keys = list(value)
        text = "{" + ", ".join(json.dumps(k) + ": …" for k in keys[:4]) + (", …}" if len(keys) > 4 else "}")
    elif isinstance(value, list):
        text = f"an array of {len(value)}" if value else "[]"
    else:
        text = json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(values: list[Any], most: int = 8) -> str:
    shown = ", ".join(_short(v, 40) for v in values[:most])
    return shown + (f", … ({len(values)} in all)" if len(values) > most else "")


def _allowed(error: ValidationError) -> str:
    """What the schema allowed at the failing place, in words."""
    kind, rule = error.validator, error.validator_value
    if kind == "type":
        return "type " + (" or ".join(rule) if isinstance(rule, list) else str(rule))
    if kind == "enum" and isinstance(rule, list):
        return "one of " + _words(rule)
    if kind == "const":
        return "exactly " + _short(rule)
    if kind == "additionalProperties":
        return "no properties beyond those the schema defines"
    if kind == "contains" and isinstance(rule, dict):
        inner = rule.get("const", rule.get("enum", rule))
        return "an item " + (_words(inner) if isinstance(inner, list) else _short(inner))
    return f"{kind} {_short(rule)}"


def _deepest(error: ValidationError) -> ValidationError:
    """Of a oneOf/anyOf's branches, the error that got furthest into the value (then jsonschema's pick)."""
    from jsonschema.exceptions import best_match

    while error.context:
        candidates = list(error.context)
        depth = max(len(e.absolute_path) for e in candidates)
        deeper = best_match(e for e in candidates if len(e.absolute_path) == depth)
        if deeper is None or deeper is error:
            break
        error = deeper
    return error


def _issue(error: ValidationError, schema: str) -> SchemaIssue:
    """One line: the failing path, the value found there and what the schema allowed."""
    error = _deepest(error)
    path = _path(error.absolute_path)
    missing = re.match(r"^'(.+)' is a required property$", error.message)
    if error.validator == "required" and missing:
        name = missing.group(1)
        path = f"{path}.{name}" if error.absolute_path else name
        message = "missing (a required property)"
    else:
        message = f"value {_short(error.instance)} not allowed; allowed: {_allowed(error)}"
    return SchemaIssue(path, " ".join(message.split()), schema)


def _types(credential: dict[str, Any]) -> list[Any]:
    t = credential.get("type", [])
    return t if isinstance(t, list) else [t]


def applicable_schemas(credential: dict[str, Any]) -> list[str]:
    """Names of the packaged schemas ``credential`` is checked against.

    The 1EdTech AchievementCredential schema (EndorsementCredential schema for endorsements) always;
    microcred's when the credential references it in ``credentialSchema`` or ``@context``; any other
    packaged schema named in ``credentialSchema``.
    """
    names = [
        "1edtech-endorsementcredential"
        if "EndorsementCredential" in _types(credential)
        else "1edtech-achievementcredential"
    ]
    refs = credential.get("credentialSchema", [])
    refs = refs if isinstance(refs, list) else [refs]
    for ref in refs:
        ref_id = ref.get("id") if isinstance(ref, dict) else None
        name = _URL_TO_NAME.get(ref_id) if isinstance(ref_id, str) else None
        if name and name not in names:
            names.append(name)
    contexts = credential.get("@context", [])
    for url, name in _EXTENSION_SCHEMA_NAMES.items():
        if isinstance(contexts, list) and url in contexts and name not in names:
            names.append(name)
    return names


def schema_errors(credential: object) -> list[SchemaIssue]:
    """Every violation of every applicable schema, ordered by schema then path (empty list: valid)."""
    if not isinstance(credential, dict):
        return [
            SchemaIssue("(credential)", "a credential must be a JSON object", "1edtech-achievementcredential")
        ]
    issues: list[SchemaIssue] = []
    for name in applicable_schemas(credential):
        fast = _fast_validator(name)
        try:
            if fast is not None and fast.is_valid(credential):
                continue
        except UnicodeError:  # text the compiled validator cannot take (a lone surrogate): the judge decides
            pass
        found = [_issue(e, name) for e in _validator(name).iter_errors(credential)]
        issues.extend(sorted(found, key=lambda i: (i.path, i.message)))
    return issues


def validate_credential(credential: object) -> None:
    """Raise :class:`SchemaValidationError` (``path`` = the first error's JSON path) unless valid."""
    issues = schema_errors(credential)
    if issues:
        listing = "; ".join(str(i) for i in issues)
        count = f"{len(issues)} schema error{'s' if len(issues) > 1 else ''}"
        raise SchemaValidationError(f"{count}: {listing}", path=issues[0].path)
