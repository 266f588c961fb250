"""Authentication + authorization + rate-limit overhead per request, in-process, and its DynamoDB round trips.

The `authorize` dependency runs for every route of the permission table, with an API key and with a JWT, against
moto in-process; the time spent inside DynamoDB calls (emulation I/O) is measured with botocore event hooks and
subtracted, and the calls are counted per route.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

SAMPLES_PER_ROUTE = 30
TARGET_P50_MS = 3.0
TARGET_ROUND_TRIPS = 2


class DynamoDbCalls:
    """Counts DynamoDB calls and the time spent in them, from botocore's before-call/after-call events."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started: list[float] = []

    def before(self, **_: Any) -> None:
        self.count += 1
        self._started.append(time.perf_counter())

    def after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop()


@contextmanager
def _emulated_platform(calls: DynamoDbCalls) -> Iterator[Any]:
    from botocore.handlers import BUILTIN_HANDLERS

    # Every botocore client (PynamoDB's included) is built with the builtin handlers, so the hooks see every call.
    BUILTIN_HANDLERS.append(("before-call.dynamodb", calls.before))
    BUILTIN_HANDLERS.append(("after-call.dynamodb", calls.after))

    from devserver.emulation import local_environment

    os.environ.update(local_environment("http://unused"))
    os.environ.pop("AWS_ENDPOINT_URL")
    import boto3
    from moto import mock_aws

    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION, ResourceProvisioner
    from devserver.issuer import LocalIssuer
    from devserver.lambda_runtime import LocalLambdaRuntime

    with tempfile.TemporaryDirectory() as state_dir, mock_aws():
        issuer = LocalIssuer(Path(state_dir))
        issuer.private_key()
        os.environ["FORGE_AUTH_JWKS_URL"] = issuer.jwks_url
        runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        ResourceProvisioner(lambda service: boto3.client(service, region_name=LOCAL_REGION), runtime).provision()  # type: ignore[call-overload]
        yield issuer


def _route_request(method: str, template: str, headers: dict[str, str]) -> Any:
    from starlette.requests import Request

    path_params = {
        name.strip("{}"): f"sample-{name.strip('{}')}" for name in template.split("/") if name.startswith("{")
    }
    path_params.pop("tenant_id", None)
    scope = {
        "type": "http",
        "method": method,
        "path": template,
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
        "query_string": b"",
        "route": _Route(template),
        "path_params": path_params,
    }
    return Request(scope)


class _Route:
    def __init__(self, path: str) -> None:
        self.path = path


def _tenant_sessions(calls: DynamoDbCalls, tenant_id: str) -> None:
    """`current_tenant`'s scoped credentials (shared/store/tenant_credentials.py): a tenant's first request in a
    container (sts:AssumeRole, then a botocore client for its session) and every later one (a cache lookup), next
    to the same read with the function's own credentials."""
    from shared.store.context import TenantContext
    from shared.store.tenancy import Members
    from shared.store.tenant_credentials import forget_tenant_credentials, scoped_tenant

    def timed(action: Any) -> float:
        before_seconds = calls.seconds
        started = time.perf_counter()
        action()
        return (time.perf_counter() - started - (calls.seconds - before_seconds)) * 1000

    assume, first_read, scoped, unscoped = [], [], [], []
    for _ in range(10):
        forget_tenant_credentials()
        session: list[TenantContext] = []
        assume.append(timed(lambda: session.append(scoped_tenant(TenantContext(tenant_id)))))  # noqa: B023
        first_read.append(timed(lambda: Members(session[0]).get("bench-owner")))  # noqa: B023
        scoped += [
            timed(lambda: Members(scoped_tenant(TenantContext(tenant_id))).get("bench-owner"))
            for _ in range(SAMPLES_PER_ROUTE)
        ]
        unscoped += [
            timed(lambda: Members(TenantContext(tenant_id)).get("bench-owner")) for _ in range(SAMPLES_PER_ROUTE)
        ]
    print("\ntenant-scoped credentials (p50, excluding DynamoDB I/O):")
    print(f"  a tenant's first request in a container: AssumeRole {statistics.median(assume):.2f} ms (emulated STS)")
    print(f"    + its first read (a botocore client for the session) {statistics.median(first_read):.2f} ms")
    print(f"  later requests: credentials + one GetItem {statistics.median(scoped):.3f} ms")
    print(f"  the same GetItem with the function's own credentials {statistics.median(unscoped):.3f} ms")


def main() -> None:
    calls = DynamoDbCalls()
    with _emulated_platform(calls) as issuer:
        from fastapi import Response
        from fastapi.testclient import TestClient

        from devserver.api import create_platform_api
        from shared.auth.dependencies import authorize
        from shared.auth.errors import Forbidden
        from shared.auth.permissions import PERMISSIONS
        from shared.auth.principal import Role

        api = TestClient(create_platform_api(issuer))
        admin = {"authorization": f"Bearer {issuer.mint('bench-admin', platform_admin=True)}"}
        created = api.post(
            "/v1/tenants",
            headers=admin,
            json={"slug": "bench", "display_name": "Bench", "tier": "enterprise", "owner": {"subject": "bench-owner"}},
        )
        tenant_id = created.json()["tenant_id"]
        owner = {"authorization": f"Bearer {issuer.mint('bench-owner', tenant_id=tenant_id, role=Role.OWNER)}"}
        key = api.post("/v1/api-keys", headers=owner, json={"name": "bench", "role": "owner"}).json()["api_key"]
        credentials = {"jwt": owner, "api key": {"authorization": f"Bearer {key}"}}

        print(f"{'route':<58}{'credential':<12}{'p50 ms':>8}{'p99 ms':>8}{'DynamoDB calls':>16}")
        overall: list[float] = []
        worst_round_trips = 0
        for (method, template), policy in sorted(PERMISSIONS.items(), key=lambda entry: entry[0][1]):
            if policy.public or not policy.roles:
                continue
            for label, headers in credentials.items():
                samples, round_trips = [], []
                for _ in range(SAMPLES_PER_ROUTE):
                    before_count, before_seconds = calls.count, calls.seconds
                    started = time.perf_counter()
                    with suppress(Forbidden):
                        authorize(_route_request(method, template, headers), Response())
                    elapsed = time.perf_counter() - started - (calls.seconds - before_seconds)
                    samples.append(elapsed * 1000)
                    round_trips.append(calls.count - before_count)
                overall += samples
                worst_round_trips = max(worst_round_trips, max(round_trips))
                quantiles = statistics.quantiles(samples, n=100)
                print(
                    f"{method + ' ' + template:<58}{label:<12}{statistics.median(samples):>8.2f}{quantiles[98]:>8.2f}"
                    f"{statistics.median(round_trips):>16.0f}"
                )
        _tenant_sessions(calls, tenant_id)
        p50 = statistics.median(overall)
        time_verdict = "ok" if p50 <= TARGET_P50_MS else "OVER TARGET"
        trips_verdict = "ok" if worst_round_trips <= TARGET_ROUND_TRIPS else "OVER TARGET"
        print(f"\nall routes: p50 {p50:.2f} ms excluding emulation I/O (target ≤ {TARGET_P50_MS} ms) {time_verdict}")
        print(
            f"at most {worst_round_trips} DynamoDB round trips per request "
            f"(target ≤ {TARGET_ROUND_TRIPS}) {trips_verdict}"
        )
