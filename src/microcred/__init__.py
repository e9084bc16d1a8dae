"""microcred: build, sign, verify, revoke and bake Open Badges 3.0 micro-credentials.

The public API is what this module exports (``__all__``). Most callers need only
:func:`load_definition`, :func:`issue` / :func:`issue_many`, :func:`verify`, :func:`bake` /
:func:`unbake` and :class:`Ledger`. :mod:`microcred.suites` is the sharp layer (Data Integrity
cryptosuites and VC-JWT) for experts.

The library never prints: it reports on the ``microcred`` logger (what was fetched and how long it
took, what a cohort run issued, skipped and retried, ledgers created and migrated), which has only a
``NullHandler`` until the application configures logging.
"""

from __future__ import annotations

import importlib
import logging
import typing

from .errors import (
    BakingError,
    CanonicalizationError,
    DefinitionError,
    DidError,
    FetchError,
    InputError,
    JsonLdError,
    JwtError,
    KeyFormatError,
    LedgerError,
    MicrocredError,
    ProofError,
    SchemaValidationError,
    StatusListError,
)

if typing.TYPE_CHECKING:  # what each name is, for type checkers and readers; imported on first use
    from .baking.badge import default_badge_svg
    from .baking.badge_png import default_badge_png
    from .baking.bake import bake, unbake
    from .baking.payload import Unbaked
    from .cohort.rows import CohortRow, CohortRowError, read_cohort, scan_cohort
    from .cohort.run import issue_many
    from .cohort.summary import CohortInterrupted, CohortSummary
    from .credential.builder import build_credential
    from .credential.elm_export import elm_credential
    from .credential.employer import EmployerView, employer_view
    from .credential.inspection import credential_elements, elements_text
    from .credential.schema import SchemaIssue, schema_errors, validate_credential
    from .fetch import Fetcher, NetworkPolicy, offline_fetch
    from .issuing import IssuedCredential, issue, sign
    from .jsonld.canonical import canonicalize
    from .jsonld.loader import EXTENSION_CONTEXT_URL, EXTENSION_SCHEMA_URL, DocumentLoader
    from .keys.dids import did_web_document, jwks, resolve_verification_method
    from .keys.files import load_key, save_key
    from .keys.material import IssuerKey, ResolvedKey, generate_key
    from .ledger.protocol import Ledger
    from .model.award import Assessor, AwardDetails
    from .model.definition import Definition, definition_from_mapping, load_definition
    from .model.elements import (
        Achievement,
        Assessment,
        Credit,
        GradeScale,
        Issuer,
        LearningOutcome,
        Level,
        Participation,
        Qualification,
        QualityAssurance,
        Stackability,
        StackItem,
        Supervision,
        Workload,
    )
    from .model.learner import Evidence, Recipient, Result
    from .model.profiles import Finding, ProfileError
    from .model.profiles import check as check_definition
    from .publishing.share import ShareKit, share_kit, write_share_kit
    from .publishing.site import PublishedSite, publish_site
    from .status.publishing import PublishedList, signed_status_lists
    from .verifying.presentation import PresentationReport, present, verify_presentation
    from .verifying.report import Check, VerificationReport
    from .verifying.verify import verify, verify_many

