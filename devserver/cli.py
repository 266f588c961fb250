"""The `forge` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _dev(arguments: argparse.Namespace) -> int:
    from devserver.ports import PortUnavailable

    try:
        from devserver.platform import LocalPlatformOptions, run_local_platform

        run_local_platform(
            LocalPlatformOptions(
                port=arguments.port, aws_port=arguments.aws_port, state_dir=arguments.state_dir, reset=arguments.reset
            )
        )
    except PortUnavailable as error:
        print(f"forge dev: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: stopping is what was asked, so it is a success
        pass
    print("forge dev: stopped", flush=True)
    return 0


def _openapi(arguments: argparse.Namespace) -> int:
    from devserver.routers import generate_openapi_document
    from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH, render_openapi_document

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


def _token(arguments: argparse.Namespace) -> int:
    from devserver.issuer import LocalIssuer
    from shared.auth.principal import Role

    if arguments.platform_admin == bool(arguments.tenant):
        print("forge token: give either --platform-admin or --tenant (with --role)", file=sys.stderr)
        return 2
    issuer = LocalIssuer(arguments.state_dir)
    print(
        issuer.mint(
            arguments.subject,
            tenant_id=arguments.tenant,
            role=Role(arguments.role) if arguments.tenant else None,
            platform_admin=arguments.platform_admin,
            ttl_seconds=arguments.ttl,
        )
    )
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

    token = commands.add_parser("token", help="mint a bearer token from the local issuer of `forge dev`")
    token.add_argument("--subject", default="local-admin", help="the user id (`sub`); a member's subject for --tenant")
    token.add_argument("--platform-admin", action="store_true", help="a platform admin (creates the first tenant)")
    token.add_argument("--tenant", help="the tenant id the user is a member of")
    token.add_argument("--role", choices=["owner", "admin", "editor", "viewer"], default="owner")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds the token is valid (default 12 h)")
    token.add_argument("--state-dir", type=Path, default=Path(".forge"), help="the state dir of `forge dev`")
    token.set_defaults(run=_token)

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
