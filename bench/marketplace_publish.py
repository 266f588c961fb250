"""Publish to installable under `forge dev`: a typical template (a few nodes, a parameter, a credential reference,
a README) signed and published through the API; the time until the stream-fed scanner approved and countersigned
it (its version no longer pending) and until a tenant's install of it succeeds, p50 over a handful of versions."""

from __future__ import annotations

import base64
import statistics
import time
from typing import Any

VERSIONS = 5
POLL_SECONDS = 0.02
TARGET_P50_SECONDS = 5.0


def template(version: str) -> dict[str, Any]:
    return {
        "kind": "workflow_template",
        "namespace": "bench",
        "name": "greeting",
        "version": version,
        "title": "Greeting",
        "description": "Greets a person by name on behalf of a team and posts the greeting to the team's channel.",
        "license": "MIT",
        "categories": ["communication"],
        "workflow": {
            "name": "greeting",
            "nodes": [
                {"id": "start", "type": "manual", "params": {}},
                {
                    "id": "greet",
                    "type": "transform",
                    "params": {"expression": "{'greeting': 'Hello ' & $states.input.name & ' from {{team}}'}"},
                },
            ],
            "edges": [{"from": "start", "to": "greet"}],
        },
        "parameters": [{"name": "team", "json_schema": {"type": "string", "maxLength": 40}}],
        "credentials": [{"name": "acme_api", "kind": "bearer"}],
    }


def _signed(manifest: dict[str, Any], artefacts: dict[str, bytes], private_pem: bytes) -> dict[str, Any]:
    from shared.marketplace.signing import sha256_digest, sign_payload, signed_payload

    digests = {name: sha256_digest(data) for name, data in artefacts.items()}
    return {
        "manifest": manifest,
        "artefacts": {name: base64.b64encode(data).decode() for name, data in artefacts.items()},
        "signature": sign_payload(private_pem, signed_payload(manifest, digests)),
    }


def _until(probe: Any, timeout: float = 120.0) -> float:
    """Seconds until probe() is true, polled every POLL_SECONDS."""
    started = time.perf_counter()
    while not probe():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"not done within {timeout} s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def main() -> None:
    from bench._local_tenant import local_tenant
    from shared.marketplace.signing import generate_key_pair

    accepted, approved, installable = [], [], []
    with local_tenant() as local:
        client, owner = local.client, local.owner
        private_pem, public_key = generate_key_pair()
        client.put(
            "/v1/marketplace/namespaces/bench", headers=owner, json={"public_key": public_key}
        ).raise_for_status()
        for patch in range(VERSIONS):
            version = f"1.0.{patch}"
            upload = _signed(template(version), {"README.md": b"# Greeting\n\nSay hello.\n"}, private_pem)
            started = time.perf_counter()
            answer = client.post("/v1/marketplace/items/bench/greeting/versions", headers=owner, json=upload)
            answer.raise_for_status()
            accepted.append(time.perf_counter() - started)
            location = answer.headers["location"]
            _until(lambda location=location: client.get(location, headers=owner).json()["status"] != "pending")
            approved.append(time.perf_counter() - started)
            status = client.get(location, headers=owner).json()["status"]
            if status != "approved":
                raise RuntimeError(f"{version} was {status}")
            install = {"namespace": "bench", "name": "greeting", "version": version, "parameters": {"team": "Bench"}}
            _until(
                lambda install=install: (
                    client.post("/v1/marketplace/installs", headers=owner, json=install).status_code == 201
                )
            )
            installable.append(time.perf_counter() - started)

    def seconds(samples: list[float]) -> str:
        return f"p50 {statistics.median(samples):.2f} s, max {max(samples):.2f} s"

    print(f"{VERSIONS} versions of a typical template under forge dev (stream poller every 0.2 s)")
    print(f"  publish answered (202, pending):  {seconds(accepted)}")
    print(f"  scanned and countersigned:        {seconds(approved)}")
    print(f"  installable (an install is 201):  {seconds(installable)}   target p50 ≤ {TARGET_P50_SECONDS:.0f} s")
