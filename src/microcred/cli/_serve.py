"""``microcred serve``: the employer page and the VC-API, on uvicorn (the ``[server]`` extra)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import fail
from ._issuing import _parse_resources, load_signing_key

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ..server import ServerConfig


def _api_keys(env_name: str | None, file: str | None) -> tuple[str, ...]:
    keys: list[str] = []
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            fail(f"--api-keys-env {env_name}: that environment variable is not set")
        keys += value.split(",")
    if file:
        keys += Path(file).read_text(encoding="utf-8").splitlines()
    keys = [k.strip() for k in keys if k.strip() and not k.strip().startswith("#")]
    short = [k for k in keys if len(k) < 16]
    if short:
        fail("an API key must be at least 16 characters long (use a random one: openssl rand -hex 24)")
    return tuple(keys)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8443 with TLS, else 8000)."
)
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True), help="TLS certificate (PEM).")
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), help="TLS private key (PEM).")
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Trust X-Forwarded-Proto/For from the proxy at --forwarded-allow-ips (it terminates TLS).",
)
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True, metavar="IPS")
@click.option(
    "--public-url",
    metavar="URL",
    help="The https origin the credentials name (default: https://HOST:PORT); status lists live under it.",
)
@click.option("--key", "key_path", type=click.Path(dir_okay=False), help="Issuer key file: enables issuing.")
@click.option("--passphrase-env", metavar="VAR", help="Environment variable holding the key's passphrase.")
@click.option(
    "--ledger", "ledger_path", type=str, help="Ledger to record in (SQLite file, or postgresql:// URL)."
)
@click.option(
    "--status-path", default="/status", show_default=True, help="Path of the status lists under --public-url."
)
@click.option("--suspendable", is_flag=True, help="Issue with a suspension entry too.")
@click.option("--api-keys-env", metavar="VAR", help="Environment variable with comma-separated API keys.")
@click.option(
    "--api-keys-file", type=click.Path(dir_okay=False, exists=True), help="A file with one API key a line."
)
@click.option(
    "--resource",
    "resources",
    multiple=True,
    metavar="URL=FILE",
    help="Answer URL from a local file instead of the network (repeatable).",
)
@click.option(
    "--allow-private-network",
    is_flag=True,
    help="Let verification fetch from private (intranet) addresses too; loopback, link-local and "
    "reserved addresses stay refused.",
)
@click.option(
    "--offline", is_flag=True, help="Never use the network for verification; only --resource files."
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=1_000_000,
    show_default=True,
    help="VC-API body limit (bytes).",
)
@click.option(
    "--max-upload",
    type=click.IntRange(min=1024),
    default=5_000_000,
    show_default=True,
    help="Page upload limit (bytes).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (each verifies on its own core; status lists re-read within 5 s).",
)
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
def serve_cmd(
    host: str,
    port: int | None,
    tls_cert: str | None,
    tls_key: str | None,
    behind_proxy: bool,
    forwarded_allow_ips: str,
    public_url: str | None,
    key_path: str | None,
    passphrase_env: str | None,
    ledger_path: str | None,
    status_path: str,
    suspendable: bool,
    api_keys_env: str | None,
    api_keys_file: str | None,
    resources: tuple[str, ...],
    offline: bool,
    allow_private_network: bool,
    max_body: int,
    max_upload: int,
    log_level: str,
    workers: int,
) -> None:
    """Serve the employer verification page and the VC-API (needs: pip install 'microcred[server]').

    Verifying needs nothing; issuing needs --key and API keys; status changes and status lists need
    --ledger too. Serve HTTPS with --tls-cert/--tls-key, or plain HTTP on 127.0.0.1 behind a reverse
    proxy that terminates TLS (--behind-proxy, --public-url https://badges.example.edu).

    \b
    Examples:
      microcred serve                      # the employer page on http://127.0.0.1:8000
      API_KEYS=$(openssl rand -hex 24) microcred serve --key issuer-key.json --ledger issuer.db \\
          --api-keys-env API_KEYS --tls-cert cert.pem --tls-key key.pem --host 0.0.0.0
    """
    try:  # the [server] extra is optional: the rest of microcred never needs it
        import uvicorn

        from ..server import ServerConfig, create_app
    except ModuleNotFoundError as exc:
        fail(
            f"microcred serve needs the server extra ({exc.name} is missing): pip install 'microcred[server]'"
        )
    if bool(tls_cert) != bool(tls_key):
        fail("give both --tls-cert and --tls-key, or neither")
    tls = bool(tls_cert)
    port = port if port is not None else (8443 if tls else 8000)
    if public_url is None:
        scheme = "https" if tls or behind_proxy else "http"
        public_url = f"{scheme}://{host}:{port}"
    if not public_url.startswith(("https://", "http://")):
        fail("--public-url must be an http(s) URL")
    if key_path and not _api_keys(api_keys_env, api_keys_file):
        click.echo(
            "warning: no API keys given (--api-keys-env / --api-keys-file): issuing will answer 401", err=True
        )
    spec: dict[str, Any] = {
        "public_url": public_url,
        "key_path": key_path,
        "passphrase_env": passphrase_env,
        "ledger_path": ledger_path,
        "api_keys_env": api_keys_env,
        "api_keys_file": api_keys_file,
        "status_path": status_path,
        "suspension": suspendable,
        "resources": {url: str(path) for url, path in _parse_resources(resources).items()},
        "allow_network": not offline,
        "allow_private_network": allow_private_network,
        "max_body": max_body,
        "max_upload": max_upload,
    }
    app: Any = create_app(_config(spec, ServerConfig))  # built here too, so a bad option fails at once
    if workers > 1:  # each worker process builds the same app from the spec
        os.environ[_SPEC_VARIABLE] = json.dumps(spec)
        app = f"{__name__}:app_from_environment"
    click.echo(f"microcred serve: {public_url} (listening on {host}:{port}, {workers} worker(s))", err=True)
    uvicorn.run(
        app,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=forwarded_allow_ips if behind_proxy else None,
        log_level=log_level,
        server_header=False,
        limit_concurrency=1000,
        timeout_keep_alive=5,
    )


_SPEC_VARIABLE = "MICROCRED_SERVE_SPEC"


def _config(spec: dict[str, Any], config_class: type[ServerConfig]) -> ServerConfig:
    key_path = spec["key_path"]
    return config_class(
        public_url=spec["public_url"],
        key=load_signing_key(key_path, spec["passphrase_env"]) if key_path else None,
        ledger_path=(
            None
            if not spec["ledger_path"]
            else spec["ledger_path"]
            if "://" in spec["ledger_path"]  # a PostgreSQL URL, kept as written
            else Path(spec["ledger_path"])
        ),
        api_keys=_api_keys(spec["api_keys_env"], spec["api_keys_file"]),
        status_path=spec["status_path"],
        suspension=spec["suspension"],
        resources={url: Path(path) for url, path in spec["resources"].items()},
        allow_network=spec["allow_network"],
        allow_private_network=spec["allow_private_network"],
        max_body=spec["max_body"],
        max_upload=spec["max_upload"],
    )


def app_from_environment() -> Starlette:
    """The app of one worker process of ``microcred serve --workers N`` (uvicorn calls this)."""
    from ..server import ServerConfig, create_app  # the [server] extra: only in a server process

    return create_app(_config(json.loads(os.environ[_SPEC_VARIABLE]), ServerConfig))


COMMANDS = [serve_cmd]
