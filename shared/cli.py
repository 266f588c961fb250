"""The `forge` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _dev(arguments: argparse.Namespace) -> int:
    from shared.local.platform import LocalPlatformOptions, run_local_platform

    run_local_platform(
        LocalPlatformOptions(
            port=arguments.port, aws_port=arguments.aws_port, state_dir=arguments.state_dir, reset=arguments.reset
        )
    )
    return 0


def _openapi(arguments: argparse.Namespace) -> int:
    from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH, render_openapi_document
    from shared.local.api import generate_openapi_document

    rendered = render_openapi_document(generate_openapi_document())
    if arguments.check:
        current = OPENAPI_DOCUMENT_PATH.read_text() if OPENAPI_DOCUMENT_PATH.exists() else ""
        if current != rendered:
            print(f"{OPENAPI_DOCUMENT_PATH} is out of date: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    OPENAPI_DOCUMENT_PATH.write_text(rendered)
    print(f"wrote {OPENAPI_DOCUMENT_PATH}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forge", description="Nexus Forge platform tools")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run the whole platform locally on 127.0.0.1")
    dev.add_argument("--port", type=int, default=8000, help="HTTP API port (default 8000)")
    dev.add_argument("--aws-port", type=int, default=4566, help="AWS emulation port (default 4566)")
    dev.add_argument("--state-dir", type=Path, default=Path(".forge"), help="where local state is kept")
    dev.add_argument("--reset", action="store_true", help="start with empty local state")
    dev.set_defaults(run=_dev)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document (or --check that it is current)")
    openapi.add_argument("--check", action="store_true")
    openapi.set_defaults(run=_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    result: int = arguments.run(arguments)
    return result


if __name__ == "__main__":
    sys.exit(main())
