"""An agent's memory: the last exchanges (prompt and final answer) under a conversation key, kept per tenant.

Stored in the payloads bucket under the tenant's prefix (what a tenant purge removes), one object per key (hashed, so
a key's text never becomes a path). Only final exchanges are kept: a window cut between a tool call and its result
would not be a valid conversation.
"""

from __future__ import annotations

import hashlib
from typing import Any

from shared.agents.providers.contract import Message
from shared.executions.payloads import (
    encode_payload,
    load_payload,
    payload_keys,
    store_payload,
    tenant_payload_prefix,
)
from shared.store.tenant_scoped import TenantContext


def memory_prefix(tenant: TenantContext) -> str:
    return f"{tenant_payload_prefix(tenant)}agent-memory/"


def memory_key(tenant: TenantContext, conversation_key: str) -> str:
    digest = hashlib.sha256(conversation_key.encode()).hexdigest()
    return f"{memory_prefix(tenant)}{digest}.json"


def tenant_exchanges(tenant: TenantContext, limit: int) -> list[dict[str, str]]:
    """Every remembered exchange of the tenant's agents (its own prefix only), from at most `limit` conversations."""
    exchanges: list[dict[str, str]] = []
    for key in payload_keys(memory_prefix(tenant), limit):
        stored: Any = load_payload(key)
        listed = stored.get("exchanges") if isinstance(stored, dict) else None
        exchanges.extend(item for item in listed or [] if isinstance(item, dict))
    return exchanges


def load_exchanges(tenant: TenantContext, conversation_key: str) -> list[dict[str, str]]:
    from botocore.exceptions import ClientError

    try:
        stored: Any = load_payload(memory_key(tenant, conversation_key))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return []
        raise
    exchanges = stored.get("exchanges") if isinstance(stored, dict) else None
    return [item for item in exchanges or [] if isinstance(item, dict)]


def save_exchange(
    tenant: TenantContext, conversation_key: str, window: int, earlier: list[dict[str, str]], user: str, answer: str
) -> None:
    exchanges = [*earlier, {"user": user, "assistant": answer}][-window:]
    store_payload(memory_key(tenant, conversation_key), encode_payload({"exchanges": exchanges}))


def as_messages(exchanges: list[dict[str, str]], window: int) -> list[Message]:
    messages: list[Message] = []
    for exchange in exchanges[-window:]:
        messages.append({"role": "user", "content": [{"text": str(exchange.get("user", ""))}]})
        messages.append({"role": "assistant", "content": [{"text": str(exchange.get("assistant", ""))}]})
    return messages
