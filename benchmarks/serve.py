"""Load on `microcred serve`: POST /credentials/verify and /credentials/issue at 1, 10 and 50 clients.

Run ``.venv/bin/python benchmarks/serve.py`` (needs the ``[server]`` extra). It starts ``microcred serve``
in a subprocess on 127.0.0.1 (a fresh did:key, a fresh SQLite ledger, an API key), drives it with
keep-alive HTTP/1.1 clients written on asyncio (light, so the client takes little of the CPU), and
prints requests per second and p50/p99 latency per level, next to the library's own per-call cost
(median, measured before and after the load)
(:func:`microcred.verify` of the same credential, status list served from memory; :func:`microcred.issue`
into a SQLite ledger) measured in the same run. The HTTP overhead ratio is the p50 latency at one
client over the library call. Bounded: ``--requests`` per level (default 400) and ``--seconds`` per
level (default 20), loopback only; the server is stopped at the end whatever happens.

The client runs on the same machine as the server: on 2 cores, every figure includes its cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from microcred import (
    Ledger,
    generate_key,
    issue,
    load_definition,
    offline_fetch,
    save_key,
    signed_status_lists,
    verify,
)

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "examples" / "university-data-science.toml"
PUBLIC_URL = "https://127.0.0.1:8443"
API_KEY = "benchmark-api-key-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _request(reader, writer, path: str, body: bytes, headers: str) -> tuple[int, bytes]:
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        int(v) for k, _, v in (x.partition(":") for x in lines[1:]) if k.lower() == "content-length"
    )
    return status, await reader.readexactly(length)


async def _load(port: int, path: str, bodies: list[bytes], headers: str, clients: int, seconds: float):
    """Send ``bodies`` (each once) over ``clients`` keep-alive connections; latencies in ms."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue and time.perf_counter() < deadline:
                body = queue.pop()
                start = time.perf_counter()
                status, _ = await _request(reader, writer, path, body, headers)
                latencies.append((time.perf_counter() - start) * 1000)
                failures += status not in (200, 201)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    return latencies, failures, elapsed


def _figures(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "rps": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def _median_ms(call, times: int) -> float:
    """The median of ``times`` timed calls, in ms (a median, like the p50 it is compared with)."""
    samples = []
    for i in range(times):
        start = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _library_costs(key, definition, calls: int) -> tuple[float, float]:
    """Median ms per verify() (status list served from memory) and per issue() into a SQLite ledger."""
    base = PUBLIC_URL + "/status"
    with tempfile.TemporaryDirectory() as folder, Ledger.open(Path(folder) / "lib.db") as ledger:
        first = issue(definition, "learner@example.org", key, ledger=ledger, status_base_url=base)
        issue_ms = _median_ms(
            lambda i: issue(definition, f"lib{i}@example.org", key, ledger=ledger, status_base_url=base),
            calls,
        )
        lists = {p.url: json.dumps(p.document).encode() for p in signed_status_lists(ledger, key)}
    credential = dict(first.credential)
    fetch = offline_fetch(lists)
    assert verify(credential, fetch=fetch).verified
    verify_ms = _median_ms(lambda i: verify(credential, fetch=fetch), calls)
    return verify_ms, issue_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per level (default 400)")
    parser.add_argument("--seconds", type=float, default=20.0, help="time cap per level (default 20)")
    parser.add_argument("--clients", default="1,10,50", help="concurrency levels (default 1,10,50)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (microcred serve --workers)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    key = generate_key("Ed25519")
    definition = load_definition(DEFINITION)
    calls = max(50, args.requests // 4)
    before = _library_costs(key, definition, calls)

    with tempfile.TemporaryDirectory() as folder:
        key_path = Path(folder) / "key.json"
        save_key(key, key_path)
        port = _free_port()
        env = {**os.environ, "MICROCRED_BENCH_KEYS": API_KEY}
        command = [
            sys.executable,
            "-m",
            "microcred",
            "serve",
            "--port",
            str(port),
            "--key",
            str(key_path),
            "--ledger",
            str(Path(folder) / "serve.db"),
            "--api-keys-env",
            "MICROCRED_BENCH_KEYS",
            "--public-url",
            PUBLIC_URL,
            "--offline",
            "--log-level",
            "warning",
            "--workers",
            str(args.workers),
        ]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            results = asyncio.run(_drive(port, levels, args, definition))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    after = _library_costs(key, definition, calls)  # again, so the ratio is not one moment's noise
    verify_ms, issue_ms = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    report = {
        "library": {"verify_ms": verify_ms, "issue_ms": issue_ms, "before": before, "after": after},
        **results,
    }
    for name, lib in (("verify", verify_ms), ("issue", issue_ms)):
        one = report[name].get("1")
        if one:
            report[name]["http_overhead_ratio_at_1_client"] = one["p50_ms"] / lib
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"library, same run (median, before/after the load): verify() {before[0]:.2f}/{after[0]:.2f} ms, "
        f"issue() into SQLite {before[1]:.2f}/{after[1]:.2f} ms"
    )
    print(f"server: microcred serve --workers {args.workers}; client: this process, same machine")
    print(f"{'endpoint':<22}{'clients':>8}{'requests':>10}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for name in ("verify", "issue"):
        for level in levels:
            f = report[name].get(str(level))
            if f:
                print(
                    f"{'/credentials/' + name:<22}{level:>8}{f['requests']:>10}{f['rps']:>9.0f}"
                    f"{f['p50_ms']:>9.2f}{f['p99_ms']:>9.2f}"
                )
        ratio = report[name].get("http_overhead_ratio_at_1_client")
        if ratio:
            print(f"  HTTP overhead at 1 client (p50 / library call): {ratio:.2f}x")
    return 0


async def _drive(port: int, levels: list[int], args, definition) -> dict:
    for _ in range(200):  # up to 20 s for the server to start
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.1)
    else:
        raise SystemExit("microcred serve did not start")
    auth = f"Authorization: Bearer {API_KEY}\r\n"
    data = tomllib.loads(DEFINITION.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=lambda v: v.isoformat()))
    body = json.dumps({"definition": data, "recipient": "warm@example.org"}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    status, text = await _request(reader, writer, "/credentials/issue", body, auth)
    assert status == 201, text
    credential = json.loads(text)["verifiableCredential"]
    check = json.dumps({"verifiableCredential": credential}).encode()
    status, text = await _request(reader, writer, "/credentials/verify", check, "")
    assert status == 200, text  # the status list is served by the server itself (and cached)
    writer.close()
    out: dict = {"verify": {}, "issue": {}}
    for level in levels:
        latencies, failures, elapsed = await _load(
            port, "/credentials/verify", [check] * args.requests, "", level, args.seconds
        )
        assert not failures, f"{failures} verify requests failed"
        out["verify"][str(level)] = _figures(latencies, elapsed)
    for level in levels:
        bodies = [
            json.dumps({"definition": data, "recipient": f"l{level}-{i}@example.org"}).encode()
            for i in range(args.requests)
        ]
        latencies, failures, elapsed = await _load(
            port, "/credentials/issue", bodies, auth, level, args.seconds
        )
        assert not failures, f"{failures} issue requests failed"
        out["issue"][str(level)] = _figures(latencies, elapsed)
    return out


if __name__ == "__main__":
    sys.exit(main())
