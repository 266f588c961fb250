"""Large payloads travel by reference: over the limits they go to the payloads bucket, keyed by tenant.

Two limits: Step Functions takes at most 256 KB of input, and a DynamoDB item at most 400 KB, which the record's
input, output, error and cause share — so the record keeps a payload inline only up to 64 KB.
"""

from __future__ import annotations

import json
from typing import Any

from shared.aws import s3
from shared.settings import get_settings
from shared.store.tenant_scoped import TenantContext

STATE_MACHINE_INPUT_LIMIT = 256 * 1024
RECORD_INLINE_LIMIT = 64 * 1024
REFERENCE_KEY = "payload_ref"


def encode_payload(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def tenant_payload_prefix(tenant: TenantContext) -> str:
    """Every payload of a tenant is under this prefix (what its purge removes)."""
    return f"tenants/{tenant.tenant_id}/"


def payload_key(tenant: TenantContext, execution_id: str, kind: str) -> str:
    return f"{tenant_payload_prefix(tenant)}executions/{execution_id}/{kind}.json"


def store_payload(key: str, data: bytes) -> None:
    s3.put_json(get_settings().require("bucket_payloads"), key, data)


def payload_keys(prefix: str, limit: int) -> list[str]:
    """Up to `limit` payload keys under the prefix, in key order."""
    return s3.first_keys(get_settings().require("bucket_payloads"), prefix, limit)


def load_payload(key: str) -> Any:
    return json.loads(load_payload_bytes(key))


def load_payload_bytes(key: str) -> bytes:
    return s3.get_bytes(get_settings().require("bucket_payloads"), key)


def state_machine_reference(key: str, size: int) -> dict[str, Any]:
    """What a state machine receives instead of an input over 256 KB: where to read it."""
    return {REFERENCE_KEY: {"bucket": get_settings().require("bucket_payloads"), "key": key, "bytes": size}}
