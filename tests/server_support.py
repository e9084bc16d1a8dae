"""Shared set-up for the server tests: a configured app with an issuer key, a ledger and API keys."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from microcred.fetch import offline_fetch
from microcred.keys.material import IssuerKey
from microcred.server import ServerConfig

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "test-api-key-0123456789abcdef"
PUBLIC_URL = "https://127.0.0.1:8443"


def definition_data() -> dict:
    """The university example definition, as the JSON a platform would send."""
    data = tomllib.loads((ROOT / "examples" / "university-data-science.toml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))  # TOML dates → ISO text


def server_config(issuer_key: IssuerKey, ledger_path: Path | None, **overrides) -> ServerConfig:
    """A server that issues with ``issuer_key`` into ``ledger_path`` and never uses the network."""
    options = {
        "public_url": PUBLIC_URL,
        "key": issuer_key,
        "ledger_path": ledger_path,
        "api_keys": (API_KEY,),
        "suspension": True,
        "fetch": offline_fetch({}),
    }
    options.update(overrides)
    return ServerConfig(**options)
