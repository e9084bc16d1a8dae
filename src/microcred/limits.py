"""Every resource cap of microcred, named in one place (the security documentation lists them in a table).

The modules that enforce a cap import it from here, so a limit is changed once and documented once.
Sizes are bytes unless the name says characters; times are seconds.
"""

from __future__ import annotations

from typing import Final

# ------------------------------------------------------------------------------------------ inputs

#: The largest input read as a credential: a file, stdin, a URL's body, a baked image.
MAX_INPUT_BYTES: Final = 16 * 1024 * 1024
#: The largest compact VC-JWT read (characters).
MAX_TOKEN_CHARS: Final = 2_000_000
#: The largest key file read.
MAX_KEY_FILE_BYTES: Final = 1_000_000
#: The largest image unbaked, and the largest credential baked into one.
MAX_IMAGE_BYTES: Final = 16 * 1024 * 1024
MAX_BAKED_CREDENTIAL_BYTES: Final = 4 * 1024 * 1024

# ------------------------------------------------------------------- JSON and JSON-LD (jsonld.limits)

#: Nesting of arrays and objects in any JSON *text* microcred reads, measured before parsing
#: (``_json.loads``: ``json.loads`` would recurse into the Python stack limit first).
MAX_JSON_TEXT_DEPTH: Final = 256

#: Characters of every key and string of one JSON-LD document.
MAX_JSON_CHARS: Final = 5_000_000
#: Nesting of objects and arrays.
MAX_JSON_DEPTH: Final = 64
#: JSON values of one document.
MAX_JSON_VALUES: Final = 20_000
#: RDF quads and blank nodes of one dataset (before canonicalization).
MAX_QUADS: Final = 50_000
MAX_BLANK_NODES: Final = 10_000

# ------------------------------------------------------------------------- fetched documents

#: The largest document fetched for verification (key, DID or controller document, status list).
MAX_FETCH_BYTES: Final = 2_000_000
#: The largest DID / controller / key document parsed.
MAX_DID_DOCUMENT_BYTES: Final = 2_000_000
#: The largest decoded (uncompressed) status list.
MAX_STATUS_LIST_BYTES: Final = 16 * 1024 * 1024
#: One whole request: connect, headers and body, redirects included.
FETCH_DEADLINE_SECONDS: Final = 10.0
#: The slowest transfer accepted once :data:`FETCH_RATE_GRACE_SECONDS` have passed (bytes / second).
FETCH_MIN_BYTES_PER_SECOND: Final = 1024
FETCH_RATE_GRACE_SECONDS: Final = 2.0
#: Redirects followed by one request (each hop is vetted like the first URL).
MAX_REDIRECTS: Final = 3
#: Distinct URLs one verification may ask for (its key, DID documents, status lists, endorsements).
MAX_FETCHES_PER_VERIFICATION: Final = 32
#: Distinct status lists one credential may point at; entries beyond them are not checked.
MAX_STATUS_LISTS_PER_CREDENTIAL: Final = 8
#: Documents one :class:`~microcred.fetch.Fetcher` keeps for the rest of a run (a batch fetches once).
MAX_CACHED_DOCUMENTS: Final = 1_000
#: Bytes those cached documents may hold together; beyond it documents are fetched but not kept.
MAX_CACHED_BYTES: Final = 64 * 1024 * 1024
#: How long a status list whose proof verified is trusted without checking it again (same URL and
#: the very same bytes; never past the list's own ``validUntil``), and how many such lists are kept.
VERIFIED_LIST_TTL_S: Final = 300.0
MAX_VERIFIED_LISTS: Final = 1_000
#: Bytes those verified lists may hold together, counted as the bytes each was parsed from plus its
#: decoded bitstring (kept so a batch or a server decodes each list once); least recently used first out.
MAX_VERIFIED_CACHE_BYTES: Final = 64 * 1024 * 1024

# --------------------------------------------------------------------------------------- folders

#: A folder given to ``verify`` is verified in name order up to this many entries; a larger one
#: streams in directory order, so memory stays flat whatever its size.
SORTED_FOLDER_ENTRIES: Final = 10_000

# ---------------------------------------------------------------------------------------- cohort

#: The longest physical line of a cohort CSV (characters); a longer one is a row error, read no further.
MAX_CSV_LINE_CHARS: Final = 131_072
