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

import logging

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
