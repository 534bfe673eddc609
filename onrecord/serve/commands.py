"""``onrecord serve``: the web page and HTTP API on this machine.

    onrecord serve                         # http://127.0.0.1:8765/ (this machine only)
    onrecord serve --port 9000 --timeout 30 --max-bytes 2000000
    onrecord serve --store corpus.duckdb   # also the read-only /said, /actors, /claims queries
    onrecord serve --host 0.0.0.0 --allowed-host onrecord.newsroom.example   # on a network

It listens on 127.0.0.1 unless --host says otherwise: the server has no accounts or passwords. It answers only
requests addressed to the bound address or localhost, and to each --allowed-host name.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from typing import Any

from onrecord.errors import InputError, OnrecordError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def _positive_int(value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not number > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return number


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `serve` command to the CLI's subparsers."""
    from onrecord.limits import DEFAULT_MEMORY_MB
    from onrecord.read import DEFAULT_MAX_BYTES, DEFAULT_MAX_CHARS

    ap = subparsers.add_parser(
        "serve", help="a web page and HTTP API for analysing articles (127.0.0.1:8765)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default=DEFAULT_HOST,
                    help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    ap.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    ap.add_argument("--store", metavar="FILE", help="a corpus store (DuckDB) to query, opened read-only")
    ap.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES, metavar="N",
                    help=f"largest request accepted, in bytes (default {DEFAULT_MAX_BYTES:,})")
    ap.add_argument("--max-chars", type=_positive_int, default=DEFAULT_MAX_CHARS, metavar="N",
                    help=f"longest article text analysed, in characters (default {DEFAULT_MAX_CHARS:,})")
    ap.add_argument("--memory-limit", type=_positive_int, default=DEFAULT_MEMORY_MB, metavar="MB",
                    help=f"address space each analysis worker may use before its analysis is stopped "
                         f"(default {DEFAULT_MEMORY_MB:,} MB)")
    ap.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                    help="a host name (as clients write it in the URL) to answer besides the bound address and "
                         "localhost; repeat for several")
    ap.add_argument("--timeout", type=_seconds, default=60.0, metavar="S",
                    help="seconds an analysis may take before it is stopped (default 60)")
    ap.add_argument("--workers", type=_positive_int, default=min(2, os.cpu_count() or 1), metavar="N",
                    help="analysis processes, each holding the language model (default: up to 2)")
    ap.set_defaults(func=run)
    return ap


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (IPv4 or IPv6), so the real port is known before the server starts."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: must be between 0 and 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(f"--host {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OnrecordError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    try:
        import uvicorn

        from onrecord.serve.app import LOCAL_HOSTS, Settings, create_app
    except ImportError as exc:
        raise OnrecordError(f"the server needs FastAPI and uvicorn ({exc.name} is missing)") from None

    settings = Settings(max_bytes=args.max_bytes, max_chars=args.max_chars, memory_mb=args.memory_limit,
                        timeout=args.timeout, workers=args.workers, store=args.store,
                        allowed_hosts=(*LOCAL_HOSTS, args.host, *args.allowed_host))
    app = create_app(settings)
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"onrecord serve: listening on http://{shown}:{port}/ "
          f"({settings.workers} analysis worker(s), timeout {settings.timeout:g} s, "
          f"max {settings.max_bytes:,} bytes); Ctrl-C stops", flush=True)
    if not _is_loopback(args.host):
        print(f"onrecord serve: warning: listening on {args.host}, so other machines can reach this server; "
              f"it has no passwords. It answers requests for: {', '.join(dict.fromkeys(settings.allowed_hosts))}",
              file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, limit_concurrency=200,
                            timeout_graceful_shutdown=5, server_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0
