"""The conversation between turns: inline in the loop's state, or by reference once it outgrows a share of it.

Step Functions passes at most 256 KiB between states; the loop state also carries up to MAX_PARALLEL_TOOL_CALLS
results of at most TOOL_RESULT_MAX_CHARS each, so the conversation goes to the payloads bucket past 64 KiB. The
payload store (S3, the data layer) is imported only then: node_agent's cold start stays without them.
"""

from __future__ import annotations

import json
from typing import Any

from shared.agents.providers.contract import ContentBlock, Message
from shared.store.context import TenantContext

CONVERSATION_INLINE_LIMIT = 64 * 1024
MAX_PARALLEL_TOOL_CALLS = 8
TOOL_RESULT_MAX_CHARS = 16_000


def execution_name(execution_id: str) -> str:
    """The execution's name from its ARN (what the platform's execution id is), or the id as given."""
    return execution_id.rsplit(":", 1)[-1]


def pack(tenant: TenantContext, execution_id: str, node_id: str, messages: list[Message]) -> Any:
    data = json.dumps(messages, separators=(",", ":")).encode()
    if len(data) <= CONVERSATION_INLINE_LIMIT:
        return messages
    from shared.executions.payloads import REFERENCE_KEY, payload_key, store_payload

    key = payload_key(tenant, execution_name(execution_id), f"agent-{node_id}-conversation")
    store_payload(key, data)
    return {REFERENCE_KEY: {"key": key, "bytes": len(data)}}


def unpack(tenant: TenantContext, packed: Any) -> list[Message]:
    if isinstance(packed, dict):
        from shared.executions.payloads import REFERENCE_KEY, load_payload

        key = str(packed[REFERENCE_KEY]["key"])
        if not key.startswith(f"tenants/{tenant.tenant_id}/"):
            raise ValueError("the conversation reference is not this tenant's")
        loaded: list[Message] = load_payload(key)
        return loaded
    messages: list[Message] = packed
    return messages


def result_block(tool_use_id: str, status: str, result: Any) -> ContentBlock:
    """A tool's result as data for the model: JSON objects as `json`, anything else as text."""
    if isinstance(result, dict):
        content: list[Any] = [{"json": result}]
    elif isinstance(result, str):
        content = [{"text": result}]
    else:
        content = [{"json": {"value": result}}]
    return {
        "toolResult": {
            "toolUseId": tool_use_id,
            "content": content,
            "status": "error" if status == "error" else "success",
        }
    }


def result_size(result: Any) -> int:
    return len(json.dumps(result, separators=(",", ":")).encode())