#: Where each public name lives (module, attribute): imported on first use (PEP 562), so ``import
#: microcred`` and the command line start without loading what they do not use (pyld, jsonschema,
#: cryptography).
_LAZY: dict[str, tuple[str, str]] = {
    "default_badge_svg": (".baking.badge", "default_badge_svg"),
    "default_badge_png": (".baking.badge_png", "default_badge_png"),
    "bake": (".baking.bake", "bake"),
    "unbake": (".baking.bake", "unbake"),
    "Unbaked": (".baking.payload", "Unbaked"),
    "CohortRow": (".cohort.rows", "CohortRow"),
    "CohortRowError": (".cohort.rows", "CohortRowError"),
    "read_cohort": (".cohort.rows", "read_cohort"),
    "scan_cohort": (".cohort.rows", "scan_cohort"),
    "issue_many": (".cohort.run", "issue_many"),
    "CohortInterrupted": (".cohort.summary", "CohortInterrupted"),
    "CohortSummary": (".cohort.summary", "CohortSummary"),
    "build_credential": (".credential.builder", "build_credential"),
    "elm_credential": (".credential.elm_export", "elm_credential"),
    "EmployerView": (".credential.employer", "EmployerView"),
    "employer_view": (".credential.employer", "employer_view"),
    "credential_elements": (".credential.inspection", "credential_elements"),
    "elements_text": (".credential.inspection", "elements_text"),
    "SchemaIssue": (".credential.schema", "SchemaIssue"),
    "schema_errors": (".credential.schema", "schema_errors"),
    "validate_credential": (".credential.schema", "validate_credential"),
    "Fetcher": (".fetch", "Fetcher"),
    "NetworkPolicy": (".fetch", "NetworkPolicy"),
    "offline_fetch": (".fetch", "offline_fetch"),
    "IssuedCredential": (".issuing", "IssuedCredential"),
    "issue": (".issuing", "issue"),
    "sign": (".issuing", "sign"),
    "canonicalize": (".jsonld.canonical", "canonicalize"),
    "DocumentLoader": (".jsonld.loader", "DocumentLoader"),
    "EXTENSION_CONTEXT_URL": (".jsonld.loader", "EXTENSION_CONTEXT_URL"),
    "EXTENSION_SCHEMA_URL": (".jsonld.loader", "EXTENSION_SCHEMA_URL"),
    "did_web_document": (".keys.dids", "did_web_document"),
    "jwks": (".keys.dids", "jwks"),
    "resolve_verification_method": (".keys.dids", "resolve_verification_method"),
    "load_key": (".keys.files", "load_key"),
    "save_key": (".keys.files", "save_key"),
    "IssuerKey": (".keys.material", "IssuerKey"),
    "ResolvedKey": (".keys.material", "ResolvedKey"),
    "generate_key": (".keys.material", "generate_key"),
    "Ledger": (".ledger.protocol", "Ledger"),
    "Assessor": (".model.award", "Assessor"),
    "AwardDetails": (".model.award", "AwardDetails"),
    "Definition": (".model.definition", "Definition"),
    "definition_from_mapping": (".model.definition", "definition_from_mapping"),
    "load_definition": (".model.definition", "load_definition"),
    "Achievement": (".model.elements", "Achievement"),
    "Assessment": (".model.elements", "Assessment"),
    "Credit": (".model.elements", "Credit"),
    "GradeScale": (".model.elements", "GradeScale"),
    "Issuer": (".model.elements", "Issuer"),
    "LearningOutcome": (".model.elements", "LearningOutcome"),
    "Level": (".model.elements", "Level"),
    "Participation": (".model.elements", "Participation"),
    "Qualification": (".model.elements", "Qualification"),
    "QualityAssurance": (".model.elements", "QualityAssurance"),
    "StackItem": (".model.elements", "StackItem"),
    "Stackability": (".model.elements", "Stackability"),
    "Supervision": (".model.elements", "Supervision"),
    "Workload": (".model.elements", "Workload"),
    "Evidence": (".model.learner", "Evidence"),
    "Recipient": (".model.learner", "Recipient"),
    "Result": (".model.learner", "Result"),
    "Finding": (".model.profiles", "Finding"),
    "ProfileError": (".model.profiles", "ProfileError"),
    "check_definition": (".model.profiles", "check"),
    "ShareKit": (".publishing.share", "ShareKit"),
    "share_kit": (".publishing.share", "share_kit"),
    "write_share_kit": (".publishing.share", "write_share_kit"),
    "PublishedSite": (".publishing.site", "PublishedSite"),
    "publish_site": (".publishing.site", "publish_site"),
    "PublishedList": (".status.publishing", "PublishedList"),
    "signed_status_lists": (".status.publishing", "signed_status_lists"),
    "PresentationReport": (".verifying.presentation", "PresentationReport"),
    "present": (".verifying.presentation", "present"),
    "verify_presentation": (".verifying.presentation", "verify_presentation"),
    "Check": (".verifying.report", "Check"),
    "VerificationReport": (".verifying.report", "VerificationReport"),
    "verify": (".verifying.verify", "verify"),
    "verify_many": (".verifying.verify", "verify_many"),
}


def __getattr__(name: str) -> typing.Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0], __name__), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "EXTENSION_CONTEXT_URL",
    "EXTENSION_SCHEMA_URL",
    "Achievement",
    "Assessment",
    "Assessor",
    "AwardDetails",
    "BakingError",
    "CanonicalizationError",
    "Check",
    "CohortInterrupted",
    "CohortRow",
    "CohortRowError",
    "CohortSummary",
    "Credit",
    "Definition",
    "DefinitionError",
    "DidError",
    "DocumentLoader",
    "EmployerView",
    "Evidence",
    "FetchError",
    "Fetcher",
    "Finding",
    "GradeScale",
    "InputError",
    "IssuedCredential",
    "Issuer",
    "IssuerKey",
    "JsonLdError",
    "JwtError",
    "KeyFormatError",
    "LearningOutcome",
    "Ledger",
    "LedgerError",
    "Level",
    "MicrocredError",
    "NetworkPolicy",
    "Participation",
    "PresentationReport",
    "ProfileError",
    "ProofError",
    "PublishedList",
    "PublishedSite",
    "Qualification",
    "QualityAssurance",
    "Recipient",
    "ResolvedKey",
    "Result",
    "SchemaIssue",
    "SchemaValidationError",
    "ShareKit",
    "StackItem",
    "Stackability",
    "StatusListError",
    "Supervision",
    "Unbaked",
    "VerificationReport",
    "Workload",
    "__version__",
    "bake",
    "build_credential",
    "canonicalize",
    "check_definition",
    "credential_elements",
    "default_badge_png",
    "default_badge_svg",
    "definition_from_mapping",
    "did_web_document",
    "elements_text",
    "elm_credential",
    "employer_view",
    "generate_key",
    "issue",
    "issue_many",
    "jwks",
    "load_definition",
    "load_key",
    "offline_fetch",
    "present",
    "publish_site",
    "read_cohort",
    "resolve_verification_method",
    "save_key",
    "scan_cohort",
    "schema_errors",
    "share_kit",
    "sign",
    "signed_status_lists",
    "unbake",
    "validate_credential",
    "verify",
    "verify_many",
    "verify_presentation",
    "write_share_kit",
]
